"""The dashboard(s) of the optimizers notebook (to be written)."""

__all__: list = []
