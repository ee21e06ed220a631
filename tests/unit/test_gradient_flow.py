"""course_utils.lessons.gradients: the backward signals against finite differences (float64,
relative error < 1e-7), the predictions against exact cases, and the argument checks."""

import math

import numpy as np
import pytest

import course_utils as cu
from course_utils import gradcheck
from course_utils.lessons import gradients as gradient_flow
TOL = 1e-7


def _linear_cost(spec, G):
    """J(params) = sum(G * Z_L): its gradient at the logits is exactly G."""
    def cost(params, X):
        Z_L, _ = cu.network.forward(spec, params, X)
        return float(np.sum(G * Z_L))
    return cost


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear", "elu"])
def test_backward_signals_match_finite_differences(activation):
    """With one example, dJ/db_l = dZ_l exactly, so the numerical gradient of the biases
    checks every layer's backward signal; dJ/dW_l checks dWs."""
    rng = np.random.default_rng(0)
    spec = cu.Spec((5, 7, 6, 4, 3), activation=activation, output="linear")
    params = cu.init_params(spec, "xavier_normal", rng=1, gain=1.3)
    x = rng.standard_normal((5, 1))
    G = rng.standard_normal((3, 1))
    _, cache = cu.network.forward(spec, params, x)
    dZs, dWs = gradient_flow.backward_signals(spec, cache, G)
    cost = _linear_cost(spec, G)
    numeric = gradcheck.numerical_gradient(lambda p: cost(p, x), params)
    for l in range(1, spec.n_layers + 1):
        assert gradcheck.relative_error(dZs[l - 1], numeric[f"db{l}"]) < TOL, l
        assert gradcheck.relative_error(dWs[l - 1], numeric[f"dW{l}"]) < TOL, l


def test_measure_agrees_with_the_networks_own_backward_pass():
    X, Y, _, _ = cu.datasets.load_digits()
    X, Y = X[:, :50], Y[:, :50]
    spec = cu.Spec((64, 16, 16, 10), activation="tanh", output="softmax")
    params = cu.init_params(spec, "xavier_normal", rng=0)
    norms = gradient_flow.measure(spec, params, X, Y)
    _, grads, cache = cu.loss_and_grads(spec, params, X, Y, train=False)
    for l in (1, 2, 3):
        assert norms.dW_norm[l - 1] == pytest.approx(np.linalg.norm(grads[f"dW{l}"]), rel=1e-12)
    # the output layer's per-example gradient is softmax(z) - y
    P = cu.predict_proba(spec, params, X)
    assert norms.grad_rms[-1] == pytest.approx(np.sqrt(np.mean((P - Y) ** 2)), rel=1e-12)
    assert norms.z_rms.shape == (3,) and norms.a_rms.shape == (2,)
    assert norms.a_rms[0] == pytest.approx(np.sqrt(np.mean(cache.hidden[0] ** 2)))


@pytest.mark.parametrize("scale", [1.5, 0.5])
def test_deep_linear_network_is_exactly_scale_to_the_power_of_depth(scale):
    """Seed 000: W_l = scale * I, so z_l = scale^l x and dJ/dz_l = scale^(L-l) dJ/dy."""
    L = 12
    spec = cu.Spec((2,) * (L + 1), activation="linear", output="linear")
    params = gradient_flow.scaled_identity(spec, scale)
    x = np.array([[1.0], [-1.0]])
    norms = gradient_flow.measure(spec, params, x, output_grad=np.ones((2, 1)))
    layers = np.arange(1, L + 1)
    np.testing.assert_allclose(norms.z_rms, scale ** layers, rtol=1e-12)
    np.testing.assert_allclose(norms.grad_rms, scale ** (L - layers), rtol=1e-12)
    # every dW_l = scale^(L-1) * (dJ/dy) x^T: the same size at every layer
    np.testing.assert_allclose(norms.dW_norm, scale ** (L - 1) * 2, rtol=1e-12)


