"""Layers, each a forward/backward pair (the CS231n layer contract).

    out, cache = <layer>_forward(x, ...)
    dx, ...    = <layer>_backward(dout, cache)

Each cache is a small named record (DenseCache, ActivationCache, ...): read its fields by
name, cache.A_prev, cache.W, never by position.

Column layout throughout: activations have shape (n, m), one column per example.
The 1/m of the mean cost is already in the incoming gradient (the loss puts it there, as
in the seed), so no layer divides by m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from . import activations
from ._validate import as_rng, fraction

# ---------------------------------------------------------------- dense (affine) layer


class DenseCache(NamedTuple):
    """What dense_backward needs: the layer's input A_prev (n_prev, m) and weights W (n, n_prev)."""

    A_prev: np.ndarray
    W: np.ndarray


def dense_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray | None):
    """Affine step of one layer: Z = W @ A_prev + b.

    Shapes: A_prev (n_prev, m), W (n, n_prev), b (n, 1) or None -> Z (n, m).
    Returns Z and the cache that dense_backward needs.
    """
    Z = W @ A_prev
    if b is not None:
        Z += b  # in place: Z is a fresh array, so this saves one temporary
    return Z, DenseCache(A_prev, W)


def dense_backward(dZ: np.ndarray, cache, need_dA_prev: bool = True):
    """Gradients of the affine step. dZ (n, m) -> dA_prev (n_prev, m), dW (n, n_prev), db (n, 1).

    The first layer's dA_prev would be the gradient with respect to the data X, which
    training never uses: need_dA_prev=False skips that product (dA_prev is then None).
    """
    dW = dZ @ cache.A_prev.T
    db = dZ.sum(axis=1, keepdims=True)
    dA_prev = cache.W.T @ dZ if need_dA_prev else None
    return dA_prev, dW, db


# ---------------------------------------------------------------- activation layer


class ActivationCache(NamedTuple):
    """What activation_backward needs: Z and A = f(Z), both (n, m), and the Activation f."""

    Z: np.ndarray
    A: np.ndarray
    activation: activations.Activation


def activation_forward(Z: np.ndarray, activation):
    """A = f(Z) for a registry activation (name or Activation). Returns A and the cache."""
    act = activation if isinstance(activation, activations.Activation) else activations.get(activation)
    A = act.f(Z)
    return A, ActivationCache(Z, A, act)


def activation_backward(dA: np.ndarray, cache) -> np.ndarray:
    """dZ = dA * f'(Z), with f' computed from the output A where that is cheaper (tanh, sigmoid)."""
    act = cache.activation
    if act.df_from_output is not None:
        return dA * act.df_from_output(cache.A)
    return dA * act.df(cache.Z)


# ---------------------------------------------------------------- PReLU: a learned slope

PRELU_INIT = 0.25  # He et al. (2015) start every slope at 0.25


class PReLUCache(NamedTuple):
    """What prelu_backward needs: Z (n, m), alpha ((n, 1) or (1, 1)) and where Z <= 0 (n, m)."""

    Z: np.ndarray
    alpha: np.ndarray
    negative: np.ndarray


def prelu_forward(Z: np.ndarray, alpha: np.ndarray):
    """Parametric ReLU: A = Z where Z > 0, alpha * Z elsewhere.

    alpha has shape (n, 1) (one slope per unit) or (1, 1) (one slope shared by the layer);
    it is learned like a weight. Returns A and the cache.
    """
    negative = Z <= 0
    A = np.where(negative, alpha * Z, Z)
    return A, PReLUCache(Z, alpha, negative)


def prelu_backward(dA: np.ndarray, cache):
    """dZ = dA * (1 or alpha); dalpha = sum of dA * Z over the negative side, shaped like alpha."""
    negative = cache.negative
    dZ = np.where(negative, cache.alpha * dA, dA)
    dalpha_per_unit = (dA * cache.Z * negative).sum(axis=1, keepdims=True)
    if cache.alpha.shape[0] == 1:  # one shared slope collects the gradient of every unit
        return dZ, dalpha_per_unit.sum(keepdims=True).reshape(1, 1)
    return dZ, dalpha_per_unit


