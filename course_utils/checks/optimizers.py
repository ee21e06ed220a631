"""Graders for the exercises of the optimizers notebook (to be written)."""

__all__: list = []