def test_overflow_is_reported_without_a_warning():
    """1.5^L passes the largest float64 (1.8e308) at L = 1751: rms sees it there, not at
    L = 876 where its square would overflow."""
    spec = cu.Spec((2,) * 2001, activation="linear", output="linear")
    with np.errstate(all="raise"):
        norms = gradient_flow.measure(spec, gradient_flow.scaled_identity(spec, 1.5),
                                      np.ones((2, 1)), output_grad=np.ones((2, 1)))
    finite = np.isfinite(norms.z_rms)
    assert finite[:1750].all() and not finite[1750:].any()
    assert norms.z_rms[1749] == pytest.approx(1.5 ** 1750, rel=1e-9)


def test_rms_of_huge_and_empty_values():
    assert gradient_flow.rms(np.array([1e300, -1e300])) == pytest.approx(1e300)
    assert gradient_flow.rms(np.array([np.inf, 1.0])) == np.inf
    assert np.isnan(gradient_flow.rms(np.array([np.nan, 1.0])))
    assert gradient_flow.rms(np.zeros(3)) == 0.0


def test_predict_is_exact_for_a_linear_network():
    sizes = (30,) * 6
    z_pred, grad_pred = gradient_flow.predict(sizes, "linear", "lecun_normal", gain=1.5,
                                              input_second_moment=4.0, output_grad_rms=0.3)
    layers = np.arange(1, 6)
    np.testing.assert_allclose(z_pred, 2.0 * 1.5 ** layers, rtol=1e-12)
    np.testing.assert_allclose(grad_pred, 0.3 * 1.5 ** (5 - layers), rtol=1e-12)


def test_slope_second_moment():
    assert gradient_flow.slope_second_moment("relu", 2.0) == pytest.approx(0.5, rel=1e-12)
    assert gradient_flow.slope_second_moment("linear", 2.0) == pytest.approx(1.0, rel=1e-12)
    assert gradient_flow.slope_second_moment("sigmoid", 1e-8) == pytest.approx(1 / 16, rel=1e-6)
    for variance in (0.1, 1.0, 10.0):
        assert gradient_flow.slope_second_moment("sigmoid", variance) < 1 / 16
    assert gradient_flow.slope_second_moment("tanh", 1e-8) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("call,error,words", [
    (lambda: gradient_flow.scaled_identity(cu.Spec((2, 3, 2)), 1.5), ValueError, "same size"),
    (lambda: gradient_flow.measure(cu.Spec((2, 3, 1)), cu.init_params(cu.Spec((2, 3, 1)), rng=0),
                                   np.ones((2, 4))), ValueError, "give Y"),
    (lambda: gradient_flow.measure(cu.Spec((2, 3, 1)), cu.init_params(cu.Spec((2, 3, 1)), rng=0),
                                   np.ones((2, 4)), output_grad=np.ones((1, 3))), ValueError,
     "output_grad must have"),
    (lambda: gradient_flow.measure(cu.Spec((2, 3, 1), batch_norm=True),
                                   cu.init_params(cu.Spec((2, 3, 1), batch_norm=True), rng=0),
                                   np.ones((2, 4)), np.ones((1, 4))), ValueError, "no batch norm"),
    (lambda: gradient_flow.measure(cu.Spec((2, 3, 1), activation="prelu"),
                                   cu.init_params(cu.Spec((2, 3, 1), activation="prelu"), rng=0),
                                   np.ones((2, 4)), np.ones((1, 4))), ValueError, "registry"),
    (lambda: gradient_flow.predict((2, 3, 1), "relu", "zeros"), ValueError, "constant"),
    (lambda: gradient_flow.predict((2, 3, 1), "swish", "he_normal"), ValueError, "unknown"),
])
def test_bad_input_is_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_rms():
    assert gradient_flow.rms(np.array([3.0, -4.0])) == pytest.approx(math.sqrt(12.5))


# ---------------------------------------------------------------- the sigmoid's mean


