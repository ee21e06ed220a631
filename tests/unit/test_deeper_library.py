"""The library behind 09 (deeper networks) and its shattered-gradients notebook: GELU and
SiLU, layer norm, residual layers in Spec, the gradient with respect to the input, the
warmup schedule, the mean-field quantities of lessons.theory and the measures of
lessons.deeper. Gradient checks in float64 (< 1e-7); cross-checks against PyTorch to
1e-10 when the optional torch extra is installed (skipped otherwise)."""

import warnings

import numpy as np
import pytest

import course_utils as cu
from course_utils import activations, gradcheck, layers, network, optimizers
from course_utils.lessons import deeper, theory

TOL = 1e-7

try:
    import torch
except ImportError:  # the torch extra is optional: the cross-checks are then skipped
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="the optional torch extra is not installed")


def _perturbed_params(spec, rng, scale=0.1):
    """Parameters off their start (gamma not all 1, beta and b not 0), so every block matters."""
    params = cu.init_params(spec, "he_normal", rng)
    return {k: v + rng.normal(0, scale, size=v.shape) for k, v in params.items()}


# ---------------------------------------------------------------- GELU and SiLU


@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_gelu_silu_values_and_derivatives(name):
    act = activations.get(name)
    z = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    from scipy.special import erf, expit
    expected = z * 0.5 * (1 + erf(z / np.sqrt(2))) if name == "gelu" else z * expit(z)
    np.testing.assert_allclose(act.forward(z), expected, rtol=1e-14, atol=1e-16)
    assert act.derivative(np.array([0.0]))[0] == pytest.approx(0.5)
    Z = np.random.default_rng(0).normal(0, 3, size=(6, 40))
    numeric = (act.forward(Z + 1e-6) - act.forward(Z - 1e-6)) / 2e-6
    assert gradcheck.relative_error(act.derivative(Z), numeric) < TOL
    # far tails: no overflow, no nan (pytest turns RuntimeWarnings into errors)
    tails = act.forward(np.array([-800.0, 800.0])), act.derivative(np.array([-800.0, 800.0]))
    assert np.all(np.isfinite(tails))


@needs_torch
@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_gelu_silu_match_torch(name):
    Z = np.random.default_rng(1).normal(0, 3, size=(5, 60))
    Z_t = torch.tensor(Z, requires_grad=True)
    out = torch.nn.functional.gelu(Z_t) if name == "gelu" else torch.nn.functional.silu(Z_t)
    out.backward(torch.ones_like(Z_t))
    act = activations.get(name)
    assert np.max(np.abs(act.forward(Z) - out.detach().numpy())) < 1e-10
    assert np.max(np.abs(act.derivative(Z) - Z_t.grad.numpy())) < 1e-10


# ---------------------------------------------------------------- layer norm


def test_layernorm_normalizes_each_example_over_units():
    rng = np.random.default_rng(2)
    X = rng.normal(3, 5, size=(8, 4)) * rng.uniform(0.1, 10, size=(1, 4))
    out, cache = layers.layernorm_forward(X, np.ones((8, 1)), np.zeros((8, 1)))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-5)  # eps = 1e-5 shifts it slightly
    assert isinstance(cache, layers.LayerNormCache) and cache.inv_std.shape == (1, 4)
    # one example alone gives the same as in a batch: no batch statistics
    alone, _ = layers.layernorm_forward(X[:, :1], np.ones((8, 1)), np.zeros((8, 1)))
    np.testing.assert_array_equal(alone, out[:, :1])


def test_layernorm_backward_gradcheck():
    rng = np.random.default_rng(3)
    p = {"X": rng.normal(size=(6, 5)), "gamma": rng.normal(1, 0.2, (6, 1)), "beta": rng.normal(0, 0.2, (6, 1))}
    R = rng.normal(size=(6, 5))  # a random linear read-out makes the cost scalar

    def cost(q):
        return float(np.sum(R * layers.layernorm_forward(q["X"], q["gamma"], q["beta"])[0]))
    _, cache = layers.layernorm_forward(p["X"], p["gamma"], p["beta"])
    dX, dgamma, dbeta = layers.layernorm_backward(R, cache)
    report = gradcheck.check(cost, {"dX": dX, "dgamma": dgamma, "dbeta": dbeta}, p)
    assert report.max_error < TOL, str(report)


