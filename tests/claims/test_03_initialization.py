"""Every claim of 03_initialization, as a test against course_utils.

Seeds and margins are stated with each test. The seed's own numbers (published results of
seed 003) are checked to the printed digit in tests/unit/test_init_utils.py.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import course_utils as cu
from course_utils import init_utils

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


def _seed_accuracy(params, X, Y):
    return float(np.mean(init_utils.predict_dec(params, X) == Y))


@pytest.mark.parametrize("init,published", [("zeros", (0.5, 0.5)), ("random", (0.83, 0.86)),
                                            ("he", (0.9933, 0.96))])
def test_seed_experiment_reproduces_published_accuracies(circles, init, published):
    X, Y, X_test, Y_test = circles
    params = init_utils.model(X, Y, initialization=init, print_cost=False, plot=False)
    assert round(_seed_accuracy(params, X, Y), 4) == published[0]
    assert round(_seed_accuracy(params, X_test, Y_test), 2) == published[1]


def test_inf_first_cost_is_a_rounded_sigmoid_and_the_stable_loss_is_finite(circles):
    X, Y, _, _ = circles
    params = init_utils.initialize_parameters_random([2, 10, 5, 1])
    a3, cache = init_utils.forward_propagation(X, params)
    z3 = cache[8]
    assert np.all(a3 == 1.0)  # sigmoid rounds to exactly 1 for every example
    assert init_utils.compute_loss(a3, Y) == np.inf
    cost, dz3 = cu.losses.binary_cross_entropy(z3, Y)
    # The true cost: the mean over the class-0 examples of log(1 + e^z) ~ z.
    expected = np.mean(np.where(Y == 0, z3, 0.0)) + np.mean(np.where(Y == 1, np.log1p(np.exp(-z3)), 0.0))
    assert cost == pytest.approx(expected, rel=1e-9)
    assert 1000 < cost < 3000
    assert np.abs(dz3).max() == pytest.approx(1 / X.shape[1])


def test_zero_start_has_exactly_zero_weight_gradients(circles):
    X, Y, _, _ = circles
    params = init_utils.initialize_parameters_zeros([2, 10, 5, 1])
    a3, cache = init_utils.forward_propagation(X, params)
    grads = init_utils.backward_propagation(X, Y, cache)
    for key in ["dW1", "db1", "dW2", "db2", "dW3"]:
        assert not np.any(grads[key]), key
    assert abs(grads["db3"].item()) < 1e-17  # balanced classes: zero up to rounding
    final = init_utils.model(X, Y, initialization="zeros", print_cost=False, plot=False)
    for l in (1, 2, 3):
        assert not np.any(final[f"W{l}"])
    assert abs(final["b3"].item()) < 1e-15


def test_constant_start_keeps_every_unit_of_a_layer_identical(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 5, 1))
    params = cu.init_params(spec, cu.initializers.get("constant", value=0.5))
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.01), steps=15_000)
    for l in (1, 2):
        W = hist.params[f"W{l}"]
        assert np.ptp(W, axis=0).max() == 0.0  # every row (unit) the same, exactly
        assert not np.allclose(W, 0.5)  # yet they did move
    assert cu.accuracy(spec, hist.params, X, Y) < 0.7


@pytest.fixture(scope="module")
def deep_net_data():
    return np.random.default_rng(0).standard_normal((100, 1000))


SIZES = (100,) + (100,) * 10 + (1,)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("init,gain", [("he_normal", 0.5), ("xavier_normal", 1.0),
                                       ("he_normal", 1.0), ("he_normal", 2.0)])
def test_variance_formula_predicts_every_layer(deep_net_data, activation, init, gain):
    """The formula predicts the variance averaged over draws of the weights: over 8 draws
    (rng 1..8) of 100-unit layers, sqrt(mean Var(z_l)) is within 12% of the prediction at
    every layer. A single draw scatters more, and for ReLU the scatter compounds with depth:
    the notebook's draw (rng 1) stays within 40%."""
    spec = cu.Spec(SIZES, activation=activation)
    predicted = cu.theory.preactivation_std(SIZES, activation, init, gain, 1.0)
    variances = []
    for seed in range(1, 9):
        Zs, _ = cu.network.hidden_activations(spec, cu.init_params(spec, init, rng=seed, gain=gain),
                                              deep_net_data)
        variances.append([Z.var() for Z in Zs])
    variances = np.array(variances)
    np.testing.assert_allclose(np.sqrt(variances.mean(axis=0)), predicted, rtol=0.12)
    np.testing.assert_allclose(np.sqrt(variances[0]), predicted, rtol=0.4)


