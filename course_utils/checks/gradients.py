"""Graders for the exercises of the gradients notebook (to be written)."""

__all__: list = []
