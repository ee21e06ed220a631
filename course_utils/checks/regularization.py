"""Graders for the exercises of the regularization notebook (to be written)."""

__all__: list = []