# ---------------------------------------------------------------- RReLU: a random slope

RRELU_LOWER, RRELU_UPPER = 1 / 8, 1 / 3


class RReLUCache(NamedTuple):
    """What rrelu_backward needs: where Z <= 0 and the slope of every entry, both (n, m)."""

    negative: np.ndarray
    slope: np.ndarray


def rrelu_forward(Z: np.ndarray, train: bool, rng=None, lower: float = RRELU_LOWER,
                  upper: float = RRELU_UPPER):
    """Randomized leaky ReLU (Xu et al., 2015).

    Training: each negative entry gets its own slope drawn from U(lower, upper).
    Evaluation: the mean slope (lower + upper) / 2, so predictions are deterministic.
    Returns A and the cache (which holds the slopes used).
    """
    if train:
        generator = as_rng(rng, purpose="to draw the RReLU slopes")
        slope = generator.uniform(lower, upper, size=Z.shape)
    else:
        slope = np.full(Z.shape, (lower + upper) / 2)
    negative = Z <= 0
    A = np.where(negative, slope * Z, Z)
    return A, RReLUCache(negative, slope)


def rrelu_backward(dA: np.ndarray, cache) -> np.ndarray:
    """dZ = dA * (1 or the slope drawn in the forward pass)."""
    return np.where(cache.negative, cache.slope * dA, dA)


# ---------------------------------------------------------------- activation layers, by name


@dataclass(frozen=True)
class ActivationLayer:
    """Everything the network and the lessons need to know about one hidden activation, so
    that no module branches on its name.

    name: as in Spec(activation=...).
    forward(Z, param, train, rng) -> (A, cache): Z (n, m); param is the layer's learned array
        (PReLU's alpha) or None; train and rng matter to layers that draw (RReLU).
    backward(dA, cache) -> (dZ, dparam): dparam is the gradient of param, or None.
    slope(Z, param) -> f'(Z) (n, m) in evaluation mode, for the diagnostics.
    param: the name of the learned parameter ("alpha": stored as params["alpha{l}"]), or None.
    param_init: the value every entry of that parameter starts at.
    draws_random: True when training draws random numbers, so it needs an rng.
    """

    name: str
    forward: Callable
    backward: Callable
    slope: Callable
    param: str | None = None
    param_init: float | None = None
    draws_random: bool = False

    def param_key(self, l: int) -> str:
        """The key of layer l's parameter in params: "alpha2" for PReLU in layer 2."""
        return f"{self.param}{l}"

    def param_in(self, params: dict, l: int):
        """Layer l's parameter array from params (PReLU's params["alpha{l}"]), or None."""
        return None if self.param is None else params[self.param_key(l)]


def _prelu_layer() -> ActivationLayer:
    return ActivationLayer(
        "prelu",
        forward=lambda Z, alpha, train, rng: prelu_forward(Z, alpha),
        backward=prelu_backward,
        slope=lambda Z, alpha: np.where(Z <= 0, alpha, 1.0),
        param="alpha", param_init=PRELU_INIT)


def _rrelu_layer() -> ActivationLayer:
    mean_slope = (RRELU_LOWER + RRELU_UPPER) / 2  # the evaluation-mode slope

    def backward(dA, cache):
        return rrelu_backward(dA, cache), None
    return ActivationLayer(
        "rrelu",
        forward=lambda Z, param, train, rng: rrelu_forward(Z, train, rng),
        backward=backward,
        slope=lambda Z, param: np.where(Z <= 0, mean_slope, 1.0),
        draws_random=True)


# The activations that are layers of their own: one learns a parameter, one draws random slopes.
ACTIVATION_LAYERS = {"prelu": _prelu_layer(), "rrelu": _rrelu_layer()}


