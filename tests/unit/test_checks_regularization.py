"""The graders of 07_regularization accept a right answer and reject typical wrong ones
with the right hint."""

import numpy as np
import pytest

import course_utils as cu


# ---------------------------------------------------------------- L2 cost and gradient


def right_l2(params, lambd, m):
    keys = [k for k in params if k.startswith("W")]
    value = lambd / (2 * m) * sum(np.sum(params[k] ** 2) for k in keys)
    return value, {"d" + k: lambd / m * params[k] for k in keys}


def _weights(params):
    return [k for k in params if k.startswith("W")]


L2_WRONG = [
    (lambda p, l, m: (l / m * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / m * p[k] for k in _weights(p)}), "without the 1/2"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(v ** 2) for v in p.values()),
                      {"d" + k: l / m * p[k] for k in _weights(p)}), "biases"),
    (lambda p, l, m: (l / (2 * sum(p[k].size for k in _weights(p)))
                      * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / m * p[k] for k in _weights(p)}), "number of training examples"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / (2 * m) * p[k] for k in _weights(p)}),
     "derivative of w^2 is 2w"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / m * np.sign(p[k]) for k in _weights(p)}), "L1's gradient"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l * p[k] for k in _weights(p)}), "divide by m"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / sum(p[j].size for j in _weights(p)) * p[k]
                       for k in _weights(p)}), "not of weights"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: -l / m * p[k] for k in _weights(p)}), "towards 0"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"dW1": l / m * p["W1"], "dW2": 1.5 * l / m * p["W2"]}),
     "1.5 times the right gradient"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"dW1": l / m * p["W1"], "dW2": l / m * p["W2"] ** 2}), "lambda / m * W"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"dW1": l / m * p["W1"].T, "dW2": l / m * p["W2"]}), "has shape"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"dW1": l / m * p["W1"]}), "grads has no 'dW2'"),
    (lambda p, l, m: (l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)),
                      {"d" + k: l / m * v for k, v in p.items()}), "does not depend on the biases"),
    (lambda p, l, m: l / (2 * m) * sum(np.sum(p[k] ** 2) for k in _weights(p)), "(value, grads)"),
    (lambda p, l, m: None, "(value, grads)"),
]


def test_l2_penalty_accepts_the_right_answer_and_the_library():
    for fn in (right_l2, cu.losses.l2_penalty):
        feedback = cu.checks.l2_penalty(fn)
        assert feedback.passed, str(feedback)


