"""Costs, computed stably from the logits Z of the output layer, and weight penalties.

Each returns (value, gradient). For the cross-entropies the gradient is dZ, the gradient
with respect to the logits, already divided by m (as in the seed's dz3 = 1/m (a3 - Y)).

Why from logits: the seed computes sigmoid(z) first and then log(sigmoid(z)). For z = -40,
sigmoid(z) rounds to 0 in float64 and log(0) = -inf: the cost is inf although the true
value is 40. From the logit, -log(sigmoid(z)) = log(1 + exp(-z)) = logaddexp(0, -z), which is
40 exactly, with no overflow for any z.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax


def check_binary_labels(Y: np.ndarray, name: str = "Y") -> None:
    """Raise a ValueError naming `name` unless every entry of Y is 0 or 1."""
    ok = (Y == 0) | (Y == 1)
    if not ok.all():
        bad = np.unique(np.asarray(Y)[~ok])
        shown = ", ".join(f"{v:g}" for v in bad[:3]) + (", ..." if bad.size > 3 else "")
        raise ValueError(f"{name} must hold the labels 0 and 1 (a sigmoid output, binary "
                         f"cross-entropy), got other values: {shown}")


def _check_targets(Z, Y, binary: bool = False) -> None:
    """Y must be an array of Z's shape (n_L, m); for binary cross-entropy, of 0/1 labels."""
    if not isinstance(Y, np.ndarray):
        raise TypeError(f"Y must be a numpy array, got {type(Y).__name__}")
    if np.shape(Z) != Y.shape or Y.ndim != 2:
        raise ValueError(f"Y must have the logits' shape {np.shape(Z)} (outputs x examples), "
                         f"got {Y.shape}")
    if binary:
        check_binary_labels(Y)


def binary_cross_entropy(Z: np.ndarray, Y: np.ndarray, check: bool = True):
    """Mean binary cross-entropy of a sigmoid output, from its logits.

    Z, Y: (1, m), Y in {0, 1}. cost = mean(log(1 + exp(z)) - y z); dZ = (sigmoid(z) - y) / m.
    check=False skips the shape and label checks (the training loop checks its data once).
    """
    if check:
        _check_targets(Z, Y, binary=True)
    m = Y.shape[1]
    # sum then divide, and y.z as one dot product: the same value as np.mean(...) in fewer
    # passes over the data (this runs at every training step).
    cost = (float(np.logaddexp(0, Z).sum()) - float(np.vdot(Y, Z))) / m
    dZ = expit(Z)
    dZ -= Y
    dZ /= m
    return cost, dZ


def softmax_cross_entropy(Z: np.ndarray, Y: np.ndarray, check: bool = True):
    """Mean cross-entropy of a softmax output, from its logits.

    Z, Y: (K, m), Y one-hot. cost = -mean over examples of sum_k y_k log softmax(z)_k;
    dZ = (softmax(z) - y) / m. check=False skips the shape check.
    """
    if check:
        _check_targets(Z, Y)
    m = Y.shape[1]
    cost = float(-np.sum(Y * log_softmax(Z, axis=0)) / m)
    dZ = (softmax(Z, axis=0) - Y) / m
    return cost, dZ


def mean_squared_error(Z: np.ndarray, Y: np.ndarray, check: bool = True):
    """Half the mean squared error of a linear output: cost = sum (z - y)^2 / (2m); dZ = (z - y)/m.
    Z, Y: (n_L, m). check=False skips the shape check."""
    if check:
        _check_targets(Z, Y)
    m = Y.shape[1]
    diff = Z - Y
    return float(np.sum(diff * diff) / (2 * m)), diff / m


def is_weight(key: str) -> bool:
    """True for the keys of the weight matrices, "W1".."WL". Penalties, weight decay and the
    proximal L1 step apply to the weights only, not to biases, batch-norm scales and shifts,
    or PReLU slopes (the source course's convention). The one place that says so."""
    return key.startswith("W")


def weight_keys(params: dict) -> list[str]:
    """The keys of the weight matrices W1..WL in params (see is_weight), in params' order."""
    return [k for k in params if is_weight(k)]


def l2_penalty(params: dict, lambd: float, m: int):
    """L2: lambda / (2m) * sum_l ||W_l||^2, with m the number of training examples.

    Returns (value, grads) with grads["dWl"] = lambda / m * W_l. (Seed 004 calls m "the
    number of weights"; it is the number of examples, as in the cost it is added to.)
    """
    value = lambd / (2 * m) * sum(float(np.sum(params[k] ** 2)) for k in weight_keys(params))
    grads = {"d" + k: (lambd / m) * params[k] for k in weight_keys(params)}
    return value, grads


def l1_penalty(params: dict, lambd: float, m: int):
    """L1: lambda / m * sum_l |W_l|.

    Returns (value, grads) with grads["dWl"] = lambda / m * sign(W_l). |w| has no derivative
    at 0; we use the subgradient 0 there (np.sign(0) = 0), so a weight that is exactly zero
    stays zero unless the data push it. Plain (sub)gradient steps make weights hover around
    zero rather than reach it; `soft_threshold` is the step that gives exact zeros.
    """
    value = lambd / m * sum(float(np.sum(np.abs(params[k]))) for k in weight_keys(params))
    grads = {"d" + k: (lambd / m) * np.sign(params[k]) for k in weight_keys(params)}
    return value, grads


def soft_threshold(W: np.ndarray, threshold: float) -> np.ndarray:
    """The proximal step of L1: shrink every weight towards 0 by `threshold`, and set the
    ones within `threshold` of 0 to exactly 0. After a gradient step on the data cost with
    learning rate lr, soft_threshold(W, lr * lambda / m) is one step of proximal gradient
    descent (ISTA) on cost + L1."""
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)