def test_layernorm_needs_two_units():
    with pytest.raises(ValueError, match="at least 2 units"):
        layers.layernorm_forward(np.ones((1, 5)), np.ones((1, 1)), np.zeros((1, 1)))


@needs_torch
def test_layernorm_matches_torch():
    """torch works with rows as examples: transpose at the boundary."""
    rng = np.random.default_rng(4)
    n, m = 7, 9
    X, gamma, beta = rng.normal(2, 3, (n, m)), rng.normal(1, 0.3, (n, 1)), rng.normal(0, 0.3, (n, 1))
    dout = rng.normal(size=(n, m))
    ln = torch.nn.LayerNorm(n, eps=layers.LN_EPS, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma[:, 0]))
        ln.bias.copy_(torch.from_numpy(beta[:, 0]))
    X_t = torch.tensor(X.T, requires_grad=True)
    out_t = ln(X_t)
    out_t.backward(torch.from_numpy(dout.T))
    out, cache = layers.layernorm_forward(X, gamma, beta)
    dX, dgamma, dbeta = layers.layernorm_backward(dout, cache)
    assert np.max(np.abs(out - out_t.detach().numpy().T)) < 1e-10
    assert np.max(np.abs(dX - X_t.grad.numpy().T)) < 1e-10
    assert np.max(np.abs(dgamma[:, 0] - ln.weight.grad.numpy())) < 1e-10
    assert np.max(np.abs(dbeta[:, 0] - ln.bias.grad.numpy())) < 1e-10


# ---------------------------------------------------------------- residual layers and norms in Spec


def test_spec_defaults_are_the_plain_network():
    """The new options default to the networks of 00-08: the same Spec, the same params."""
    plain = cu.Spec((2, 5, 4, 1), "tanh", batch_norm=(True, False))
    explicit = cu.Spec((2, 5, 4, 1), "tanh", batch_norm=(True, False), layer_norm=False,
                       residual=False, branch_scale=1.0, norm_position="post")
    assert plain == explicit and plain.residual == (False, False)
    assert list(cu.init_params(plain, rng=0)) == ["W1", "gamma1", "beta1", "W2", "b2", "W3", "b3"]


