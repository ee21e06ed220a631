"""Batch normalization: the step-by-step backward against the compact one and finite
differences, train vs eval mode, running statistics, the batch-of-1 error, and training
with every optimizer."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import gradcheck, layers

TOL = 1e-7  # relative error of a correct gradient in float64


def _bn_inputs(seed, n=4, m=7):
    rng = np.random.default_rng(seed)
    Z = rng.normal(1.5, 2.0, size=(n, m))
    gamma = rng.normal(1.0, 0.5, size=(n, 1))
    beta = rng.normal(0.0, 0.5, size=(n, 1))
    return Z, gamma, beta, rng


# ---------------------------------------------------------------- the step-by-step graph


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_steps_equals_forward(seed):
    Z, gamma, beta, _ = _bn_inputs(seed)
    out, _ = layers.batchnorm_forward(Z, gamma, beta, train=True)
    out_steps, nodes = layers.batchnorm_forward_steps(Z, gamma, beta)
    np.testing.assert_allclose(out_steps, out, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(nodes["Z_hat"].mean(axis=1), 0, atol=1e-13)
    np.testing.assert_allclose(nodes["var"], Z.var(axis=1, keepdims=True), rtol=1e-13)


@pytest.mark.parametrize("seed,m", [(0, 7), (1, 2), (2, 50)])
def test_step_by_step_backward_equals_the_compact_one(seed, m):
    Z, gamma, beta, rng = _bn_inputs(seed, m=m)
    dout = rng.normal(size=Z.shape)
    _, cache = layers.batchnorm_forward(Z, gamma, beta, train=True)
    _, nodes = layers.batchnorm_forward_steps(Z, gamma, beta)
    compact = layers.batchnorm_backward(dout, cache)
    steps = layers.batchnorm_backward_steps(dout, nodes)
    for name, a, b in zip(("dZ", "dgamma", "dbeta"), steps, compact):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("backward", ["steps", "compact"])
def test_both_backwards_pass_the_gradient_check(backward):
    Z, gamma, beta, rng = _bn_inputs(3, n=3, m=6)
    weights = rng.normal(size=Z.shape)  # J = sum(weights * out), so dout = weights

    def J(p):
        out, _ = layers.batchnorm_forward_steps(p["Z"], p["g"], p["b"])
        return float(np.sum(weights * out))

    if backward == "steps":
        _, nodes = layers.batchnorm_forward_steps(Z, gamma, beta)
        dZ, dgamma, dbeta = layers.batchnorm_backward_steps(weights, nodes)
    else:
        _, cache = layers.batchnorm_forward(Z, gamma, beta, train=True)
        dZ, dgamma, dbeta = layers.batchnorm_backward(weights, cache)
    report = gradcheck.check(J, {"dZ": dZ, "dg": dgamma, "db": dbeta},
                             {"Z": Z, "g": gamma, "b": beta})
    assert report.max_error < TOL, str(report)


def test_input_gradient_sums_to_zero_over_the_batch():
    """Shifting every example of a unit by the same amount changes nothing after BN, so the
    gradient of Z sums to 0 along the batch; scaling them changes almost nothing (only eps
    notices), so it is nearly orthogonal to Z_hat."""
    Z, gamma, beta, rng = _bn_inputs(4)
    _, nodes = layers.batchnorm_forward_steps(Z, gamma, beta)
    dZ, _, _ = layers.batchnorm_backward_steps(rng.normal(size=Z.shape), nodes)
    np.testing.assert_allclose(dZ.sum(axis=1), 0, atol=1e-12)
    along_Z_hat = np.abs((dZ * nodes["Z_hat"]).sum(axis=1))
    np.testing.assert_array_less(along_Z_hat, 1e-4 * np.linalg.norm(dZ, axis=1))


def test_batch_of_one_is_a_clear_error_in_both_forwards():
    Z, gamma, beta, _ = _bn_inputs(5, m=1)
    for forward in (lambda: layers.batchnorm_forward(Z, gamma, beta, train=True),
                    lambda: layers.batchnorm_forward_steps(Z, gamma, beta)):
        with pytest.raises(ValueError, match="at least 2 examples"):
            forward()
    out, _ = layers.batchnorm_forward(Z, gamma, beta, train=False, running_mean=np.zeros((4, 1)),
                                      running_var=np.ones((4, 1)))
    assert out.shape == (4, 1)  # evaluation mode handles one example


def test_training_a_network_whose_last_batch_has_one_example_fails_clearly():
    """301 examples in batches of 100 leave a last batch of 1 (PyTorch fails the same way)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 301))
    Y = (X[:1] > 0).astype(float)
    spec = cu.Spec((2, 4, 1), batch_norm=True)
    with pytest.raises(ValueError, match="batch of 1"):
        cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1), epochs=1,
                 batch_size=100, rng=0)


