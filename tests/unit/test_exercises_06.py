"""The capstone grader of 06 (cu.checks.batchnorm_in_network): the solutions notebook's code
passes, other correct forms pass, and each typical wrong answer gets its own message."""

import pathlib

import nbformat
import numpy as np
import pytest

import course_utils as cu
from course_utils import layers
from course_utils.checks import batchnorm as B

SOLUTIONS = pathlib.Path(__file__).parents[2] / "solutions" / "06_batch_normalization_solutions.ipynb"


@pytest.fixture(scope="module")
def solution():
    """The functions the solutions notebook defines (its code cells, run in order)."""
    namespace = {}
    for cell in nbformat.read(SOLUTIONS, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source.replace("cu.checks.plot_runs(", "(lambda *a, **k: None)("), namespace)
    return namespace


def text(feedback):
    return str(feedback)


def test_the_solutions_notebook_passes(solution):
    feedback = cu.checks.batchnorm_in_network(solution["batchnorm_forward"],
                                              solution["batchnorm_backward"],
                                              solution["update_running_stats"])
    assert feedback.passed, feedback
    assert set(feedback.traces) == {"yours", "library"}
    # the short exercises' graders pass the notebook's solutions too
    assert cu.checks.batchnorm_forward_train(solution["batchnorm_forward_train"]).passed
    assert cu.checks.running_stats_update(solution["update"]).passed


def _step_by_step_backward(dout, cache):
    """The node-by-node backward (section 8), from the library's cache."""
    Z_mu = cache.Z_hat / cache.inv_std
    nodes = {"Z_mu": Z_mu, "std": 1 / cache.inv_std, "inv_std": cache.inv_std,
             "Z_hat": cache.Z_hat, "gamma": cache.gamma, "m": dout.shape[1]}
    return layers.batchnorm_backward_steps(dout, nodes)


def _forward_own_cache(Z, gamma, beta, train, running_mean, running_var, eps=1e-5):
    """Another correct forward: the variance as mean of squares minus square of mean, and a
    cache of its own (a SimpleNamespace with .mean and .var)."""
    from types import SimpleNamespace
    if train:
        mean = np.mean(Z, axis=1, keepdims=True)
        var = np.mean((Z - mean) ** 2, axis=1, keepdims=True)
    else:
        mean, var = running_mean, running_var
    std = np.sqrt(var + eps)
    Z_hat = (Z - mean) / std
    return gamma * Z_hat + beta, SimpleNamespace(Z_hat=Z_hat, gamma=gamma, inv_std=1 / std,
                                                 mean=mean, var=var, train=train)


def test_other_correct_forms_pass(solution):
    feedback = cu.checks.batchnorm_in_network(_forward_own_cache, _step_by_step_backward,
                                              solution["update_running_stats"])
    assert feedback.passed, feedback


def test_keras_running_variance_passes_by_name(solution):
    feedback = cu.checks.batchnorm_in_network(solution["batchnorm_forward"],
                                              solution["batchnorm_backward"],
                                              B._running_biased)
    assert feedback.passed, feedback
    assert "Keras's convention" in text(feedback)


@pytest.mark.parametrize("which, wrong, words", [
    ("forward", B._forward_variant("eps outside"), ["step 0", "eps outside the square root", "sqrt(var + eps)"]),
    ("forward", B._forward_variant("unbiased"), ["unbiased variance (ddof=1)", "ddof=0"]),
    ("forward", B._forward_variant("batch statistics in evaluation"),
     ["evaluation mode", "test batch's own mean and variance", "running_mean"]),
    ("update", B._running_not_updated, ["running_mean1 differs most", "never updated"]),
    ("update", B._running_swapped, ["wrong way round", "(1 - momentum) * running"]),
    ("backward", B._backward_constant_statistics, ["differs most", "as constants", "mean_j(dout)"]),
    ("backward", B._backward_without_variance_path, ["path through the variance"]),
])
def test_typical_mistakes_get_their_message(solution, which, wrong, words):
    functions = [solution["batchnorm_forward"], solution["batchnorm_backward"],
                 solution["update_running_stats"]]
    functions[{"forward": 0, "backward": 1, "update": 2}[which]] = wrong
    feedback = cu.checks.batchnorm_in_network(*functions)
    assert not feedback.passed
    for word in words:
        assert word in text(feedback), text(feedback)


