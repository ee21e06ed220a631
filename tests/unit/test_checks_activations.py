"""The graders of 04_activation_functions accept right answers and reject typical wrong
ones with the right hint."""

import numpy as np
import pytest

import course_utils as cu


def right_elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def right_elu_derivative(z, alpha=1.0):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


def test_elu_accepts_the_right_answer():
    feedback = cu.checks.elu(right_elu, right_elu_derivative)
    assert feedback.passed, str(feedback)


def test_elu_accepts_the_derivative_written_as_f_plus_alpha():
    df = lambda z, alpha=1.0: np.where(z > 0, 1.0, right_elu(z, alpha) + alpha)  # noqa: E731
    assert cu.checks.elu(right_elu, df).passed


def test_elu_without_alpha_is_accepted_only_for_the_default():
    feedback = cu.checks.elu(lambda z: right_elu(z), right_elu_derivative)
    assert not feedback.passed
    assert "elu(z, 0.5) raised TypeError" in str(feedback)
    assert "def elu(z, alpha=1.0)" in str(feedback)
    feedback = cu.checks.elu(right_elu, lambda z: right_elu_derivative(z))
    assert "def elu_derivative(z, alpha=1.0)" in str(feedback)


ELU_WRONG = [
    (lambda z, alpha=1.0: alpha * np.expm1(z), "only the negative side"),
    (lambda z, alpha=1.0: np.maximum(z, 0), "that is ReLU"),
    (lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0))), "subtract 1"),
    (lambda z, alpha=1.0: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), "multiply the negative side by alpha"),
    (lambda z, alpha=1.0: np.where(z > 0, 2 * z, alpha * np.expm1(np.minimum(z, 0))), "returns z unchanged"),
    (lambda z, alpha=1.0: np.where(z > 0, z, alpha * (np.exp(z) - 1)), "overflows"),
    (lambda z, alpha=1.0: None, "numpy array"),
    (lambda z, alpha=1.0: [max(x, 0) for x in z], "numpy array"),
    (lambda z, alpha=1.0: 1 / 0, "raised ZeroDivisionError"),
]


@pytest.mark.parametrize("wrong,words", ELU_WRONG)
def test_elu_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.elu(wrong, right_elu_derivative)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_elu_overflow_check_leaves_no_warning_behind():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cu.checks.elu(ELU_WRONG[5][0], right_elu_derivative)


DERIVATIVE_WRONG = [
    (lambda z, alpha=1.0: np.where(z > 0, 1.0, 0.0), "that is ReLU's derivative"),
    (lambda z, alpha=1.0: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))), "alpha is missing"),
    (lambda z, alpha=1.0: np.where(z > 0, 1.0, right_elu(z, alpha)), "that is ELU itself"),
    (lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0))), "its slope is 1"),
    (None, "elu_derivative should be a function"),
]


@pytest.mark.parametrize("wrong,words", DERIVATIVE_WRONG)
def test_elu_derivative_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.elu(right_elu, wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_elu_derivative_is_gradient_checked_with_the_courses_report():
    """The derivative is gradient-checked (course_utils.gradcheck): a right one passes with
    its relative error shown; a wrong one fails with a sentence saying that it does not
    match two-sided differences, the relative error as an order of magnitude, and the
    mistake-specific hint."""
    import re
    text = str(cu.checks.elu(right_elu, right_elu_derivative))
    assert "gradient check of elu_derivative(z, alpha=1): it matches" in text
    assert re.search(r"relative error \de-\d+, below 1e-7\)", text)
    relu_like = DERIVATIVE_WRONG[0][0]
    text = str(cu.checks.elu(right_elu, relu_like))
    error = float(re.search(r"does not match two-sided differences of ELU \(relative error (\S+);",
                            text).group(1))
    assert error > 1e-3
    assert "that is ReLU's derivative" in text


def test_elu_derivative_that_forgets_alpha_is_told_so():
    """Issue 14: a derivative that forgets alpha got "z 1.1e-01 bug". It must say, in words,
    that it does not match and that alpha is missing on the negative side."""
    no_alpha = lambda z, alpha=1.0: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))  # noqa: E731
    feedback = cu.checks.elu(right_elu, no_alpha)
    text = str(feedback)
    assert not feedback.passed
    assert "z 1.1e-01 bug" not in text
    assert "elu_derivative(z, alpha=0.5): it does not match two-sided differences" in text
    assert "alpha is missing" in text and "alpha e^z" in text
    assert "✓ gradient check of elu_derivative(z, alpha=1)" in text  # right for alpha = 1


def test_elu_derivative_a_slightly_wrong_slope_fails_the_gradient_check():
    """A derivative off by 1e-4 (relative) is not 'close enough': the check's threshold is
    1e-7, and the message gives the relative error's order of magnitude."""
    slightly = lambda z, alpha=1.0: right_elu_derivative(z, alpha) * (1 + 1e-4)  # noqa: E731
    feedback = cu.checks.elu(right_elu, slightly)
    assert not feedback.passed
    assert "(relative error 5e-05;" in str(feedback) or "(relative error 1e-04;" in str(feedback), str(feedback)


