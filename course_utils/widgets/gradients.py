"""The dashboard(s) of the gradients notebook (to be written)."""

__all__: list = []
