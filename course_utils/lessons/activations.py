"""Diagnostics of hidden units: which never activate, which get no gradient, how each
layer's activations are spread, and what an activation costs to compute.

    never_active_fraction(spec, params, X)  # per hidden layer: units with z <= 0 on all of X
    dead_fraction(spec, params, X)          # per hidden layer: units no example sends a gradient through

Two kinds of "dead" (04_activation_functions). A unit *never activates* on a data set when
its pre-activation z is <= 0 for every example: a ReLU unit then outputs 0 everywhere. It is
*dead* when its slope f'(z) is (nearly) 0 for every example: no gradient reaches its weights,
so gradient descent can never bring it back. For ReLU the two are the same; a leaky ReLU
unit that never activates still has slope 0.01, so it is not dead; an ELU unit pushed far
below 0 (slope e^z) or a tanh unit stuck at +-1 is dead without being "inactive".

Everything is measured in evaluation mode (RReLU at its mean slope, batch norm with the
running statistics in `state`).
"""

from __future__ import annotations

import time

import numpy as np

from .. import activations as _activations
from .. import layers
from .. import network as _network
from .._validate import as_rng, finite_array, positive_int, positive_number

DEAD_SLOPE = 1e-3  # a slope at or below this on every example counts as "no gradient"


def never_active_rows(Z: np.ndarray) -> np.ndarray:
    """Which units (rows of Z, shape (n, m)) have z <= 0 on every example: bool (n,)."""
    Z = finite_array(np.asarray(Z, dtype=float), "Z")
    return np.all(Z <= 0, axis=1)


def unit_slopes(spec: _network.Spec, params: dict, X: np.ndarray, state: dict | None = None) -> list:
    """The slope f'(z) of every hidden unit on every example, in evaluation mode.

    Returns a list of L-1 arrays, (n_l, m) each: the factor by which the activation scales
    the gradient on its way back (PReLU: 1 or the unit's alpha; RReLU: 1 or the mean slope).
    """
    Zs, _ = _network.hidden_activations(spec, params, X, state)
    return slopes_of(spec, params, Zs)


def slopes_of(spec: _network.Spec, params: dict, Zs: list) -> list:
    """unit_slopes from pre-activations already computed: Zs, the list Z_1..Z_{L-1}."""
    slopes = []
    for l, (Z, act_layer) in enumerate(zip(Zs, spec.activation_layers), start=1):
        slopes.append(act_layer.slope(Z, act_layer.param_in(params, l)))
    return slopes


def never_active(spec: _network.Spec, params: dict, X: np.ndarray, state: dict | None = None) -> list:
    """Per hidden layer, a bool array (n_l,): True for the units whose pre-activation z is
    <= 0 on every example of X (they never reach the positive side)."""
    Zs, _ = _network.hidden_activations(spec, params, X, state)
    return [np.all(Z <= 0, axis=1) for Z in Zs]


def never_active_fraction(spec: _network.Spec, params: dict, X: np.ndarray,
                          state: dict | None = None) -> np.ndarray:
    """Fraction of the units of each hidden layer with z <= 0 on every example: shape (L-1,)."""
    return np.array([mask.mean() for mask in never_active(spec, params, X, state)])


def dead_units(spec: _network.Spec, params: dict, X: np.ndarray, state: dict | None = None,
               tol: float = DEAD_SLOPE) -> list:
    """Per hidden layer, a bool array (n_l,): True for the units whose slope f'(z) is <= tol
    on every example of X, so that (almost) no gradient reaches their weights.

    tol=0 asks for exactly zero (a ReLU unit that never activates); the default 1e-3 also
    counts units saturated on every example (tanh at |z| > 3.8, ELU at z < -6.9).
    """
    positive_number(tol, "tol", allow_zero=True)
    return [np.all(slope <= tol, axis=1) for slope in unit_slopes(spec, params, X, state)]


def dead_fraction(spec: _network.Spec, params: dict, X: np.ndarray, state: dict | None = None,
                  tol: float = DEAD_SLOPE) -> np.ndarray:
    """Fraction of the units of each hidden layer that are dead on X (see dead_units): (L-1,)."""
    return np.array([mask.mean() for mask in dead_units(spec, params, X, state, tol)])


def layer_moments(spec: _network.Spec, params: dict, X: np.ndarray, state: dict | None = None):
    """Mean and standard deviation of each hidden layer's activations over all its units and
    examples: two arrays of shape (L-1,). (SELU aims to keep them at 0 and 1.)"""
    _, As = _network.hidden_activations(spec, params, X, state)
    return np.array([A.mean() for A in As]), np.array([A.std() for A in As])


