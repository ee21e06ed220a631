"""What the variance formulas predict, to draw beside what a network measures.

For layer l with independent zero-mean weights of variance Var(w) and zero biases,

    Var(z_l) = n_{l-1} Var(w_l) E[a_{l-1}^2],    a_{l-1} = f(z_{l-1}),

and if z_{l-1} is Gaussian with variance q, E[f(z)^2] is a one-dimensional integral,
computed here by Gauss-Hermite quadrature for any activation. For ReLU it is exactly q / 2
(half the mass is cut off), which is where He's factor 2 comes from; for a linear layer it
is q. The prediction is for the average over random draws of the weights; a narrow layer
scatters around it (with n units, by about 1/sqrt(n) relative).

The mean-field quantities of Poole et al. (2016) and Schoenholz et al. (2017) follow below:
the fixed-point variance q*, chi_1 (order or chaos), the correlation map and the depth
scales over which signals and gradients survive (notebook 09's map of what trains).
"""

from __future__ import annotations

from dataclasses import dataclass

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


# ---------------------------------------------------------------- mean-field signal propagation
# Poole et al. (2016), "Exponential expressivity in deep neural networks through transient
# chaos"; Schoenholz et al. (2017), "Deep information propagation". A plain network with
# weights N(0, sigma_w2 / fan_in) and biases N(0, sigma_b2), infinitely wide. sigma_w2 is
# fan_in Var(w): 1 for Xavier/LeCun, 2 for He.
#
# Length map: the variance q_l of a pre-activation z_l, the same for every unit,
#     q_l = sigma_w2 E[f(sqrt(q_{l-1}) u)^2] + sigma_b2,     u ~ N(0, 1),
# settles at a fixed point q*. Two inputs whose pre-activations have correlation c move to
#     c_l = (sigma_w2 E[f(u_1) f(u_2)] + sigma_b2) / q*,     (u_1, u_2) with variance q*, correlation c_{l-1}.
# c = 1 is always a fixed point; its slope there is
#     chi_1 = sigma_w2 E[f'(sqrt(q*) u)^2],
# the factor by which each layer multiplies a small difference between two inputs, and the
# same factor for the gradient's mean square going back (E[dz_l^2] = chi_1 E[dz_{l+1}^2]).
# chi_1 < 1: ordered (nearby inputs merge, gradients vanish); chi_1 > 1: chaotic (nearby
# inputs decorrelate, gradients explode); chi_1 = 1: the edge of chaos, where both survive
# for many layers. The depth scales (Schoenholz et al., eqs. 8, 9 and 15):
#     xi_c = -1 / ln chi_c*   correlations approach their fixed point c* as exp(-l / xi_c),
#                             with chi_c* = sigma_w2 E[f'(u_1) f'(u_2)] at c*; c* = 1 and
#                             chi_c* = chi_1 in the ordered phase
#     xi_grad = -1 / ln chi_1 the gradient's mean square changes as exp(-l / xi_grad):
#                             > 0, it vanishes over xi_grad layers; < 0, it grows over |xi_grad|


def _gaussian_expectation_2d(g, variance: float, correlation: float) -> float:
    """E[g(u_1, u_2)] for a pair of N(0, variance) variables with the given correlation,
    by the same quadrature applied twice (u_2 = sqrt(variance) (c z_1 + sqrt(1 - c^2) z_2))."""
    scale = np.sqrt(variance)
    z1, z2 = _NODES[:, None], _NODES[None, :]
    u1 = scale * z1
    u2 = scale * (correlation * z1 + np.sqrt(max(1 - correlation ** 2, 0.0)) * z2)
    return float(np.sum(_WEIGHTS[:, None] * _WEIGHTS[None, :] * g(u1, u2)))


def _check_variances(sigma_w2, sigma_b2):
    from .._validate import positive_number

    return (positive_number(sigma_w2, "sigma_w2"),
            positive_number(sigma_b2, "sigma_b2", allow_zero=True))


def length_map(activation, q: float, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """q_l = sigma_w2 E[f(z)^2] + sigma_b2 for z ~ N(0, q): the next layer's pre-activation
    variance from this one's."""
    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)
    return sigma_w2 * second_moment(activation, q) + sigma_b2


Q_SMALLEST = 1e-12  # q* = 0 is evaluated as this limit, see fixed_point_q
Q_LARGEST = 1e8     # a length map still growing past this has no finite fixed point


def fixed_point_q(activation, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """q*, the stable fixed point of the length map that the variance settles at.

    Found as the first point where length_map(q) - q turns negative on a log grid from
    Q_SMALLEST to Q_LARGEST, refined by bisection (Brent's method). Returns 0.0 when the
    variance dies out (sigma_b2 = 0 and the map is below q already for tiny q: tanh with
    sigma_w2 <= 1, ReLU with sigma_w2 < 2), and inf when it grows without bound (ReLU with
    sigma_w2 > 2, sigma_b2 = 0). ReLU at sigma_w2 = 2, sigma_b2 = 0 keeps any q; 0.0 is
    returned, and chi_1 is the same (1) at every q.
    """
    from scipy.optimize import brentq

    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)

    def excess(q):
        return length_map(activation, q, sigma_w2, sigma_b2) - q

    grid = np.geomspace(Q_SMALLEST, Q_LARGEST, 201)
    values = np.array([excess(q) for q in grid])
    if values[0] <= 0:
        if sigma_b2 == 0:
            return 0.0
        return float(brentq(excess, 0.0, grid[0], xtol=1e-300))
    below = np.flatnonzero(values < 0)
    if below.size == 0:
        return float("inf")
    i = below[0]
    return float(brentq(excess, grid[i - 1], grid[i], xtol=1e-14 * grid[i], rtol=1e-14))


