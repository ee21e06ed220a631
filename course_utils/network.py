"""A fully connected network of any depth, in three separate pieces:

- `Spec`: the architecture (layer sizes, per-layer activation, output, batch norm, layer
  norm, dropout, residual connections), a small frozen dataclass;
- `params`: the learned arrays, a plain dict with the seed's keys "W1", "b1", ..., plus
  "gamma{l}", "beta{l}" (batch norm or layer norm) and "alpha{l}" (PReLU);
- `state`: what is not learned but remembered, batch norm's running statistics
  ("running_mean{l}", "running_var{l}"). Optimizers and penalties never see it.

Hidden layer l (1 <= l < L):  Z = W A_prev + b -> [norm] -> activation -> [dropout]
Output layer L:               Z_L = W_L A_{L-1} + b_L, the logits; the loss reads them directly.
[norm] is batch norm or layer norm (one of them, or none). A batch-norm layer has no bias
b{l}: beta{l} takes its place (a bias before batch norm is subtracted away with the mean
and would get a zero gradient). Layer norm subtracts only each example's mean over the
units, so its layer keeps b{l}.

Residual layers (Spec(residual=True), He et al. 2016): a hidden layer l >= 2 of the same
width as the layer below adds its input back, with the branch scaled by s = branch_scale:

    post (default):  A_l = A_{l-1} + s * f(norm(W_l A_{l-1} + b_l))    the norm on Z, as above
    pre:             A_l = A_{l-1} + s * f(W_l norm(A_{l-1}) + b_l)    the norm on the input

(dropout, when used, acts on the branch, before the addition). The identity path adds 1 to
every layer's Jacobian: dA_{l-1} = dA_l + (the branch's backward of s * dA_l). The first
hidden layer maps the n_x inputs to n_1 units and is always a plain layer. Note: "post"
here is the ResNet placement (the norm inside the branch, before the activation); the
original Transformer's "post-LN" normalizes after the addition, which this Spec does not
offer.

Your own code in the network (Spec(functions=Functions(...))): the network runs the
library's batch norm (layers.batchnorm_forward, batchnorm_backward, update_running_stats),
dropout (layers.dropout_forward, dropout_backward) and L2 penalty (losses.l2_penalty),
unless the Spec names other functions with the same signatures:

    mine = Functions(batchnorm_forward=my_forward, batchnorm_backward=my_backward)
    spec = Spec((2, 16, 16, 1), batch_norm=True, functions=mine)
    cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=30)   # runs my_forward

A function left out (None) is the library's. The backward pass reads the cache its forward
returned, and the running averages read the batch statistics from the batch-norm cache as
cache.mean and cache.var (a layers.BatchNormCache has them). Dropout's forward is called in
both modes with `train` (the library's returns its input unchanged in evaluation), its
backward only where the forward ran in training mode. Functions is a frozen dataclass, so a
Spec that carries one stays hashable (a cache key): two Specs are equal when they name the
same function objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit, softmax

from . import activations as _activations
from . import initializers as _initializers
from . import layers, losses
from ._validate import as_rng, fraction, one_of, positive_int, positive_number

LAYER_ACTIVATIONS = tuple(layers.ACTIVATION_LAYERS)  # "prelu", "rrelu": a parameter or randomness
OUTPUTS = {
    "sigmoid": losses.binary_cross_entropy,
    "softmax": losses.softmax_cross_entropy,
    "linear": losses.mean_squared_error,
}
NORM_POSITIONS = ("post", "pre")  # where a residual layer normalizes: Z_l, or its input A_{l-1}


def _per_hidden_layer(value, n_hidden: int, name: str) -> tuple:
    """A single value for every hidden layer, or a sequence with one value per hidden layer."""
    if isinstance(value, (list, tuple)):
        if len(value) != n_hidden:
            raise ValueError(f"{name} must have one entry per hidden layer ({n_hidden}), "
                             f"got {len(value)}")
        return tuple(value)
    return (value,) * n_hidden


def _residual_layers(residual, sizes: tuple) -> tuple:
    """Spec's residual option as one bool per hidden layer, checked: layer 1 is never
    residual and a residual layer keeps the width of the layer below."""
    n_hidden = len(sizes) - 2
    if isinstance(residual, (list, tuple)):
        flags = tuple(bool(r) for r in _per_hidden_layer(residual, n_hidden, "residual"))
        if flags and flags[0]:
            raise ValueError("residual[0] must be False: the first hidden layer maps the n_x "
                             "inputs to n_1 units and is always a plain layer")
    else:
        flags = (False,) + (bool(residual),) * (n_hidden - 1) if n_hidden else ()
    for l in range(2, n_hidden + 1):
        if flags[l - 1] and sizes[l] != sizes[l - 1]:
            raise ValueError(f"residual layer {l} must have the width of layer {l - 1} to add "
                             f"its input back: layer_sizes[{l}] = {sizes[l]}, "
                             f"layer_sizes[{l - 1}] = {sizes[l - 1]}")
    return flags


BATCHNORM_FUNCTIONS = ("batchnorm_forward", "batchnorm_backward", "update_running_stats")
DROPOUT_FUNCTIONS = ("dropout_forward", "dropout_backward")


@dataclass(frozen=True)
class Functions:
    """The implementation of each pluggable step the network runs: None (the default) is
    the library's function, anything else a function with the same signature (the reader's
    own, in an exercise). Spec(..., functions=Functions(dropout_forward=mine)).

    batchnorm_forward(Z, gamma, beta, train, running_mean, running_var) -> (out, cache);
        in training mode cache.mean and cache.var must be the batch's mean and variance
        (layers.batchnorm_forward).
    batchnorm_backward(dout, cache) -> (dZ, dgamma, dbeta)        (layers.batchnorm_backward)
    update_running_stats(running_mean, running_var, batch_mean, batch_var, m)
        -> (new_mean, new_var)                                  (layers.update_running_stats)
    dropout_forward(A, keep_prob, train, rng, mask) -> (out, cache)  (layers.dropout_forward)
    dropout_backward(dout, cache) -> dA                          (layers.dropout_backward)
    l2_penalty(params, lambd, m) -> (value, grads)                   (losses.l2_penalty)
    """

    batchnorm_forward: Callable | None = None
    batchnorm_backward: Callable | None = None
    update_running_stats: Callable | None = None
    dropout_forward: Callable | None = None
    dropout_backward: Callable | None = None
    l2_penalty: Callable | None = None

    def __post_init__(self):
        for name, fn in self.named():
            if not callable(fn):
                raise TypeError(f"Functions' {name} must be a function (or None for the "
                                f"library's), got {type(fn).__name__} {fn!r}")

    def named(self) -> list:
        """[(name, function)] of the functions given (not None), in field order."""
        return [(name, getattr(self, name)) for name in self.__dataclass_fields__
                if getattr(self, name) is not None]


_LIBRARY = Functions()  # every step the library's


def _check_functions(functions, batch_norm: tuple, keep_prob: tuple):
    """Spec's functions, checked: a Functions (or None); a function it names must have a
    step to run in this spec. Returns None when it names none (the library's network)."""
    if functions is None:
        return None
    if not isinstance(functions, Functions):
        raise TypeError("functions must be None or cu.network.Functions(...), e.g. "
                        "Functions(dropout_forward=my_dropout_forward), got "
                        f"{type(functions).__name__}")
    for name, _ in functions.named():
        if name in BATCHNORM_FUNCTIONS and not any(batch_norm):
            raise ValueError(f"functions.{name} would never run: this spec has no batch norm "
                             "(pass batch_norm=True)")
        if name in DROPOUT_FUNCTIONS and all(k == 1.0 for k in keep_prob):
            raise ValueError(f"functions.{name} would never run: this spec has no dropout "
                             "(pass keep_prob < 1)")
    return None if functions == _LIBRARY else functions


@dataclass(frozen=True)
class Spec:
    """The architecture of a fully connected network.

    layer_sizes: (n_x, n_1, ..., n_L), e.g. (2, 10, 5, 1) for the seed's network.
    activation:  hidden activation(s): one name for all hidden layers or one per layer; a
                 registry name (course_utils.activations.NAMES) or "prelu" / "rrelu".
    output:      "sigmoid" (binary cross-entropy), "softmax" (K classes) or "linear" (MSE).
    batch_norm:  bool, or one per hidden layer: batch norm before the activation.
    keep_prob:   float in (0, 1], or one per hidden layer: inverted dropout after the
                 activation (1.0 = no dropout).
    prelu_shared: PReLU learns one slope per layer instead of one per unit.
    layer_norm:  bool, or one per hidden layer: layer norm (per example, over the units)
                 where batch norm would sit. A layer has at most one of the two norms.
    residual:    bool, or one per hidden layer: True adds the layer's input back,
                 A_l = A_{l-1} + branch_scale * branch (see the module docstring). A bool
                 makes every hidden layer from the second on residual; the first hidden
                 layer is always plain. A residual layer must have the width of the layer
                 below (layer_sizes[l] == layer_sizes[l - 1]).
    branch_scale: s > 0, the factor on every residual branch (1.0; e.g. 1/sqrt(depth) keeps
                 the variance of A_l from growing with depth).
    norm_position: "post" (the norm on Z_l, inside the branch, before the activation) or
                 "pre" (the norm on the residual layer's input: f(W norm(A_{l-1}) + b));
                 "pre" needs residual layers and applies to them, plain layers normalize Z.

    functions:   None (the library's) or Functions(...): your own implementation of batch
                 norm, dropout or the L2 penalty, run in place of the library's (see the
                 module docstring). Shown in the repr only when set.

    Spec((2, 32, 32, 32, 1), "relu", residual=True, layer_norm=True, norm_position="pre")
    is a pre-norm residual net: layer 1 plain (with layer norm on Z_1), layers 2 and 3
    residual blocks.
    """

    layer_sizes: tuple
    activation: tuple | str = "relu"
    output: str = "sigmoid"
    batch_norm: tuple | bool = False
    keep_prob: tuple | float = 1.0
    prelu_shared: bool = False
    layer_norm: tuple | bool = False
    residual: tuple | bool = False
    branch_scale: float = 1.0
    norm_position: str = "post"
    functions: Functions | None = None

    def __post_init__(self):
        sizes = self.layer_sizes
        if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
            sizes = sizes.tolist()  # numpy ints become Python ints
        if not isinstance(sizes, (list, tuple, range)):
            raise TypeError("layer_sizes must be a sequence of ints such as (2, 10, 5, 1), "
                            f"got {type(sizes).__name__}")
        if len(sizes) < 2:
            raise ValueError("layer_sizes must list at least the input and output sizes, "
                             f"e.g. (2, 10, 5, 1); got {tuple(sizes)!r}")
        sizes = tuple(positive_int(n, f"layer_sizes[{i}]") for i, n in enumerate(sizes))
        n_hidden = len(sizes) - 2
        acts = _per_hidden_layer(self.activation, n_hidden, "activation")
        known = _activations.NAMES + LAYER_ACTIVATIONS
        for a in acts:
            one_of(a, "activation", known)
        one_of(self.output, "output", tuple(OUTPUTS))
        bn = tuple(bool(b) for b in _per_hidden_layer(self.batch_norm, n_hidden, "batch_norm"))
        keep = tuple(fraction(k, "keep_prob", 0.0, 1.0)
                     for k in _per_hidden_layer(self.keep_prob, n_hidden, "keep_prob"))
        ln = tuple(bool(b) for b in _per_hidden_layer(self.layer_norm, n_hidden, "layer_norm"))
        for l, (has_bn, has_ln) in enumerate(zip(bn, ln), start=1):
            if has_bn and has_ln:
                raise ValueError(f"hidden layer {l} has both batch_norm and layer_norm: "
                                 "a layer takes at most one of them")
        residual = _residual_layers(self.residual, sizes)
        positive_number(self.branch_scale, "branch_scale")
        one_of(self.norm_position, "norm_position", NORM_POSITIONS)
        if self.norm_position == "pre" and not any(residual):
            raise ValueError("norm_position='pre' normalizes the input of a residual branch, "
                             "but this spec has no residual layers (pass residual=True)")
        # A frozen dataclass sets its normalized fields through object.__setattr__.
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "activation", acts)
        object.__setattr__(self, "batch_norm", bn)
        object.__setattr__(self, "keep_prob", keep)
        object.__setattr__(self, "layer_norm", ln)
        object.__setattr__(self, "residual", residual)
        object.__setattr__(self, "branch_scale", float(self.branch_scale))
        object.__setattr__(self, "functions", _check_functions(self.functions, bn, keep))

    def __repr__(self) -> str:
        shown = [f"{name}={getattr(self, name)!r}" for name in self.__dataclass_fields__
                 if name != "functions" or self.functions is not None]
        return f"Spec({', '.join(shown)})"

    def function(self, name: str) -> Callable:
        """The function this network runs for step `name` ("dropout_forward", ...): the one
        given in `functions`, or the library's (looked up when called)."""
        mine = None if self.functions is None else getattr(self.functions, name)
        if mine is not None:
            return mine
        return getattr(losses if name == "l2_penalty" else layers, name)

    @property
    def n_layers(self) -> int:
        """L, the number of layers with weights (the seed's network has L = 3)."""
        return len(self.layer_sizes) - 1

    @cached_property
    def activation_fns(self) -> tuple:
        """The registry Activation of each hidden layer (None for the PReLU/RReLU layers),
        looked up once rather than at every step."""
        return tuple(None if a in LAYER_ACTIVATIONS else _activations.get(a)
                     for a in self.activation)

    @cached_property
    def activation_layers(self) -> tuple:
        """The layers.ActivationLayer of each hidden layer: how it runs forward and backward,
        which parameter it learns (PReLU's alpha) and whether it draws random numbers."""
        return tuple(layers.activation_layer(name if fn is None else fn)
                     for name, fn in zip(self.activation, self.activation_fns))

    @cached_property
    def pre_norm(self) -> tuple:
        """Per hidden layer: True where the norm acts on the layer's input A_{l-1} (a
        residual layer with norm_position "pre" and a norm), False where it acts on Z_l."""
        return tuple(res and self.norm_position == "pre" and (bn or ln) for res, bn, ln
                     in zip(self.residual, self.batch_norm, self.layer_norm))

    @cached_property
    def has_bias(self) -> tuple:
        """Per hidden layer: True where the layer has a bias b{l}, False where batch norm
        follows its affine step directly (beta{l} then takes the bias's place)."""
        return tuple(not (bn and not pre) for bn, pre in zip(self.batch_norm, self.pre_norm))

    @cached_property
    def needs_rng(self) -> bool:
        """True when training draws random numbers (dropout masks, RReLU slopes)."""
        return (any(k < 1 for k in self.keep_prob)
                or any(layer.draws_random for layer in self.activation_layers))


