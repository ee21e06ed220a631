"""The graders of 06_batch_normalization accept right answers and reject typical wrong ones
with the right hint."""

import numpy as np
import pytest

import course_utils as cu

# ---------------------------------------------------------------- forward, training mode


def right_forward(Z, gamma, beta, eps=1e-5):
    mu = Z.mean(axis=1, keepdims=True)
    var = Z.var(axis=1, keepdims=True)
    return gamma * (Z - mu) / np.sqrt(var + eps) + beta


def _normalize(Z, mu, var, eps):
    return (Z - mu) / np.sqrt(var + eps)


FORWARD_WRONG = [
    (lambda Z, g, b, eps: g * _normalize(Z, Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True), eps) + b,
     "axis=1"),
    (lambda Z, g, b, eps: g * _normalize(Z, Z.mean(axis=1, keepdims=True), Z.var(axis=1, ddof=1, keepdims=True), eps) + b,
     "ddof=0"),
    (lambda Z, g, b, eps: g * (Z - Z.mean(axis=1, keepdims=True)) / (Z.std(axis=1, keepdims=True) + eps) + b,
     "eps goes inside the square root"),
    (lambda Z, g, b, eps: _normalize(Z, Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True), eps),
     "gamma * Z_hat + beta"),
    (lambda Z, g, b, eps: g * (Z - Z.mean(axis=1, keepdims=True)) / (Z.var(axis=1, keepdims=True) + eps) + b,
     "the standard deviation"),
    (lambda Z, g, b, eps: right_forward(g * Z + b, 1.0, 0.0, eps), "normalize first"),
    (lambda Z, g, b, eps: g * (Z - Z.mean(axis=1, keepdims=True)) / Z.std(axis=1, keepdims=True) + b,
     "does not divide by zero"),
    (lambda Z, g, b, eps: right_forward(Z, g, b, 1e-5), "use the eps argument"),
    (lambda Z, g, b, eps: right_forward(Z, g, b, eps)[:, :1], "keepdims=True"),
    (lambda Z, g, b, eps: None, "numpy array"),
    (lambda Z, g, b, eps: Z.mean(), "numpy array"),
]


def test_forward_accepts_the_right_answer_and_the_library_one():
    feedback = cu.checks.batchnorm_forward_train(right_forward)
    assert feedback.passed, str(feedback)
    library = lambda Z, g, b, eps: cu.layers.batchnorm_forward(Z, g, b, True, eps=eps)[0]
    assert cu.checks.batchnorm_forward_train(library).passed