def test_elu_derivative_only_wrong_at_the_kink_gets_its_own_hint():
    """np.where(z >= 0, ...) differs only at z = 0 for alpha != 1: the gradient check (away
    from the kink) passes and the value check at 0 says what differs there."""
    at_kink = lambda z, alpha=1.0: np.where(z >= 0, 1.0, alpha * np.exp(np.minimum(z, 0)))  # noqa: E731
    text = str(cu.checks.elu(right_elu, at_kink))
    assert "only z = 0 differs" in text and "alpha e^0 = alpha" in text
    assert "✓ gradient check of elu_derivative(z, alpha=0.5)" in text


def test_elu_derivative_of_the_wrong_type_or_shape_is_named():
    text = str(cu.checks.elu(right_elu, lambda z, alpha=1.0: None))
    assert "should be a numpy array, got NoneType" in text
    text = str(cu.checks.elu(right_elu, lambda z, alpha=1.0: right_elu_derivative(z, alpha).ravel()))
    assert "returned shape (10,)" in text


@pytest.mark.parametrize("answer,ok,words", [
    ("sigmoid", True, "<= 1/4"),
    ("sigmoid_centered", True, "same bound"),  # section 6's centred sigmoid has the same slope
    ("centred sigmoid", True, "same bound"),
    ("Logistic", True, "<= 1/4"),
    (" logistic sigmoid ", True, "<= 1/4"),
    ("tanh", False, "tanh'(0) = 1"),
    ("relu", False, "slope is 1 for every z > 0"),
    ("leaky ReLU", False, "leaky ReLU's slope"),
    ("selu", False, "1.76"),
    ("softplus", False, "the sigmoid itself"),
    ("swish", False, "not one of the activations"),
    (None, False, "expected a name"),
    (0.25, False, "expected a name"),
])
def test_derivative_bound(answer, ok, words):
    feedback = cu.checks.derivative_bound(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def right_dead_fraction(Z):
    return np.mean(np.all(Z <= 0, axis=1))


DEAD_WRONG = [
    (lambda Z: np.mean(np.all(Z < 0, axis=1)), "use z <= 0"),
    (lambda Z: np.sum(np.all(Z <= 0, axis=1)), "divide by the number of units"),
    (lambda Z: np.mean(np.all(Z <= 0, axis=0)), "examples are columns"),
    (lambda Z: np.mean(np.any(Z <= 0, axis=1)), "not on some (np.any)"),
    (lambda Z: np.mean(Z <= 0), "fraction of all entries"),
    (lambda Z: np.all(Z <= 0, axis=1), "expected one number"),
    (lambda Z: None, "should return a number"),
    (lambda Z: 0.5, "np.all(Z <= 0, axis=1)"),
]


def test_dead_fraction_accepts_the_right_answer():
    feedback = cu.checks.dead_fraction(right_dead_fraction)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("wrong,words", DEAD_WRONG)
def test_dead_fraction_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.dead_fraction(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_graders_are_reexported():
    for name in ("elu", "derivative_bound", "dead_fraction"):
        assert getattr(cu.checks, name) is getattr(cu.checks.activations, name)


def test_the_stubs_feedback_shows_what_to_do_not_the_answer():
    """The notebook stores the stubs' output: no formula, no np.where pattern, no name."""
    stub = lambda z, alpha=1.0: None  # noqa: E731
    text = str(cu.checks.elu(stub, stub))
    assert "np.where" not in text and "e^z" not in text and "expm1" not in text
    assert "numpy array" in text
    for text in (str(cu.checks.derivative_bound(None)), str(cu.checks.dead_fraction(lambda Z: None))):
        assert "sigmoid" not in text and "np.all" not in text and "axis" not in text


def test_derivative_bound_success_does_not_claim_a_fourfold_shrink_per_layer():
    """Issue 14: the success message said "Ten sigmoid layers shrink a gradient by at least
    4^10"; the weights multiply the slope's factor back (x4 weights: 0.35-1.08 per layer)."""
    text = str(cu.checks.derivative_bound("sigmoid"))
    assert "4^10" not in text and "at least" not in text
    assert "weights" in text and "mean of 1/2" in text


@pytest.mark.parametrize("right", [
    lambda Z: (Z.max(axis=1) <= 0).mean(),
    lambda Z: np.sum(~np.any(Z > 0, axis=1)) / Z.shape[0],
    lambda Z: float(np.count_nonzero(np.maximum(Z, 0).sum(axis=1) == 0)) / len(Z),
])
def test_dead_fraction_accepts_other_correct_methods(right):
    assert cu.checks.dead_fraction(right).passed


def test_dead_fraction_rejects_a_constant_answer():
    """A function that returns the first case's 0.6 whatever Z is fails on the second case."""
    feedback = cu.checks.dead_fraction(lambda Z: 0.6)
    assert not feedback.passed
    assert "10 units x 50 examples" in str(feedback), str(feedback)