def test_spec_residual_options():
    spec = cu.Spec((2, 8, 8, 8, 1), "relu", residual=True, layer_norm=True, norm_position="pre")
    assert spec.residual == (False, True, True) and spec.pre_norm == (False, True, True)
    assert spec.has_bias == (True, True, True)
    params = cu.init_params(spec, rng=0)
    assert {"gamma2", "beta2", "b2", "gamma1", "b1"} <= set(params)
    bn_post = cu.Spec((2, 8, 8, 1), "relu", residual=True, batch_norm=True)
    assert bn_post.has_bias == (False, False) and "b2" not in cu.init_params(bn_post, rng=0)
    bn_pre = cu.Spec((2, 8, 8, 1), "relu", residual=True, batch_norm=True, norm_position="pre")
    assert bn_pre.has_bias == (False, True) and set(cu.init_state(bn_pre)) == {
        "running_mean1", "running_var1", "running_mean2", "running_var2"}


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(layer_sizes=(2, 8, 4, 1), residual=True), ValueError, "residual layer 2 must have the width"),
    (dict(layer_sizes=(2, 8, 8, 1), residual=(True, True)), ValueError, r"residual\[0\] must be False"),
    (dict(layer_sizes=(2, 8, 8, 1), residual=(False,)), ValueError, "one entry per hidden layer"),
    (dict(layer_sizes=(2, 8, 8, 1), batch_norm=True, layer_norm=(False, True)), ValueError,
     "hidden layer 2 has both batch_norm and layer_norm"),
    (dict(layer_sizes=(2, 8, 8, 1), residual=True, branch_scale=0), ValueError, "branch_scale"),
    (dict(layer_sizes=(2, 8, 8, 1), residual=True, branch_scale="1"), TypeError, "branch_scale"),
    (dict(layer_sizes=(2, 8, 8, 1), residual=True, norm_position="middle"), ValueError, "norm_position"),
    (dict(layer_sizes=(2, 8, 8, 1), norm_position="pre"), ValueError, "no residual layers"),
])
def test_spec_bad_options_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        cu.Spec(**kwargs)


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
@pytest.mark.parametrize("position", ["post", "pre"])
def test_residual_network_gradcheck(activation, norm, position):
    """The whole network, residual x {no norm, batch norm, layer norm} x {pre, post} x
    {relu, tanh, gelu}, in training mode: every block below 1e-7."""
    rng = np.random.default_rng(10)
    spec = cu.Spec((3, 6, 6, 6, 1), activation, residual=True, branch_scale=0.7,
                   batch_norm=norm == "batch", layer_norm=norm == "layer", norm_position=position)
    params = _perturbed_params(spec, rng)
    X = rng.normal(size=(3, 8))
    Y = (rng.random((1, 8)) > 0.5).astype(float)
    report = gradcheck.check_network(spec, params, X, Y)
    assert report.max_error < TOL, str(report)


@pytest.mark.parametrize("output,n_out", [("softmax", 3), ("linear", 2)])
def test_plain_layer_norm_and_dropout_in_residual_nets_gradcheck(output, n_out):
    """Layer norm in a plain net, and a residual net with dropout (fixed masks) and PReLU."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(3, 7))
    Y = np.eye(n_out)[:, rng.integers(0, n_out, 7)] if output == "softmax" else rng.normal(size=(n_out, 7))
    for spec in (cu.Spec((3, 5, 4, n_out), "silu", output=output, layer_norm=True),
                 cu.Spec((3, 5, 5, 5, n_out), ("relu", "prelu", "tanh"), output=output,
                         residual=True, keep_prob=0.8, layer_norm=(True, False, True))):
        params = _perturbed_params(spec, rng)
        report = gradcheck.check_network(spec, params, X, Y)
        assert report.max_error < TOL, str(report)


def test_residual_forward_adds_the_input_back():
    """A_l = A_{l-1} + s * f(Z_l): with the branch's weights at 0 a residual layer is the identity."""
    spec = cu.Spec((2, 4, 4, 4, 1), "tanh", residual=True, branch_scale=0.5)
    params = cu.init_params(spec, rng=0)
    for l in (2, 3):
        params[f"W{l}"] = np.zeros((4, 4))
    X = np.random.default_rng(0).normal(size=(2, 5))
    _, cache = cu.forward(spec, params, X)
    np.testing.assert_array_equal(cache.hidden[2], cache.hidden[0])
    params["W3"] = np.eye(4)
    _, cache = cu.forward(spec, params, X)
    np.testing.assert_allclose(cache.hidden[2], cache.hidden[1] + 0.5 * np.tanh(cache.hidden[1]))


def test_residual_nets_train_predict_and_keep_batchnorm_state():
    rng = np.random.default_rng(12)
    X, Y, _, _ = cu.datasets.load_circles()
    for spec in (cu.Spec((2, 16, 16, 16, 1), "relu", residual=True, batch_norm=True),
                 cu.Spec((2, 16, 16, 16, 1), "gelu", residual=True, batch_norm=True,
                         norm_position="pre", branch_scale=0.5),
                 cu.Spec((2, 16, 16, 16, 1), "relu", residual=True, layer_norm=True)):
        params = cu.init_params(spec, "he_normal", rng)
        hist = cu.train(spec, params, X, Y, optimizers.adam(0.01), steps=300, batch_size=64, rng=0)
        assert hist.diverged_at is None
        assert cu.accuracy(spec, hist.params, X, Y, hist.state) > 0.8
        assert cu.predict(spec, hist.params, X, hist.state).shape == (1, X.shape[1])
        if any(spec.batch_norm):
            assert not np.allclose(hist.state["running_mean2"], 0)


