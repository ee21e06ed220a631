"""Graders for the exercises of the batchnorm notebook (to be written)."""

__all__: list = []
