"""Graders for the exercises of 09_deeper_networks: layer norm's backward pass, the critical
weight scale of tanh from chi_1, and a residual block's backward pass."""

from __future__ import annotations

import numpy as np

from .. import layers
from ..lessons import theory
from ._core import Mistake, array_case, grade, grade_number, on_inputs

__all__ = ["layernorm_backward", "critical_sigma_w2", "residual_backward"]

# ---------------------------------------------------------------- layer norm backward


def _layernorm_inputs(seed: int, n: int = 5, m: int = 4):
    rng = np.random.default_rng(seed)
    X = rng.normal(1.0, 2.0, size=(n, m))
    gamma, beta = rng.normal(1.0, 0.3, size=(n, 1)), rng.normal(0.0, 0.3, size=(n, 1))
    dout = rng.normal(size=(n, m))
    return dout, X, gamma, beta


def _layernorm_mistakes(dout, X, gamma) -> list:
    """The (dX, dgamma, dbeta) of typical wrong answers."""
    _, cache = layers.layernorm_forward(X, gamma, np.zeros_like(gamma))
    X_hat, inv_std = cache.X_hat, cache.inv_std
    dX_hat = gamma * dout
    dgamma, dbeta = np.sum(dout * X_hat, axis=1, keepdims=True), np.sum(dout, axis=1, keepdims=True)
    mean = dX_hat.mean(axis=0, keepdims=True)
    mean_x = (dX_hat * X_hat).mean(axis=0, keepdims=True)
    mistakes = []
    if X.shape[1] > 1:  # batch norm needs two examples
        _, bn_cache = layers.batchnorm_forward(X, gamma, np.zeros_like(gamma), train=True,
                                               eps=layers.LN_EPS)
        mistakes.append(Mistake(
            "batch norm's backward (means over the examples, axis=1)",
            layers.batchnorm_backward(dout, bn_cache),
            "layer norm normalizes each example over its units: the means in dX are over "
            "axis=0 (the units of one column), while dgamma and dbeta still sum over the "
            "examples (axis=1)"))
    return mistakes + [
        Mistake("the mean and variance treated as constants", (inv_std * dX_hat, dgamma, dbeta),
                "the mean and variance are computed from X: subtract mean(dX_hat) and "
                "X_hat * mean(dX_hat * X_hat), both over the units (axis=0)"),
        Mistake("the path through the variance left out", (inv_std * (dX_hat - mean), dgamma, dbeta),
                "subtract X_hat * mean(dX_hat * X_hat) over the units (axis=0) too"),
        Mistake("the path through the mean left out", (inv_std * (dX_hat - X_hat * mean_x), dgamma, dbeta),
                "subtract mean(dX_hat) over the units (axis=0) too"),
    ]


def _layernorm_case(dout, X, gamma, beta):
    _, cache = layers.layernorm_forward(X, gamma, beta)
    expected = layers.layernorm_backward(dout, cache)
    return array_case(("dX", "dgamma", "dbeta"), tuple(expected),
                      mistakes=_layernorm_mistakes(dout, X, gamma), rtol=1e-6, atol=1e-9,
                      say_mistake="{difference}: that is {what}",
                      otherwise="dX = inv_std * (dX_hat - mean_0(dX_hat) - X_hat * mean_0(dX_hat * "
                                "X_hat)) with dX_hat = gamma * dout and means over the units (axis=0)",
                      how_to_answer="return three arrays: dX (n, m), dgamma (n, 1), dbeta (n, 1)")


def layernorm_backward(fn):
    """Grade fn(dout, X, gamma) -> (dX, dgamma, dbeta), layer norm's backward pass (eps =
    cu.layers.LN_EPS), on three cases, one with a single example."""
    inputs = [_layernorm_inputs(0)[:3], _layernorm_inputs(1, n=8, m=6)[:3],
              _layernorm_inputs(2, n=6, m=1)[:3]]

    def case_at(dout, X, gamma):
        return _layernorm_case(dout, X, gamma, np.zeros_like(gamma))
    return grade("Layer norm backward", [on_inputs(
        inputs, case_at, right="dX, dgamma and dbeta are right, one example alone included")], fn)


# ---------------------------------------------------------------- the critical point of tanh

