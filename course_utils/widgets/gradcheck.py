"""The dashboard(s) of the gradcheck notebook (to be written)."""

__all__: list = []
