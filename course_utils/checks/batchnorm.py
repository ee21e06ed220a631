"""Graders for the exercises of 06_batch_normalization: the forward pass in training mode,
the compact backward pass, the running averages used in evaluation, and the capstone:
your batch norm (forward in both modes, backward, running averages) in a training run."""

from __future__ import annotations

import functools

import numpy as np

from .. import datasets, layers, network, training
from .. import optimizers as course_optimizers
from ._core import Mistake, array_case, grade, known_mistake, past
from ._runs import RunMistake, first_parting, grade_run, relative_difference, run_case, traced
from .gradcheck import describe_block_error, gradient_case

__all__ = ["batchnorm_forward_train", "batchnorm_backward", "running_stats_update",
           "batchnorm_in_network"]

EPS = 1e-5


def _case_data(seed: int = 0, n: int = 3, m: int = 6):
    """Z with rows on different scales and offsets (so the axis matters), gamma, beta."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, m)) * np.array([[0.5], [2.0], [8.0]])[:n] + np.array([[3.0], [-1.0], [0.0]])[:n]
    gamma = rng.normal(1.0, 0.3, size=(n, 1))
    beta = rng.normal(0.0, 0.5, size=(n, 1))
    return Z, gamma, beta


def _compare(name: str, got, expected, *, right: str, otherwise: str, mistakes=()):
    """(ok, message, hint) for an array answer (`array_case`): `right` when it equals
    `expected`; else the first of `mistakes` it matches, said as its `what`; else where it
    differs most, with the hint `otherwise`."""
    values = array_case(name, expected, right=right, otherwise=otherwise, mistakes=mistakes,
                        say_mistake="{what}")
    return values(lambda: got)


def _returns(result, n: int) -> bool:
    """True when the reader's function returned n values (a tuple or a list)."""
    return isinstance(result, (tuple, list)) and len(result) == n


# ---------------------------------------------------------------- forward in training mode


def _forward_reference(Z, gamma, beta, eps=EPS):
    return layers.batchnorm_forward(Z, gamma, beta, train=True, eps=eps)[0]


EPS_HINT = ("add eps inside the square root, sqrt(var + eps), so a unit without spread does "
            "not divide by zero")


def _forward_mistakes(Z, gamma, beta, eps=EPS) -> list[Mistake]:
    """What typical wrong answers compute, with the hint for each."""
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    mu0, var0 = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
    Z_hat = (Z - mu) / np.sqrt(var + eps)

    def mistake(what, wrong, hint):
        return Mistake(f"your output matches what you get if you {what}", wrong, hint)

    return [
        mistake("normalized each example (column) over the units instead of each unit over "
                "the batch", gamma * (Z - mu0) / np.sqrt(var0 + eps) + beta,
                "batch norm takes each unit's (row's) mean and variance over the examples of "
                "the batch: Z.mean(axis=1, keepdims=True)"),
        mistake("used the unbiased variance (divided by m - 1)",
                gamma * (Z - mu) / np.sqrt(Z.var(axis=1, ddof=1, keepdims=True) + eps) + beta,
                "in training, batch norm divides by the batch's own variance, the mean of the "
                "squared deviations (np.var's default, ddof=0); m / (m - 1) enters only the "
                "running average"),
        mistake("added eps outside the square root", gamma * (Z - mu) / (np.sqrt(var) + eps) + beta,
                "Z_hat = (Z - mu) / sqrt(var + eps): eps goes inside the square root"),
        mistake("left out eps", gamma * (Z - mu) / np.sqrt(var) + beta, EPS_HINT),
        mistake("left out gamma and beta", Z_hat, "finish with out = gamma * Z_hat + beta"),
        mistake("divided by the variance instead of the standard deviation",
                gamma * (Z - mu) / (var + eps) + beta,
                "divide by sqrt(var + eps), the standard deviation"),
        mistake("applied gamma and beta before normalizing",
                _scale_then_normalize(Z, gamma, beta, eps),
                "normalize first, then scale and shift: out = gamma * Z_hat + beta"),
    ]


def _scale_then_normalize(Z, gamma, beta, eps):
    Y = gamma * Z + beta
    return (Y - Y.mean(axis=1, keepdims=True)) / np.sqrt(Y.var(axis=1, keepdims=True) + eps)


