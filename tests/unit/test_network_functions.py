"""Spec(functions=cu.network.Functions(...)): your own batch norm, dropout or L2 penalty run
in place of the library's, without touching module globals."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import layers, losses, network
from course_utils.gradcheck import check_network

Functions = network.Functions


def _data(m=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    return X, (X[0:1] * X[1:2] > 0).astype(float)


def test_a_spec_without_functions_is_unchanged():
    spec = cu.Spec((2, 4, 1), batch_norm=True)
    assert spec.functions is None
    assert spec == cu.Spec((2, 4, 1), batch_norm=True, functions=Functions())  # all library's
    assert "functions" not in repr(spec)
    assert spec.function("batchnorm_forward") is layers.batchnorm_forward
    assert spec.function("l2_penalty") is losses.l2_penalty


def test_a_spec_with_functions_is_hashable_and_shows_them():
    mine = Functions(dropout_forward=layers.dropout_forward)
    spec = cu.Spec((2, 4, 1), keep_prob=0.5, functions=mine)
    assert hash(spec) == hash(cu.Spec((2, 4, 1), keep_prob=0.5, functions=mine))
    assert spec != cu.Spec((2, 4, 1), keep_prob=0.5)
    assert "functions=Functions(" in repr(spec)
    assert network.expected_shapes(spec) == network.expected_shapes(cu.Spec((2, 4, 1), keep_prob=0.5))


@pytest.mark.parametrize("make, error, words", [
    (lambda: Functions(dropout_forward=3), TypeError, ["dropout_forward", "function", "int"]),
    (lambda: cu.Spec((2, 4, 1), functions={"dropout_forward": print}), TypeError,
     ["functions", "Functions(", "dict"]),
    (lambda: cu.Spec((2, 4, 1), functions=Functions(batchnorm_forward=print)), ValueError,
     ["batchnorm_forward", "no batch norm", "batch_norm=True"]),
    (lambda: cu.Spec((2, 4, 1), functions=Functions(dropout_backward=print)), ValueError,
     ["dropout_backward", "no dropout", "keep_prob"]),
])
def test_bad_functions_are_named(make, error, words):
    with pytest.raises(error) as raised:
        make()
    for word in words:
        assert word in str(raised.value)


def test_a_forward_whose_cache_lacks_the_batch_statistics_is_named():
    def forward(Z, gamma, beta, train, running_mean, running_var):
        out, cache = layers.batchnorm_forward(Z, gamma, beta, train, running_mean, running_var)
        return out, {"cache": cache}
    spec = cu.Spec((2, 4, 1), batch_norm=True, functions=Functions(batchnorm_forward=forward))
    X, _ = _data()
    with pytest.raises(TypeError, match="cache.mean and cache.var"):
        cu.forward(spec, cu.init_params(spec, rng=0), X, train=True)


def _recording(name, calls):
    library = getattr(losses if name == "l2_penalty" else layers, name)

    def fn(*args):
        calls.append(name)
        return library(*args)
    return fn


def test_the_network_runs_the_functions_given_and_trains_the_same():
    """Every pluggable step is called, and wrappers of the library's own functions give the
    library's run to the last bit."""
    names = ["batchnorm_forward", "batchnorm_backward", "update_running_stats",
             "dropout_forward", "dropout_backward", "l2_penalty"]
    calls = []
    mine = Functions(**{name: _recording(name, calls) for name in names})
    X, Y = _data()
    library = cu.Spec((2, 6, 6, 1), batch_norm=True, keep_prob=0.8)
    spec = cu.Spec((2, 6, 6, 1), batch_norm=True, keep_prob=0.8, functions=mine)
    params = cu.init_params(library, rng=0)
    runs = [cu.train(s, params, X, Y, cu.optimizers.sgd(0.1), steps=5, rng=1,
                     penalty=cu.L2(0.5), progress=False) for s in (library, spec)]
    assert set(calls) == set(names)
    np.testing.assert_array_equal(runs[0].costs, runs[1].costs)
    for key in runs[0].params:
        np.testing.assert_array_equal(runs[0].params[key], runs[1].params[key])
    for key in runs[0].state:
        np.testing.assert_array_equal(runs[0].state[key], runs[1].state[key])


def test_dropout_forward_is_called_in_evaluation_mode_and_its_backward_only_in_training():
    seen = []

    def forward(A, keep_prob, train, rng=None, mask=None):
        seen.append(("forward", train))
        return layers.dropout_forward(A, keep_prob, train, rng, mask)

    def backward(dout, cache):
        seen.append(("backward", cache is not None))
        return layers.dropout_backward(dout, cache)
    spec = cu.Spec((2, 4, 1), keep_prob=0.5,
                   functions=Functions(dropout_forward=forward, dropout_backward=backward))
    X, Y = _data()
    params = cu.init_params(spec, rng=0)
    cu.predict(spec, params, X)
    cu.loss_and_grads(spec, params, X, Y, rng=0)
    assert seen == [("forward", False), ("forward", True), ("backward", True)]


def test_gradient_check_through_plugged_step_by_step_batch_norm():
    """A batch norm of one's own (the node-by-node graph of 06, with a cache carrying the
    batch statistics) plugged into a network: its gradients pass the gradient check."""
    def forward(Z, gamma, beta, train, running_mean, running_var):
        if not train:
            return layers.batchnorm_forward(Z, gamma, beta, False, running_mean, running_var)
        out, nodes = layers.batchnorm_forward_steps(Z, gamma, beta)
        nodes["mean"], nodes["var_"] = Z.mean(axis=1, keepdims=True), nodes["var"]
        return out, _Nodes(nodes)

    def backward(dout, cache):
        return layers.batchnorm_backward_steps(dout, cache.nodes)
    spec = cu.Spec((2, 5, 4, 1), "tanh", batch_norm=True,
                   functions=Functions(batchnorm_forward=forward, batchnorm_backward=backward))
    X, Y = _data(m=12)
    params = cu.init_params(spec, rng=0)
    report = check_network(spec, params, X, Y, l2=0.3)
    assert report.max_error < 1e-7, report


def test_gradient_check_through_plugged_dropout_and_l2():
    """Dropout and an L2 penalty of one's own (the mask kept in a tuple) plugged into a
    network: its gradients pass the gradient check (the masks fixed by the seed)."""
    def forward(A, keep_prob, train, rng=None, mask=None):
        if not train:
            return A, None
        if mask is None:
            mask = rng.binomial(1, keep_prob, A.shape)
        return A * mask / keep_prob, (mask, keep_prob)

    def backward(dout, cache):
        mask, keep_prob = cache
        return dout * mask / keep_prob

    def l2_penalty(params, lambd, m):
        keys = [k for k in params if k.startswith("W")]
        value = lambd / (2 * m) * sum(np.sum(params[k] ** 2) for k in keys)
        return value, {"d" + k: lambd / m * params[k] for k in keys}
    spec = cu.Spec((2, 5, 4, 1), "tanh", keep_prob=0.7, functions=Functions(
        dropout_forward=forward, dropout_backward=backward, l2_penalty=l2_penalty))
    X, Y = _data(m=12)
    report = check_network(spec, cu.init_params(spec, rng=0), X, Y, l2=0.3)
    assert report.max_error < 1e-7, report


class _Nodes:
    def __init__(self, nodes):
        self.nodes, self.mean, self.var = nodes, nodes["mean"], nodes["var"]