@needs_torch
@pytest.mark.parametrize("norm,position", [("layer", "pre"), ("layer", "post"), ("batch", "post"),
                                           ("batch", "pre"), ("none", "post")])
def test_residual_network_matches_torch(norm, position):
    """The same residual network written in torch (float64, training mode): logits and every
    gradient agree to 1e-10."""
    rng = np.random.default_rng(13)
    spec = cu.Spec((3, 6, 6, 6, 1), "gelu", residual=True, branch_scale=0.6,
                   batch_norm=norm == "batch", layer_norm=norm == "layer", norm_position=position)
    params = _perturbed_params(spec, rng)
    X = rng.normal(size=(3, 10))
    Y = (rng.random((1, 10)) > 0.5).astype(float)
    cost, grads, cache = cu.loss_and_grads(spec, params, X, Y)

    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    F = torch.nn.functional

    def norm_t(x, l):  # x: rows are examples (m, n)
        g, b = P[f"gamma{l}"][:, 0], P[f"beta{l}"][:, 0]
        if norm == "layer":
            return F.layer_norm(x, (x.shape[1],), g, b, eps=layers.LN_EPS)
        return F.batch_norm(x, None, None, g, b, training=True, eps=layers.BN_EPS)

    A = torch.tensor(X.T)
    for l in range(1, spec.n_layers):
        pre = spec.pre_norm[l - 1]
        inp = norm_t(A, l) if pre else A
        Z = inp @ P[f"W{l}"].T
        if f"b{l}" in P:
            Z = Z + P[f"b{l}"][:, 0]
        if norm != "none" and not pre:
            Z = norm_t(Z, l)
        branch = F.gelu(Z)
        A = A + spec.branch_scale * branch if spec.residual[l - 1] else branch
    L = spec.n_layers
    logits = A @ P[f"W{L}"].T + P[f"b{L}"][:, 0]
    loss = F.binary_cross_entropy_with_logits(logits, torch.tensor(Y.T))
    loss.backward()
    assert abs(cost - loss.item()) < 1e-10
    assert np.max(np.abs(cache.logits - logits.detach().numpy().T)) < 1e-10
    for k, v in P.items():
        assert np.max(np.abs(grads["d" + k] - v.grad.numpy())) < 1e-10, k


# ---------------------------------------------------------------- the gradient with respect to the input


def _numerical_input_gradient(f, X, eps=1e-6):
    g = np.zeros_like(X)
    for i in np.ndindex(X.shape):
        plus, minus = X.copy(), X.copy()
        plus[i] += eps
        minus[i] -= eps
        g[i] = (f(plus) - f(minus)) / (2 * eps)
    return g


@pytest.mark.parametrize("statistics", network.STATISTICS)
def test_input_gradient_against_finite_differences(statistics):
    rng = np.random.default_rng(14)
    spec = cu.Spec((2, 6, 6, 6, 1), "tanh", residual=True, batch_norm=True, branch_scale=0.5)
    params = _perturbed_params(spec, rng)
    state = {k: v + 0.3 * rng.random(v.shape) for k, v in cu.init_state(spec).items()}
    X = rng.normal(size=(2, 7))
    dX = network.input_gradient(spec, params, X, state, statistics)
    if statistics == "running":
        def f(X_):
            return cu.forward(spec, params, X_, state)[0].sum()
    elif statistics == "batch":
        def f(X_):
            return cu.forward(spec, params, X_, train=True)[0].sum()
    else:  # the batch statistics of X, frozen into running statistics
        _, cache = cu.forward(spec, params, X, train=True)
        frozen = {}
        for l in range(1, spec.n_layers):
            frozen[f"running_mean{l}"] = cache.layers[l - 1].batchnorm.mean
            frozen[f"running_var{l}"] = cache.layers[l - 1].batchnorm.var

        def f(X_):
            return cu.forward(spec, params, X_, frozen)[0].sum()
    assert dX.shape == X.shape
    assert gradcheck.relative_error(dX, _numerical_input_gradient(f, X)) < TOL


