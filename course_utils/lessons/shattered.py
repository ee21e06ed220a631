"""Measures for 10_shattered_gradients (Balduzzi et al. 2017): the gradient dy/dx of a
one-input, one-output network along a grid of inputs, how it is initialized (the paper's
and the textbook's setups), noise references, and one small training run.

    x = grid()                                            # (1, 256), in [-2, 2]
    spec = net_spec(24, residual=False, batch_norm=True)  # 200 rectifiers per hidden layer
    params = init_net(spec, rng=0)                        # He init, biases 0
    g = gradient_along_grid(spec, params, x)              # dy/dx at each grid point, (256,)
    deeper.lag1_correlation(g)                            # ~1 brown noise, ~0 white noise

The autocorrelation itself lives in lessons.deeper (autocorrelation, lag1_correlation).
"""

from __future__ import annotations

import numpy as np

from .. import network as net
from .. import optimizers, training
from .._validate import as_rng, one_of, positive_int
from . import deeper

WIDTH = 200  # rectifiers per hidden layer, as reported for the paper's figure 1 (and in 11.1)
N_GRID = 256  # inputs on the grid, as reported for the paper's figure 1
WEIGHT_VARIANCES = ("he", "1/D")  # He: 2 / fan_in; the textbook notebook's 1 / D in every layer