def _forward_values(fn):
    Z, gamma, beta = _case_data(0)
    out = fn(Z.copy(), gamma.copy(), beta.copy(), EPS)
    if not isinstance(out, np.ndarray):
        return (False, f"your function returned {type(out).__name__}, expected a numpy array",
                "return the layer's output for the whole batch: an array shaped like Z")
    if out.shape != Z.shape:
        return (False, f"the output has shape {out.shape}, expected Z's shape {Z.shape}",
                "keep keepdims=True in mean and var so that (n, 1) statistics broadcast "
                "over the batch")
    return _compare("out", out, _forward_reference(Z, gamma, beta),
                    right="a batch of 6 examples, 3 units: right",
                    mistakes=_forward_mistakes(Z, gamma, beta),
                    otherwise="mu and var per row (axis=1), Z_hat = (Z - mu) / sqrt(var + eps), "
                              "then gamma * Z_hat + beta")


def _forward_constant_unit(fn):
    """A unit with the same value for every example: var = 0, and eps keeps it finite."""
    Z, gamma, beta = _case_data(1)
    Z[1] = 4.2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(fn(Z.copy(), gamma.copy(), beta.copy(), EPS), dtype=float)
    if not np.all(np.isfinite(out)):
        return (False, "a unit whose value is the same for every example gave NaN or inf",
                EPS_HINT)
    return _compare("out for a unit with no spread", out, _forward_reference(Z, gamma, beta),
                    right="a unit with no spread gives beta (eps avoids 0 / 0)",
                    otherwise="use the eps argument: sqrt(var + eps)")


def _forward_uses_eps(fn):
    Z, gamma, beta = _case_data(2)
    Z = Z * 1e-3  # variance about 1e-6 .. 6e-5, where eps = 0.01 matters a lot
    out = np.asarray(fn(Z.copy(), gamma.copy(), beta.copy(), 1e-2), dtype=float)
    return _compare("out with eps = 0.01", out, _forward_reference(Z, gamma, beta, eps=1e-2),
                    right="the eps you pass is used",
                    otherwise="use the eps argument rather than a fixed number")


def _forward_per_unit_gamma(fn):
    """The output's row means and spreads are beta and |gamma| (up to eps)."""
    Z, gamma, beta = _case_data(3, m=50)
    out = np.asarray(fn(Z.copy(), gamma.copy(), beta.copy(), EPS), dtype=float)
    means, stds = out.mean(axis=1, keepdims=True), out.std(axis=1, keepdims=True)
    if np.allclose(means, beta, atol=1e-8) and np.allclose(stds, np.abs(gamma), rtol=1e-4):
        return True, "each unit's output has mean beta and standard deviation |gamma|", None
    return (False, "each unit's output should have mean beta and standard deviation |gamma|",
            "normalize each row to mean 0 and variance 1, then scale by gamma and shift by beta")


def batchnorm_forward_train(fn):
    """Grade fn(Z, gamma, beta, eps) -> out: batch norm in training mode (batch statistics)."""
    return grade("Batch norm forward, training mode",
                 [_forward_values, _forward_constant_unit, _forward_uses_eps,
                  _forward_per_unit_gamma], fn)


# ---------------------------------------------------------------- compact backward


def _backward_inputs(seed: int, m: int = 8):
    Z, gamma, beta = _case_data(seed, m=m)
    _, cache = layers.batchnorm_forward(Z, gamma, beta, train=True)
    Z_hat, inv_std = cache.Z_hat, cache.inv_std
    dout = np.random.default_rng(seed + 10).normal(size=Z.shape)
    return Z, gamma, beta, dout, Z_hat, inv_std


def _backward_mistakes(dout, Z_hat, gamma, inv_std) -> list[Mistake]:
    """The dZ of typical wrong answers, with the hint for each."""
    m = dout.shape[1]
    mean_dout = dout.mean(axis=1, keepdims=True)
    mean_dout_zhat = (dout * Z_hat).mean(axis=1, keepdims=True)
    return [
        Mistake("treated the mean and variance as constants (the evaluation-mode gradient)",
                gamma * inv_std * dout,
                "in training the batch mean and variance are computed from Z, so Z reaches the "
                "output through them too: subtract mean(dout) and Z_hat * mean(dout * Z_hat)"),
        Mistake("left out the path through the variance",
                gamma * inv_std * (dout - mean_dout),
                "the variance depends on Z as well: subtract Z_hat * mean(dout * Z_hat) too"),
        Mistake("left out the path through the mean",
                gamma * inv_std * (dout - Z_hat * mean_dout_zhat),
                "the mean depends on every Z of the row: subtract mean(dout) too"),
        Mistake("used sums where the formula has means (a factor m too large)",
                gamma * inv_std * (dout - m * mean_dout - Z_hat * m * mean_dout_zhat),
                "dZ = gamma * inv_std * (dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat)): "
                "means over the batch, i.e. sums divided by m"),
        Mistake("forgot gamma", inv_std * (dout - mean_dout - Z_hat * mean_dout_zhat),
                "out = gamma * Z_hat + beta, so dZ_hat = gamma * dout"),
    ]


