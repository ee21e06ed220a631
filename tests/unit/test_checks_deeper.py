"""The graders of 09_deeper_networks: a right answer passes (every correct method), the stub
is told what to do without the answer, and each known mistake is named."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import theory

EPS = cu.layers.LN_EPS


def ln_backward(dout, X, gamma):
    mu, var = X.mean(axis=0, keepdims=True), X.var(axis=0, keepdims=True)
    inv = 1 / np.sqrt(var + EPS)
    X_hat = (X - mu) * inv
    dX_hat = dout * gamma
    dX = inv * (dX_hat - dX_hat.mean(axis=0, keepdims=True)
                - X_hat * (dX_hat * X_hat).mean(axis=0, keepdims=True))
    return dX, (dout * X_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def ln_backward_library(dout, X, gamma):
    _, cache = cu.layers.layernorm_forward(X, gamma, np.zeros_like(gamma))
    return cu.layers.layernorm_backward(dout, cache)


def ln_backward_as_batchnorm(dout, X, gamma):
    _, cache = cu.layers.batchnorm_forward(X, gamma, np.zeros_like(gamma), train=True, eps=EPS)
    return cu.layers.batchnorm_backward(dout, cache)


def ln_backward_constant_stats(dout, X, gamma):
    dX, dgamma, dbeta = ln_backward(dout, X, gamma)
    inv = 1 / np.sqrt(X.var(axis=0, keepdims=True) + EPS)
    return inv * gamma * dout, dgamma, dbeta


@pytest.mark.parametrize("fn", [ln_backward, ln_backward_library])
def test_layernorm_backward_accepts_every_correct_method(fn):
    assert cu.checks.layernorm_backward(fn)


@pytest.mark.parametrize("fn,what", [(ln_backward_as_batchnorm, "batch norm's backward"),
                                     (ln_backward_constant_stats, "treated as constants")])
def test_layernorm_backward_names_the_mistake(fn, what):
    feedback = cu.checks.layernorm_backward(fn)
    assert not feedback and what in str(feedback)


def test_stubs_are_told_what_to_do_not_the_answer():
    for grader in (cu.checks.layernorm_backward, cu.checks.residual_backward):
        text = str(grader(lambda *args: None))
        assert "return three arrays" in text
    text = str(cu.checks.critical_sigma_w2(None))
    assert "one number" in text and "1.76" not in text


def test_critical_sigma_w2_is_where_chi_1_crosses_1():
    truth = cu.checks.deeper.critical_point()
    assert abs(theory.chi_1("tanh", truth, 0.05) - 1) < 1e-9
    assert 1.7 < truth < 1.8
    assert cu.checks.critical_sigma_w2(truth)
    assert cu.checks.critical_sigma_w2(round(truth, 2))
    assert "zero biases" in str(cu.checks.critical_sigma_w2(1.0))
    assert "He's scale" in str(cu.checks.critical_sigma_w2(2.0))
    assert "expected a number" in str(cu.checks.critical_sigma_w2("1.76"))


def residual_backward(dA, A_prev, W, b, s):
    Z = W @ A_prev + b
    dZ = s * dA * (Z > 0)
    return W.T @ dZ + dA, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)


def residual_backward_library(dA, A_prev, W, b, s):
    """Through the course's layers: dense, activation, then the identity path."""
    Z, dense_cache = cu.layers.dense_forward(A_prev, W, b)
    _, act_cache = cu.layers.activation_forward(Z, "relu")
    dZ = cu.layers.activation_backward(s * dA, act_cache)
    dA_branch, dW, db = cu.layers.dense_backward(dZ, dense_cache)
    return dA_branch + dA, dW, db


@pytest.mark.parametrize("fn", [residual_backward, residual_backward_library])
def test_residual_backward_accepts_every_correct_method(fn):
    assert cu.checks.residual_backward(fn)


def test_residual_backward_names_the_mistakes():
    def no_identity(dA, A_prev, W, b, s):
        dA_prev, dW, db = residual_backward(dA, A_prev, W, b, s)
        return dA_prev - dA, dW, db

    def identity_scaled(dA, A_prev, W, b, s):
        dA_prev, dW, db = residual_backward(dA, A_prev, W, b, s)
        return dA_prev - dA + s * dA, dW, db

    assert "identity path left out" in str(cu.checks.residual_backward(no_identity))
    assert "identity path scaled by s" in str(cu.checks.residual_backward(identity_scaled))