@pytest.mark.parametrize("spec", [cu.Spec((1, 8, 8, 8, 1), "relu", output="linear"),
                                  cu.Spec((1, 8, 8, 8, 1), "gelu", output="linear", residual=True,
                                          layer_norm=True, norm_position="pre")])
def test_input_gradient_per_example_without_batch_norm(spec):
    """Without batch norm the examples are independent: column j is dy_j/dx_j, the same
    whether computed in one batch or one example at a time."""
    rng = np.random.default_rng(15)
    params = _perturbed_params(spec, rng)
    x = np.linspace(-2, 2, 9)[None, :] + 1e-3
    dX = network.input_gradient(spec, params, x)
    for j in (0, 4, 8):
        np.testing.assert_allclose(dX[:, j], network.input_gradient(spec, params, x[:, j:j + 1])[:, 0])
    numeric = _numerical_input_gradient(lambda X_: cu.forward(spec, params, X_)[0].sum(), x)
    assert gradcheck.relative_error(dX, numeric) < TOL


def test_input_gradient_bad_input():
    spec = cu.Spec((2, 4, 3), "relu", output="softmax")
    params = cu.init_params(spec, rng=0)
    with pytest.raises(ValueError, match="one output"):
        network.input_gradient(spec, params, np.zeros((2, 3)))
    spec = cu.Spec((2, 4, 1), "relu", batch_norm=True, keep_prob=0.5)
    params = cu.init_params(spec, rng=0)
    with pytest.raises(ValueError, match="unknown statistics"):
        network.input_gradient(spec, params, np.zeros((2, 3)), statistics="train")
    with pytest.raises(ValueError, match="dropout or RReLU"):
        network.input_gradient(spec, params, np.zeros((2, 3)), statistics="batch")
    with pytest.raises(ValueError, match="evaluation mode pass the state"):
        network.input_gradient(spec, params, np.zeros((2, 3)))


@needs_torch
def test_input_gradient_matches_torch_autograd_in_training_mode():
    """statistics="batch" is what autograd gives for a batch-norm net in training mode."""
    rng = np.random.default_rng(16)
    spec = cu.Spec((1, 8, 8, 8, 1), "relu", output="linear", batch_norm=True, residual=True)
    params = _perturbed_params(spec, rng)
    x = np.linspace(-2, 2, 16)[None, :]
    P = {k: torch.tensor(v) for k, v in params.items()}
    X_t = torch.tensor(x.T, requires_grad=True)
    A = X_t
    for l in range(1, spec.n_layers):
        Z = torch.nn.functional.batch_norm(A @ P[f"W{l}"].T, None, None, P[f"gamma{l}"][:, 0],
                                           P[f"beta{l}"][:, 0], training=True, eps=layers.BN_EPS)
        A = A + torch.relu(Z) if spec.residual[l - 1] else torch.relu(Z)
    y = A @ P["W4"].T + P["b4"][:, 0]
    y.sum().backward()
    dX = network.input_gradient(spec, params, x, statistics="batch")
    assert np.max(np.abs(dX - X_t.grad.numpy().T)) < 1e-10


# ---------------------------------------------------------------- warmup


