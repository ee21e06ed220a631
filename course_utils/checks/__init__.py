"""Exercise graders: `cu.checks.<exercise>(your_function)` says what is right and, if
something is wrong, what differs and a hint. One module per notebook."""

from ._core import Feedback, describe_difference, grade
from .initialization import he_init, layer5_std, xavier_uniform_bound
from .start_here import sigmoid

__all__ = ["Feedback", "grade", "describe_difference", "sigmoid",
           "he_init", "layer5_std", "xavier_uniform_bound"]