def _dZ_mistake(dZ, dout, Z_hat, gamma, inv_std) -> str | None:
    """The hint naming the typical mistake that gives this dZ, or None."""
    mistake = known_mistake(dZ, _backward_mistakes(dout, Z_hat, gamma, inv_std))
    return None if mistake is None else f"dZ is what you get if you {mistake.what}: {mistake.hint}"


BLOCK_HINTS = {"beta": "dbeta = sum_j dout (beta is added to every example of the batch)",
               "gamma": "dgamma = sum_j dout * Z_hat (gamma multiplies every Z_hat of the batch)"}
DZ_HINT = ("dZ = gamma * inv_std * (dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat)), "
           "means over the batch (axis=1)")
NOT_THREE_ARRAYS = (False, "your function should return three arrays: dZ, dgamma, dbeta",
                    "return dZ, dgamma, dbeta")


def _backward_case(seed: int, m: int):
    """Gradient-check the reader's dZ, dgamma, dbeta for J = sum(dout * batchnorm(Z)) at a
    batch of m (course_utils.gradcheck through checks.gradcheck.gradient_case: the message
    lists each block's relative error), then name the mistake when it is a typical one."""
    def case(fn):
        Z, gamma, beta, dout, Z_hat, inv_std = _backward_inputs(seed, m)
        result = fn(dout.copy(), Z_hat.copy(), gamma.copy(), inv_std.copy())
        if not _returns(result, 3):
            return NOT_THREE_ARRAYS
        got_dZ, got_dgamma, got_dbeta = result
        for name, got in (("dbeta", got_dbeta), ("dgamma", got_dgamma)):
            if isinstance(got, np.ndarray) and got.shape == dout.shape:
                return (False, f"{name} has shape {dout.shape}, one value per example",
                        f"gamma and beta are shared by every example of the batch: sum "
                        f"{name}'s contributions over the batch, .sum(axis=1, keepdims=True)")
        if not isinstance(got_dZ, np.ndarray) or got_dZ.shape != dout.shape:
            return (False, f"dZ should be an array of shape {dout.shape}",
                    "dZ has the shape of Z (and of dout)")

        def cost(p):
            out, _ = layers.batchnorm_forward(p["Z"], p["gamma"], p["beta"], train=True, eps=EPS)
            return float(np.sum(dout * out))

        def mistake(flagged, grads, grads_num):
            """The hint: which typical mistake the flagged blocks show."""
            for key in ("beta", "gamma"):  # dbeta and dgamma do not depend on dZ: first
                if key in flagged:
                    what = describe_block_error(key, grads["d" + key], grads_num["d" + key])
                    return f"{what}. {BLOCK_HINTS[key]}"
            return (_dZ_mistake(grads["dZ"], dout, Z_hat, gamma, inv_std)
                    or f"{describe_block_error('Z', grads['dZ'], grads_num['dZ'])}. {DZ_HINT}")

        grads = {"dZ": got_dZ, "dgamma": got_dgamma, "dbeta": got_dbeta}
        params = {"Z": Z, "gamma": gamma, "beta": beta}
        check = gradient_case(lambda answer: (cost, grads, params), f"on a batch of {m}",
                              hint=mistake)
        ok, message, hint = check(fn)
        if ok:
            return True, message + ": dZ, dgamma and dbeta are right", None
        return False, message, hint
    return case


def _backward_pair(fn):
    """A batch of 2, judged against the formula with a relative tolerance.

    With two examples each unit's Z_hat is -1 and +1 whatever Z is (up to eps), so the
    output hardly depends on Z: the true dZ is driven by eps alone (its norm here is about
    1e-3 of the batch-of-8 case's). A gradient check has nothing to measure at that size
    (a right answer scores near its 1e-7 line), so here each block is compared with the
    compact formula relative to the block's own size."""
    seed, m = 1, 2
    Z, gamma, beta, dout, Z_hat, inv_std = _backward_inputs(seed, m)
    result = fn(dout.copy(), Z_hat.copy(), gamma.copy(), inv_std.copy())
    if not _returns(result, 3):
        return NOT_THREE_ARRAYS
    _, cache = layers.batchnorm_forward(Z, gamma, beta, train=True, eps=EPS)
    expected = layers.batchnorm_backward(dout, cache)
    errors = {}
    for name, got, want in zip(("dZ", "dgamma", "dbeta"), result, expected):
        got = np.asarray(got, dtype=float)
        if got.shape != want.shape:
            return False, f"on a batch of 2, {name} has shape {got.shape}, expected {want.shape}", None
        errors[name] = float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))
    size = f"(the true dZ is tiny here, norm {np.linalg.norm(expected[0]):.0e}: eps alone drives it)"
    if all(e < 1e-6 for e in errors.values()):
        return (True, "a batch of 2, where Z_hat is ±1 whatever Z is: dZ matches the formula "
                f"to a relative error below 1e-6 {size}", None)
    worst = max(errors, key=errors.get)
    message = (f"on a batch of 2 your {worst} differs from the formula by a relative error "
               f"of {errors[worst]:.0e} {size}")
    if worst == "dZ":
        return False, message, _dZ_mistake(result[0], dout, Z_hat, gamma, inv_std) or DZ_HINT
    return False, message, BLOCK_HINTS[worst[1:]]