def test_linear_warmup_rates():
    lr = optimizers.linear_warmup(0.1, warmup_steps=4)
    np.testing.assert_allclose([lr(t) for t in range(6)], [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    lr = optimizers.linear_warmup(0.1, warmup_steps=4, total_steps=8, lr_min=0.01)
    rates = [lr(t) for t in range(10)]
    assert rates[3] == rates[4] == pytest.approx(0.1) and rates[8] == rates[9] == pytest.approx(0.01)
    assert np.all(np.diff(rates[4:9]) < 0)
    assert optimizers.linear_warmup(0.1, 1)(0) == 0.1  # one warmup step: no warmup
    assert optimizers.linear_warmup(0.1, 5, start_factor=0.5)(0) == pytest.approx(0.05)
    opt = optimizers.adam(optimizers.linear_warmup(0.01, 10, 100))
    assert opt.lr_at(0) == pytest.approx(0.001) and opt.lr_at(9) == pytest.approx(0.01)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(lr0=0.1, warmup_steps=0), ValueError, "warmup_steps must be >= 1"),
    (dict(lr0=0.1, warmup_steps=2.5), TypeError, "warmup_steps must be an int"),
    (dict(lr0=0.1, warmup_steps=10, total_steps=10), ValueError, "total_steps must be larger"),
    (dict(lr0=0.1, warmup_steps=5, start_factor=0), ValueError, "start_factor"),
    (dict(lr0=0.1, warmup_steps=5, total_steps=20, lr_min=0.2), ValueError, "lr_min must be below"),
    (dict(lr0=-1, warmup_steps=5), ValueError, "lr0"),
])
def test_linear_warmup_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizers.linear_warmup(**kwargs)


@needs_torch
@pytest.mark.parametrize("warmup,total,start,lr_min", [(10, None, None, 0.0), (10, 100, None, 0.0),
                                                       (5, 50, 0.1, 1e-4), (20, 200, None, 1e-3)])
def test_linear_warmup_matches_torch_schedulers(warmup, total, start, lr_min):
    """LinearLR(start_factor=s, total_iters=W - 1), then (SequentialLR, milestones=[W])
    CosineAnnealingLR(T_max=T - W, eta_min=lr_min): the same rate at every step."""
    lr0 = 0.01
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler
    s = 1 / warmup if start is None else start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's scheduler deprecation notes
        linear = sched.LinearLR(opt, start_factor=s, end_factor=1.0, total_iters=warmup - 1)
        scheduler = linear if total is None else sched.SequentialLR(
            opt, [linear, sched.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min)],
            milestones=[warmup])
        theirs = []
        for _ in range(total or 60):
            theirs.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
    ours = optimizers.linear_warmup(lr0, warmup, total, start, lr_min)
    assert np.max(np.abs(np.array([ours(t) for t in range(len(theirs))]) - theirs)) < 1e-10


# ---------------------------------------------------------------- mean-field theory


def test_chi_1_reference_values():
    """tanh at He's scale (sigma_w2 = 2, sigma_b2 = 0): chi_1 = 1.106 (chaotic); tanh is
    critical at sigma_w2 = 1 without biases; ReLU's chi_1 is sigma_w2 / 2 at any q."""
    assert theory.chi_1("tanh", 2.0, 0.0) == pytest.approx(1.1055, abs=5e-4)
    assert theory.chi_1("tanh", 1.0, 0.0) == pytest.approx(1.0, abs=1e-9)
    assert theory.fixed_point_q("tanh", 1.0, 0.0) == 0.0
    for sigma_w2 in (0.5, 1.0, 2.0, 3.0):
        for sigma_b2 in (0.0, 0.1):
            assert theory.chi_1("relu", sigma_w2, sigma_b2) == pytest.approx(sigma_w2 / 2, rel=1e-12)
    assert theory.fixed_point_q("relu", 1.0, 0.1) == pytest.approx(0.1 / (1 - 0.5), rel=1e-10)
    assert theory.fixed_point_q("relu", 3.0, 0.0) == float("inf")