# ---------------------------------------------------------------- cost to compute


def best_time(fn, repeats: int = 15) -> float:
    """CPU seconds for the fastest of `repeats` calls of fn(). CPU time (of this process,
    all its threads) rather than wall-clock time, and the fastest call: both keep other
    processes on a busy machine out of the measurement."""
    positive_int(repeats, "repeats")
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def activation_cost(name: str, shape=(256, 1024), repeats: int = 15, rng=0) -> dict:
    """Seconds for one forward pass A = f(Z) and one backward pass dZ = dA * f'(.) of the
    activation layer `name` (a registry name, "prelu" or "rrelu") on a standard-normal Z of
    `shape`, as the training loop computes them (course_utils.layers). The fastest of
    `repeats` calls each, so other work on the machine disturbs it least.

    Returns {"forward": seconds, "backward": seconds}.
    """
    positive_int(repeats, "repeats")
    if name not in _activations.NAMES + _network.LAYER_ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: "
                         f"{', '.join(map(repr, _activations.NAMES + _network.LAYER_ACTIVATIONS))}")
    generator = as_rng(rng)
    Z = generator.standard_normal(shape)
    dA = generator.standard_normal(shape)
    act_layer = layers.activation_layer(name)
    # PReLU at its starting slope, one per unit; RReLU draws its slopes as in training.
    param = None if act_layer.param is None else np.full((shape[0], 1), act_layer.param_init)
    forward = lambda: act_layer.forward(Z, param, True, generator)  # noqa: E731
    _, cache = forward()
    return {"forward": best_time(forward, repeats),
            "backward": best_time(lambda: act_layer.backward(dA, cache), repeats)}


def step_cost(spec: _network.Spec, params: dict, X: np.ndarray, Y: np.ndarray,
              repeats: int = 5, rng=0) -> float:
    """Seconds for one training step's forward and backward pass (cost and gradients) of
    the whole network on X (n_x, m), Y: the fastest of `repeats`."""
    positive_int(repeats, "repeats")
    _network.check_params(spec, params)
    _network.check_data(spec, X, Y)
    generator = as_rng(rng)
    return best_time(lambda: _network.loss_and_grads(spec, params, X, Y, train=True,
                                                      rng=generator), repeats)


# ---------------------------------------------------------------- the shape of an activation


def slope_function(name: str):
    """f' of an activation as a function of z: a registry name, "prelu" (at its starting
    slope 0.25) or "rrelu" (at its evaluation slope, the mean of U(1/8, 1/3))."""
    if name not in _activations.NAMES + _network.LAYER_ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: "
                         f"{', '.join(map(repr, _activations.NAMES + _network.LAYER_ACTIVATIONS))}")
    act_layer = layers.activation_layer(name)
    return lambda Z: act_layer.slope(Z, act_layer.param_init)


def activation_profile(name: str, flat_below: float = 0.05, z_max: float = 10.0) -> dict:
    """Where an activation bends, how steep it gets and where it is flat.

    Returns {"slope_left": f'(0-), "slope_right": f'(0+), "kink": True when they differ
    (not differentiable at 0), "max_slope": the largest f' on [-z_max, z_max],
    "flat_left": the z below which f' < flat_below (None if nowhere on the left),
    "flat_right": the z above which f' < flat_below (None if nowhere on the right),
    "flat": the same in words, e.g. "|z| > 2.9" or "z < 0.0" or "nowhere"}.
    """
    positive_number(flat_below, "flat_below")
    positive_number(z_max, "z_max")
    slope = slope_function(name)
    z = np.linspace(-z_max, z_max, 20_001)  # steps of 1e-3
    s = slope(z)
    left, right = float(slope(np.array(-1e-9))), float(slope(np.array(1e-9)))
    flat = s < flat_below
    # the flat parts that reach the ends of the range: z < flat_left and z > flat_right
    flat_left = float(z[np.argmin(flat)]) if flat[0] else None
    flat_right = float(z[len(z) - 1 - np.argmin(flat[::-1])]) if flat[-1] else None
    if flat_left is not None and flat_right is not None and np.isclose(-flat_left, flat_right):
        words = f"|z| > {flat_right:.1f}"
    else:
        parts = ([f"z < {flat_left:.1f}"] if flat_left is not None else []) + \
                ([f"z > {flat_right:.1f}"] if flat_right is not None else [])
        words = " and ".join(parts) or "nowhere"
    return {"slope_left": left, "slope_right": right, "kink": not np.isclose(left, right),
            "max_slope": float(s.max()), "flat_left": flat_left, "flat_right": flat_right,
            "flat": words}