def batchnorm_backward(fn):
    """Grade fn(dout, Z_hat, gamma, inv_std) -> (dZ, dgamma, dbeta), the compact backward of
    batch norm in training mode: by gradient checking it (course_utils.gradcheck: two-sided
    differences of J = sum(dout * out), relative error < 1e-7 per block) on batches of 8, 5
    and 33, where dZ is of the size of dout; and on a batch of 2, where dZ is driven by eps
    alone, against the formula with a relative tolerance (_backward_pair)."""
    return grade("Batch norm backward (compact form)",
                 [_backward_case(0, 8), _backward_case(3, 5), _backward_case(2, 33),
                  _backward_pair], fn)


# ---------------------------------------------------------------- running statistics

KERAS_HINT = ("PyTorch's momentum is the weight of the new batch: running = (1 - momentum) * "
              "running + momentum * batch. Keras's momentum is the weight of the old value, "
              "1 minus PyTorch's: PyTorch's 0.1 is Keras's 0.9, and Keras's default 0.99 is "
              "PyTorch's 0.01")


def _running_case(fn):
    rng = np.random.default_rng(5)
    running_mean, running_var = rng.normal(size=(4, 1)), rng.random((4, 1)) + 0.5
    batch_mean, batch_var = rng.normal(2.0, 1.0, size=(4, 1)), rng.random((4, 1)) * 3 + 0.1
    m, momentum = 8, 0.1
    result = fn(running_mean.copy(), running_var.copy(), batch_mean.copy(), batch_var.copy(),
                m, momentum)
    if not _returns(result, 2):
        return (False, "your function should return two arrays: the new mean and variance",
                "return new_mean, new_var")
    new_mean, new_var = result
    exp_mean, exp_var = layers.update_running_stats(running_mean, running_var, batch_mean,
                                                    batch_var, m, momentum)
    keras = Mistake("your mean keeps 10% of the old running mean and takes 90% of the batch's",
                    momentum * running_mean + (1 - momentum) * batch_mean, KERAS_HINT)
    ok, message, hint = _compare(
        "the new running mean", new_mean, exp_mean, right="the new running mean is right",
        mistakes=[keras],
        otherwise="new_mean = (1 - momentum) * running_mean + momentum * batch_mean")
    if not ok:
        return False, message, hint
    biased = Mistake("the new running variance uses the biased batch variance",
                     (1 - momentum) * running_var + momentum * batch_var,
                     "the running variance averages the unbiased estimate: batch_var * m / (m - 1)")
    return _compare("the new running variance", new_var, exp_var, mistakes=[biased],
                    right="both running averages are right (PyTorch's convention, momentum 0.1)",
                    otherwise="new_var = (1 - momentum) * running_var + momentum * "
                              "batch_var * m / (m - 1)")


def _running_converges(fn):
    """Fed the same batch statistics 100 times, the averages reach them."""
    mean, var = np.zeros((2, 1)), np.ones((2, 1))
    batch_mean, batch_var, m = np.array([[3.0], [-2.0]]), np.array([[0.5], [4.0]]), 10
    for _ in range(100):
        mean, var = fn(mean, var, batch_mean, batch_var, m, 0.1)
    if not np.allclose(np.asarray(mean, dtype=float), batch_mean, rtol=1e-3):
        return (False, "after 100 identical batches the running mean is not the batch mean",
                "each step moves the average 10% of the way to the batch's value")
    return True, "after 100 identical batches the running mean is the batch mean", None


def running_stats_update(fn):
    """Grade fn(running_mean, running_var, batch_mean, batch_var, m, momentum) ->
    (new_mean, new_var), PyTorch's moving averages."""
    return grade("Running statistics", [_running_case, _running_converges], fn)