def grid(n: int = N_GRID, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """n equally spaced scalar inputs in [low, high], as a (1, n) batch."""
    return np.linspace(low, high, positive_int(n, "n"))[None, :]


def net_spec(depth: int, residual: bool = False, batch_norm: bool = True,
             width: int = WIDTH) -> net.Spec:
    """A 1-input, 1-output rectifier net with `depth` hidden layers of `width` units.
    residual: every hidden layer from the second on adds its input back (so depth 50 is a
    plain first layer and 49 residual blocks); batch_norm: on Z, before the rectifier (our
    choice: the paper's exact placement could not be checked; in a residual block: inside
    the branch)."""
    depth = positive_int(depth, "depth")
    return net.Spec((1,) + (width,) * depth + (1,), "relu", output="linear",
                    batch_norm=batch_norm, residual=residual)


def init_net(spec: net.Spec, rng=None, weight_variance: str = "he", bias_variance: float = 0.0,
             gain: float = 1.0) -> dict:
    """Parameters for `spec` with weights N(0, gain^2 * v) and biases N(0, bias_variance).

    weight_variance "he": v = 2 / fan_in (our reading of the paper's setup); "1/D": v = 1 / D in every layer, D
    the hidden width, the first layer (fan_in 1) and the output included (the textbook
    notebook 11.1, which also draws its biases with variance 1 / D). Batch-norm layers have
    no bias (their beta starts at 0). rng: an int seed or a numpy Generator.
    """
    one_of(weight_variance, "weight_variance", WEIGHT_VARIANCES)
    if bias_variance < 0:
        raise ValueError(f"bias_variance must be >= 0, got {bias_variance}")
    rng = as_rng(rng)
    params = net.init_params(spec, "zeros", rng)
    width = max(spec.layer_sizes[1:-1], default=1)
    for l in range(1, spec.n_layers + 1):
        fan_in = spec.layer_sizes[l - 1]
        variance = 2.0 / fan_in if weight_variance == "he" else 1.0 / width
        W = params[f"W{l}"]
        params[f"W{l}"] = rng.normal(0.0, gain * np.sqrt(variance), W.shape)
        if f"b{l}" in params and bias_variance > 0:
            params[f"b{l}"] = rng.normal(0.0, np.sqrt(bias_variance), params[f"b{l}"].shape)
    return params


def gradient_along_grid(spec: net.Spec, params: dict, x: np.ndarray | None = None,
                        statistics: str = "batch") -> np.ndarray:
    """dy/dx at each input of x (1, n) (default grid()), as a 1-D array (n,).

    With batch norm, statistics "batch" normalizes by the grid's own mean and variance and
    differentiates through them (what autograd gives in training mode); "batch_constant"
    holds them constant (column j is then exactly dy_j/dx_j). See network.input_gradient.
    """
    x = grid() if x is None else x
    if not any(spec.batch_norm):
        statistics = "running"  # no statistics to choose: every example is independent
    return net.input_gradient(spec, params, x, statistics=statistics)[0]


def lag1_over_seeds(spec: net.Spec, seeds, statistics: str = "batch", **init) -> np.ndarray:
    """The lag-1 correlation of dy/dx along grid() for one network per seed: (len(seeds),).
    init: the keywords of init_net (weight_variance, bias_variance, gain)."""
    x = grid()
    return np.array([deeper.lag1_correlation(
        gradient_along_grid(spec, init_net(spec, seed, **init), x, statistics)) for seed in seeds])


def switching_fraction(spec: net.Spec, params: dict, x: np.ndarray | None = None) -> np.ndarray:
    """Per hidden layer, the fraction of its units whose pre-activation changes sign
    somewhere along x (1, n) (default grid()): the units that put a kink into y(x) inside
    the grid. Batch norm in training mode (the grid's statistics). Returns (depth,)."""
    x = grid() if x is None else x
    _, cache = net.forward(spec, params, x, train=True)
    return np.array([float(np.mean((Z > 0).any(axis=1) & (Z <= 0).any(axis=1)))
                     for Z in cache.pre])


def kinked_intervals(spec: net.Spec, params: dict, x: np.ndarray | None = None) -> float:
    """The fraction of the n - 1 intervals between neighbouring inputs of x (1, n) (default
    grid()) in which some hidden unit switches (its pre-activation changes sign): where
    y(x) has a kink, so dy/dx may jump. Batch norm in training mode (the grid's statistics)."""
    x = grid() if x is None else x
    _, cache = net.forward(spec, params, x, train=True)
    switches = np.zeros(x.shape[1] - 1, dtype=bool)
    for Z in cache.pre:
        switches |= np.any((Z[:, 1:] > 0) != (Z[:, :-1] > 0), axis=0)
    return float(np.mean(switches))


def brown_noise(n: int = N_GRID, rng=None) -> np.ndarray:
    """A random walk of n steps (the cumulative sum of white noise): (n,)."""
    return np.cumsum(white_noise(n, rng))


def white_noise(n: int = N_GRID, rng=None) -> np.ndarray:
    """n independent standard normal values: (n,)."""
    return as_rng(rng).normal(size=positive_int(n, "n"))


def paper_plain_rate(depth) -> np.ndarray:
    """The rate quoted from the paper's analysis for plain rectifier nets (by second-hand
    summaries; not checked against its text): gradient correlation 2^-L."""
    return 2.0 ** -np.asarray(depth, dtype=float)


def paper_resnet_rate(depth) -> np.ndarray:
    """The rate quoted from the paper's analysis for batch-normalized resnets (by second-hand
    summaries; not checked against its text): correlation decaying like 1/sqrt(L)."""
    return 1.0 / np.sqrt(np.asarray(depth, dtype=float))


# ---------------------------------------------------------------- what it means for training


def wiggly_target(x: np.ndarray) -> np.ndarray:
    """The regression target of the training experiment: sin(3x) + 0.5 sin(7x), (1, m)."""
    return np.sin(3 * x) + 0.5 * np.sin(7 * x)


def regression_run(depth: int, residual: bool, lr: float, seed: int, steps: int = 300,
                   width: int = 64, n_train: int = 64) -> dict:
    """Train a batch-normalized rectifier net (net_spec) with Adam, full batch, on n_train
    inputs drawn uniformly from [-2, 2] (seeded) with targets wiggly_target, and test it on
    grid(). Returns {"train": final training cost, "test": half the mean squared error on
    the grid in evaluation mode, "lag1": lag-1 correlation of dy/dx at initialization}."""
    rng = as_rng(seed)
    spec = net_spec(depth, residual=residual, batch_norm=True, width=width)
    X = rng.uniform(-2, 2, size=(1, n_train))
    params = init_net(spec, rng)
    lag1 = deeper.lag1_correlation(gradient_along_grid(spec, params))
    hist = training.train(spec, params, X, wiggly_target(X), optimizers.adam(lr), steps=steps,
                          progress=False)
    x = grid()
    with np.errstate(over="ignore", invalid="ignore"):
        pred = net.forward(spec, hist.params, x, hist.state)[0]
        test = float(np.mean((pred - wiggly_target(x)) ** 2) / 2)
    return {"train": float(hist.costs[-1]), "test": test, "lag1": lag1}
