"""A small network's backward pass, written out by hand, with six classic bugs to switch on.

The network has two hidden layers of the same width and a sigmoid output, in the course's
notation (column layout, X (n_x, m), Y (1, m)):

    Z1 = W1 X  + b1,   A1 = g(Z1)
    Z2 = W2 A1 + b2,   A2 = g(Z2)
    Z3 = W3 A2 + b3,   cost = mean binary cross-entropy of sigmoid(Z3)

`backward(params, cache, Y)` is the correct backward pass; `backward(..., bug=name)` plants
one of the bugs in BUGS (or HIDDEN_BUGS), each a single changed line marked "BUG" below.
Gradient checking (course_utils.gradcheck) passes the correct code and flags every bug,
and the blocks it flags say where the wrong line is: `check(params, X, Y, bug=name)`.

The two hidden layers have the same width, so W2 is square: a transposed W2 then has the
right shape and only the numbers are wrong. (With different widths numpy raises a shape
error, the easy case.) `spec()` is the same network in course_utils.network, used to train it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .. import activations, datasets
from .. import gradcheck as _gradcheck
from .. import losses, network, optimizers, training
from .._validate import one_of

LAYER_SIZES = (2, 6, 6, 1)  # n_x, n_1, n_2 = n_1 (W2 square), n_3

# name -> the planted line, in words. Each flags different blocks (see the notebook).
BUGS = {
    "missing 1/m": "dZ3 = A3 - Y: the 1/m of the mean cost is left out, so every gradient "
                   "is m times too large",
    "wrong transpose": "dA1 = W2 @ dZ2 instead of W2.T @ dZ2: the error flows back through "
                       "the wrong weights",
    "doubled gradient": "dW2 = 2 * dZ2 @ A1.T: twice the true gradient (the source course's "
                        "gradient-checking exercise plants this one)",
    "wrong sum axis": "db2 = np.sum(dZ2) without axis=1: sums over the units too, and numpy "
                      "broadcasts the single number to every bias",
    "forgotten activation derivative": "dZ2 = dA2, without the factor g'(Z2)",
    "wrong bias gradient": "db1 = np.mean(dZ1, axis=1): the 1/m is already in dZ1, so the "
                           "mean divides by m a second time",
}
# A bug that hides at initialization: with every bias 0 the wrong line computes the right
# numbers, and only training (which moves b1) reveals it.
HIDDEN_BUGS = {
    "Z1 recomputed without b1": "dZ1 = dA1 * g'(W1 @ X): the backward pass recomputes Z1 "
                                "and forgets b1, harmless while b1 = 0",
}
ALL_BUGS = {**BUGS, **HIDDEN_BUGS}
BLOCKS = ("W1", "b1", "W2", "b2", "W3", "b3")
HIDDEN_ACTIVATIONS = ("tanh", "relu")
_ACTIVATION = {name: activations.get(name) for name in HIDDEN_ACTIVATIONS}  # looked up once


def spec(activation: str = "tanh") -> network.Spec:
    """The same network in course_utils.network (for training it and for comparisons)."""
    return network.Spec(LAYER_SIZES, activation=activation, output="sigmoid")


def init_params(rng=0, init="xavier_normal", dtype=np.float64) -> dict:
    """Parameters W1 (6, 2), b1 (6, 1), W2 (6, 6), b2 (6, 1), W3 (1, 6), b3 (1, 1): weights
    from the initializer `init` (a name or Initializer), biases 0, as arrays of `dtype`."""
    params = network.init_params(spec(), init, rng)
    return {k: v.astype(dtype) for k, v in params.items()}


def load_data(m: int = 40, dtype=np.float64):
    """The first m points of the seed's circles: X (2, m), Y (1, m), as floats of `dtype`."""
    X, Y, _, _ = datasets.load_circles()
    return X[:, :m].astype(dtype), Y[:, :m].astype(dtype)


