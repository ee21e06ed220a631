"""The graders of 08_gradient_checking, and the common tool `gradient_case`: each accepts a
right answer and rejects typical wrong ones with the right hint."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import gradcheck as bugs
from course_utils.checks import _core, gradcheck as checks_gradcheck

# ---------------------------------------------------------------- exercise 1


def right_two_sided(f, params, key, index, eps):
    theta = params[key]
    original = theta[index]
    theta[index] = original + eps
    plus = f(params)
    theta[index] = original - eps
    minus = f(params)
    theta[index] = original
    return (plus - minus) / (2 * eps)


def on_a_copy(f, params, key, index, eps):
    work = {k: v.copy() for k, v in params.items()}
    return right_two_sided(f, work, key, index, eps)


def one_sided(f, params, key, index, eps):
    theta = params[key]
    original = theta[index]
    base = f(params)
    theta[index] = original + eps
    plus = f(params)
    theta[index] = original
    return (plus - base) / eps


def over_eps(f, params, key, index, eps):
    return 2 * right_two_sided(f, params, key, index, eps)


def not_restored(f, params, key, index, eps):
    theta = params[key]
    original = theta[index]
    theta[index] = original + eps
    plus = f(params)
    theta[index] = original - eps
    minus = f(params)
    return (plus - minus) / (2 * eps)


def whole_block(f, params, key, index, eps):
    work = {k: v.copy() for k, v in params.items()}
    plus = f({**work, key: work[key] + eps})
    minus = f({**work, key: work[key] - eps})
    return (plus - minus) / (2 * eps)


def wrong_sign(f, params, key, index, eps):
    return -right_two_sided(f, params, key, index, eps)


def ignores_key(f, params, key, index, eps):
    return right_two_sided(f, params, "w", index if key == "w" else (0, 0), eps)


def restored_by_arithmetic(f, params, key, index, eps):
    """Right value, but the nudge undone by arithmetic: (theta + eps) - 2 eps + eps leaves a
    rounding leftover of one ulp in some entries (issue 26)."""
    theta = params[key]
    theta[index] += eps
    plus = f(params)
    theta[index] -= 2 * eps
    minus = f(params)
    theta[index] += eps
    return (plus - minus) / (2 * eps)


def test_arithmetic_restore_is_named_as_a_rounding_leftover_with_the_fix():
    """The answer of issue 26 was rejected with a generic "put the entry back": the message
    now says it is a rounding leftover of the arithmetic undo, and the hint says to save and
    assign back the original value (and why). The value itself is accepted."""
    feedback = cu.checks.two_sided_difference(restored_by_arithmetic)
    assert not feedback.passed
    text = str(feedback)
    assert feedback.results[0][0], text                          # the difference is right
    assert "rounding leftover" in text and "undone by arithmetic" in text, text
    assert "save the entry's original value" in text and "assign that saved value back" in text
    assert "put the entry back" not in text


def test_the_stub_hint_does_not_give_the_formula():
    text = str(cu.checks.two_sided_difference(lambda f, p, k, i, e: None))
    assert "2 eps" not in text and "theta + eps" not in text, text


@pytest.mark.parametrize("fn", [right_two_sided, on_a_copy])
def test_two_sided_difference_accepts_right_answers(fn):
    feedback = cu.checks.two_sided_difference(fn)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("fn,words", [
    (one_sided, "one-sided difference"),
    (over_eps, "divide by 2 eps"),
    (not_restored, "put the entry back"),
    (whole_block, "perturb only the entry"),
    (wrong_sign, "plus first"),
    (ignores_key, "use the `key` and `index` arguments"),
    (lambda f, p, k, i, e: None, "return a number (a float): the two-sided difference"),
    (lambda f, p, k, i, e: 1 / 0, "raised ZeroDivisionError"),
])
def test_two_sided_difference_rejects_with_a_hint(fn, words):
    feedback = cu.checks.two_sided_difference(fn)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- exercise 2


@pytest.mark.parametrize("answer", ["W3", "dW3", " W3 ", "w3", "dw3", "DW3"])  # issue 26: "w3"
def test_which_block_accepts_W3(answer):
    feedback = cu.checks.which_block(answer)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("answer,words", [
    ("W1", "W1 passes the check"),
    ("b3", "read the verdict column"),
    ("W4", "not a block of this network"),
    ("w1", "W1 passes the check"),
    (3, "expected a block name"),
    (None, "expected a block name"),
])
def test_which_block_rejects_with_a_hint(answer, words):
    feedback = cu.checks.which_block(answer)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- exercise 3


def test_fixed_backward_accepts_the_correct_code():
    feedback = cu.checks.fixed_backward(bugs.backward)
    assert feedback.passed, str(feedback)
    assert "after 300 training steps: every block ok" in str(feedback)


@pytest.mark.parametrize("bug,words", [
    ("missing 1/m", "every block is off by the same factor"),
    ("missing 1/m", "m = 40 times too large"),
    ("wrong transpose", "dW1 and db1 are both wrong while layer 2 is right"),
    ("doubled gradient", "dW2 is 2 times the true gradient"),
    ("wrong sum axis", "every entry of db2 is the same number"),
    ("forgotten activation derivative", "Fix layer 2 first: W1, b1"),
    ("wrong bias gradient", "db1 is m = 40 times too small"),
])
def test_fixed_backward_names_each_planted_bug(bug, words):
    feedback = cu.checks.fixed_backward(lambda p, c, Y: bugs.backward(p, c, Y, bug=bug))
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_fixed_backward_catches_the_hidden_bug_after_training():
    feedback = cu.checks.fixed_backward(
        lambda p, c, Y: bugs.backward(p, c, Y, bug="Z1 recomputed without b1"))
    text = str(feedback)
    assert not feedback.passed
    assert "✓ gradient check at initialization" in text  # invisible at the start
    assert "✗ gradient check after 300 training steps" in text


def _exercise_stub(params, cache, Y):
    """The notebook's exercise 3 code: two mistakes (sigmoid-style derivative, db1 x 4)."""
    X, A1, A2, A3 = cache["X"], cache["A1"], cache["A2"], cache["A3"]
    m = X.shape[1]
    dZ3 = (A3 - Y) / m
    dW3, db3 = dZ3 @ A2.T, np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = (params["W3"].T @ dZ3) * (1 - A2)
    dW2, db2 = dZ2 @ A1.T, np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (params["W2"].T @ dZ2) * (1 - A1 ** 2)
    dW1, db1 = dZ1 @ X.T, 4 * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def test_fixed_backward_guides_through_the_exercise_stub():
    first = str(cu.checks.fixed_backward(_exercise_stub))
    assert "dW2 and db2 are both wrong" in first and "Fix layer 2 first" in first

    def half_fixed(params, cache, Y):  # the derivative fixed, db1 still times 4
        right = bugs.backward(params, cache, Y)
        return {**right, "db1": 4 * right["db1"]}
    second = str(cu.checks.fixed_backward(half_fixed))
    assert "db1 is 4 times the true gradient" in second


