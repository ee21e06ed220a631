"""Graders for the exercises of the gradcheck notebook (to be written)."""

__all__: list = []