def forward(params: dict, X: np.ndarray, activation: str = "tanh"):
    """Z3 = the output logits (1, m) and a cache dict with X, Z1, A1, Z2, A2, Z3, A3."""
    one_of(activation, "activation", HIDDEN_ACTIVATIONS)
    g = _ACTIVATION[activation].forward
    Z1 = params["W1"] @ X + params["b1"]
    A1 = g(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = g(Z2)
    Z3 = params["W3"] @ A2 + params["b3"]
    A3 = expit(Z3)
    cache = {"X": X, "Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3, "A3": A3,
             "activation": activation}
    return Z3, cache


def cost(params: dict, X: np.ndarray, Y: np.ndarray, activation: str = "tanh") -> float:
    """Mean binary cross-entropy, computed stably from the logits: mean(log(1 + e^z) - y z),
    the value of course_utils.losses.binary_cross_entropy without its gradient. This is the
    function a gradient check evaluates twice per parameter, so it does only the forward
    pass's arithmetic."""
    one_of(activation, "activation", HIDDEN_ACTIVATIONS)
    g = _ACTIVATION[activation].forward
    A2 = g(params["W2"] @ g(params["W1"] @ X + params["b1"]) + params["b2"])
    Z3 = params["W3"] @ A2 + params["b3"]
    return (float(np.logaddexp(0, Z3).sum()) - float(np.vdot(Y, Z3))) / X.shape[1]


def backward(params: dict, cache: dict, Y: np.ndarray, bug: str | None = None) -> dict:
    """The gradients dW1 ... db3 of the mean cost; with `bug` (a key of BUGS), one line wrong.

    Read it beside the seed's backward_propagation: the same steps, output layer first.
    """
    if bug is not None:
        one_of(bug, "bug", tuple(ALL_BUGS))
    X, A1, A2, A3 = cache["X"], cache["A1"], cache["A2"], cache["A3"]
    g = _ACTIVATION[cache["activation"]]
    m = X.shape[1]

    # Output layer: sigmoid + cross-entropy, so dZ3 = (A3 - Y) / m.
    if bug == "missing 1/m":
        dZ3 = A3 - Y                                            # BUG: no 1/m
    else:
        dZ3 = (A3 - Y) / m
    dW3 = dZ3 @ A2.T
    db3 = np.sum(dZ3, axis=1, keepdims=True)

    # Hidden layer 2.
    dA2 = params["W3"].T @ dZ3
    if bug == "forgotten activation derivative":
        dZ2 = dA2                                               # BUG: no g'(Z2)
    else:
        dZ2 = dA2 * g.derivative(cache["Z2"])
    if bug == "doubled gradient":
        dW2 = 2 * dZ2 @ A1.T                                    # BUG: twice the gradient
    else:
        dW2 = dZ2 @ A1.T
    if bug == "wrong sum axis":
        db2 = np.sum(dZ2)                                       # BUG: sums over every axis
    else:
        db2 = np.sum(dZ2, axis=1, keepdims=True)

    # Hidden layer 1.
    if bug == "wrong transpose":
        dA1 = params["W2"] @ dZ2                                # BUG: W2, not W2.T
    else:
        dA1 = params["W2"].T @ dZ2
    if bug == "Z1 recomputed without b1":
        dZ1 = dA1 * g.derivative(params["W1"] @ X)              # BUG: Z1 without + b1
    else:
        dZ1 = dA1 * g.derivative(cache["Z1"])
    dW1 = dZ1 @ X.T
    if bug == "wrong bias gradient":
        db1 = np.mean(dZ1, axis=1, keepdims=True)               # BUG: divides by m again
    else:
        db1 = np.sum(dZ1, axis=1, keepdims=True)

    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}
    return as_the_update_sees_them(grads, params)


def mystery_backward(params: dict, cache: dict, Y: np.ndarray) -> dict:
    """A backward pass with one wrong line somewhere (08_gradient_checking, exercise 2):
    find the block with gradient checking, then find the line."""
    X, A1, A2, A3 = cache["X"], cache["A1"], cache["A2"], cache["A3"]
    g = _ACTIVATION[cache["activation"]]
    m = X.shape[1]
    dZ3 = (A3 - Y) / m
    dW3 = dZ3 @ A1.T
    db3 = np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = (params["W3"].T @ dZ3) * g.derivative(cache["Z2"])
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (params["W2"].T @ dZ2) * g.derivative(cache["Z1"])
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def as_the_update_sees_them(grads: dict, params: dict) -> dict:
    """Each gradient broadcast to its parameter's shape, as `param - lr * grad` would use it.

    A gradient of the wrong shape that numpy can broadcast (a single number for a column of
    biases) trains without an error; this is what the update, and so the check, sees. One
    that cannot be broadcast raises the same error the update would.
    """
    return {key: np.broadcast_to(g, params[key[1:]].shape).copy() for key, g in grads.items()}


