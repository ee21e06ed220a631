"""The demonstration exercise of 00_start_here."""

import numpy as np

from ._core import describe_difference, grade


def _sigmoid_case(fn):
    z = np.array([-3.0, 0.0, 2.0])
    ok, message = describe_difference("sigmoid([-3, 0, 2])", fn(z), 1 / (1 + np.exp(-z)))
    return ok, message, "sigmoid(z) = 1 / (1 + np.exp(-z)), elementwise"


def sigmoid(fn):
    """Grade sigmoid(z) -> 1 / (1 + e^-z)."""
    return grade("The sigmoid", [_sigmoid_case], fn)