def test_mean_field_record_and_phases():
    ordered = theory.mean_field("tanh", 0.8, 0.05)
    assert ordered.phase == "ordered" and ordered.c_star == 1.0
    assert ordered.xi_c == pytest.approx(ordered.xi_grad) == pytest.approx(-1 / np.log(ordered.chi_1))
    chaotic = theory.mean_field("tanh", 3.0, 0.05)
    assert chaotic.phase == "chaotic" and 0 < chaotic.c_star < 1 and chaotic.xi_grad < 0 < chaotic.xi_c
    assert theory.correlation_map("tanh", chaotic.c_star, 3.0, 0.05) == pytest.approx(chaotic.c_star, abs=1e-10)
    assert theory.chi_c("tanh", 1.0, 3.0, 0.05) == pytest.approx(chaotic.chi_1, rel=1e-10)
    critical = theory.mean_field("relu", 2.0, 0.0)
    assert critical.phase == "critical" and critical.xi_grad == float("inf")
    with pytest.raises(ValueError, match="sigma_w2"):
        theory.chi_1("tanh", 0.0, 0.0)
    with pytest.raises(ValueError, match="sigma_b2"):
        theory.chi_1("tanh", 1.0, -0.1)


def _wide_random_net(activation, sigma_w2, sigma_b2, X, depth, rng, width=1000):
    """Forward and backward through a plain random network with weights N(0, sigma_w2 / fan_in)
    and biases N(0, sigma_b2): the pre-activations Z_l and the mean squares of dZ_l for a
    random read-out of the last layer."""
    f = activations.get(activation)
    A, Zs, Ws = X, [], []
    for _ in range(depth):
        W = rng.normal(0, np.sqrt(sigma_w2 / A.shape[0]), size=(width, A.shape[0]))
        Z = W @ A + rng.normal(0, np.sqrt(sigma_b2), size=(width, 1))
        Zs.append(Z)
        Ws.append(W)
        A = f.forward(Z)
    dZ = f.backward(rng.normal(size=A.shape), Zs[-1])
    grad_ms = [np.mean(dZ ** 2)]
    for l in range(depth - 1, 0, -1):
        dZ = f.backward(Ws[l].T @ dZ, Zs[l - 1])
        grad_ms.append(np.mean(dZ ** 2))
    return Zs, np.array(grad_ms[::-1])


@pytest.mark.parametrize("activation,sigma_w2,sigma_b2", [("tanh", 1.5, 0.05), ("tanh", 2.0, 0.0),
                                                          ("tanh", 0.8, 0.1), ("relu", 1.6, 0.2),
                                                          ("gelu", 1.5, 0.1), ("sigmoid", 4.0, 0.05)])
def test_mean_field_against_monte_carlo_on_wide_networks(activation, sigma_w2, sigma_b2):
    """Width 1000, 30 layers, 4 seeds: the measured variance of the pre-activations of layers
    21-30 (the length map needs about 20 layers to settle at sigma_w2 / 2 = 0.8 for ReLU) is
    q* within 5%, and the measured per-layer factor of the gradient's mean square over the
    layers 11-29 is chi_1 within 5% (the finite width scatters both by a few percent)."""
    mf = theory.mean_field(activation, sigma_w2, sigma_b2)
    q_measured, chi_measured = [], []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(100, 4))
        Zs, grad_ms = _wide_random_net(activation, sigma_w2, sigma_b2, X, 30, rng)
        q_measured.append(np.mean([np.mean(Z ** 2) for Z in Zs[20:]]))
        chi_measured.append(np.exp(np.mean(np.diff(np.log(grad_ms[10:-1])))) ** -1)
    if mf.q_star > 1e-3:  # a variance dying out towards q* = 0 is checked through chi_1 only
        assert np.mean(q_measured) == pytest.approx(mf.q_star, rel=0.05)
    assert np.mean(chi_measured) == pytest.approx(mf.chi_1, rel=0.05)