def chi_1(activation, sigma_w2: float, sigma_b2: float = 0.0, q: float | None = None) -> float:
    """chi_1 = sigma_w2 E[f'(z)^2], z ~ N(0, q*): the per-layer factor of a small difference
    between two inputs and of the gradient's mean square. q: evaluate at this variance
    instead of q*. At q* = 0 or inf the limit is taken, evaluated at Q_SMALLEST or
    Q_LARGEST (tanh: sigma_w2 f'(0)^2 as q -> 0; ReLU: sigma_w2 / 2 at every q)."""
    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)
    if q is None:
        q = fixed_point_q(activation, sigma_w2, sigma_b2)
    df = _activations.get(activation).derivative
    q = min(max(q, Q_SMALLEST), Q_LARGEST)
    return sigma_w2 * gaussian_expectation(lambda z: np.asarray(df(z), dtype=float) ** 2, q)


def correlation_map(activation, c: float, sigma_w2: float, sigma_b2: float = 0.0,
                    q: float | None = None) -> float:
    """The next layer's correlation between two inputs' pre-activations from this layer's c,
    both at variance q (default q*)."""
    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)
    if q is None:
        q = fixed_point_q(activation, sigma_w2, sigma_b2)
    q = min(max(q, Q_SMALLEST), Q_LARGEST)
    f = _activations.get(activation).forward
    covariance = sigma_w2 * _gaussian_expectation_2d(lambda u1, u2: f(u1) * f(u2), q, c) + sigma_b2
    return covariance / q


def fixed_point_c(activation, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """c* in [0, 1], where the correlation of two (non-opposite) inputs settles: 1 in the
    ordered phase (chi_1 <= 1), below 1 in the chaotic phase, where c = 1 repels: there
    correlation_map(c) - c is negative just below 1 and c* is its root in [0, 1), found by
    Brent's method (0 when the map keeps c = 0, as tanh does with sigma_b2 = 0). nan when
    q* is infinite: the variance grows without bound and the map has no fixed point."""
    from scipy.optimize import brentq

    q = fixed_point_q(activation, sigma_w2, sigma_b2)
    if not np.isfinite(q):
        return float("nan")
    if chi_1(activation, sigma_w2, sigma_b2, q) <= 1 + 1e-12:
        return 1.0

    def excess(c):
        return correlation_map(activation, c, sigma_w2, sigma_b2, q) - c

    if excess(0.0) <= 1e-14:
        return 0.0
    if excess(1 - 1e-6) >= 0:  # chi_1 barely above 1: c* cannot be told from 1
        return 1.0
    return float(brentq(excess, 0.0, 1 - 1e-6, xtol=1e-14))


def chi_c(activation, c: float, sigma_w2: float, sigma_b2: float = 0.0,
          q: float | None = None) -> float:
    """chi_c = sigma_w2 E[f'(u_1) f'(u_2)] for a pair at variance q (default q*) and
    correlation c: the slope of the correlation map at c. chi_c at c = 1 is chi_1."""
    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)
    if q is None:
        q = fixed_point_q(activation, sigma_w2, sigma_b2)
    df = _activations.get(activation).derivative
    q = min(max(q, Q_SMALLEST), Q_LARGEST)
    return sigma_w2 * _gaussian_expectation_2d(
        lambda u1, u2: np.asarray(df(u1), dtype=float) * np.asarray(df(u2), dtype=float), q, c)


def _depth_scale(chi: float) -> float:
    """-1 / ln chi: inf at chi = 1 (within 1e-12), negative above 1."""
    if not np.isfinite(chi):
        return float("nan")
    if abs(chi - 1) < 1e-12:
        return float("inf")
    if chi <= 0:
        return 0.0
    return float(-1.0 / np.log(chi))


@dataclass(frozen=True)
class MeanField:
    """The mean-field picture of a plain network at (sigma_w2, sigma_b2).

    q_star: the fixed-point variance of a pre-activation (inf: it grows without bound);
    chi_1: the per-layer factor at c = 1; c_star: where two inputs' correlation settles (1
    in the ordered phase; nan without a finite q*, and xi_c then nan too); xi_c:
    the depth over which correlations approach c* (-1 / ln chi_c*; inf at chi_1 = 1);
    xi_grad: -1 / ln chi_1, the depth over which the gradient's mean square changes e-fold
    (positive: vanishes; negative: explodes; inf at chi_1 = 1); phase: "ordered",
    "critical" (|chi_1 - 1| < 1e-3) or "chaotic".
    """

    q_star: float
    chi_1: float
    c_star: float
    xi_c: float
    xi_grad: float
    phase: str


def mean_field(activation, sigma_w2: float, sigma_b2: float = 0.0) -> MeanField:
    """Every mean-field quantity of one (activation, sigma_w2, sigma_b2), in one record."""
    q = fixed_point_q(activation, sigma_w2, sigma_b2)
    chi = chi_1(activation, sigma_w2, sigma_b2, q)
    c_star = fixed_point_c(activation, sigma_w2, sigma_b2)
    if np.isnan(c_star):
        chi_star = float("nan")
    else:
        chi_star = chi if c_star == 1.0 else chi_c(activation, c_star, sigma_w2, sigma_b2, q)
    if abs(chi - 1) < 1e-3:
        phase = "critical"
    else:
        phase = "ordered" if chi < 1 else "chaotic"
    return MeanField(q, chi, c_star, _depth_scale(chi_star), _depth_scale(chi), phase)
