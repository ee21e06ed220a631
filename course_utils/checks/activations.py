"""Graders for the exercises of the activations notebook (to be written)."""

__all__: list = []