# ---------------------------------------------------------------- capstone: your batch norm in a network
#
# The reader's three functions, with the library's signatures, run inside cu.train through
# Spec(functions=cu.network.Functions(...)); the run is compared step by step with the
# library's. The running statistics are state, not parameters: the run's snapshots hold
# both (see _traced_run), so a run whose running averages part is caught where they part.

RUN_STEPS = 30
RUN_LR = 0.5
RUN_GAIN = 0.2  # small weights: the pre-activations' variance (about 0.02) is where eps shows
RUN_RTOL = 1e-6  # relative difference of every cost, parameter and running statistic allowed
EVAL_RTOL = 1e-6  # relative difference of the evaluation-mode logits allowed


@functools.lru_cache(maxsize=1)
def _run_setting():
    """(spec, start params, X, Y, X_test, Y_test): the circles and a (2, 16, 16, 1) ReLU net
    with batch norm in both hidden layers, He weights times RUN_GAIN."""
    X, Y, X_test, Y_test = datasets.load_circles()
    spec = network.Spec((2, 16, 16, 1), "relu", batch_norm=True)
    return spec, network.init_params(spec, "he_normal", rng=0, gain=RUN_GAIN), X, Y, X_test, Y_test


def _with_functions(functions):
    spec = _run_setting()[0]
    return network.Spec(spec.layer_sizes, spec.activation, batch_norm=True, functions=functions)


def _traced_run(functions, callback):
    """The graders' run: RUN_STEPS full-batch steps of gradient descent on the circles with
    `functions` plugged in. The callback sees the running statistics beside the parameters
    (one dict), so the trace compares them step by step too."""
    spec, start, X, Y, _, _ = _run_setting()
    params = {k: p.copy() for k, p in start.items()}

    def with_state(history, step, params, state):
        return callback(history, step, {**params, **state}, state)
    return training.train(_with_functions(functions), params, X, Y,
                          course_optimizers.sgd(RUN_LR), steps=RUN_STEPS, callback=with_state,
                          callback_every=1, progress=False)


def run_boundary():
    """(spec, X, Y) of the capstone's run, for cu.checks.plot_runs(feedback, boundary=...)."""
    spec, _, X, Y, _, _ = _run_setting()
    return spec, X, Y


# Known wrong pieces, written as the library's with one thing changed.

def _forward_variant(kind: str):
    def forward(Z, gamma, beta, train, running_mean=None, running_var=None, eps=EPS):
        if train or kind == "batch statistics in evaluation":
            mean = Z.mean(axis=1, keepdims=True)
            var = Z.var(axis=1, keepdims=True, ddof=1 if kind == "unbiased" else 0)
        else:
            mean, var = running_mean, running_var
        std = np.sqrt(var) + eps if kind == "eps outside" else np.sqrt(var + eps)
        Z_hat = (Z - mean) / std
        return gamma * Z_hat + beta, layers.BatchNormCache(Z_hat, gamma, 1 / std, mean, var, train)
    return forward


def _backward_constant_statistics(dout, cache):
    """The evaluation-mode backward used in training: mean and variance as constants."""
    dgamma = (dout * cache.Z_hat).sum(axis=1, keepdims=True)
    return cache.gamma * cache.inv_std * dout, dgamma, dout.sum(axis=1, keepdims=True)


def _backward_without_variance_path(dout, cache):
    dZ, dgamma, dbeta = _backward_constant_statistics(dout, cache)
    if cache.train:
        dZ = cache.gamma * cache.inv_std * (dout - dout.mean(axis=1, keepdims=True))
    return dZ, dgamma, dbeta


def _backward_sums(dout, cache):
    """The compact formula with sums where it has means (a factor m too large)."""
    dgamma = (dout * cache.Z_hat).sum(axis=1, keepdims=True)
    dbeta = dout.sum(axis=1, keepdims=True)
    return cache.gamma * cache.inv_std * (dout - dbeta - cache.Z_hat * dgamma), dgamma, dbeta


def _backward_without_gamma(dout, cache):
    dZ, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    return dZ / cache.gamma, dgamma, dbeta


def _running_returned_swapped(running_mean, running_var, batch_mean, batch_var, m,
                              momentum=0.1):
    new_mean, new_var = layers.update_running_stats(running_mean, running_var, batch_mean,
                                                    batch_var, m, momentum)
    return new_var, new_mean


