"""The dashboard(s) of the normalization notebook (to be written)."""

__all__: list = []
