"""The dashboard(s) of the activations notebook (to be written)."""

__all__: list = []