# ---------------------------------------------------------------- parameters and state


def init_params(spec: Spec, init="he_normal", rng=None, gain: float = 1.0) -> dict:
    """Fresh parameters for `spec`.

    init: an initializer name or Initializer (course_utils.initializers), a plain function
          draw(fan_in, fan_out, rng) -> W of shape (fan_out, fan_in), or one per layer.
    gain multiplies the initializer's standard deviation. Biases and norm shifts (beta)
    start at 0, norm scales (gamma) at 1, PReLU slopes at 0.25.
    rng (an int seed or a numpy Generator) is required unless every initializer is a
    constant one ("zeros", "constant"), which draws nothing.
    """
    rng = as_rng(rng) if rng is not None else None  # one Generator shared by every layer
    L = spec.n_layers
    inits = init if isinstance(init, (list, tuple)) else [init] * L
    if len(inits) != L:
        raise ValueError(f"init must be one initializer or one per layer ({L}), got {len(inits)}")
    params = {}
    for l in range(1, L + 1):
        n, n_prev = spec.layer_sizes[l], spec.layer_sizes[l - 1]
        params[f"W{l}"] = _initializers.get(inits[l - 1])(n_prev, n, rng, gain)
        hidden = l < L
        if hidden and (spec.batch_norm[l - 1] or spec.layer_norm[l - 1]):
            n_norm = n_prev if spec.pre_norm[l - 1] else n  # the units the norm acts on
            params[f"gamma{l}"] = np.ones((n_norm, 1))
            params[f"beta{l}"] = np.zeros((n_norm, 1))
        if not hidden or spec.has_bias[l - 1]:
            params[f"b{l}"] = np.zeros((n, 1))
        act_layer = spec.activation_layers[l - 1] if hidden else None
        if act_layer is not None and act_layer.param is not None:
            n_values = 1 if spec.prelu_shared else n  # one shared slope, or one per unit
            params[act_layer.param_key(l)] = np.full((n_values, 1), act_layer.param_init)
    return params