def cost_and_grads(params: dict, X: np.ndarray, Y: np.ndarray, bug: str | None = None,
                   activation: str = "tanh", backward_fn=None):
    """(cost, grads): one forward pass and the backward pass (with `bug`, or backward_fn's)."""
    Z3, cache = forward(params, X, activation)
    value, _ = losses.binary_cross_entropy(Z3, Y)
    if backward_fn is not None:
        return value, backward_fn(params, cache, Y)
    return value, backward(params, cache, Y, bug)


def check(params: dict, X: np.ndarray, Y: np.ndarray, bug: str | None = None,
          eps: float = 1e-6, dtype=np.float64, activation: str = "tanh", backward_fn=None,
          method: str = "two-sided") -> _gradcheck.Report:
    """Gradient-check the backward pass (correct, with `bug`, or `backward_fn(params, cache,
    Y)`) at `params` on (X, Y), with every array cast to `dtype` first. Returns the Report."""
    params = {k: np.asarray(v).astype(dtype) for k, v in params.items()}
    X, Y = X.astype(dtype), Y.astype(dtype)
    _, grads = cost_and_grads(params, X, Y, bug, activation, backward_fn)
    grads_num = _gradcheck.finite_differences(lambda p: cost(p, X, Y, activation), params,
                                              eps, method)
    return _gradcheck.compare(grads, grads_num, eps)


def trained_params(params: dict, X: np.ndarray, Y: np.ndarray, steps: int = 300,
                   lr: float = 0.5, activation: str = "tanh") -> dict:
    """`params` after `steps` of gradient descent with the correct gradients (course_utils'
    training loop on spec()), as float64: a second point to check at.

    The default learning rate keeps the run stable: from the Xavier start, a nudge of 1e-9
    changes the result by about as much. (At lr 1 the run is chaotic: after ~150 steps the
    rounding of a different machine would lead somewhere else.)"""
    hist = training.train(spec(activation), {k: v.astype(np.float64) for k, v in params.items()},
                          X.astype(np.float64), Y.astype(np.float64), optimizers.sgd(lr),
                          steps=steps, progress=False)
    return hist.params


# ---------------------------------------------------------------- the thresholds, on many networks
# Correct backward passes (course_utils.network) of networks of several sizes, activations,
# with and without batch norm: what correct code scores, to ground the 1e-7 threshold on
# more than one network. scripts/sweep_gradcheck_networks.py stores the checks of every one
# (data/gradcheck_networks.json); tests/claims recomputes a sample.

THRESHOLD_NETWORKS = {
    # name: (layer sizes, hidden activation, batch norm, initializer, data)
    "2-6-6-1 tanh": ((2, 6, 6, 1), "tanh", False, "xavier_normal", "circles"),
    "2-6-6-1 ReLU": ((2, 6, 6, 1), "relu", False, "he_normal", "circles"),
    "2-6-6-1 sigmoid": ((2, 6, 6, 1), "sigmoid", False, "xavier_normal", "circles"),
    "2-6-6-1 tanh + BN": ((2, 6, 6, 1), "tanh", True, "xavier_normal", "circles"),
    "2-16-16-16-16-1 tanh": ((2, 16, 16, 16, 16, 1), "tanh", False, "xavier_normal", "circles"),
    "2-16-16-16-16-1 ReLU + BN": ((2, 16, 16, 16, 16, 1), "relu", True, "he_normal", "circles"),
    "64-16-10 tanh": ((64, 16, 10), "tanh", False, "xavier_normal", "digits"),
    "64-16-16-10 ELU": ((64, 16, 16, 10), "elu", False, "he_normal", "digits"),
    "64-16-16-10 ReLU + BN": ((64, 16, 16, 10), "relu", True, "he_normal", "digits"),
}