def test_correlation_fixed_point_against_monte_carlo():
    """Chaotic tanh (sigma_w2 = 3, sigma_b2 = 0.05): two different inputs end at correlation
    c* (about 0.30) after 30 layers of width 1000, within 0.05 averaged over 4 seeds."""
    c_star = theory.fixed_point_c("tanh", 3.0, 0.05)
    # the theory's correlation is the uncentred one, E[z_1 z_2] / q*: the cosine of the columns
    cosines = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(100, 2))
        Zs, _ = _wide_random_net("tanh", 3.0, 0.05, X, 30, rng)
        z1, z2 = Zs[-1][:, 0], Zs[-1][:, 1]
        cosines.append(z1 @ z2 / np.sqrt((z1 @ z1) * (z2 @ z2)))
    assert np.mean(cosines) == pytest.approx(c_star, abs=0.05)


# ---------------------------------------------------------------- lessons.deeper


def test_autocorrelation_of_brown_and_white_noise():
    rng = np.random.default_rng(20)
    brown = [deeper.lag1_correlation(np.cumsum(rng.normal(size=256))) for _ in range(20)]
    white = [deeper.lag1_correlation(rng.normal(size=256)) for _ in range(20)]
    assert np.mean(brown) > 0.9 and abs(np.mean(white)) < 0.05
    g = rng.normal(size=50)
    r = deeper.autocorrelation(g, 3)
    c = g - g.mean()
    np.testing.assert_allclose(r, [c[:-k] @ c[k:] / (c @ c) for k in (1, 2, 3)])
    assert np.all(np.isnan(deeper.autocorrelation(np.ones(10), 2)))


@pytest.mark.parametrize("signal,max_lag,error,match", [
    (np.ones((3, 3)), 1, ValueError, "1-D"), (np.arange(5.0), 5, ValueError, "below the signal's length"),
    (np.arange(5.0), 0, ValueError, "max_lag must be >= 1"),
    (np.array([1.0, np.nan, 2.0]), 1, ValueError, "finite")])
def test_autocorrelation_bad_input(signal, max_lag, error, match):
    with pytest.raises(error, match=match):
        deeper.autocorrelation(signal, max_lag)


def test_layer_sizes_at_init_matches_the_gradients():
    rng = np.random.default_rng(21)
    spec = cu.Spec((2, 16, 16, 16, 1), "relu", residual=True, layer_norm=True)
    params = cu.init_params(spec, "he_normal", rng)
    X = rng.normal(size=(2, 32))
    Y = (X[:1] > 0).astype(float)
    sizes = deeper.layer_sizes_at_init(spec, params, X, Y)
    cost, grads, cache = cu.loss_and_grads(spec, params, X, Y)
    assert sizes.cost == pytest.approx(cost)
    np.testing.assert_allclose(sizes.dW_norm, [np.linalg.norm(grads[f"dW{l}"]) for l in (1, 2, 3, 4)])
    np.testing.assert_allclose(sizes.a_rms, [np.sqrt(np.mean(A ** 2)) for A in cache.hidden])


def test_shattering_is_measurable():
    """Deep plain ReLU nets (He init) give a less correlated dy/dx along a line of inputs than
    a shallow one; a residual net with a scaled branch keeps it correlated. (Seeds 0-2; a
    sanity check of the tools, the notebook's claims test has the real measurement.)"""
    x = np.linspace(-2, 2, 256)[None, :]
    lag1 = {}
    for name, spec in {"shallow": cu.Spec((1, 200, 1), "relu", output="linear"),
                       "deep": cu.Spec((1,) + (200,) * 24 + (1,), "relu", output="linear"),
                       "residual": cu.Spec((1,) + (200,) * 24 + (1,), "relu", output="linear",
                                           residual=True, branch_scale=0.2)}.items():
        values = []
        for seed in range(3):
            params = cu.init_params(spec, "he_normal", rng=seed)
            for key in params:  # biases drawn too, so the kinks spread over the grid
                if key.startswith("b"):
                    params[key] = np.random.default_rng(seed + 100).normal(0, 0.1, params[key].shape)
            values.append(deeper.lag1_correlation(network.input_gradient(spec, params, x)[0]))
        lag1[name] = np.mean(values)
    assert lag1["deep"] < lag1["shallow"] and lag1["deep"] < lag1["residual"]