@pytest.mark.parametrize("wrong,words", L2_WRONG)
def test_l2_penalty_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.l2_penalty(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_l2_gradient_is_graded_by_a_gradient_check():
    """The gradient part goes through checks.gradcheck.gradient_case (course_utils.gradcheck):
    its message names every block with its verdict, and the wrong blocks' relative errors
    (a doubled dW2 scores exactly 1/3); the hint still names the mistake."""
    def doubled_dW2(p, l, m):
        value, grads = right_l2(p, l, m)
        return value, {**grads, "dW2": 2 * grads["dW2"]}
    text = str(cu.checks.l2_penalty(doubled_dW2))
    assert "gradient check at a random point" in text
    assert "W1 ok" in text and "b1 ok" in text and "b2 ok" in text
    assert "W2 3.3e-01 bug" in text
    assert "dW2 is 2 times the right gradient" in text
    right = str(cu.checks.l2_penalty(right_l2))
    assert "every block ok" in right


def test_l2_penalty_with_zero_bias_gradients_passes():
    def with_zeros(p, l, m):
        value, grads = right_l2(p, l, m)
        return value, {**grads, **{"d" + k: np.zeros_like(v) for k, v in p.items() if k[0] == "b"}}
    assert cu.checks.l2_penalty(with_zeros).passed


def test_l2_penalty_notices_changed_params():
    def in_place(params, lambd, m):
        value, grads = right_l2(params, lambd, m)
        params["W1"] *= 0.5
        return value, grads
    feedback = cu.checks.l2_penalty(in_place)
    assert not feedback.passed and "changed the parameters" in str(feedback)


# ---------------------------------------------------------------- inverted dropout


def right_dropout(A, keep_prob, rng):
    mask = rng.random(A.shape) < keep_prob
    return A * mask / keep_prob, mask


def reseeding_dropout(A, keep_prob, rng):
    rng = np.random.default_rng(1)  # the source course re-seeded at every pass
    mask = rng.random(A.shape) < keep_prob
    return A * mask / keep_prob, mask


DROPOUT_WRONG = [
    (lambda A, k, rng: (A * (rng.random(A.shape) < k), rng.random(A.shape) < k), "mask False"),
    (lambda A, k, rng: ((lambda m: (A * m, m))(rng.random(A.shape) < k)), "unscaled"),
    (lambda A, k, rng: ((lambda m: (A * m * k, m))(rng.random(A.shape) < k)), "instead of divided"),
    (lambda A, k, rng: ((lambda m: (A * m / (1 - k), m))(rng.random(A.shape) < 1 - k)),
     "keeps the units that should be dropped"),
    # keep and drop swapped in the returned mask only: A_out is right (issue 15: the message
    # used to say that 0.30 of the units were kept)
    (lambda A, k, rng: ((lambda drop: (A * ~drop / k, drop))(rng.random(A.shape) >= k)),
     "the mask is True for the dropped units: A_out keeps 0.70"),
    (lambda A, k, rng: ((lambda m: (A * m / k, m | (rng.random(A.shape) < 0.02)))(
        rng.random(A.shape) < k)), "the mask does not match"),
    (lambda A, k, rng: ((lambda m: (A * m / k, m))(np.random.random(A.shape) < k)), "rng argument"),
    (reseeding_dropout, "np.random.seed(1)"),
    (lambda A, k, rng: ((lambda m: (A * m / k, m))(rng.random(A.shape[0]) < k)), "shape"),
    (lambda A, k, rng: ((lambda m: (A / k, m))(rng.random(A.shape) < k)), "not zero"),
    (lambda A, k, rng: A, "(A_out, mask)"),
]


def test_inverted_dropout_accepts_the_right_answer():
    feedback = cu.checks.inverted_dropout(right_dropout)
    assert feedback.passed, str(feedback)
    assert "scaled by 1 / keep_prob" in str(feedback)


@pytest.mark.parametrize("wrong,words", DROPOUT_WRONG)
def test_inverted_dropout_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.inverted_dropout(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- soft threshold


@pytest.mark.parametrize("fn,ok,words", [
    (lambda W, t: np.sign(W) * np.maximum(np.abs(W) - t, 0), True, "become 0"),
    (cu.losses.soft_threshold, True, "become 0"),
    (lambda W, t: np.where(np.abs(W) > t, W, 0.0), False, "hard threshold"),
    (lambda W, t: np.maximum(W - t, 0.0), False, "positive weights"),
    (lambda W, t: W - t * np.sign(W), False, "jumps across 0"),
    (lambda W, t: W * 0.5, False, "each weight moved t towards 0"),
    (lambda W, t: None, False, "numpy array"),
])
def test_soft_threshold(fn, ok, words):
    feedback = cu.checks.soft_threshold(fn)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def test_the_stub_feedback_does_not_give_the_answer_away():
    """The notebook stores each stub's feedback: it says what to do, never the formula."""
    stubs = [cu.checks.l2_penalty(lambda p, l, m: None),
             cu.checks.inverted_dropout(lambda A, k, rng: None),
             cu.checks.soft_threshold(lambda W, t: None),
             cu.checks.matching_weight_decay(None)]
    for feedback in stubs:
        text = str(feedback)
        assert not feedback.passed
        for formula in ("np.sign", "np.maximum", "rng.random(A.shape) <", "/ keep_prob",
                        "lambd / m", "0.0035", "lambda / m"):
            assert formula not in text, (formula, text)


# ---------------------------------------------------------------- matching weight decay


@pytest.mark.parametrize("answer,ok,words", [
    (0.7 / 200, True, "right"),
    (0.0035, True, "right"),
    (0.7, False, "divide by m"),
    (0.7 / 400, False, "cancels"),
    (0.3 * 0.7 / 200, False, "multiplies weight_decay by lr"),
    (0.7 / 2650, False, "not of weights"),
    (0.5, False, "is not right"),  # the number builder's words (was "does not match")
    (0.5, False, "write one step of each"),
    (None, False, "expected a number"),
])
def test_matching_weight_decay(answer, ok, words):
    feedback = cu.checks.matching_weight_decay(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def test_matching_weight_decay_is_what_sgd_needs():
    """The grader's answer really makes sgd + weight decay follow sgd + L2."""
    X, Y, _, _ = cu.datasets.load_overfit_2d()
    spec = cu.Spec((2, 10, 1))
    params = cu.init_params(spec, rng=0)
    a = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.3), steps=50, penalty=cu.L2(0.7))
    b = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.3, weight_decay=0.0035), steps=50)
    for key in params:
        np.testing.assert_allclose(a.params[key], b.params[key], atol=1e-12)
