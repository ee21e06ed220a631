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


# ---------------------------------------------------------------- the map of what trains

# The map's fixed short run (09, section 1; scripts/sweep_deeper.py): digits,
# hidden layers of MAP_WIDTH units, softmax, minibatch SGD with batches of 64 for MAP_STEPS
# steps, weights W_l ~ N(0, sigma_w2 / n_{l-1}) and biases b_l ~ N(0, MAP_SIGMA_B2), the
# setting of Schoenholz et al. 2017's trainability maps (their sigma_b^2 = 0.05).
MAP_WIDTH, MAP_STEPS, MAP_BATCH, MAP_SIGMA_B2 = 32, 100, 64, 0.05


def init_mean_field(spec: net.Spec, sigma_w2: float, sigma_b2: float, rng) -> dict:
    """Parameters of `spec` drawn as mean-field theory assumes: every W_l (n_l, n_{l-1}) from
    N(0, sigma_w2 / n_{l-1}) and every bias b_l (n_l, 1) from N(0, sigma_b2); norm and PReLU
    parameters at their usual start (gamma 1, beta 0). sigma_w2 = 2 is He's scale, 1 LeCun's."""
    from .._validate import as_rng, positive_number

    positive_number(sigma_w2, "sigma_w2")
    positive_number(sigma_b2, "sigma_b2", allow_zero=True)
    rng = as_rng(rng)
    params = net.init_params(spec, "he_normal", rng)
    for l in range(1, spec.n_layers + 1):
        n_out, n_in = params[f"W{l}"].shape
        params[f"W{l}"] = rng.normal(0.0, np.sqrt(sigma_w2 / n_in), size=(n_out, n_in))
        if f"b{l}" in params:
            params[f"b{l}"] = rng.normal(0.0, np.sqrt(sigma_b2), size=(n_out, 1)) if sigma_b2 else np.zeros((n_out, 1))
    return params


def map_spec(activation: str, depth: int, residual: bool = False, width: int = MAP_WIDTH,
             n_x: int = 64, n_out: int = 10) -> net.Spec:
    """The map's network: `depth` hidden layers of `width` units and a softmax output; with
    residual=True every hidden layer from the second is a residual block with the branch
    scaled by 1 / sqrt(depth) (a plain ReLU block of branch scale 1 explodes, see 09)."""
    return net.Spec((n_x,) + (width,) * depth + (n_out,), activation, output="softmax",
                    residual=residual, branch_scale=1 / np.sqrt(depth) if residual else 1.0)


def map_run(activation: str, depth: int, sigma_w2: float, lr: float, seed: int,
            residual: bool = False, data=None, steps: int = MAP_STEPS) -> dict:
    """One cell of the map at one learning rate and seed: the fixed short run, then the
    training accuracy (evaluation mode) and History.verdict. data: (X, Y) (default digits'
    training set). The seed draws the weights and the batch order."""
    from .. import optimizers, training

    X, Y = data if data is not None else _digits_train()
    spec = map_spec(activation, depth, residual)
    params = init_mean_field(spec, sigma_w2, MAP_SIGMA_B2, np.random.default_rng(seed))
    hist = training.train(spec, params, X, Y, optimizers.sgd(lr), steps=steps,
                          batch_size=MAP_BATCH, rng=seed + 1000, progress=False)
    with np.errstate(over="ignore", invalid="ignore"):
        acc = net.accuracy(spec, hist.params, X, Y) if not hist.diverged else float("nan")
    return {"train_acc": acc, "verdict": hist.verdict, "final_cost": hist.judged_cost}


def _digits_train():
    from .. import datasets

    X, Y, _, _ = datasets.load_digits()
    return X, Y


# A cell of the map "trains" when its mean training accuracy over the seeds reaches TRAINED
# (chance is 0.1 on the ten digits); a diverged run counts as 0.
TRAINED = 0.5


def map_grid(sweep: dict, kind: str = "plain", activation: str = "relu"):
    """The stored map (data/deeper_map.json) of one network kind and activation as
    (sigma_w2 (S,), depths (D,), accuracy (D, S)): each cell's training accuracy at its best
    rate, averaged over the seeds, a diverged run (nan) counted as 0; nan where not stored."""
    sigmas, depths = sweep["settings"]["sigma_w2"], sweep["settings"]["depths"]
    acc = np.full((len(depths), len(sigmas)), np.nan)
    for cell in sweep["cells"]:
        if cell["kind"] == kind and cell["activation"] == activation:
            values = [0.0 if a is None or np.isnan(a) else a for a in cell["acc_seeds"]]
            acc[depths.index(cell["depth"]), sigmas.index(cell["sigma_w2"])] = np.mean(values)
    return np.array(sigmas, dtype=float), np.array(depths), acc


def deepest_trained(sweep: dict, kind: str, activation: str, sigma_w2: float) -> int:
    """The largest depth on the map whose cell at sigma_w2 trains (>= TRAINED) with every
    shallower cell at that sigma_w2 training too; 0 when even the shallowest fails."""
    sigmas, depths, acc = map_grid(sweep, kind, activation)
    column = acc[:, list(sigmas).index(sigma_w2)]
    deepest = 0
    for depth, value in zip(depths, column):
        if not value >= TRAINED:
            break
        deepest = int(depth)
    return deepest