CRITICAL_SIGMA_B2 = 0.05


def critical_point(activation: str = "tanh", sigma_b2: float = CRITICAL_SIGMA_B2) -> float:
    """The sigma_w2 where chi_1 = 1 (Brent's method on chi_1 - 1 between 1 and 4)."""
    from scipy.optimize import brentq

    return float(brentq(lambda s: theory.chi_1(activation, s, sigma_b2) - 1, 1.0, 4.0, xtol=1e-10))


def critical_sigma_w2(answer):
    """Grade a number: the sigma_w^2 at which chi_1 = 1 for tanh with sigma_b^2 = 0.05."""
    return grade_number(
        "The critical weight scale of tanh", answer, critical_point(), rtol=0.01,
        right="{value:.3g} is right: there chi_1 = 1, the edge between order and chaos",
        mistakes=[Mistake("the critical point with zero biases (tanh'(0)^2 sigma_w2 = 1)", 1.0,
                          "with sigma_b^2 = 0.05 the pre-activations have a variance q* > 0, "
                          "where tanh' is below 1: find sigma_w2 with chi_1('tanh', sigma_w2, "
                          "0.05) = 1 numerically"),
                  Mistake("He's scale", 2.0,
                          "He's sigma_w2 = 2 makes chi_1 = 1 for ReLU; for tanh compute "
                          "chi_1 at a few sigma_w2 and find where it crosses 1")],
        otherwise="evaluate cu.lessons.theory.chi_1('tanh', sigma_w2, 0.05) on a grid of "
                  "sigma_w2 between 1 and 4 (or bisect) and find where it crosses 1",
        how_to_answer="answer with one number, the sigma_w2 where chi_1 = 1")


# ---------------------------------------------------------------- a residual block's backward


def _residual_inputs(seed: int, n: int = 4, m: int = 5, s: float = 0.5):
    rng = np.random.default_rng(seed)
    A_prev, W = rng.normal(size=(n, m)), rng.normal(0, 0.7, size=(n, n))
    b, dA = rng.normal(0, 0.5, size=(n, 1)), rng.normal(size=(n, m))
    return dA, A_prev, W, b, s


def _residual_expected(dA, A_prev, W, b, s):
    Z = W @ A_prev + b
    dZ = s * dA * (Z > 0)
    return W.T @ dZ + dA, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)


def _residual_mistakes(dA, A_prev, W, b, s) -> list:
    dA_prev, dW, db = _residual_expected(dA, A_prev, W, b, s)
    branch = dA_prev - dA
    return [
        Mistake("the identity path left out", (branch, dW, db),
                "A_l = A_prev + s f(Z): A_prev also reaches A_l directly, so dA_prev gets dA "
                "added (the 1 in the Jacobian)"),
        Mistake("the branch scale s left out", (branch / s + dA, dW / s, db / s),
                "the branch is multiplied by s: its gradient dZ carries the factor s too"),
        Mistake("the identity path scaled by s", (branch + s * dA, dW, db),
                "only the branch is scaled: the identity path passes dA on unchanged"),
    ]


def residual_backward(fn):
    """Grade fn(dA, A_prev, W, b, s) -> (dA_prev, dW, db) for the ReLU residual block
    A = A_prev + s * relu(W @ A_prev + b)."""
    inputs = [_residual_inputs(0), _residual_inputs(1, n=6, m=3, s=0.2), _residual_inputs(2, s=1.0)]

    def case_at(dA, A_prev, W, b, s):
        return array_case(("dA_prev", "dW", "db"), _residual_expected(dA, A_prev, W, b, s),
                          mistakes=_residual_mistakes(dA, A_prev, W, b, s),
                          say_mistake="{difference}: that is {what}",
                          otherwise="dZ = s * dA * (Z > 0) with Z = W @ A_prev + b; then dW = "
                                    "dZ @ A_prev.T, db = dZ summed over the examples, and dA_prev "
                                    "= W.T @ dZ plus the identity path's dA",
                          how_to_answer="return three arrays: dA_prev (n, m), dW (n, n), db (n, 1)")
    return grade("A residual block's backward pass", [on_inputs(
        inputs, case_at, right="dA_prev, dW and db are right, with the identity path's + dA")], fn)
