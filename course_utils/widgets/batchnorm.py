"""The dashboard(s) of the batchnorm notebook (to be written)."""

__all__: list = []
