"""course_utils.lessons.activations: dead and never-active units, layer moments, activation cost."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import activations as diagnostics
def _two_layer_net(activation, b1, W1=None):
    """A (2, 3, 2, 1) net with hand-set first-layer weights and biases."""
    spec = cu.Spec((2, 3, 2, 1), activation=activation)
    params = cu.init_params(spec, "he_normal", rng=0)
    params["W1"] = np.eye(3, 2) if W1 is None else W1
    params["b1"] = np.asarray(b1, dtype=float).reshape(3, 1)
    return spec, params


X = np.array([[0.5, -0.5, 1.0, 0.0],
              [0.2, 0.3, -1.0, 0.5]])  # both features stay in [-1, 1]


def test_never_active_rows():
    Z = np.array([[-1.0, 0.0, -2.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(diagnostics.never_active_rows(Z), [True, False, True])


def test_a_relu_unit_with_a_bias_below_the_data_never_activates_and_is_dead():
    # Unit 1 computes x1 - 5 < 0 on every example; unit 2 computes x2 + 0, active on some;
    # unit 3 has zero weights and bias 0: z = 0 everywhere, which counts as inactive.
    spec, params = _two_layer_net("relu", [-5.0, 0.0, 0.0])
    masks = diagnostics.never_active(spec, params, X)
    np.testing.assert_array_equal(masks[0], [True, False, True])
    np.testing.assert_allclose(diagnostics.never_active_fraction(spec, params, X)[0], 2 / 3)
    dead = diagnostics.dead_units(spec, params, X)
    np.testing.assert_array_equal(dead[0], masks[0])  # for ReLU the two are the same
    assert diagnostics.dead_fraction(spec, params, X).shape == (2,)


def test_a_leaky_unit_that_never_activates_is_not_dead():
    spec, params = _two_layer_net("leaky_relu", [-5.0, 0.0, 0.0])
    assert diagnostics.never_active(spec, params, X)[0][0]
    assert not diagnostics.dead_units(spec, params, X)[0][0]  # slope 0.01 > 1e-3
    assert diagnostics.dead_units(spec, params, X, tol=0.05)[0][0]  # unless tol is above it


def test_elu_far_below_zero_is_dead_but_near_zero_is_not():
    spec, params = _two_layer_net("elu", [-10.0, -2.0, 0.0])
    dead = diagnostics.dead_units(spec, params, X)[0]
    assert dead[0]  # slope e^z < e^-9 everywhere
    assert not dead[1]  # slope about e^-2 = 0.14


def test_tanh_saturated_everywhere_counts_as_dead():
    spec, params = _two_layer_net("tanh", [8.0, 0.0, -8.0])
    np.testing.assert_array_equal(diagnostics.dead_units(spec, params, X)[0], [True, False, True])
    # tanh's z > 0 for unit 1: it is active, yet it gets no gradient
    assert not diagnostics.never_active(spec, params, X)[0][0]


def test_prelu_slope_counts_and_rrelu_uses_its_mean_slope():
    spec = cu.Spec((2, 3, 1), activation="prelu")
    params = cu.init_params(spec, "he_normal", rng=0)
    params["W1"], params["b1"] = np.eye(3, 2), np.array([[-5.0], [-5.0], [0.0]])
    params["alpha1"] = np.array([[0.25], [0.0], [0.25]])
    slopes = diagnostics.unit_slopes(spec, params, X)[0]
    np.testing.assert_allclose(slopes[0], 0.25)
    np.testing.assert_array_equal(diagnostics.dead_units(spec, params, X)[0], [False, True, False])
    spec_r = cu.Spec((2, 3, 1), activation="rrelu")
    params_r = {k: v for k, v in params.items() if k != "alpha1"}
    slopes = diagnostics.unit_slopes(spec_r, params_r, X)[0]
    np.testing.assert_allclose(slopes[0], (1 / 8 + 1 / 3) / 2)


def test_dead_relu_units_get_exactly_zero_gradient():
    spec, params = _two_layer_net("relu", [-5.0, 0.0, 0.0])
    Y = np.array([[1, 0, 1, 0]])
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    dead = diagnostics.dead_units(spec, params, X, tol=0.0)[0]
    assert np.all(grads["dW1"][dead] == 0) and np.all(grads["db1"][dead] == 0)


def test_layer_moments_match_hidden_activations():
    spec = cu.Spec((3, 5, 4, 1), activation="selu")
    params = cu.init_params(spec, "lecun_normal", rng=1)
    Xr = np.random.default_rng(2).standard_normal((3, 50))
    means, stds = diagnostics.layer_moments(spec, params, Xr)
    _, As = cu.network.hidden_activations(spec, params, Xr)
    np.testing.assert_allclose(means, [A.mean() for A in As])
    np.testing.assert_allclose(stds, [A.std() for A in As])


@pytest.mark.parametrize("name", cu.activations.NAMES + ("prelu", "rrelu"))
def test_activation_cost_times_every_activation(name):
    cost = diagnostics.activation_cost(name, shape=(16, 32), repeats=2)
    assert set(cost) == {"forward", "backward"}
    assert all(0 < seconds < 1 for seconds in cost.values())


def test_step_cost_is_positive():
    spec = cu.Spec((2, 8, 1), activation="elu")
    params = cu.init_params(spec, "he_normal", rng=0)
    assert 0 < diagnostics.step_cost(spec, params, X, np.array([[1, 0, 1, 0]]), repeats=2) < 1


def test_bad_input_names_the_argument():
    spec, params = _two_layer_net("relu", [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        diagnostics.activation_cost("swish")
    with pytest.raises(ValueError, match="tol must be"):
        diagnostics.dead_units(spec, params, X, tol=-1.0)
    with pytest.raises(TypeError, match="repeats must be an int"):
        diagnostics.activation_cost("relu", repeats=1.5)
    with pytest.raises(ValueError, match="X must have shape"):
        diagnostics.dead_fraction(spec, params, np.ones((3, 4)))
    with pytest.raises(ValueError, match="Z must have 2 dimensions"):
        diagnostics.never_active_rows(np.ones(3))


def test_slopes_of_matches_unit_slopes():
    spec = cu.Spec((2, 5, 4, 1), activation=("elu", "tanh"))
    params = cu.init_params(spec, "he_normal", rng=3)
    Zs, _ = cu.network.hidden_activations(spec, params, X)
    for a, b in zip(diagnostics.slopes_of(spec, params, Zs), diagnostics.unit_slopes(spec, params, X)):
        np.testing.assert_array_equal(a, b)


def test_activation_profile_words_and_errors():
    assert diagnostics.activation_profile("sigmoid")["flat"].startswith("|z| > 2.9")
    assert diagnostics.activation_profile("elu")["flat"] == "z < -3.0"
    assert diagnostics.activation_profile("linear")["flat"] == "nowhere"
    assert diagnostics.activation_profile("softplus")["kink"] is False
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        diagnostics.slope_function("swish")  # SiLU is in the registry as "silu" only
    with pytest.raises(ValueError, match="flat_below must be"):
        diagnostics.activation_profile("relu", flat_below=0)


def test_best_time_is_the_fastest_call():
    calls = []
    assert diagnostics.best_time(lambda: calls.append(1), repeats=4) >= 0
    assert len(calls) == 4