# ---------------------------------------------------------------- train vs eval


def test_train_and_eval_outputs_differ_exactly_by_the_statistics_used():
    Z, gamma, beta, rng = _bn_inputs(6, m=9)
    eps = layers.BN_EPS
    running_mean, running_var = rng.normal(size=(4, 1)), rng.random((4, 1)) + 0.5
    train_out, _ = layers.batchnorm_forward(Z, gamma, beta, True)
    eval_out, _ = layers.batchnorm_forward(Z, gamma, beta, False, running_mean, running_var)
    batch_mean, batch_var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    np.testing.assert_allclose(train_out, gamma * (Z - batch_mean) / np.sqrt(batch_var + eps) + beta)
    np.testing.assert_allclose(eval_out, gamma * (Z - running_mean) / np.sqrt(running_var + eps) + beta)
    assert not np.allclose(train_out, eval_out)
    # With running statistics equal to the batch's (biased variance), the two modes agree.
    same, _ = layers.batchnorm_forward(Z, gamma, beta, False, batch_mean, batch_var)
    np.testing.assert_allclose(same, train_out, rtol=1e-12)


def test_in_training_mode_an_example_depends_on_its_batch_in_eval_mode_it_does_not():
    rng = np.random.default_rng(7)
    spec = cu.Spec((3, 5, 5, 1), batch_norm=True)
    params = cu.init_params(spec, rng=1)
    state = cu.init_state(spec)
    state = {k: v + rng.random(v.shape) for k, v in state.items()}  # any running statistics
    x = rng.normal(size=(3, 1))
    batch_a = np.hstack([x, rng.normal(size=(3, 5))])
    batch_b = np.hstack([x, rng.normal(3.0, 1.0, size=(3, 5))])
    train_a, _ = cu.forward(spec, params, batch_a, state, train=True)
    train_b, _ = cu.forward(spec, params, batch_b, state, train=True)
    assert abs(train_a[0, 0] - train_b[0, 0]) > 1e-3
    eval_a, cache = cu.forward(spec, params, batch_a, state, train=False)
    eval_b, _ = cu.forward(spec, params, batch_b, state, train=False)
    eval_alone, _ = cu.forward(spec, params, x, state, train=False)
    assert eval_a[0, 0] == pytest.approx(eval_b[0, 0], abs=1e-12)
    assert eval_a[0, 0] == pytest.approx(eval_alone[0, 0], abs=1e-12)
    assert all(np.array_equal(cache.state[k], state[k]) for k in state)  # eval never updates


