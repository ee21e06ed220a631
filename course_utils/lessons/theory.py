"""What the variance formulas predict, to draw beside what a network measures.

For layer l with independent zero-mean weights of variance Var(w) and zero biases,

    Var(z_l) = n_{l-1} Var(w_l) E[a_{l-1}^2],    a_{l-1} = f(z_{l-1}),

and if z_{l-1} is Gaussian with variance q, E[f(z)^2] is a one-dimensional integral,
computed here by Gauss-Hermite quadrature for any activation. For ReLU it is exactly q / 2
(half the mass is cut off), which is where He's factor 2 comes from; for a linear layer it
is q. The prediction is for the average over random draws of the weights; a narrow layer
scatters around it (with n units, by about 1/sqrt(n) relative).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from .. import activations as _activations
from .. import initializers as _initializers

# Nodes and weights for E[g(z)], z ~ N(0, 1): sum_i w_i g(x_i) / sqrt(2 pi), the one
# quadrature of the lessons (gradients.py uses it too). An even number of nodes keeps z = 0,
# where ReLU's derivative jumps, off the grid (the seed's ReLU'(0) = 0 at a node of weight
# 0.08 would count 8% of the mass on the wrong side of the step).
_NODES, _WEIGHTS = hermegauss(100)
_WEIGHTS = _WEIGHTS / np.sqrt(2 * np.pi)


def gaussian_expectation(g, variance: float) -> float:
    """E[g(z)] for z ~ N(0, variance); g maps an array of z to an array of the same shape."""
    return float(np.sum(_WEIGHTS * g(np.sqrt(variance) * _NODES)))


def second_moment(activation, variance: float) -> float:
    """E[f(z)^2] for z ~ N(0, variance): what layer l+1 receives from layer l."""
    f = _activations.get(activation).forward
    return gaussian_expectation(lambda z: f(z) ** 2, variance)


def activation_std(activation, variance: float) -> float:
    """std of f(z) for z ~ N(0, variance)."""
    f = _activations.get(activation).forward
    mean = gaussian_expectation(f, variance)
    return float(np.sqrt(max(second_moment(activation, variance) - mean ** 2, 0.0)))


def preactivation_std(layer_sizes, activation, init, gain: float = 1.0,
                      input_second_moment: float = 1.0) -> np.ndarray:
    """Predicted std of z_l for each hidden layer l = 1..L-1 of a freshly initialized net.

    layer_sizes: (n_x, n_1, ..., n_L); activation: a registry name (one for all layers);
    init: an initializer name; input_second_moment: E[x^2] of the data, averaged over
    features. Returns an array of L-1 values (the output layer is left out).
    """
    init = _initializers.get(init)
    stds = []
    moment = input_second_moment
    for l in range(1, len(layer_sizes) - 1):
        fan_in, fan_out = layer_sizes[l - 1], layer_sizes[l]
        if init.kind == "constant" and init.hyper["value"] != 0:
            # Not zero-mean random weights: the formula does not apply.
            return np.full(len(layer_sizes) - 2, np.nan)
        weight_var = (gain * init.std(fan_in, fan_out)) ** 2
        variance = fan_in * weight_var * moment
        stds.append(np.sqrt(variance))
        moment = second_moment(activation, variance)
    return np.array(stds)
