"""The demonstration exercise of 00_start_here."""

import numpy as np

from ._core import Mistake, array_case, grade

# What to do, without the answer: a stub's stored output must never print the solution.
WHAT_TO_DO = ("return a numpy array the shape of z, with the sigmoid of each entry: "
              "0.5 at z = 0, near 1 for large z, near 0 for very negative z (np.exp works "
              "elementwise)")

# The case every answer is run on, and the right values there.
Z = np.array([-3.0, 0.0, 2.0])
SIGMOID_Z = 1 / (1 + np.exp(-Z))

# Typical wrong answers, recognised by what they return on Z.
MISTAKES = [
    # 1 / (1 + e^z) and e^-z / (1 + e^-z) are the same function: sigmoid(-z) = 1 - sigmoid(z)
    Mistake("sigmoid(-z)", 1 / (1 + np.exp(Z)),
            "that is sigmoid(-z) = 1 - sigmoid(z): check the sign of z (it is np.exp(-z) in "
            "the denominator, and the numerator is 1), so that sigmoid(2) is above 0.5"),
    # also what 1 / 1 + np.exp(-z) gives
    Mistake("1 + e^-z", 1 + np.exp(-Z),
            "the reciprocal is missing: 1 / (1 + np.exp(-z)), with parentheses around the "
            "whole denominator (1 / 1 + x is 1 + x)"),
    Mistake("tanh", np.tanh(Z),
            "that is tanh, which ranges over (-1, 1); the sigmoid ranges over (0, 1): "
            "sigmoid(z) = (1 + tanh(z / 2)) / 2"),
]


def _sigmoid_case(fn):
    """What sigmoid returns on Z: its type, shape and values; a specific hint for a known
    mistake, else what to do (never the formula itself)."""
    values = array_case("sigmoid([-3, 0, 2])", SIGMOID_Z, mistakes=MISTAKES, otherwise=WHAT_TO_DO)
    return values(lambda: fn(Z.copy()))  # a copy: a function that changes z must not change Z


def sigmoid(fn):
    """Grade sigmoid(z) -> 1 / (1 + e^-z), on z = [-3, 0, 2]."""
    return grade("The sigmoid", [_sigmoid_case], fn)