@pytest.mark.parametrize("wrong,words", FORWARD_WRONG)
def test_forward_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.batchnorm_forward_train(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_forward_stub_says_not_yet():
    feedback = cu.checks.batchnorm_forward_train(lambda Z, gamma, beta, eps=1e-5: None)
    assert "not yet" in str(feedback)


# ---------------------------------------------------------------- compact backward


def right_backward(dout, Z_hat, gamma, inv_std):
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dZ = gamma * inv_std * (dout - dout.mean(axis=1, keepdims=True)
                            - Z_hat * (dout * Z_hat).mean(axis=1, keepdims=True))
    return dZ, dgamma, dbeta


def _with_dZ(dZ_fn):
    def backward(dout, Z_hat, gamma, inv_std):
        _, dgamma, dbeta = right_backward(dout, Z_hat, gamma, inv_std)
        return dZ_fn(dout, Z_hat, gamma, inv_std), dgamma, dbeta
    return backward


def _mean(x):
    return x.mean(axis=1, keepdims=True)


BACKWARD_WRONG = [
    (_with_dZ(lambda d, zh, g, s: g * s * d), "through them too"),
    (_with_dZ(lambda d, zh, g, s: g * s * (d - _mean(d))), "the variance depends on Z"),
    (_with_dZ(lambda d, zh, g, s: g * s * (d - zh * _mean(d * zh))), "the mean depends on every Z"),
    (_with_dZ(lambda d, zh, g, s: g * s * (d - d.sum(axis=1, keepdims=True)
                                           - zh * (d * zh).sum(axis=1, keepdims=True))),
     "means over the batch"),
    (_with_dZ(lambda d, zh, g, s: s * (d - _mean(d) - zh * _mean(d * zh))), "dZ_hat = gamma * dout"),
    (_with_dZ(lambda d, zh, g, s: g * s * (d - _mean(d) - zh * _mean(d * zh)) * 1.1),
     "mean_j(dout * Z_hat)"),
    (lambda d, zh, g, s: (right_backward(d, zh, g, s)[0], d * zh, d), "sum"),
    (lambda d, zh, g, s: (right_backward(d, zh, g, s)[0], (d * zh).sum(axis=1, keepdims=True),
                          d.mean(axis=1, keepdims=True)), "dbeta = sum_j dout"),
    (lambda d, zh, g, s: right_backward(d, zh, g, s)[0], "three arrays"),
]


def test_backward_accepts_the_right_answer():
    feedback = cu.checks.batchnorm_backward(right_backward)
    assert feedback.passed, str(feedback)
    assert "batch of 2" in str(feedback)


@pytest.mark.parametrize("wrong,words", BACKWARD_WRONG)
def test_backward_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.batchnorm_backward(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- running statistics


def right_running(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * batch_var * m / (m - 1)
    return new_mean, new_var


RUNNING_WRONG = [
    (lambda rm, rv, bm, bv, m, mom: (mom * rm + (1 - mom) * bm, mom * rv + (1 - mom) * bv * m / (m - 1)),
     "Keras"),
    (lambda rm, rv, bm, bv, m, mom: ((1 - mom) * rm + mom * bm, (1 - mom) * rv + mom * bv),
     "unbiased"),
    (lambda rm, rv, bm, bv, m, mom: (bm, bv), "new_mean = (1 - momentum)"),
    (lambda rm, rv, bm, bv, m, mom: ((1 - mom) * rm + mom * bm, bv), "new_var = (1 - momentum)"),
    (lambda rm, rv, bm, bv, m, mom: None, "two arrays"),
]


def test_running_accepts_the_right_answer_and_the_library_one():
    assert cu.checks.running_stats_update(right_running).passed
    assert cu.checks.running_stats_update(cu.layers.update_running_stats).passed


@pytest.mark.parametrize("wrong,words", RUNNING_WRONG)
def test_running_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.running_stats_update(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_graders_are_exported():
    assert set(cu.checks.batchnorm.__all__) <= set(dir(cu.checks))


def test_backward_is_graded_by_the_gradient_check_with_per_block_errors():
    """The message is course_utils.gradcheck's report (issue 10): each block's relative
    error and verdict, and the blocks that pass named as ok."""
    right = cu.checks.batchnorm_backward(right_backward)
    checked = [message for _, message in right.results if "gradient check" in message]
    assert len(checked) == 3 and all("every block ok" in message for message in checked)
    # a mistake the grader has no name for: the report still says which block is wrong
    # and by how much
    wrong = cu.checks.batchnorm_backward(_with_dZ(lambda d, zh, g, s: g * s * (d - _mean(d)) ** 2))
    message = wrong.results[-1][1]
    assert "Z " in message and " bug" in message and "gamma ok, beta ok" in message
    error = float(message.split("Z ")[1].split()[0])
    assert 1e-3 < error <= 1.0
    # dbeta wrong (its value, not its shape): flagged by the check, with its formula
    mean_dbeta = lambda d, zh, g, s: (*right_backward(d, zh, g, s)[:2], d.mean(axis=1, keepdims=True))
    feedback = cu.checks.batchnorm_backward(mean_dbeta)
    assert "Z ok, gamma ok, beta" in str(feedback) and "dbeta = sum_j dout" in str(feedback)
    assert "0.125 times" in str(feedback)  # a batch of 8: the mean is 1/8 of the sum



# ---------------------------------------------------------------- issue 26: the batch of 2


def test_batch_of_two_is_judged_against_the_formula_with_a_relative_tolerance():
    """With 2 examples the true dZ is driven by eps alone (norm ~5e-3 against ~7 at a batch
    of 8): the gradient check passed the right answer at 6e-8, next to its 1e-7 line. The
    batch-of-2 case now compares with the formula relative to dZ's size, and says why."""
    from course_utils.checks import batchnorm as graders
    _, gamma, _, dout, Z_hat, inv_std = graders._backward_inputs(1, 2)
    assert np.linalg.norm(right_backward(dout, Z_hat, gamma, inv_std)[0]) < 1e-2
    ok, message, _ = graders._backward_pair(right_backward)
    assert ok and "batch of 2" in message and "eps alone" in message
    # the gradient-checked cases have a dZ of the size of dout
    for seed, m in ((0, 8), (3, 5), (2, 33)):
        Z, gamma_m, _, dout_m, Z_hat_m, inv_std_m = graders._backward_inputs(seed, m)
        assert np.linalg.norm(right_backward(dout_m, Z_hat_m, gamma_m, inv_std_m)[0]) > 1


def test_a_mistake_that_shows_only_on_a_batch_of_two_is_caught_and_named():
    def wrong_at_two(dout, Z_hat, gamma, inv_std):
        if dout.shape[1] == 2:  # the evaluation-mode gradient, only for the pair
            _, dgamma, dbeta = right_backward(dout, Z_hat, gamma, inv_std)
            return gamma * inv_std * dout, dgamma, dbeta
        return right_backward(dout, Z_hat, gamma, inv_std)
    feedback = cu.checks.batchnorm_backward(wrong_at_two)
    assert not feedback.passed
    assert "on a batch of 2" in str(feedback) and "through them too" in str(feedback)
    # a small relative slip in dZ (1e-4) is caught on the pair too
    slip = lambda d, zh, g, s: right_backward(d, zh, g, s) if d.shape[1] != 2 else (
        right_backward(d, zh, g, s)[0] * (1 + 1e-4), *right_backward(d, zh, g, s)[1:])
    assert not cu.checks.batchnorm_backward(slip).passed


def test_the_step_by_step_backward_is_accepted_on_every_case():
    """Another correct method (the node-by-node graph of section 8) passes the pair case
    too: its rounding differs from the compact formula's far below the 1e-6 tolerance."""
    def steps(dout, Z_hat, gamma, inv_std):
        m = dout.shape[1]
        dbeta = dout.sum(axis=1, keepdims=True)
        dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
        dZ_hat = gamma * dout
        centred = Z_hat / inv_std
        d_inv_std = (dZ_hat * centred).sum(axis=1, keepdims=True)
        d_var = -0.5 * inv_std ** 3 * d_inv_std
        d_centred = inv_std * dZ_hat + 2 / m * centred * d_var
        d_mu = -d_centred.sum(axis=1, keepdims=True)
        return d_centred + d_mu / m, dgamma, dbeta
    assert cu.checks.batchnorm_backward(steps).passed


def test_running_hint_states_keras_momentum_correctly():
    """Issue 26: Keras's momentum is 1 - PyTorch's: PyTorch's 0.1 is Keras's 0.9, and Keras's
    default 0.99 is PyTorch's 0.01 (the old hint paired 0.99 with PyTorch's 0.1)."""
    keras = lambda rm, rv, bm, bv, m, mom: (mom * rm + (1 - mom) * bm, mom * rv + (1 - mom) * bv * m / (m - 1))
    text = str(cu.checks.running_stats_update(keras))
    assert "PyTorch's 0.1 is Keras's 0.9" in text and "Keras's default 0.99 is PyTorch's 0.01" in text
    assert "its momentum, 0.99" not in text