def test_cancel_mean_sets_the_biases_and_leaves_the_rest():
    spec = cu.Spec((4, 5, 6, 3), activation="sigmoid", output="softmax")
    params = cu.init_params(spec, "xavier_normal", rng=0, gain=4.0)
    cancelled = gradient_flow.cancel_mean(spec, params)
    np.testing.assert_array_equal(cancelled["b1"], params["b1"])  # layer 1 sees the data
    for l in (2, 3):
        np.testing.assert_allclose(cancelled[f"b{l}"], -0.5 * params[f"W{l}"].sum(axis=1, keepdims=True))
        np.testing.assert_array_equal(cancelled[f"W{l}"], params[f"W{l}"])
    assert not np.any(params["b2"])  # the input is not changed


def test_cancelled_sigmoid_starts_exactly_as_the_centred_sigmoid():
    """sigma(z) - 1/2 feeding W, or sigma(z) feeding W with b = -W 1/2: the same z."""
    rng = np.random.default_rng(1)
    X = rng.random((4, 7))
    plain = cu.Spec((4, 5, 5, 3), activation="sigmoid", output="softmax")
    centred = cu.Spec((4, 5, 5, 3), activation="sigmoid_centered", output="softmax")
    params = cu.init_params(plain, "xavier_normal", rng=2, gain=4.0)
    Z_plain, _ = cu.forward(plain, gradient_flow.cancel_mean(plain, params), X)
    Z_centred, _ = cu.forward(centred, params, X)
    np.testing.assert_allclose(Z_plain, Z_centred, rtol=1e-12, atol=1e-12)


def test_the_sweep_script_cancels_the_mean_the_same_way():
    import pathlib
    import sys
    sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "scripts"))
    from sweep_sigmoid_gain import spec_for, start_params
    spec = spec_for("bias_cancel", 6)
    ours = gradient_flow.cancel_mean(spec, cu.init_params(spec, "xavier_normal", rng=1, gain=4.0))
    theirs = start_params("bias_cancel", 6, 4.0, 1)
    assert all(np.array_equal(ours[key], theirs[key]) for key in theirs)


def test_saturation_counts_flat_units_and_offsets():
    spec = cu.Spec((3, 4, 2), activation="sigmoid", output="softmax")
    params = {"W1": np.zeros((4, 3)), "b1": np.array([[0.0], [5.0], [-5.0], [1.0]]),
              "W2": np.zeros((2, 4)), "b2": np.zeros((2, 1))}
    s = gradient_flow.saturation(spec, params, np.ones((3, 6)))
    assert s.flat == pytest.approx(0.5)  # |z| = 5: slope 0.0066 < 0.05; z = 0, 1: not flat
    assert s.offset_across_units == pytest.approx(np.std([0.0, 5.0, -5.0, 1.0]))
    assert s.spread_across_examples == 0.0
    tanh = cu.Spec((3, 4, 2), activation="tanh", output="softmax")  # the same point on its S
    params["b1"] = np.array([[0.0], [2.5], [-2.5], [0.5]])
    assert gradient_flow.saturation(tanh, params, np.ones((3, 6))).flat == pytest.approx(0.5)


@pytest.mark.parametrize("call,words", [
    (lambda: gradient_flow.cancel_mean(cu.Spec((2, 3, 1)), {"W1": np.ones((3, 2))}), "b1|missing|params"),
    (lambda: gradient_flow.cancel_mean(cu.Spec((2, 3, 1)), cu.init_params(cu.Spec((2, 3, 1)), rng=0),
                                       mean=float("nan")), "mean must be"),
    (lambda: gradient_flow.saturation(cu.Spec((2, 3, 3, 1), activation=("relu", "tanh")),
                                      cu.init_params(cu.Spec((2, 3, 3, 1), activation=("relu", "tanh")), rng=0),
                                      np.ones((2, 4))), "one activation"),
])
def test_sigmoid_mean_helpers_reject_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
