"""How the signal travels forward and the gradient travels back, layer by layer: one
forward and one backward pass measured (`measure`), and what the variance formulas
predict for both (`predict`).

Forward (03_initialization), for independent zero-mean weights and zero biases:

    E[z_l^2] = n_{l-1} Var(w_l) E[a_{l-1}^2],        a_{l-1} = f(z_{l-1}).

Backward, the same argument on dA_{l-1} = W_l^T dZ_l and dZ_{l-1} = dA_{l-1} * f'(Z_{l-1}):
each unit of layer l-1 sums n_l terms, so

    E[dz_{l-1}^2] = E[f'(z_{l-1})^2] * n_l Var(w_l) * E[dz_l^2].

Every layer multiplies the gradient's mean square by n Var(w) E[f'(z)^2]: a factor below
1 makes it vanish geometrically with depth, above 1 explode. The sigmoid's slope is at
most 1/4, so E[f'(z)^2] <= 1/16 and with Xavier's n Var(w) = 1 the gradient's mean square
shrinks at least 16-fold per layer. E[f'(z)^2] is computed for a Gaussian z by the same
quadrature as `theory` (the "mean-field" approximation: it treats the backward weights as
independent of the forward ones, which is accurate at initialization for wide layers).

Sizes are reported as root mean squares (rms) over all entries, per example: the backward
signal is m * dZ_l (the cost is a mean over the m examples, so dZ_l carries a 1/m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations as _activations
from .. import initializers as _initializers
from .. import layers
from .. import network as net
from . import theory


@dataclass
class LayerNorms:
    """One forward and backward pass, measured layer by layer (l = 1..L).

    z_rms (L,): rms of Z_l (the logits Z_L last); a_rms (L-1,): rms of the hidden
    activations A_l; grad_rms (L,): rms of the per-example gradient m * dZ_l; dW_norm (L,):
    Frobenius norm of dW_l, the gradient the optimizer applies to W_l.
    """

    z_rms: np.ndarray
    a_rms: np.ndarray
    grad_rms: np.ndarray
    dW_norm: np.ndarray


def rms(values: np.ndarray) -> float:
    """sqrt(mean(values^2)): the size of a typical entry. Computed as max|v| * rms(v / max|v|)
    so that squaring cannot overflow below the largest float; inf or nan if the values are."""
    values = np.asarray(values, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        largest = float(np.max(np.abs(values))) if values.size else 0.0
        if largest == 0.0 or not np.isfinite(largest):
            return largest if not np.isnan(largest) else float("nan")
        return largest * float(np.sqrt(np.mean(np.square(values / largest))))


def _check_plain(spec: net.Spec) -> None:
    if any(spec.batch_norm) or any(k < 1 for k in spec.keep_prob):
        raise ValueError("gradient_flow measures plain networks: spec must have no batch norm "
                         "and no dropout")
    if any(spec.layer_norm) or any(spec.residual):
        raise ValueError("gradient_flow measures plain networks: spec must have no layer norm "
                         "and no residual layers (lessons.deeper measures those)")
    if any(fn is None for fn in spec.activation_fns):
        raise ValueError("gradient_flow needs registry activations (not prelu or rrelu), got "
                         f"{spec.activation}")


def backward_signals(spec: net.Spec, cache, dZ_L: np.ndarray):
    """The backward pass of a plain network, keeping what the training loop throws away:
    the gradient reaching every layer.

    cache: from network.forward; dZ_L (n_L, m): the gradient of the cost at the logits.
    Returns (dZs, dWs): lists of L arrays, dZs[l-1] = dJ/dZ_l (n_l, m) and dWs[l-1] = dJ/dW_l
    (n_l, n_{l-1}), computed with the same layer functions as network.backward.
    """
    _check_plain(spec)
    L = spec.n_layers
    dZs, dWs = [None] * L, [None] * L
    dZ = dZ_L
    for l in range(L, 0, -1):
        dZs[l - 1] = dZ
        dA_prev, dWs[l - 1], _ = layers.dense_backward(dZ, cache.layers[l - 1].dense,
                                                       need_dA_prev=l > 1)
        if l > 1:
            dZ = layers.activation_backward(dA_prev, cache.layers[l - 2].activation)
    return dZs, dWs


def measure(spec: net.Spec, params: dict, X: np.ndarray, Y: np.ndarray | None = None,
            output_grad: np.ndarray | None = None) -> LayerNorms:
    """Run one forward and one backward pass and measure every layer.

    X (n_x, m). The backward pass starts from the gradient of the cost with respect to the
    logits: the spec's loss on Y (n_L, m), or, without Y, `output_grad` (n_L, m) given
    directly (e.g. np.ones((n_L, m)) / m, the gradient of the mean of the summed outputs).
    Overflow is allowed (a value that overflowed is reported as inf or nan, not raised).
    """
    _check_plain(spec)
    net.check_params(spec, params)
    net.check_data(spec, X)
    m = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        Z_L, cache = net.forward_unchecked(spec, params, X, train=False)
        if Y is not None:
            net.check_data(spec, X, Y)
            _, dZ_L = net.output_loss(spec)(Z_L, Y)
        elif output_grad is not None:
            dZ_L = np.asarray(output_grad, dtype=float)
            if dZ_L.shape != Z_L.shape:
                raise ValueError(f"output_grad must have the logits' shape {Z_L.shape}, "
                                 f"got {dZ_L.shape}")
        else:
            raise ValueError("give Y (the labels) or output_grad (the gradient at the logits)")
        dZs, dWs = backward_signals(spec, cache, dZ_L)
        return LayerNorms(z_rms=np.array([rms(Z) for Z in cache.pre] + [rms(Z_L)]),
                          a_rms=np.array([rms(A) for A in cache.hidden]),
                          grad_rms=np.array([m * rms(dZ) for dZ in dZs]),
                          dW_norm=np.array([np.sqrt(np.sum(np.square(dW))) for dW in dWs]))


def slope_second_moment(activation, variance: float) -> float:
    """E[f'(z)^2] for z ~ N(0, variance): what the activation keeps of the gradient's mean
    square. At most 1/16 for the sigmoid (its slope is at most 1/4), exactly 1/2 for ReLU.
    Computed by theory's quadrature, whose nodes leave out z = 0, where ReLU's slope jumps."""
    df = _activations.get(activation).derivative
    return theory.gaussian_expectation(lambda z: np.asarray(df(z), dtype=float) ** 2, variance)


def predict(layer_sizes, activation, init, gain: float = 1.0, input_second_moment: float = 1.0,
            output_grad_rms: float = 1.0):
    """What the variance formulas predict for a freshly initialized network.

    layer_sizes (n_x, n_1, ..., n_L); activation: one registry name for every hidden layer;
    init: an initializer name (zero-mean random weights, scaled by gain);
    input_second_moment: E[x^2] of the data; output_grad_rms: the rms of the per-example
    gradient at the logits, where the backward pass starts.
    Returns (z_rms, grad_rms), two arrays of L values, like `measure`'s.
    """
    init = _initializers.get(init)
    if init.kind == "constant":
        raise ValueError(f"the formulas need zero-mean random weights; init {init.name!r} "
                         "is a constant")
    sizes = tuple(layer_sizes)
    L = len(sizes) - 1
    weight_var = [(gain * init.std(sizes[l - 1], sizes[l])) ** 2 for l in range(1, L + 1)]
    z_ms = np.empty(L)
    moment = input_second_moment
    for l in range(1, L + 1):
        z_ms[l - 1] = sizes[l - 1] * weight_var[l - 1] * moment
        if l < L:
            moment = theory.second_moment(activation, z_ms[l - 1])
    grad_ms = np.empty(L)
    grad_ms[L - 1] = output_grad_rms ** 2
    for l in range(L - 1, 0, -1):  # dZ_l from dZ_{l+1} through W_{l+1} and f'(z_l)
        grad_ms[l - 1] = (slope_second_moment(activation, z_ms[l - 1])
                          * sizes[l + 1] * weight_var[l] * grad_ms[l])
    return np.sqrt(z_ms), np.sqrt(grad_ms)


def scaled_identity(spec: net.Spec, scale: float) -> dict:
    """Parameters W_l = scale * I and b_l = 0 for a network whose layers all have the same
    size: seed 000's deep linear network, where y = scale^L x."""
    sizes = set(spec.layer_sizes)
    if len(sizes) != 1:
        raise ValueError(f"scaled_identity needs every layer the same size, got "
                         f"layer_sizes {spec.layer_sizes}")
    n = sizes.pop()
    params = {}
    for l in range(1, spec.n_layers + 1):
        params[f"W{l}"] = scale * np.eye(n)
        params[f"b{l}"] = np.zeros((n, 1))
    return params


def cancel_mean(spec: net.Spec, params: dict, mean: float = 0.5) -> dict:
    """A copy of params with every hidden-to-hidden bias set to cancel the mean of the layer
    below: b_l = -mean * W_l 1 for l = 2..L, so that z_l = W_l (a_{l-1} - mean) starts centred
    when the activations a_{l-1} average `mean` (1/2 for the sigmoid). Layer 1 is left alone:
    its input is the data."""
    net.check_params(spec, params)
    if not np.isfinite(mean):
        raise ValueError(f"mean must be a finite number, got {mean}")
    cancelled = {key: np.array(value, dtype=float, copy=True) for key, value in params.items()}
    for l in range(2, spec.n_layers + 1):
        cancelled[f"b{l}"] = -mean * cancelled[f"W{l}"].sum(axis=1, keepdims=True)
    return cancelled


@dataclass
class Saturation:
    """How the hidden units sit on their S at the start, pooled over the hidden layers.

    flat: the fraction of (unit, example) pairs whose slope is below a fifth of the
    activation's largest slope (|z| > 3 for the sigmoid, > 1.5 for tanh: the same point on the
    S); offset_across_units: the std over the units of each unit's mean z (a fixed offset per
    unit), averaged over the layers; spread_across_examples: each unit's std of z over the
    examples (what carries the input), averaged over the units and layers.
    """

    flat: float
    offset_across_units: float
    spread_across_examples: float


def saturation(spec: net.Spec, params: dict, X: np.ndarray) -> Saturation:
    """Measure `Saturation` for a plain network with one registry activation."""
    _check_plain(spec)
    net.check_params(spec, params)
    net.check_data(spec, X)
    if len(set(spec.activation)) != 1:
        raise ValueError("saturation needs one activation for every hidden layer, got "
                         f"{spec.activation}")
    activation = spec.activation_fns[0]
    largest = float(np.max(np.abs(activation.derivative(np.linspace(-1, 1, 2001)))))
    Zs, _ = net.hidden_activations(spec, params, X)
    slopes = np.concatenate([np.abs(activation.derivative(Z)).ravel() for Z in Zs])
    return Saturation(flat=float(np.mean(slopes < largest / 5)),
                      offset_across_units=float(np.mean([Z.mean(axis=1).std() for Z in Zs])),
                      spread_across_examples=float(np.mean([Z.std(axis=1).mean() for Z in Zs])))