def threshold_problem(name: str, seed: int = 0):
    """(spec, params, X, Y) of THRESHOLD_NETWORKS[name] with weights drawn from rng `seed`:
    the circles' first 40 points (sigmoid output) or digits' first 50 images (softmax)."""
    one_of(name, "name", tuple(THRESHOLD_NETWORKS))
    sizes, activation, batch_norm, init, data = THRESHOLD_NETWORKS[name]
    if data == "circles":
        X, Y = load_data()
        output = "sigmoid"
    else:
        X, Y, _, _ = datasets.load_digits()
        X, Y = np.ascontiguousarray(X[:, :50]), Y[:, :50]
        output = "softmax"
    net_spec = network.Spec(sizes, activation=activation, output=output, batch_norm=batch_norm)
    return net_spec, network.init_params(net_spec, init, rng=seed), X, Y


def check_threshold_network(name: str, seed: int = 0, eps: float = 1e-6) -> _gradcheck.Report:
    """The gradient check (float64, two-sided) of the correct backward pass of
    THRESHOLD_NETWORKS[name] at its initialization with rng `seed`."""
    net_spec, params, X, Y = threshold_problem(name, seed)
    return _gradcheck.check_network(net_spec, params, X, Y, eps=eps)


# ---------------------------------------------------------------- printing rounding-level numbers
# A correct gradient check scores round-off: its digits depend on the order in which the CPU
# adds numbers up (SIMD width, BLAS kernel), and change from computer to computer by tens of
# percent. The notebook prints such numbers only as far as every computer agrees.


def power_of_ten(exponent: int) -> str:
    """'1e-8' for -8, '1' for 0, '10' for 1: a power of ten as the notebook writes it."""
    exponent = int(exponent)
    return {-1: "0.1", 0: "1", 1: "10"}.get(exponent, f"1e{exponent}")


def about(value: float) -> str:
    """'about 1e-10': the power of ten nearest to value (in log scale), for a number known
    only to its order of magnitude. The claims tests check that value sits well inside its
    decade, so that other computers print the same words."""
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        return f"{value:.0e}"
    return "about " + power_of_ten(int(np.round(np.log10(value))))


def below(value: float, bound: float) -> str:
    """'below 1e-8' when value < bound; otherwise the value itself, said plainly
    ('3e-08, not below 1e-8'), so that a claim that no longer holds shows in the output."""
    value, bound = float(value), float(bound)
    words = _bound_words(bound)
    return f"below {words}" if value < bound else f"{value:.0e}, not below {words}"


def above(value: float, bound: float) -> str:
    """'above 0.1' when value > bound; otherwise the value itself ('5e-02, not above 0.1')."""
    value, bound = float(value), float(bound)
    words = _bound_words(bound)
    return f"above {words}" if value > bound else f"{value:.0e}, not above {words}"


def _bound_words(bound: float) -> str:
    exponent = np.log10(bound) if bound > 0 else np.nan
    return power_of_ten(int(round(exponent))) if np.isfinite(exponent) and abs(
        exponent - round(exponent)) < 1e-9 else f"{bound:g}"


def summary(report: _gradcheck.Report, ok_below: float = 1e-8) -> str:
    """The Report's table with the rounding-level rows written as a bound.

    Blocks that pass show 'below 1e-8' (ok_below) instead of their digits and where their
    largest difference happens to be (both are round-off, different on another computer);
    blocks that do not pass show their numbers, which are the bug's and hold everywhere.
    """
    lines = [f"{'block':<8} {'rel. error':>12} {'max |diff|':>10}  {'worst at':<10} verdict"]
    for b in report.blocks:
        if b.verdict == "ok" and b.relative_error < ok_below:
            lines.append(f"{b.key:<8} {below(b.relative_error, ok_below):>12} {'':>10}  "
                         f"{'':<10} {b.verdict}")
        else:
            lines.append(f"{b.key:<8} {b.relative_error:>12.1e} {b.max_abs_diff:>10.1e}  "
                         f"{str(b.worst_index):<10} {b.verdict}")
    lines.append(f"overall: {report.verdict} (largest relative error "
                 + (below(report.max_error, ok_below) if report.passed else f"{report.max_error:.1e}")
                 + f", eps {report.eps:g})")
    return "\n".join(lines)