def _running_not_updated(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    return running_mean, running_var


def _running_swapped(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    unbiased = batch_var * m / (m - 1)
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * unbiased)


def _running_biased(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    """Keras's convention: the running variance averages the biased batch variance."""
    return ((1 - momentum) * running_mean + momentum * batch_mean,
            (1 - momentum) * running_var + momentum * batch_var)


def _mine(**wrong):
    """The library's functions with the named ones replaced."""
    return network.Functions(**{"batchnorm_forward": layers.batchnorm_forward,
                                "batchnorm_backward": layers.batchnorm_backward,
                                "update_running_stats": layers.update_running_stats, **wrong})


MEAN_TERMS_HINT = ("in training mode the batch's mean and variance are computed from Z, so Z "
                   "reaches the output through them too: dZ = gamma * inv_std * (dout - "
                   "mean_j(dout) - Z_hat * mean_j(dout * Z_hat)), means over the batch (axis=1)")
MOMENTUM_HINT = ("running = (1 - momentum) * running + momentum * batch, with momentum = 0.1: "
                 "each step moves the average 10% of the way to the batch's value")
_RUN_MISTAKES = [
    RunMistake("the normalization adds eps outside the square root",
               _mine(batchnorm_forward=_forward_variant("eps outside")),
               "Z_hat = (Z - mean) / sqrt(var + eps): eps goes inside the square root"),
    RunMistake("training mode normalizes with the unbiased variance (ddof=1)",
               _mine(batchnorm_forward=_forward_variant("unbiased")),
               "in training, batch norm divides by the batch's own variance, the mean of the "
               "squared deviations: Z.var(axis=1, keepdims=True) (ddof=0); m / (m - 1) "
               "enters only the running average"),
    RunMistake("the running statistics are never updated",
               _mine(update_running_stats=_running_not_updated),
               f"return the new averages, not the old ones: {MOMENTUM_HINT}"),
    RunMistake("the running averages weight the old value by momentum and the batch by "
               "1 - momentum (the wrong way round)",
               _mine(update_running_stats=_running_swapped), MOMENTUM_HINT),
    RunMistake("update_running_stats returns the new variance first and the mean second",
               _mine(update_running_stats=_running_returned_swapped),
               "return new_mean, new_var, in that order (the network unpacks them so)"),
    RunMistake("the backward pass uses sums where the formula has means (dZ a factor m too "
               "large)", _mine(batchnorm_backward=_backward_sums),
               "dZ = gamma * inv_std * (dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat)): "
               "means over the batch, dbeta / m and dgamma / m"),
    RunMistake("the backward pass leaves gamma out of dZ",
               _mine(batchnorm_backward=_backward_without_gamma),
               "out = gamma * Z_hat + beta, so dZ_hat = gamma * dout: dZ = gamma * inv_std * "
               "(dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat))"),
    RunMistake("the backward pass treats the batch's mean and variance as constants",
               _mine(batchnorm_backward=_backward_constant_statistics), MEAN_TERMS_HINT),
    RunMistake("the backward pass leaves out the path through the variance",
               _mine(batchnorm_backward=_backward_without_variance_path), MEAN_TERMS_HINT),
]
_ACCEPTED = [("Keras's convention for the running variance (it averages the biased batch "
              "variance; the library follows PyTorch and averages var * m / (m - 1))",
              _mine(update_running_stats=_running_biased))]
OTHERWISE = ("run one training step of yours and of the library's on a small batch and "
             "compare out, then dZ, dgamma, dbeta, then the running averages")
_compare_runs = run_case(
    _traced_run, _mine(), mistakes=_RUN_MISTAKES, cost_rtol=RUN_RTOL, param_rtol=RUN_RTOL,
    right="your run matches the library's at every step ({steps} steps: costs, parameters "
          "and running statistics within a relative {rtol:g})",
    otherwise=OTHERWISE)


def _one_batch(functions):
    """Your forward (training mode) and backward on a batch of 8, 3 units: None when the
    results have the right form, else (message, hint)."""
    Z, gamma, beta = _case_data(0, m=8)
    result = functions.batchnorm_forward(Z.copy(), gamma.copy(), beta.copy(), True,
                                         np.zeros((3, 1)), np.ones((3, 1)))
    if not _returns(result, 2):
        return (f"your batchnorm_forward returned {type(result).__name__}, expected two "
                "values: out and the cache", "return out, cache")
    out, cache = result
    if not isinstance(out, np.ndarray) or out.shape != Z.shape:
        return (f"in training mode your batchnorm_forward returned out of shape "
                f"{np.shape(out)}, expected Z's {Z.shape}",
                "keep keepdims=True in mean and var so that (n, 1) statistics broadcast")
    if not (hasattr(cache, "mean") and hasattr(cache, "var")):
        return ("your batchnorm_forward's cache has no .mean and .var: the network's running "
                "averages read the batch's statistics there",
                "return cu.layers.BatchNormCache(Z_hat, gamma, inv_std, mean, var, train), or "
                "your own NamedTuple with fields mean and var")
    for name in ("mean", "var"):
        got = np.shape(getattr(cache, name))
        if got != (3, 1):
            across = (" (taken over the units of each example, axis=0, instead of over the "
                      "examples of the batch)" if got in ((1, Z.shape[1]), (Z.shape[1],)) else "")
            return (f"in training mode your cache.{name} has shape {got}, expected (3, 1): one "
                    f"per unit{across}",
                    f"batch norm takes each unit's (row's) statistics over the batch: "
                    f"Z.{name}(axis=1, keepdims=True)")
    result = functions.batchnorm_backward(np.ones_like(Z), cache)
    if not _returns(result, 3):
        return NOT_THREE_ARRAYS[1:]
    dZ, dgamma, dbeta = (np.asarray(g) for g in result)
    for name, got in (("dgamma", dgamma), ("dbeta", dbeta)):
        if got.shape != (3, 1):
            wrong_axis = got.size == Z.shape[1] or got.shape == (1, 1) or got.ndim == 0
            what = (" (summed over the wrong axis: over the units instead of the batch)"
                    if wrong_axis and got.size != 3 else "")
            return (f"{name} has shape {got.shape}, expected (3, 1), one per unit{what}",
                    f"gamma and beta are shared by the examples of the batch: sum over the "
                    f"examples, .sum(axis=1, keepdims=True)")
    if dZ.shape != Z.shape:
        return f"dZ has shape {dZ.shape}, expected Z's {Z.shape}", "dZ has the shape of Z"
    result = functions.update_running_stats(np.zeros((3, 1)), np.ones((3, 1)), cache.mean,
                                            cache.var, Z.shape[1])
    if not (_returns(result, 2) and all(np.shape(r) == (3, 1) for r in result)):
        return ("your update_running_stats should return two arrays of shape (3, 1), the new "
                "running mean and variance", "return new_mean, new_var")
    return None


def _training_case(answer):
    """The reader's functions on one batch, then their run against the library's, then the
    accepted other convention."""
    functions = answer()
    _training_case.traces = {}
    problem = _one_batch(functions)
    if problem is not None:
        return False, problem[0], problem[1]
    ok, message, hint = _compare_runs(answer)
    _training_case.traces = _compare_runs.traces
    if ok:
        return True, message, None
    yours = _compare_runs.traces["yours"]
    for words, piece in _ACCEPTED:
        if _runs_agree(yours, piece):
            return True, f"your run follows {words}: accepted", None
    if hint == OTHERWISE:
        try:
            hint = _which_function_differs(functions) or hint
        except Exception:  # the reader's code failed on the small batch: keep the general hint
            pass
    return False, message, hint


def _which_function_differs(functions) -> str | None:
    """Where an unnamed mistake lies: the reader's functions and the library's on one batch
    of 8 (3 units, variance about 0.01, where eps shows): the forward's out, then the
    backward's dZ, dgamma, dbeta (each through its own forward's cache), then the running
    averages. A sentence naming the first that differs, or None."""
    Z, gamma, beta = _case_data(4, m=8)
    Z = Z * 0.1 / Z.std(axis=1, keepdims=True)
    dout = np.random.default_rng(14).normal(size=Z.shape)
    start = (np.zeros((3, 1)), np.ones((3, 1)))
    yours = functions.batchnorm_forward(Z.copy(), gamma.copy(), beta.copy(), True, *start)
    theirs = layers.batchnorm_forward(Z, gamma, beta, True, *start)
    if relative_difference(yours[0], theirs[0]) > RUN_RTOL:
        return ("on one batch your batchnorm_forward's out (training mode) already differs "
                "from the library's: check eps (1e-5, inside the square root) and the "
                "statistics, each row's mean and variance over the batch (axis=1, ddof=0)")
    grads = functions.batchnorm_backward(dout.copy(), yours[1])
    expected = layers.batchnorm_backward(dout, theirs[1])
    for name, got, want in zip(("dZ", "dgamma", "dbeta"), grads, expected):
        if relative_difference(got, want) > RUN_RTOL:
            return (f"on one batch your forward's out is right but your batchnorm_backward's "
                    f"{name} differs from the library's: {DZ_HINT if name == 'dZ' else ''}"
                    f"{BLOCK_HINTS.get(name[1:], '')}")
    new = functions.update_running_stats(*start, theirs[1].mean, theirs[1].var, Z.shape[1])
    for name, got, want in zip(("mean", "variance"), new, layers.update_running_stats(
            *start, theirs[1].mean, theirs[1].var, Z.shape[1])):
        if relative_difference(got, want) > RUN_RTOL:
            return (f"on one batch your forward and backward are right but the new running "
                    f"{name} differs from the library's: {MOMENTUM_HINT}, and the variance "
                    f"averaged is the unbiased one, batch_var * m / (m - 1)")
    if relative_difference(yours[1].mean, theirs[1].mean) > RUN_RTOL or relative_difference(
            yours[1].var, theirs[1].var) > RUN_RTOL:
        return ("your forward's out is right but the cache's .mean and .var are not the "
                "batch's mean and (biased) variance, which the running averages read")
    return None


_training_case.traces = {}


def _runs_agree(yours, piece) -> bool:
    """True when the trace `yours` is the run of `piece` (costs, parameters, state)."""
    return first_parting(yours, traced(_traced_run, piece), RUN_RTOL, RUN_RTOL) is None


@functools.lru_cache(maxsize=1)
def _library_trained():
    """The parameters and running statistics after the library's run."""
    spec, start, X, Y, _, _ = _run_setting()
    history = training.train(spec, {k: p.copy() for k, p in start.items()}, X, Y,
                             course_optimizers.sgd(RUN_LR), steps=RUN_STEPS, progress=False)
    return history.params, history.state


def _evaluation_case(answer):
    """The library's trained network, its test points predicted in evaluation mode with your
    batchnorm_forward: the same logits as the library's (running statistics), within
    EVAL_RTOL; a forward that used the test batch's own statistics is named."""
    spec, _, _, _, X_test, Y_test = _run_setting()
    params, state = _library_trained()
    mine = _with_functions(network.Functions(batchnorm_forward=answer().batchnorm_forward,
                                             batchnorm_backward=layers.batchnorm_backward))
    yours, _ = network.forward(mine, params, X_test, state, train=False)
    expected, _ = network.forward(spec, params, X_test, state, train=False)
    accuracy = network.accuracy_from_logits(spec, expected, Y_test)
    difference = relative_difference(yours, expected)
    if difference < EVAL_RTOL:
        return (True, f"evaluation mode: your test logits match the library's (running "
                f"statistics; test accuracy {accuracy:.2f} after {RUN_STEPS} steps)", None)
    batch, _ = network.forward(spec, params, X_test, state, train=True)
    if relative_difference(yours, batch) < EVAL_RTOL:
        return (False, "in evaluation mode your batchnorm_forward normalizes with the test "
                "batch's own mean and variance",
                "with train=False use running_mean and running_var: a prediction must not "
                "depend on which other examples share the batch")
    return (False, f"in evaluation mode your test logits differ from the library's (relative "
            f"difference {past(difference, EVAL_RTOL)})",
            "with train=False: Z_hat = (Z - running_mean) / sqrt(running_var + eps), then "
            "gamma * Z_hat + beta")


def batchnorm_in_network(batchnorm_forward, batchnorm_backward, update_running_stats):
    """Grade your batch norm inside a training run (the capstone of 06).

    The three functions have the library's signatures (layers.batchnorm_forward(Z, gamma,
    beta, train, running_mean, running_var) -> (out, cache) with cache.mean and cache.var,
    layers.batchnorm_backward(dout, cache) -> (dZ, dgamma, dbeta),
    layers.update_running_stats(running_mean, running_var, batch_mean, batch_var, m) ->
    (new_mean, new_var)). They are plugged into a (2, 16, 16, 1) ReLU network with batch norm
    (Spec(functions=cu.network.Functions(...))) trained for RUN_STEPS full-batch steps on the
    circles, and the run is compared step by step with the library's: every cost, parameter
    and running statistic within a relative difference of RUN_RTOL. Both correct backward
    forms (node by node, or the compact formula) pass; so does Keras's biased running
    variance, by name. Then the library's trained network predicts the test points in
    evaluation mode with your forward: logits within EVAL_RTOL of the library's. The
    Feedback carries the runs for cu.checks.plot_runs(feedback, boundary=run_boundary())."""
    title = "Your batch norm in a training run"
    try:
        functions = network.Functions(batchnorm_forward=batchnorm_forward,
                                      batchnorm_backward=batchnorm_backward,
                                      update_running_stats=update_running_stats)
    except TypeError as error:  # not a function: a message, not a traceback
        return grade(title, [lambda answer: (False, str(error), "pass the three functions "
                                             "themselves, without calling them")], lambda: None)
    return grade_run(title, _training_case, functions,
                     _evaluation_case)
