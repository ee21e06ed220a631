"""The demonstration exercise of 00_start_here."""

import numpy as np

from ._core import describe_difference, grade

# What to do, without the answer: a stub's stored output must never print the solution.
WHAT_TO_DO = ("return a numpy array the shape of z, with the sigmoid of each entry: "
              "0.5 at z = 0, near 1 for large z, near 0 for very negative z (np.exp works "
              "elementwise)")

# Typical wrong answers, recognised by what they return on z = [-3, 0, 2], with a hint each.
MISTAKES = [
    # 1 / (1 + e^z) and e^-z / (1 + e^-z) are the same function: sigmoid(-z) = 1 - sigmoid(z)
    (lambda z: 1 / (1 + np.exp(z)), "that is sigmoid(-z) = 1 - sigmoid(z): check the sign of "
                                    "z (it is np.exp(-z) in the denominator, and the numerator "
                                    "is 1), so that sigmoid(2) is above 0.5"),
    (lambda z: 1 + np.exp(-z), "the reciprocal is missing: 1 / (1 + np.exp(-z)), with "
                               "parentheses around the whole denominator (1 / 1 + x is 1 + x)"),
    (lambda z: np.tanh(z), "that is tanh, which ranges over (-1, 1); the sigmoid ranges over "
                           "(0, 1): sigmoid(z) = (1 + tanh(z / 2)) / 2"),
]


def _hint_for(got, z) -> str:
    """The hint for a wrong answer: a specific one when it is a known mistake, else what to
    do (never the formula itself)."""
    got = np.asarray(got, dtype=float) if isinstance(got, np.ndarray) else None
    if got is not None and got.shape == z.shape:
        for mistake, hint in MISTAKES:
            if np.allclose(got, mistake(z)):
                return hint
    return WHAT_TO_DO


def _sigmoid_case(fn):
    z = np.array([-3.0, 0.0, 2.0])
    got = fn(z)
    ok, message = describe_difference("sigmoid([-3, 0, 2])", got, 1 / (1 + np.exp(-z)))
    return ok, message, None if ok else _hint_for(got, z)


def sigmoid(fn):
    """Grade sigmoid(z) -> 1 / (1 + e^-z)."""
    return grade("The sigmoid", [_sigmoid_case], fn)
