"""Measures for 09 (how today's networks go 50+ layers deep) and its shattered-gradients
notebook: per-layer sizes at initialization for any Spec (plain or residual, with or
without norms), and the autocorrelation of a signal along a line of inputs.

    norms = layer_sizes_at_init(spec, params, X, Y)   # ||dW_l|| and rms(A_l), layer by layer
    g = cu.network.input_gradient(spec, params, x_grid[None, :])[0]   # dy/dx along a grid
    autocorrelation(g, max_lag=10)                     # lags 1..10
    lag1_correlation(g)                                # one number: ~1 smooth, ~0 white noise

Everything goes through network.forward and network.loss_and_grads, so residual layers,
batch norm and layer norm are measured exactly as they train.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import network as net
from .._validate import positive_int
from .gradients import rms


@dataclass
class InitSizes:
    """One forward and backward pass at initialization, layer by layer.

    dW_norm (L,): Frobenius norm of dW_l, the gradient the optimizer applies to W_l (l = 1..L);
    a_rms (L-1,): rms of the hidden activations A_l (after the addition in a residual layer);
    cost: the cost of the pass.
    """

    dW_norm: np.ndarray
    a_rms: np.ndarray
    cost: float


def layer_sizes_at_init(spec: net.Spec, params: dict, X: np.ndarray, Y: np.ndarray,
                        state: dict | None = None, train: bool = True, rng=None) -> InitSizes:
    """Measure InitSizes on (X (n_x, m), Y (n_L, m)) with the spec's own loss.

    train=True (the default) measures the first training step: batch norm with the batch's
    statistics (dropout and RReLU then need rng); train=False uses evaluation mode (state
    required with batch norm). Overflow is allowed and reported as inf or nan, not raised.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        cost, grads, cache = net.loss_and_grads(spec, params, X, Y, state, train, rng)
        dW_norm = np.array([np.sqrt(np.sum(np.square(grads[f"dW{l}"])))
                            for l in range(1, spec.n_layers + 1)])
        return InitSizes(dW_norm=dW_norm, a_rms=np.array([rms(A) for A in cache.hidden]),
                         cost=float(cost))


def autocorrelation(signal, max_lag: int) -> np.ndarray:
    """The sample autocorrelation of a 1-D signal g_1..g_n at lags k = 1..max_lag:

        r(k) = sum_i (g_i - mean)(g_{i+k} - mean) / sum_i (g_i - mean)^2

    (the standard, biased estimator: every lag divides by the same total, so r(k) shrinks
    with k even for a perfectly correlated signal by the factor (n - k) / n).
    Brown noise (a random walk) has r(1) near 1; white noise near 0. Returns (max_lag,).
    A constant signal has no variance: its autocorrelation is undefined and returned as nan.
    """
    g = np.asarray(signal, dtype=float)
    if g.ndim != 1:
        raise ValueError(f"signal must be 1-D (values along a line of inputs), got shape {g.shape}")
    max_lag = positive_int(max_lag, "max_lag")
    if max_lag >= g.size:
        raise ValueError(f"max_lag must be below the signal's length {g.size}, got {max_lag}")
    if not np.all(np.isfinite(g)):
        raise ValueError("signal must be finite: it holds NaN or inf")
    centred = g - g.mean()
    total = float(centred @ centred)
    if total == 0.0:
        return np.full(max_lag, np.nan)
    return np.array([float(centred[:-k] @ centred[k:]) / total for k in range(1, max_lag + 1)])


def lag1_correlation(signal) -> float:
    """r(1), the correlation of neighbouring values of the signal (see autocorrelation):
    one number per network for the shattered-gradients measurement."""
    return float(autocorrelation(signal, 1)[0])