def test_he_holds_relu_spread_while_others_vanish_or_explode(deep_net_data):
    spec = cu.Spec(SIZES, activation="relu")
    last = {}
    for name, (init, gain) in {"small": ("he_normal", 0.5), "xavier": ("xavier_normal", 1.0),
                               "he": ("he_normal", 1.0), "large": ("he_normal", 2.0)}.items():
        Zs, _ = cu.network.hidden_activations(spec, cu.init_params(spec, init, rng=1, gain=gain),
                                              deep_net_data)
        last[name] = Zs[-1].std() / Zs[0].std()
    assert last["small"] < 1e-2 and last["xavier"] < 0.1
    assert 0.5 < last["he"] < 2
    assert last["large"] > 100


def test_relu_halves_the_second_moment():
    assert cu.theory.second_moment("relu", 3.0) == pytest.approx(1.5, rel=1e-12)
    assert cu.theory.second_moment("linear", 3.0) == pytest.approx(3.0, rel=1e-12)


def test_tanh_saturates_when_too_large(deep_net_data):
    """2 x He with tanh: over half of every layer's units beyond |a| = 0.9 (slope < 0.2);
    Xavier: almost none past layer 2."""
    spec = cu.Spec(SIZES, activation="tanh")
    def saturated(init, gain):
        _, As = cu.network.hidden_activations(spec, cu.init_params(spec, init, rng=1, gain=gain),
                                              deep_net_data)
        return np.array([np.mean(np.abs(A) > 0.9) for A in As])
    assert np.all(saturated("he_normal", 2.0) > 0.5)
    assert np.all(saturated("xavier_normal", 1.0)[2:] < 0.05)


def test_standard_uniform_gives_one_third_at_layer_one_only(deep_net_data):
    spec = cu.Spec(SIZES, activation="tanh")
    Zs, _ = cu.network.hidden_activations(spec, cu.init_params(spec, "standard_uniform", rng=2),
                                          deep_net_data)
    variance = np.array([Z.var() for Z in Zs])
    assert variance[0] == pytest.approx(1 / 3, rel=0.1)
    assert variance[-1] < 1e-4  # seed 004 says 1/3 at every depth
    assert np.all(np.diff(variance) < 0)


def test_xavier_uniform_bound_has_xaviers_variance():
    bound = np.sqrt(6 / (30 + 50))
    W = cu.initializers.get("xavier_uniform")(30, 50, rng=0)
    assert np.abs(W).max() <= bound
    assert cu.initializers.get("xavier_uniform").std(30, 50) ** 2 == pytest.approx(2 / 80)


def test_xavier_vs_he_sweep_data_recomputes(circles):
    """Recompute a sample of data/xavier_vs_he.json (one draw of each initializer)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_xavier_he import run_one
    stored = json.loads((ROOT / "data" / "xavier_vs_he.json").read_text())["runs"]
    for init in ("xavier_normal", "he_normal"):
        row = next(r for r in stored if r["init"] == init and r["seed"] == 0)
        again = run_one(init, 0)
        assert again["train_acc"] == row["train_acc"] and again["test_acc"] == row["test_acc"]
        assert again["final_cost"] == pytest.approx(row["final_cost"], abs=1e-5)
        assert again["steps_to_target"] == row["steps_to_target"]


def test_he_beats_xavier_on_the_seed_task_on_average():
    """The notebook's conclusion from the stored sweep (10 draws each)."""
    runs = json.loads((ROOT / "data" / "xavier_vs_he.json").read_text())["runs"]
    def mean(init, key):
        return np.mean([r[key] for r in runs if r["init"] == init])
    assert mean("he_normal", "final_cost") < mean("xavier_normal", "final_cost")
    assert abs(mean("he_normal", "test_acc") - mean("xavier_normal", "test_acc")) < 0.03