def init_state(spec: Spec) -> dict:
    """Batch norm's running statistics, mean 0 and variance 1 (PyTorch's start); {} without BN."""
    state = {}
    for l in range(1, spec.n_layers):
        if spec.batch_norm[l - 1]:
            n = spec.layer_sizes[l - 1 if spec.pre_norm[l - 1] else l]
            state[f"running_mean{l}"] = np.zeros((n, 1))
            state[f"running_var{l}"] = np.ones((n, 1))
    return state


@lru_cache(maxsize=64)
def expected_shapes(spec: Spec) -> dict:
    """The shape of every parameter of `spec`, by key."""
    return {k: v.shape for k, v in init_params(spec, "zeros", rng=0).items()}


def check_params(spec: Spec, params: dict) -> None:
    """Raise a ValueError naming the first parameter that is missing or has the wrong shape."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    for key, shape in expected_shapes(spec).items():
        if key not in params:
            raise ValueError(f"params is missing {key!r} (expected shape {shape})")
        if np.shape(params[key]) != shape:
            raise ValueError(f"params[{key!r}] must have shape {shape}, got {np.shape(params[key])}")


def check_data(spec: Spec, X, Y=None, name_X: str = "X", name_Y: str = "Y") -> None:
    """Raise a clear error if X (n_x, m) or Y (n_L, m) do not fit `spec` or are not finite,
    or if Y of a sigmoid output holds anything but the labels 0 and 1."""
    from ._validate import finite_array

    finite_array(X, name_X)
    n_x = spec.layer_sizes[0]
    if X.shape[0] != n_x:
        raise ValueError(f"{name_X} must have shape ({n_x}, m) (features x examples) for "
                         f"layer_sizes {spec.layer_sizes}, got {X.shape}")
    if Y is None:
        return
    finite_array(Y, name_Y)
    n_out = spec.layer_sizes[-1]
    if Y.shape != (n_out, X.shape[1]):
        raise ValueError(f"{name_Y} must have shape ({n_out}, {X.shape[1]}) to match {name_X} "
                         f"{X.shape}, got {Y.shape}")
    if spec.output == "sigmoid":
        losses.check_binary_labels(Y, name_Y)


# ---------------------------------------------------------------- forward and backward


class LayerCache(NamedTuple):
    """The caches of one layer's steps (layers.DenseCache, BatchNormCache, ...), by step.
    A step the layer does not take has None: the output layer has only `dense`.
    (Whether a norm acted on Z or, pre-norm, on the input, and whether the layer is
    residual, the Spec says: spec.pre_norm, spec.residual.)"""

    dense: layers.DenseCache
    batchnorm: layers.BatchNormCache | None = None
    activation: tuple | None = None
    dropout: layers.DropoutCache | None = None
    layernorm: layers.LayerNormCache | None = None


@dataclass
class ForwardCache:
    """What backward needs, plus what a notebook may want to look at.

    layers: per layer, a LayerCache of its steps (cache.layers[l - 1].dense.W of layer l);
    hidden: the hidden activations A_1..A_{L-1} (after dropout, and after the addition in a
    residual layer); pre: the pre-activations Z_1..Z_{L-1} (after the norm, when it acts on Z);
    state: the state after this pass (running statistics updated in training mode with batch
    norm, otherwise unchanged); logits: Z_L.
    """

    layers: list
    hidden: list
    pre: list
    state: dict
    train: bool = False
    logits: np.ndarray | None = None


def _normalize(spec, params, l, X, state, new_state, train):
    """Layer l's norm of X (n, m): batch norm (updating the running statistics in training
    mode) or layer norm. Returns the output and the two caches (the unused one None)."""
    gamma, beta = params[f"gamma{l}"], params[f"beta{l}"]
    if spec.layer_norm[l - 1]:
        out, ln_cache = layers.layernorm_forward(X, gamma, beta)
        return out, None, ln_cache
    out, bn_cache = spec.function("batchnorm_forward")(
        X, gamma, beta, train, state.get(f"running_mean{l}"), state.get(f"running_var{l}"))
    if train:
        batch_mean, batch_var = _batch_statistics(bn_cache)
        new_state[f"running_mean{l}"], new_state[f"running_var{l}"] = spec.function(
            "update_running_stats")(state[f"running_mean{l}"], state[f"running_var{l}"],
                                    batch_mean, batch_var, X.shape[1])
    return out, bn_cache, None


def _batch_statistics(bn_cache):
    """The batch's mean and variance from a batch-norm cache, or a TypeError saying what a
    batchnorm_forward of your own must return for the running averages."""
    try:
        return bn_cache.mean, bn_cache.var
    except AttributeError:
        raise TypeError("batchnorm_forward's cache must carry the batch's mean and variance as "
                        "cache.mean and cache.var (the running averages read them), e.g. "
                        "cu.layers.BatchNormCache(Z_hat, gamma, inv_std, mean, var, train); got "
                        f"{type(bn_cache).__name__}") from None


def _normalize_backward(spec, dout, layer_cache, grads, l):
    """Backward of layer l's norm (whichever of the two caches is set); records dgamma{l}
    and dbeta{l} in grads (when grads is not None). Returns the gradient of its input."""
    if layer_cache.layernorm is not None:
        dX, dgamma, dbeta = layers.layernorm_backward(dout, layer_cache.layernorm)
    else:
        dX, dgamma, dbeta = spec.function("batchnorm_backward")(dout, layer_cache.batchnorm)
    if grads is not None:
        grads[f"dgamma{l}"], grads[f"dbeta{l}"] = dgamma, dbeta
    return dX


def _hidden_layer_forward(spec, params, l, A_prev, state, new_state, train, rng, masks):
    """One hidden layer: dense -> [norm] -> activation -> [dropout], and in a residual layer
    A = A_prev + branch_scale * (that branch), the norm acting on A_prev when pre-norm."""
    has_norm = spec.batch_norm[l - 1] or spec.layer_norm[l - 1]
    pre = spec.pre_norm[l - 1]
    bn_cache = ln_cache = None
    branch_in = A_prev
    if pre:
        branch_in, bn_cache, ln_cache = _normalize(spec, params, l, A_prev, state, new_state, train)
    b = params[f"b{l}"] if spec.has_bias[l - 1] else None
    Z, dense_cache = layers.dense_forward(branch_in, params[f"W{l}"], b)
    if has_norm and not pre:
        Z, bn_cache, ln_cache = _normalize(spec, params, l, Z, state, new_state, train)
    act_layer = spec.activation_layers[l - 1]
    A, act_cache = act_layer.forward(Z, act_layer.param_in(params, l), train, rng)
    drop_cache = None
    keep_prob = spec.keep_prob[l - 1]
    if keep_prob < 1:  # called in both modes: the layer knows what evaluation means
        mask = None if masks is None else masks.get(l)
        A, drop_cache = spec.function("dropout_forward")(A, keep_prob, train, rng, mask)
    if spec.residual[l - 1]:
        A = A_prev + spec.branch_scale * A
    return Z, A, LayerCache(dense_cache, bn_cache, act_cache, drop_cache, ln_cache)


def forward(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None,
            train: bool = False, rng=None, masks: dict | None = None):
    """Forward pass. X (n_x, m) -> logits Z_L (n_L, m) and a ForwardCache.

    train: training mode (batch statistics, dropout, random RReLU slopes) or evaluation mode
    (running statistics, no dropout, mean RReLU slope). state: batch norm's running
    statistics (cu.init_state(spec) or History.state); required in evaluation mode when the
    network has batch norm. rng is needed only in training mode with dropout or RReLU;
    masks {l: bool array} fixes dropout masks (for gradient checking).
    """
    check_params(spec, params)
    check_data(spec, X)
    return forward_unchecked(spec, params, X, state, train, rng, masks)


def forward_unchecked(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None,
                      train: bool = False, rng=None, masks: dict | None = None):
    """`forward` without the argument checks: the training loop checks once, then calls this
    at every step."""
    if state is None:
        if not train and any(spec.batch_norm):
            # Evaluation mode normalizes with the running statistics: silently using the
            # initial ones (mean 0, variance 1) would give wrong outputs with no warning.
            raise ValueError("this network has batch norm: in evaluation mode pass the state "
                             "returned by cu.train (History.state), or cu.init_state(spec) to "
                             "use the initial running statistics (mean 0, variance 1) on purpose")
        state = init_state(spec)  # batch norm starts from mean 0, variance 1, as in PyTorch
    if train and spec.needs_rng and rng is None and masks is None:
        raise ValueError("forward in training mode with dropout or RReLU needs rng "
                         "(a numpy Generator or an int seed)")
    rng = as_rng(rng) if rng is not None else None
    new_state = dict(state)
    cache = ForwardCache([], [], [], new_state, train)
    A = X
    for l in range(1, spec.n_layers):
        Z, A, layer_cache = _hidden_layer_forward(spec, params, l, A, state, new_state,
                                                  train, rng, masks)
        cache.layers.append(layer_cache)
        cache.pre.append(Z)
        cache.hidden.append(A)
    L = spec.n_layers
    Z_L, dense_cache = layers.dense_forward(A, params[f"W{L}"], params[f"b{L}"])
    cache.layers.append(LayerCache(dense_cache))
    cache.logits = Z_L
    return Z_L, cache


def backward_from_logits(spec: Spec, params: dict, cache: ForwardCache, dZ_L: np.ndarray) -> dict:
    """Backward pass from the gradient of the cost with respect to the logits.
    Returns grads keyed "dW1", "db1", ..., "dgamma{l}", "dbeta{l}", "dalpha{l}"."""
    grads, _ = _backward(spec, cache, dZ_L)
    return grads


def _dense_backward(dZ, dense_cache, grads, l, need_dA_prev):
    """dense_backward of layer l, recording dW{l} in grads; with grads None only the input's
    gradient W^T dZ is computed. Returns (dA_prev, db)."""
    if grads is None:
        return dense_cache.W.T @ dZ, None
    dA_prev, grads[f"dW{l}"], db = layers.dense_backward(dZ, dense_cache, need_dA_prev)
    return dA_prev, db


def _backward(spec: Spec, cache: ForwardCache, dZ_L: np.ndarray, param_grads: bool = True,
              to_input: bool = False):
    """The backward pass, layer by layer from the top. Returns (grads, dX): grads of every
    parameter ({} when param_grads is False) and, when to_input, the gradient with respect
    to the input X (n_x, m) (otherwise None: training never needs it)."""
    grads = {} if param_grads else None
    L = spec.n_layers
    dA, db = _dense_backward(dZ_L, cache.layers[-1].dense, grads, L, L > 1 or to_input)
    if param_grads:
        grads[f"db{L}"] = db
    for l in range(L - 1, 0, -1):
        layer_cache = cache.layers[l - 1]
        dA_out = dA  # the gradient reaching A_l; the identity path carries it on unchanged
        if spec.residual[l - 1]:
            dA = spec.branch_scale * dA
        if cache.train and spec.keep_prob[l - 1] < 1:  # dropout's backward where it dropped
            dA = spec.function("dropout_backward")(dA, layer_cache.dropout)
        act_layer = spec.activation_layers[l - 1]
        dZ, dparam = act_layer.backward(dA, layer_cache.activation)
        if param_grads and act_layer.param is not None:
            grads["d" + act_layer.param_key(l)] = dparam
        pre = spec.pre_norm[l - 1]
        has_norm = layer_cache.batchnorm is not None or layer_cache.layernorm is not None
        if has_norm and not pre:
            dZ = _normalize_backward(spec, dZ, layer_cache, grads, l)
        dA, db = _dense_backward(dZ, layer_cache.dense, grads, l, l > 1 or to_input)
        if param_grads and spec.has_bias[l - 1]:
            grads[f"db{l}"] = db
        if pre:
            dA = _normalize_backward(spec, dA, layer_cache, grads, l)
        if spec.residual[l - 1]:
            dA = dA + dA_out
    return (grads if param_grads else {}), (dA if to_input else None)


def output_loss(spec: Spec):
    """The cost function of spec's output, called as loss(Z_L, Y) -> (cost, dZ_L)
    (loss(Z_L, Y, check=False) skips its checks of Y)."""
    return OUTPUTS[spec.output]


def backward(spec: Spec, params: dict, cache: ForwardCache, Y: np.ndarray) -> dict:
    """Gradients of the mean cost (no penalty) with respect to every parameter."""
    _, dZ_L = output_loss(spec)(cache.logits, Y)
    return backward_from_logits(spec, params, cache, dZ_L)


def loss_and_grads(spec: Spec, params: dict, X: np.ndarray, Y: np.ndarray,
                   state: dict | None = None, train: bool = True, rng=None,
                   l2: float = 0.0, l1: float = 0.0, masks: dict | None = None,
                   check: bool = True, n_examples: int | None = None):
    """Forward, cost and backward in one call.

    Returns (cost, grads, cache): the mean cost plus the L2 penalty l2/(2m) sum||W||^2 and
    the L1 penalty l1/m sum|W| (m = number of examples in X), its gradients, and the cache
    (cache.state is the state after the pass). check=False skips the argument checks (the
    training loop checks once, then calls this at every step). n_examples: the m of the
    penalties when X is a minibatch of a larger training set (default: X's own size).
    """
    run_forward = forward if check else forward_unchecked
    Z_L, cache = run_forward(spec, params, X, state, train, rng, masks)
    cost, dZ_L = output_loss(spec)(Z_L, Y, check=check)
    grads = backward_from_logits(spec, params, cache, dZ_L)
    m = X.shape[1] if n_examples is None else n_examples
    for lambd, penalty in ((l2, spec.function("l2_penalty")), (l1, losses.l1_penalty)):
        if lambd:
            value, penalty_grads = penalty(params, lambd, m)
            cost += value
            for k, g in penalty_grads.items():
                grads[k] = grads[k] + g
    return cost, grads, cache


# ---------------------------------------------------------------- the gradient with respect to the input

STATISTICS = ("running", "batch", "batch_constant")  # how input_gradient treats batch norm


def input_gradient(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None,
                   statistics: str = "running") -> np.ndarray:
    """dy/dX of a network with one output, by backpropagation down to the input (the first
    dense layer's dA_prev = W_1^T dZ_1). X (n_x, m) -> (n_x, m).

    y is the output's logit z_L (a sigmoid output: the log-odds, before the sigmoid) or the
    value itself (a linear output). The result is the gradient of sum_j y_j with respect to
    X. When the examples do not interact (evaluation mode, or no batch norm) column j is
    exactly dy_j / dx_j, the slope of the network at x_j.

    statistics, how batch norm is treated (it does not matter without batch norm):
      "running"        evaluation mode: the running statistics in `state` (required, as in
                       `forward`); the examples are independent.
      "batch"          training-mode normalization by the mean and variance of X's m
                       columns, differentiated through: the true derivative of the training-
                       mode function, so column j also carries how x_j moves the batch's
                       statistics and through them every other y_k (what autograd gives).
      "batch_constant" the statistics of X's columns, treated as constants: column j is
                       dy_j / dx_j with the normalization frozen at X's statistics.
    Dropout and RReLU stay in evaluation mode: a spec with either allows only "running".
    state is not changed (the running statistics are not updated).
    """
    one_of(statistics, "statistics", STATISTICS)
    if spec.layer_sizes[-1] != 1 or spec.output == "softmax":
        raise ValueError("input_gradient needs a network with one output y (a sigmoid or linear "
                         f"output with layer_sizes[-1] = 1), got layer_sizes {spec.layer_sizes} "
                         f"and output {spec.output!r}")
    if statistics == "batch_constant" and spec.functions is not None and (
            spec.functions.batchnorm_forward is not None):
        raise ValueError("statistics='batch_constant' needs the library's batchnorm_forward "
                         "(it switches the cache to evaluation mode); this spec has its own")
    train = statistics != "running"
    if train and spec.needs_rng:
        raise ValueError(f"statistics={statistics!r} runs batch norm in training mode, which "
                         "would also switch on dropout or RReLU's random slopes; this spec has "
                         "one of them: use statistics='running'")
    Z_L, cache = forward(spec, params, X, state, train=train)
    if statistics == "batch_constant":
        cache.layers = [layer._replace(batchnorm=layer.batchnorm._replace(train=False))
                        if layer.batchnorm is not None else layer for layer in cache.layers]
    _, dX = _backward(spec, cache, np.ones_like(Z_L), param_grads=False, to_input=True)
    return dX


# ---------------------------------------------------------------- predictions


def predict_proba(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None) -> np.ndarray:
    """Evaluation-mode outputs: P(y=1) (1, m) for sigmoid, class probabilities (K, m) for
    softmax, the value for a linear output."""
    Z_L, _ = forward(spec, params, X, state, train=False)
    if spec.output == "sigmoid":
        return expit(Z_L)
    if spec.output == "softmax":
        return softmax(Z_L, axis=0)
    return Z_L


def predict(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None) -> np.ndarray:
    """Predicted labels (1, m): 0/1 for sigmoid (threshold 0.5), class index for softmax."""
    if spec.output == "linear":
        raise ValueError("predict gives class labels; a linear output has none (use predict_proba)")
    Z_L, _ = forward(spec, params, X, state, train=False)
    if spec.output == "sigmoid":
        return (Z_L > 0).astype(int)  # sigmoid(z) > 0.5 exactly when z > 0
    return Z_L.argmax(axis=0).reshape(1, -1)


def accuracy(spec: Spec, params: dict, X: np.ndarray, Y: np.ndarray, state: dict | None = None) -> float:
    """Fraction of examples classified correctly (Y as 0/1 (1, m) or one-hot (K, m))."""
    if spec.output == "linear":
        raise ValueError("accuracy needs class labels; a linear output has none")
    check_params(spec, params)
    check_data(spec, X, Y)
    Z_L, _ = forward_unchecked(spec, params, X, state, train=False)
    return accuracy_from_logits(spec, Z_L, Y)


def accuracy_from_logits(spec: Spec, Z_L: np.ndarray, Y: np.ndarray) -> float:
    """`accuracy` from evaluation-mode logits Z_L (n_L, m) already computed (no checks)."""
    if spec.output == "sigmoid":
        return float(np.mean((Z_L > 0).astype(int) == Y))
    return float(np.mean(Z_L.argmax(axis=0).reshape(1, -1) == Y.argmax(axis=0).reshape(1, -1)))


def hidden_activations(spec: Spec, params: dict, X: np.ndarray, state: dict | None = None):
    """Evaluation-mode pre-activations and activations of every hidden layer:
    two lists, Z_1..Z_{L-1} and A_1..A_{L-1}, each (n_l, m)."""
    _, cache = forward(spec, params, X, state, train=False)
    return cache.pre, cache.hidden