def test_training_mode_forward_updates_running_statistics_with_momentum_0_1():
    rng = np.random.default_rng(8)
    spec = cu.Spec((3, 4, 1), batch_norm=True)
    params = cu.init_params(spec, rng=2)
    X = rng.normal(size=(3, 10))
    state = cu.init_state(spec)
    _, cache = cu.forward(spec, params, X, state, train=True)
    Z = params["W1"] @ X  # no bias before batch norm
    np.testing.assert_allclose(cache.state["running_mean1"], 0.1 * Z.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(cache.state["running_var1"],
                               0.9 + 0.1 * Z.var(axis=1, ddof=1, keepdims=True))
    assert np.array_equal(state["running_var1"], np.ones((4, 1)))  # the input is not changed


def test_running_statistics_converge_to_the_data_statistics():
    """Fixed weights, 300 training-mode passes over batches of 64 drawn from one data set:
    the running mean and variance of each unit end within 5% (of the spread) of the
    statistics of Z over the whole data set."""
    rng = np.random.default_rng(9)
    spec = cu.Spec((3, 6, 1), batch_norm=True)
    params = cu.init_params(spec, rng=3)
    X = rng.normal([[2.0], [-1.0], [0.5]], [[1.0], [3.0], [0.5]], size=(3, 5000))
    Z_all = params["W1"] @ X
    state = cu.init_state(spec)
    for _ in range(300):
        batch = X[:, rng.choice(X.shape[1], 64, replace=False)]
        _, cache = cu.forward(spec, params, batch, state, train=True)
        state = cache.state
    std = Z_all.std(axis=1, keepdims=True)
    np.testing.assert_array_less(np.abs(state["running_mean1"] - Z_all.mean(axis=1, keepdims=True)),
                                 0.05 * std)
    np.testing.assert_allclose(state["running_var1"], Z_all.var(axis=1, keepdims=True), rtol=0.1)


def test_running_statistics_follow_the_moving_average_formula():
    """With the same batch every step: running = (1 - 0.9^k) * batch + 0.9^k * start."""
    mean, var = np.zeros((2, 1)), np.ones((2, 1))
    batch_mean, batch_var, m = np.array([[3.0], [-1.0]]), np.array([[4.0], [0.25]]), 8
    for _ in range(20):
        mean, var = layers.update_running_stats(mean, var, batch_mean, batch_var, m)
    decay = 0.9 ** 20
    np.testing.assert_allclose(mean, (1 - decay) * batch_mean)
    np.testing.assert_allclose(var, (1 - decay) * batch_var * m / (m - 1) + decay)


# ---------------------------------------------------------------- every optimizer


# A learning rate that suits each optimizer (adaptive ones take smaller steps).
OPTIMIZER_LR = {"sgd": 0.5, "momentum": 0.5, "nesterov": 0.5, "adagrad": 0.1, "rmsprop": 0.01,
                "adam": 0.01, "adamw": 0.01}


@pytest.mark.parametrize("name", cu.optimizers.NAMES)
def test_a_batch_norm_network_trains_with_every_optimizer(name):
    """500 steps on the circles, batches of 50, rng 0: over 0.9 training accuracy with each
    (0.92 to 0.99 over rng 0-3 when the test was written)."""
    X, Y, _, _ = cu.datasets.load_circles()
    spec = cu.Spec((2, 16, 16, 1), batch_norm=True)
    params = cu.init_params(spec, rng=0)
    hist = cu.train(spec, params, X, Y, cu.optimizers.get(name, lr=OPTIMIZER_LR[name]),
                    steps=500, batch_size=50, rng=0, progress=False)
    assert not hist.diverged
    assert set(hist.params) == set(params)  # no running statistics among the parameters
    assert set(hist.state) == {"running_mean1", "running_var1", "running_mean2", "running_var2"}
    for l in (1, 2):
        assert not np.allclose(hist.params[f"gamma{l}"], 1.0)  # gamma and beta are learned
        assert not np.allclose(hist.params[f"beta{l}"], 0.0)
        assert not np.allclose(hist.state[f"running_mean{l}"], 0.0)  # the state is tracked
    assert cu.accuracy(spec, hist.params, X, Y, hist.state) > 0.9, name


# ---------------------------------------------------------------- optional: torch.nn.BatchNorm1d


def test_batch_norm_matches_torch_batchnorm1d():
    """Forward and backward in training mode, the running statistics over several batches
    (through cu.forward's state), and evaluation mode, against torch.nn.BatchNorm1d in
    float64 with the same eps and momentum (PyTorch's convention, which ours follows).
    torch works with rows as examples: transpose at the boundary. Skipped without the
    optional torch extra."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    n, m = 4, 9
    bn = torch.nn.BatchNorm1d(n, eps=layers.BN_EPS, momentum=layers.BN_MOMENTUM, dtype=torch.float64)
    gamma, beta = rng.normal(1.0, 0.3, size=(n, 1)), rng.normal(size=(n, 1))
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma[:, 0]))
        bn.bias.copy_(torch.from_numpy(beta[:, 0]))

    # forward and backward, training mode
    Z = rng.normal(2.0, 3.0, size=(n, m))
    dout = rng.normal(size=(n, m))
    Z_t = torch.tensor(Z.T, requires_grad=True)
    out_t = bn(Z_t)
    out_t.backward(torch.from_numpy(dout.T))
    out, cache = layers.batchnorm_forward(Z, gamma, beta, train=True)
    dZ, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    np.testing.assert_allclose(out, out_t.detach().numpy().T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dZ, Z_t.grad.numpy().T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma[:, 0], bn.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dbeta[:, 0], bn.bias.grad.numpy(), rtol=1e-12, atol=1e-12)

    # running statistics: the same batches through a one-hidden-layer network (BN on W1 X)
    spec = cu.Spec((3, n, 1), batch_norm=True)
    params = cu.init_params(spec, rng=5)
    state = cu.init_state(spec)
    bn.reset_running_stats()
    for size in (9, 2, 30, 5):
        X = rng.normal(size=(3, size))
        _, net_cache = cu.forward(spec, params, X, state, train=True)
        state = net_cache.state
        bn.train()
        with torch.no_grad():
            bn(torch.from_numpy((params["W1"] @ X).T))
    np.testing.assert_allclose(state["running_mean1"][:, 0], bn.running_mean.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state["running_var1"][:, 0], bn.running_var.numpy(), rtol=1e-12)

    # evaluation mode: the running statistics instead of the batch's
    bn.eval()
    Z_eval = rng.normal(size=(n, 3))
    with torch.no_grad():
        expected = bn(torch.from_numpy(Z_eval.T)).numpy().T
    out_eval, _ = layers.batchnorm_forward(Z_eval, gamma, beta, False, state["running_mean1"],
                                           state["running_var1"])
    np.testing.assert_allclose(out_eval, expected, rtol=1e-12, atol=1e-12)
