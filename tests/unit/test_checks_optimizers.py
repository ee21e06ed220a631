"""The graders of 05_optimizers accept a right answer and reject typical wrong ones with
the right hint."""

import numpy as np
import pytest

import course_utils as cu


def right_momentum(W, v, dW, lr, beta):
    v = beta * v + (1 - beta) * dW
    return W - lr * v, v


def in_place_momentum(W, v, dW, lr, beta):
    v *= beta
    v += (1 - beta) * dW
    W -= lr * v
    return W, v


MOMENTUM_WRONG = [
    (lambda W, v, g, lr, b: (W - lr * (b * v + g), b * v + g), "PyTorch's form"),
    (lambda W, v, g, lr, b: (W - lr * g, b * v + (1 - b) * g), "not the velocity"),
    (lambda W, v, g, lr, b: (W - lr * v, b * v + (1 - b) * g), "update v first"),
    (lambda W, v, g, lr, b: (W + lr * (b * v + (1 - b) * g), b * v + (1 - b) * g), "uphill"),
    (lambda W, v, g, lr, b: (W - lr * ((1 - b) * v + b * g), (1 - b) * v + b * g), "swapped"),
    (lambda W, v, g, lr, b: (W - lr * v, v), "v = beta * v + (1 - beta) * dW"),
    (lambda W, v, g, lr, b: W - lr * g, "a pair (W, v)"),
    (lambda W, v, g, lr, b: (1.0, v), "shape"),
    (in_place_momentum, "in place"),
    # seed 001's heavy ball (issue 15): named, with the conversion, not a generic difference
    (lambda W, v, g, lr, b: (W + (b * v - lr * g), b * v - lr * g), "heavy-ball form"),
    (lambda W, v, g, lr, b: (W + (b * v - lr * (1 - b) * g), b * v - lr * (1 - b) * g),
     "heavy-ball form with (1 - beta)"),
    (lambda W, v, g, lr, b: 1 / 0, "raised ZeroDivisionError"),
]


def test_momentum_step_accepts_the_right_answer():
    feedback = cu.checks.momentum_step(right_momentum)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("wrong,words", MOMENTUM_WRONG)
def test_momentum_step_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.momentum_step(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_heavy_ball_message_explains_the_conversion():
    feedback = cu.checks.momentum_step(lambda W, v, g, lr, b: (W + (b * v - lr * g), b * v - lr * g))
    text = str(feedback)
    assert "with u = -lr v" in text and "at rate lr (1 - beta)" in text, text


def test_momentum_step_accepts_lists_of_the_right_values():
    """A right answer returned as lists (e.g. via .tolist()) used to get "work on whole
    arrays: no loops needed"."""
    def as_lists(W, v, dW, lr, beta):
        W_new, v_new = right_momentum(W, v, dW, lr, beta)
        return W_new.tolist(), v_new.tolist()
    feedback = cu.checks.momentum_step(as_lists)
    assert feedback.passed, str(feedback)


def test_momentum_step_matches_the_library():
    """The grader's convention is the library's momentum."""
    W, v, g = np.ones((2, 2)), np.zeros((2, 2)), np.full((2, 2), 0.5)
    opt = cu.optimizers.momentum(0.1, 0.9)
    params, state = opt.update({"W": W}, {"dW": g}, {"step": 0, "v": {"W": v}})
    W_new, v_new = right_momentum(W, v, g, 0.1, 0.9)
    np.testing.assert_allclose(params["W"], W_new)
    np.testing.assert_allclose(state["v"]["W"], v_new)


def right_correction(m, v, t, beta1, beta2):
    return m / (1 - beta1 ** t), v / (1 - beta2 ** t)


CORRECTION_WRONG = [
    (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t - 1)), v / (1 - b2 ** (t - 1))), "t = 1"),
    # t + 1 and (1 - beta) ** t used to get only a generic "differs" (named now)
    (lambda m, v, t, b1, b2: (m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))), "t + 1 in the exponent"),
    (lambda m, v, t, b1, b2: (m / (1 - b1) ** t, v / (1 - b2) ** t), "binds before -"),
    (lambda m, v, t, b1, b2: (m / (1 - b1 ** t), v), "v starts at 0 too"),
    (lambda m, v, t, b1, b2: (m, v / (1 - b2 ** t)), "m starts at 0 too"),
    (lambda m, v, t, b1, b2: (m / (1 - b2 ** t), v / (1 - b1 ** t)), "goes with beta1"),
    (lambda m, v, t, b1, b2: (m * (1 - b1 ** t), v * (1 - b2 ** t)), "divide by"),
    (lambda m, v, t, b1, b2: (m / (1 - b1 ** t), v / np.sqrt(1 - b2 ** t)), "square root"),
    (lambda m, v, t, b1, b2: (m, v), "m_hat = m / (1 - beta1 ** t)"),
    (lambda m, v, t, b1, b2: m, "a pair (m_hat, v_hat)"),
]


def in_place_correction(m, v, t, beta1, beta2):
    m /= 1 - beta1 ** t
    v /= 1 - beta2 ** t
    return m, v


def test_bias_correction_rejects_in_place_division_as_momentum_step_rejects_in_place():
    """Issue 15: both graders apply the same no-mutation rule."""
    feedback = cu.checks.bias_correction(in_place_correction)
    assert not feedback.passed
    assert "in place" in str(feedback) and "changed the arrays" in str(feedback), str(feedback)


def test_bias_correction_accepts_the_right_answer():
    feedback = cu.checks.bias_correction(right_correction)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("wrong,words", CORRECTION_WRONG)
def test_bias_correction_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.bias_correction(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


@pytest.mark.parametrize("answer,ok,words", [
    (0.01, True, "right"),
    (0.1 * 2 / (20 + 1e-8), True, "right"),          # eps kept: still right
    (0.1 / np.sqrt(99), False, "off by one"),        # 0.01005: was accepted at 1% (issue 15)
    (0.1 / np.sqrt(101), False, "off by one"),
    (0.005, False, "lr / sqrt(G)"),                  # the likeliest slip, named
    (0.1, False, "RMSProp"),
    (0.001, False, "square root"),
    (0.02, False, "size of g cancels"),
    (0.002, False, "not G"),
    (0.5, False, "after t steps G = t g^2"),
    (None, False, "expected a number"),
    ("0.01", False, "remove the quotes"),             # a string is not a number (as every grader)
    (np.float32(0.01), True, "right"),
])
def test_adagrad_step_size(answer, ok, words):
    feedback = cu.checks.adagrad_step_size(answer)
    assert feedback.passed == ok, str(feedback)
    assert words in str(feedback), str(feedback)


def test_adagrad_exercise_matches_the_library():
    """The grader's truth is what cu.optimizers.adagrad does."""
    opt = cu.optimizers.adagrad(0.1, eps=1e-12)
    params, state = {"W": np.zeros(1)}, None
    state = opt.init(params)
    for _ in range(100):
        before = params["W"].copy()
        params, state = opt.update(params, {"dW": np.full(1, 2.0)}, state)
    assert abs(before - params["W"]).item() == pytest.approx(0.01, rel=1e-9)