def test_dgamma_over_the_wrong_axis_is_named(solution):
    def backward(dout, cache):
        dZ, _, dbeta = solution["batchnorm_backward"](dout, cache)
        return dZ, (dout * cache.Z_hat).sum(axis=0, keepdims=True), dbeta
    feedback = cu.checks.batchnorm_in_network(solution["batchnorm_forward"], backward,
                                              solution["update_running_stats"])
    assert "dgamma has shape (1, 8)" in text(feedback) and "wrong axis" in text(feedback)
    assert ".sum(axis=1, keepdims=True)" in text(feedback)


def test_the_stub_and_bad_arguments_get_messages_not_tracebacks():
    def stub(*args, **kwargs):
        return None
    assert "returned NoneType, expected two values" in text(
        cu.checks.batchnorm_in_network(stub, stub, stub))
    assert "must be a function" in text(cu.checks.batchnorm_in_network(stub, 3, stub))


def test_an_update_that_returns_nothing_is_named(solution):
    def update(*args, **kwargs):
        return None
    feedback = cu.checks.batchnorm_in_network(solution["batchnorm_forward"],
                                              solution["batchnorm_backward"], update)
    assert "update_running_stats should return two arrays" in str(feedback)


# ---- more correct forms and typical mistakes found in review

def _forward_squares_own_tuple(Z, gamma, beta, train, running_mean=None, running_var=None,
                               eps=1e-5):
    """Correct: var as E[Z^2] - E[Z]^2 and an own NamedTuple cache that keeps Z itself."""
    from collections import namedtuple
    Cache = namedtuple("Cache", "Z mean var eps gamma train")
    if train:
        mean = np.mean(Z, 1, keepdims=True)
        var = np.mean(Z ** 2, 1, keepdims=True) - mean ** 2
    else:
        mean, var = running_mean, running_var
    return gamma * (Z - mean) / np.sqrt(var + eps) + beta, Cache(Z, mean, var, eps, gamma, train)


def _backward_from_Z(dout, c):
    """Correct: node by node through dvar and dmu, recomputed from the cached Z."""
    m = dout.shape[1]
    Z_mu, std = c.Z - c.mean, np.sqrt(c.var + c.eps)
    dZ_hat = dout * c.gamma
    dvar = np.sum(dZ_hat * Z_mu * -0.5 * (c.var + c.eps) ** -1.5, axis=1, keepdims=True)
    dmu = np.sum(-dZ_hat / std, axis=1, keepdims=True) + dvar * np.mean(-2 * Z_mu, 1, keepdims=True)
    return (dZ_hat / std + dvar * 2 * Z_mu / m + dmu / m,
            np.sum(dout * Z_mu / std, axis=1, keepdims=True), np.sum(dout, axis=1, keepdims=True))


def _forward_in_place(Z, gamma, beta, train, running_mean, running_var, eps=1e-5):
    """Correct: normalizes Z in place (the network does not reuse Z)."""
    mean, var = ((Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)) if train
                 else (running_mean, running_var))
    inv_std = 1 / np.sqrt(var + eps)
    Z -= mean
    Z *= inv_std
    return gamma * Z + beta, layers.BatchNormCache(Z, gamma, inv_std, mean, var, train)


def _backward_list(dout, cache):
    """Correct: the compact formula written with sums, returned as a list."""
    m = dout.shape[1]
    dbeta = np.sum(dout, axis=1)[:, None]
    dgamma = np.einsum("ij,ij->i", dout, cache.Z_hat).reshape(-1, 1)
    dZ = cache.gamma * cache.inv_std / m * (m * dout - dbeta - cache.Z_hat * dgamma)
    return [dZ, dgamma, dbeta]