def _plain_layer(act: activations.Activation) -> ActivationLayer:
    """A registry activation (course_utils.activations) as a layer: no parameter, no randomness."""
    def backward(dA, cache):
        return activation_backward(dA, cache), None
    return ActivationLayer(
        act.name,
        forward=lambda Z, param, train, rng: activation_forward(Z, act),
        backward=backward,
        slope=lambda Z, param: np.asarray(act.df(Z), dtype=float))


def activation_layer(activation) -> ActivationLayer:
    """The ActivationLayer for a hidden activation: "prelu", "rrelu", or any registry name or
    Activation (course_utils.activations), which becomes a layer without a parameter."""
    if isinstance(activation, str) and activation in ACTIVATION_LAYERS:
        return ACTIVATION_LAYERS[activation]
    if not isinstance(activation, activations.Activation):
        activation = activations.get(activation)
    return _plain_layer(activation)


# ---------------------------------------------------------------- inverted dropout


class DropoutCache(NamedTuple):
    """What dropout_backward needs: the mask of kept units (n, m, bool) and keep_prob."""

    mask: np.ndarray
    keep_prob: float


def dropout_forward(A: np.ndarray, keep_prob: float, train: bool, rng=None,
                    mask: np.ndarray | None = None):
    """Inverted dropout: keep each unit with probability keep_prob and divide by keep_prob,
    so the expected activation is unchanged and evaluation needs no rescaling.

    A fresh mask is drawn from `rng` on every call in training (pass `mask` to fix it, e.g.
    for gradient checking). In evaluation, or with keep_prob = 1, it is the identity.
    Returns the output and the cache (a DropoutCache, or None when nothing was dropped).
    """
    keep_prob = fraction(keep_prob, "keep_prob", 0.0, 1.0)
    if not train or keep_prob == 1.0:
        return A, None
    if mask is None:
        mask = as_rng(rng, purpose="to draw the dropout mask").random(A.shape) < keep_prob
    elif mask.shape != A.shape:
        raise ValueError(f"mask must have the activations' shape {A.shape}, got {mask.shape}")
    return A * mask / keep_prob, DropoutCache(mask, keep_prob)


