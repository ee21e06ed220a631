"""Graders for the exercises of the normalization notebook (to be written)."""

__all__: list = []