def _update_in_place(rm, rv, bm, bv, m, momentum=0.1):
    rm *= 1 - momentum
    rm += momentum * bm
    rv *= 1 - momentum
    rv += momentum * bv * m / (m - 1)
    return rm, rv


def _update_keras_momentum(rm, rv, bm, bv, m, momentum=0.9):
    """Correct: Keras's momentum (0.9 = the weight of the old value), the same average."""
    return (momentum * rm + (1 - momentum) * bm,
            [momentum * rv + (1 - momentum) * bv / (1 - 1 / m)][0])


@pytest.mark.parametrize("forward, backward, update", [
    (_forward_squares_own_tuple, _backward_from_Z, "solution"),
    (_forward_in_place, _backward_list, _update_in_place),
    ("solution", "solution", _update_keras_momentum),
])
def test_more_correct_forms_pass(solution, forward, backward, update):
    names = ("batchnorm_forward", "batchnorm_backward", "update_running_stats")
    fs = [solution[n] if f == "solution" else f
          for n, f in zip(names, (forward, backward, update))]
    feedback = cu.checks.batchnorm_in_network(*fs)
    assert feedback.passed, feedback


def _forward_axis0(Z, gamma, beta, train, running_mean, running_var, eps=1e-5):
    mean, var = ((Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)) if train
                 else (running_mean, running_var))
    inv_std = 1 / np.sqrt(var + eps)
    Z_hat = (Z - mean) * inv_std
    return gamma * Z_hat + beta, layers.BatchNormCache(Z_hat, gamma, inv_std, mean, var, train)


def _forward_eps_1e8(Z, gamma, beta, train, running_mean, running_var, eps=1e-8):
    return layers.batchnorm_forward(Z, gamma, beta, train, running_mean, running_var, eps)


def _backward_without_inv_std(dout, cache):
    dZ, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    return dZ / cache.inv_std, dgamma, dbeta


def _update_m_minus_1_over_m(rm, rv, bm, bv, m, momentum=0.1):
    return 0.9 * rm + 0.1 * bm, 0.9 * rv + 0.1 * bv * (m - 1) / m


@pytest.mark.parametrize("which, wrong, words", [
    ("forward", _forward_axis0, ["cache.mean has shape (1, 8)", "axis=0", "axis=1, keepdims=True"]),
    ("forward", _forward_eps_1e8, ["step 0", "batchnorm_forward's out", "eps (1e-5"]),
    ("backward", B._backward_sums, ["sums where the formula has means", "dbeta / m"]),
    ("backward", B._backward_without_gamma, ["leaves gamma out", "dZ_hat = gamma * dout"]),
    ("backward", _backward_without_inv_std, ["forward's out is right", "batchnorm_backward's dZ"]),
    ("update", B._running_returned_swapped, ["new variance first", "return new_mean, new_var"]),
    ("update", _update_m_minus_1_over_m, ["new running variance differs", "m / (m - 1)"]),
])
def test_more_mistakes_get_their_message(solution, which, wrong, words):
    functions = [solution["batchnorm_forward"], solution["batchnorm_backward"],
                 solution["update_running_stats"]]
    functions[{"forward": 0, "backward": 1, "update": 2}[which]] = wrong
    feedback = cu.checks.batchnorm_in_network(*functions)
    assert not feedback.passed
    for word in words:
        assert word in text(feedback), text(feedback)


def test_a_dict_cache_is_named(solution):
    def forward(*args, **kwargs):
        out, cache = solution["batchnorm_forward"](*args, **kwargs)
        return out, cache._asdict()
    feedback = cu.checks.batchnorm_in_network(forward, solution["batchnorm_backward"],
                                              solution["update_running_stats"])
    assert "cache has no .mean and .var" in text(feedback)