def dropout_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Units dropped in the forward pass get no gradient; kept ones are scaled the same way."""
    if cache is None:
        return dout
    return dout * cache.mask / cache.keep_prob


# ---------------------------------------------------------------- batch normalization

BN_MOMENTUM = 0.1  # PyTorch's convention (see update_running_stats)
BN_EPS = 1e-5


class BatchNormCache(NamedTuple):
    """What batchnorm_backward needs, and the batch statistics the running averages use.

    Z_hat (n, m): the normalized input; gamma, inv_std = 1 / sqrt(var + eps), mean, var:
    (n, 1) (the batch's statistics in training, the running ones in evaluation); train: the mode.
    """

    Z_hat: np.ndarray
    gamma: np.ndarray
    inv_std: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    train: bool


def batchnorm_forward(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, train: bool,
                      running_mean: np.ndarray | None = None,
                      running_var: np.ndarray | None = None, eps: float = BN_EPS):
    """Batch normalization of pre-activations, per unit (row), over the batch (columns).

    Training: Z_hat = (Z - mu_B) / sqrt(var_B + eps) with the batch's own mean and (biased)
    variance; evaluation: the running mean and variance instead. Then out = gamma * Z_hat + beta.
    Only gamma and beta are learned; the running statistics are state, not parameters.
    Shapes: Z (n, m); gamma, beta, running_mean, running_var (n, 1).
    Returns out and a BatchNormCache (which holds the batch mean and variance in training).
    """
    if train:
        m = Z.shape[1]
        if m < 2:
            raise ValueError("batch norm in training needs a batch of at least 2 examples "
                             f"(a batch of {m} has no variance); use evaluation mode or larger batches")
        mean = Z.mean(axis=1, keepdims=True)
        var = Z.var(axis=1, keepdims=True)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch norm in evaluation mode needs running_mean and running_var")
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    Z_hat = (Z - mean) * inv_std
    out = gamma * Z_hat + beta
    return out, BatchNormCache(Z_hat, gamma, inv_std, mean, var, train)


def batchnorm_backward(dout: np.ndarray, cache):
    """Compact closed-form backward of batch norm in training mode.

    With Z_hat the normalized input and m the batch size:
        dgamma = sum_j dout * Z_hat,   dbeta = sum_j dout
        dZ = gamma * inv_std * (dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat))
    (derived step by step in 06_batch_normalization). In evaluation mode the statistics are
    constants, so dZ = gamma * inv_std * dout.
    Returns dZ (n, m), dgamma (n, 1), dbeta (n, 1).
    """
    Z_hat, gamma, inv_std = cache.Z_hat, cache.gamma, cache.inv_std
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dbeta = dout.sum(axis=1, keepdims=True)
    if not cache.train:
        return gamma * inv_std * dout, dgamma, dbeta
    m = dout.shape[1]
    dZ = gamma * inv_std * (dout - dbeta / m - Z_hat * (dgamma / m))
    return dZ, dgamma, dbeta


def update_running_stats(running_mean, running_var, batch_mean, batch_var, m: int,
                         momentum: float = BN_MOMENTUM):
    """Exponential moving averages of the batch statistics, PyTorch's convention:

        running = (1 - momentum) * running + momentum * batch,   momentum = 0.1,

    with the unbiased batch variance (times m / (m - 1)). Keras writes the same average with
    its `momentum` = 1 - ours (0.99). Returns new arrays; the inputs are not changed.
    """
    unbiased_var = batch_var * m / (m - 1)
    new_mean = (1 - momentum) * running_mean + momentum * batch_mean
    new_var = (1 - momentum) * running_var + momentum * unbiased_var
    return new_mean, new_var


# ---------------------------------------------------------------- layer normalization

LN_EPS = 1e-5  # PyTorch's default for nn.LayerNorm


class LayerNormCache(NamedTuple):
    """What layernorm_backward needs: X_hat (n, m), the normalized input; gamma (n, 1);
    inv_std = 1 / sqrt(var + eps) (1, m), one per example."""

    X_hat: np.ndarray
    gamma: np.ndarray
    inv_std: np.ndarray


def layernorm_forward(X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = LN_EPS):
    """Layer normalization (Ba, Kiros and Hinton, 2016): each example (column) is normalized
    over its units (rows), with its own mean and (biased) variance:

        X_hat = (X - mean_i X) / sqrt(var_i X + eps),   out = gamma * X_hat + beta.

    Batch norm normalizes each unit over the batch (axis 1); layer norm each example over the
    units (axis 0), so it needs no batch statistics: it computes the same in training and
    evaluation, and for a batch of one. gamma and beta, one per unit, are learned.
    Shapes: X (n, m) with n >= 2 units; gamma, beta (n, 1) -> out (n, m).
    Returns out and a LayerNormCache. Same as torch.nn.LayerNorm(n) on the rows X.T.
    """
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"layer norm needs at least 2 units to normalize over, got {n} "
                         "(one unit has no variance)")
    mean = X.mean(axis=0, keepdims=True)
    var = X.var(axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    X_hat = (X - mean) * inv_std
    return gamma * X_hat + beta, LayerNormCache(X_hat, gamma, inv_std)


def layernorm_backward(dout: np.ndarray, cache):
    """Backward of layer norm: batch norm's formula with the roles of the axes swapped.

    With dX_hat = gamma * dout and means taken over the n units of each example:
        dX = inv_std * (dX_hat - mean_i(dX_hat) - X_hat * mean_i(dX_hat * X_hat))
        dgamma = sum_j dout * X_hat,   dbeta = sum_j dout   (sums over the examples)
    Returns dX (n, m), dgamma (n, 1), dbeta (n, 1).
    """
    X_hat, gamma, inv_std = cache.X_hat, cache.gamma, cache.inv_std
    dgamma = (dout * X_hat).sum(axis=1, keepdims=True)
    dbeta = dout.sum(axis=1, keepdims=True)
    dX_hat = dout * gamma
    dX = inv_std * (dX_hat - dX_hat.mean(axis=0, keepdims=True)
                    - X_hat * (dX_hat * X_hat).mean(axis=0, keepdims=True))
    return dX, dgamma, dbeta


# ---------------------------------------------------------------- batch norm, node by node


def batchnorm_forward_steps(Z: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                            eps: float = BN_EPS):
    """Batch norm in training mode as a computation graph, one elementary step per node
    (06_batch_normalization derives the backward pass from it). Same result as
    batchnorm_forward(Z, gamma, beta, train=True, eps=eps).

        mu      = mean_j Z              (n, 1)
        Z_mu    = Z - mu                (n, m)
        sq      = Z_mu ** 2             (n, m)
        var     = mean_j sq             (n, 1)   the biased batch variance
        std     = sqrt(var + eps)       (n, 1)
        inv_std = 1 / std               (n, 1)
        Z_hat   = Z_mu * inv_std        (n, m)
        out     = gamma * Z_hat + beta  (n, m)

    Shapes: Z (n, m); gamma, beta (n, 1). Returns out and a dict of every node (the cache).
    """
    m = Z.shape[1]
    if m < 2:
        raise ValueError("batch norm in training needs a batch of at least 2 examples "
                         f"(a batch of {m} has no variance); use evaluation mode or larger batches")
    mu = Z.sum(axis=1, keepdims=True) / m
    Z_mu = Z - mu
    sq = Z_mu ** 2
    var = sq.sum(axis=1, keepdims=True) / m
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    Z_hat = Z_mu * inv_std
    out = gamma * Z_hat + beta
    cache = {"Z_mu": Z_mu, "var": var, "std": std, "inv_std": inv_std, "Z_hat": Z_hat,
             "gamma": gamma, "m": m}
    return out, cache


def batchnorm_backward_steps(dout: np.ndarray, cache: dict):
    """The backward pass of batchnorm_forward_steps, node by node in reverse: each line is
    the chain rule through one node, and a node used twice (Z_mu feeds sq and Z_hat) adds
    the gradients of both paths. Equal to batchnorm_backward, which collapses these steps
    into one formula. Returns dZ (n, m), dgamma (n, 1), dbeta (n, 1).
    """
    Z_mu, std, inv_std = cache["Z_mu"], cache["std"], cache["inv_std"]
    Z_hat, gamma, m = cache["Z_hat"], cache["gamma"], cache["m"]
    # out = gamma * Z_hat + beta
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dZ_hat = dout * gamma
    # Z_hat = Z_mu * inv_std  (inv_std is shared by the row: its gradient sums over j)
    dinv_std = (dZ_hat * Z_mu).sum(axis=1, keepdims=True)
    dZ_mu = dZ_hat * inv_std                      # path 1 into Z_mu
    # inv_std = 1 / std;  std = sqrt(var + eps)
    dstd = -dinv_std / std ** 2
    dvar = dstd * 0.5 / std                       # d sqrt(x) / dx = 1 / (2 sqrt(x))
    # var = mean_j sq;  sq = Z_mu ** 2
    dsq = np.ones_like(Z_mu) * dvar / m
    dZ_mu = dZ_mu + 2 * Z_mu * dsq                # path 2 into Z_mu
    # Z_mu = Z - mu;  mu = mean_j Z
    dmu = -dZ_mu.sum(axis=1, keepdims=True)
    dZ = dZ_mu + np.ones_like(Z_mu) * dmu / m
    return dZ, dgamma, dbeta
