"""The dashboard(s) of the regularization notebook (to be written)."""

__all__: list = []