@pytest.mark.parametrize("answer,words", [
    (lambda p, c, Y: None, "expected a dict of gradients"),
    (lambda p, c, Y: {k: v for k, v in bugs.backward(p, c, Y).items() if k != "db3"},
     "your gradients have no 'db3'"),
    (lambda p, c, Y: {**bugs.backward(p, c, Y), "dW1": bugs.backward(p, c, Y)["dW1"].T},
     "yours is transposed"),
    (lambda p, c, Y: {**bugs.backward(p, c, Y), "db1": np.zeros((1, 40))},
     "a gradient has the shape of its parameter"),
])
def test_fixed_backward_reports_missing_or_misshaped_gradients(answer, words):
    feedback = cu.checks.fixed_backward(answer)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- the common tool


def _linear_regression_grader(backward, hint=None):
    """What another notebook's grader looks like: a linear layer's gradient, checked
    (hint: the grader's own words for a mistake it knows, passed to gradient_case)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3, 20)), rng.normal(size=(1, 20))
    params = {"W1": rng.normal(size=(1, 3)), "b1": rng.normal(size=(1, 1))}

    def cost(p):
        return float(np.sum((p["W1"] @ X + p["b1"] - y) ** 2) / (2 * 20))

    def problem(answer):
        return cost, answer(params, X, y), params
    return _core.grade("Linear regression gradient",
                       [checks_gradcheck.gradient_case(problem, "at a random point", m=20,
                                                       hint=hint)],
                       backward)


def _right_linear(params, X, y):
    dZ = (params["W1"] @ X + params["b1"] - y) / X.shape[1]
    return {"dW1": dZ @ X.T, "db1": dZ.sum(axis=1, keepdims=True)}


def test_gradient_case_serves_other_exercises():
    assert _linear_regression_grader(_right_linear).passed
    wrong = lambda p, X, y: {k: -v for k, v in _right_linear(p, X, y).items()}
    feedback = _linear_regression_grader(wrong)
    assert not feedback.passed
    assert "wrong sign" in str(feedback) and "at a random point" in str(feedback)


def test_gradient_case_takes_an_exercise_specific_hint():
    """hint=: a grader's own words for a mistake it knows; None falls back to the general
    hint. It receives the flagged blocks and both gradients."""
    seen = {}

    def sign_hint(flagged, grads, grads_num):
        seen["flagged"] = flagged
        if all(np.allclose(grads["d" + k], -grads_num["d" + k]) for k in flagged):
            return "the residual is y - prediction, not prediction - y"
        return None

    def grader(backward):
        return _linear_regression_grader(backward, hint=sign_hint)

    negated = grader(lambda p, X, y: {k: -v for k, v in _right_linear(p, X, y).items()})
    assert "y - prediction" in str(negated) and seen["flagged"] == ["W1", "b1"]
    doubled = grader(lambda p, X, y: {k: 2 * v for k, v in _right_linear(p, X, y).items()})
    assert "2 times the true gradient" in str(doubled)  # the general hint
    assert grader(_right_linear).passed


@pytest.mark.parametrize("g,words", [
    (np.full((2, 2), np.nan), "NaN or inf"),
    (np.zeros((2, 2)), "all zeros"),
    (-np.array([[1.0, 2.0], [3.0, 4.0]]), "wrong sign"),
    (3 * np.array([[1.0, 2.0], [3.0, 4.0]]), "3 times the true gradient"),
    # a factor near 1 keeps the digits that tell it from 1 (.3g said "1 times")
    (1.0001 * np.array([[1.0, 2.0], [3.0, 4.0]]),
     "1.0001 times the true gradient (0.01% too large)"),
    (0.999 * np.array([[1.0, 2.0], [3.0, 4.0]]), "0.999 times the true gradient (0.1% too small)"),
    (np.array([[1.0, 3.0], [2.0, 4.0]]), "transpose"),
    (np.array([[1.0, 2.0], [3.0, 5.0]]), "not by a constant factor"),
])
def test_describe_block_error(g, words):
    g_num = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert words in cu.checks.describe_block_error("W1", g, g_num)
