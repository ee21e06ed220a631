"""Every backward pass against two-sided finite differences, in float64:
per-block relative error ||g - g_num|| / (||g|| + ||g_num||) < 1e-7."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import activations, gradcheck, layers, losses

TOL = 1e-7


def _elementwise_check(f, df, Z, eps=1e-6):
    numeric = (f(Z + eps) - f(Z - eps)) / (2 * eps)
    return gradcheck.relative_error(df(Z), numeric)


@pytest.mark.parametrize("name", activations.NAMES)
def test_activation_derivative(name):
    rng = np.random.default_rng(0)
    Z = rng.normal(0, 2, size=(7, 50))
    Z[np.abs(Z) < 1e-3] = 0.5  # stay away from the kink of ReLU-like functions
    act = activations.get(name)
    assert _elementwise_check(act.forward, act.derivative, Z) < TOL


@pytest.mark.parametrize("name,hyper", [("leaky_relu", {"slope": 0.2}), ("elu", {"alpha": 0.5})])
def test_activation_derivative_with_hyperparameters(name, hyper):
    rng = np.random.default_rng(1)
    Z = rng.normal(0, 2, size=(5, 40))
    Z[np.abs(Z) < 1e-3] = -0.5
    act = activations.get(name, **hyper)
    assert _elementwise_check(act.forward, act.derivative, Z) < TOL


def _check_scalar(f, grad, x, eps=1e-6):
    """Relative error of grad against differences of the scalar f at array x."""
    report = gradcheck.check(lambda p: f(p["x"]), {"dx": grad}, {"x": x}, eps)
    return report.max_error


@pytest.mark.parametrize("loss,K", [(losses.binary_cross_entropy, 1),
                                    (losses.softmax_cross_entropy, 4),
                                    (losses.mean_squared_error, 2)])
def test_loss_gradients(loss, K):
    rng = np.random.default_rng(2)
    Z = rng.normal(0, 3, size=(K, 30))
    if loss is losses.binary_cross_entropy:
        Y = (rng.random((1, 30)) > 0.5).astype(float)
    elif loss is losses.softmax_cross_entropy:
        Y = cu.datasets.one_hot(rng.integers(0, K, 30), K)
    else:
        Y = rng.normal(size=(K, 30))
    _, dZ = loss(Z, Y)
    assert _check_scalar(lambda z: loss(z, Y)[0], dZ, Z) < TOL


@pytest.mark.parametrize("penalty", [losses.l2_penalty, losses.l1_penalty])
def test_penalty_gradients(penalty):
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=(4, 1)), "W2": rng.normal(size=(1, 4))}
    _, grads = penalty(params, 0.7, 20)
    grads["db1"] = np.zeros((4, 1))  # biases are not penalized
    report = gradcheck.check(lambda p: penalty(p, 0.7, 20)[0], grads, params)
    assert report.max_error < TOL, str(report)


def test_binary_cross_entropy_is_finite_where_the_seed_gives_inf():
    Z = np.array([[-800.0, 40.0]])
    Y = np.array([[1.0, 0.0]])
    cost, dZ = losses.binary_cross_entropy(Z, Y)
    assert cost == pytest.approx((800 + 40) / 2)
    assert np.all(np.isfinite(dZ))


NETWORKS = [
    # (layer sizes, activations, output, batch norm, keep_prob)
    ((3, 1), (), "sigmoid", False, 1.0),
    ((3, 5, 1), ("tanh",), "sigmoid", False, 1.0),
    ((4, 6, 5, 3), ("relu", "sigmoid"), "softmax", False, 1.0),
    ((3, 5, 4, 4, 1), ("leaky_relu", "elu", "selu"), "sigmoid", False, 1.0),
    ((2, 4, 4, 3, 4, 2), ("softplus", "tanh", "linear", "relu"), "linear", False, 1.0),
    ((3, 6, 5, 4, 4, 3, 1), ("prelu", "rrelu", "tanh", "elu", "sigmoid"), "sigmoid", False, 1.0),
    ((3, 6, 5, 4, 1), ("relu", "tanh", "selu"), "sigmoid", True, 1.0),
    ((3, 6, 5, 1), ("relu", "tanh"), "sigmoid", (True, False), (0.8, 0.6)),
]


@pytest.mark.parametrize("sizes,acts,output,bn,keep", NETWORKS)
@pytest.mark.parametrize("penalties", [(0.0, 0.0), (0.3, 0.2)])
def test_network_gradients(sizes, acts, output, bn, keep, penalties):
    rng = np.random.default_rng(4)
    spec = cu.Spec(sizes, activation=acts if acts else "relu", output=output, batch_norm=bn,
                   keep_prob=keep)
    params = cu.init_params(spec, "xavier_normal", rng)
    # Move batch-norm scales/shifts and PReLU slopes off their initial values.
    for k in params:
        if k[0] in "gab" and not k.startswith("b"):
            params[k] = params[k] + rng.normal(0, 0.3, size=params[k].shape)
    m = 12
    X = rng.normal(size=(sizes[0], m))
    if output == "softmax":
        Y = cu.datasets.one_hot(rng.integers(0, sizes[-1], m), sizes[-1])
    elif output == "sigmoid":
        Y = (rng.random((1, m)) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    l2, l1 = penalties
    report = gradcheck.check_network(spec, params, X, Y, l2=l2, l1=l1)
    assert report.max_error < TOL, str(report)


def test_prelu_shared_slope_gradient():
    rng = np.random.default_rng(5)
    spec = cu.Spec((3, 5, 4, 1), activation="prelu", prelu_shared=True)
    params = cu.init_params(spec, "he_normal", rng)
    X = rng.normal(size=(3, 10))
    Y = (rng.random((1, 10)) > 0.5).astype(float)
    assert params["alpha1"].shape == (1, 1)
    report = gradcheck.check_network(spec, params, X, Y)
    assert report.max_error < TOL, str(report)


def test_gradcheck_flags_a_wrong_gradient():
    rng = np.random.default_rng(6)
    spec = cu.Spec((3, 4, 1), activation="tanh")
    params = cu.init_params(spec, "xavier_normal", rng)
    X = rng.normal(size=(3, 8))
    Y = (rng.random((1, 8)) > 0.5).astype(float)
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    grads["dW1"] = 2 * grads["dW1"]  # a doubled gradient
    cost = lambda p: cu.loss_and_grads(spec, p, X, Y)[0]
    report = gradcheck.check(cost, grads, params)
    assert report.verdict == "bug"
    assert report.worst().key == "W1"
    assert {b.key: b.verdict for b in report.blocks}["W2"] == "ok"


def test_gradcheck_does_not_change_its_inputs():
    rng = np.random.default_rng(7)
    spec = cu.Spec((2, 3, 1))
    params = cu.init_params(spec, "he_normal", rng)
    before = {k: v.copy() for k, v in params.items()}
    X, Y = rng.normal(size=(2, 5)), np.ones((1, 5))
    gradcheck.check_network(spec, params, X, Y)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_sampled_gradcheck_checks_the_requested_number_of_entries():
    rng = np.random.default_rng(8)
    spec = cu.Spec((20, 30, 1))
    params = cu.init_params(spec, "he_normal", rng)
    X, Y = rng.normal(size=(20, 10)), (rng.random((1, 10)) > 0.5).astype(float)
    report = gradcheck.check_network(spec, params, X, Y, n_per_block=5)
    assert {b.key: b.n_checked for b in report.blocks} == {"W1": 5, "b1": 5, "W2": 5, "b2": 1}
    assert report.max_error < TOL


def test_batchnorm_eval_backward_treats_statistics_as_constants():
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(4, 6))
    gamma, beta = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    mean, var = rng.normal(size=(4, 1)), rng.random((4, 1)) + 0.5
    out, cache = layers.batchnorm_forward(Z, gamma, beta, False, mean, var)
    weights = rng.normal(size=out.shape)
    dZ, dgamma, dbeta = layers.batchnorm_backward(weights, cache)
    f = lambda p: float(np.sum(weights * layers.batchnorm_forward(p["Z"], p["g"], p["b"], False, mean, var)[0]))
    report = gradcheck.check(f, {"dZ": dZ, "dg": dgamma, "db": dbeta}, {"Z": Z, "g": gamma, "b": beta})
    assert report.max_error < TOL, str(report)
