"""Each convention of the core lives in one place: named caches, the registry of activation
layers (PReLU, RReLU), which parameters are weights, an optimizer's rate at a step, train()'s
grouped options, and the lessons' one Gaussian quadrature."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import gradcheck, layers
from course_utils import network as net
from course_utils.lessons import activations as lesson_activations
from course_utils.lessons import gradients as lesson_gradients
from course_utils.lessons import theory


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


# ---------------------------------------------------------------- named caches


def test_layer_caches_are_read_by_name():
    rng = np.random.default_rng(0)
    A_prev, W, b = rng.normal(size=(3, 5)), rng.normal(size=(4, 3)), np.zeros((4, 1))
    _, dense = layers.dense_forward(A_prev, W, b)
    assert dense.A_prev is A_prev and dense.W is W

    Z = rng.normal(size=(4, 5))
    A, act = layers.activation_forward(Z, "tanh")
    assert act.Z is Z and act.A is A and act.activation.name == "tanh"

    _, bn = layers.batchnorm_forward(Z, np.ones((4, 1)), np.zeros((4, 1)), train=True)
    np.testing.assert_allclose(bn.mean, Z.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(bn.var, Z.var(axis=1, keepdims=True))
    assert bn.train and bn.Z_hat.shape == Z.shape and bn.inv_std.shape == (4, 1)

    _, drop = layers.dropout_forward(Z, 0.5, train=True, rng=1)
    assert drop.mask.dtype == bool and drop.keep_prob == 0.5

    _, prelu = layers.prelu_forward(Z, np.full((4, 1), 0.25))
    np.testing.assert_array_equal(prelu.negative, Z <= 0)
    _, rrelu = layers.rrelu_forward(Z, train=True, rng=2)
    assert np.all((rrelu.slope >= layers.RRELU_LOWER) & (rrelu.slope <= layers.RRELU_UPPER))


def test_the_network_cache_has_one_named_record_per_layer():
    spec = cu.Spec((2, 5, 4, 1), activation=("prelu", "relu"), batch_norm=(True, False),
                   keep_prob=(1.0, 0.5))
    params = cu.init_params(spec, "he_normal", rng=0)
    X = np.random.default_rng(1).normal(size=(2, 8))
    _, cache = cu.forward(spec, params, X, train=True, rng=2)
    first, second, output = cache.layers
    assert first.dense.W is params["W1"] and first.dense.A_prev is X
    assert isinstance(first.batchnorm, layers.BatchNormCache)
    assert isinstance(first.activation, layers.PReLUCache) and first.dropout is None
    assert second.batchnorm is None and isinstance(second.dropout, layers.DropoutCache)
    assert output.dense.W is params["W3"]
    assert (output.batchnorm, output.activation, output.dropout) == (None, None, None)
    # the running mean moved a tenth of the way to the batch mean (read by name)
    np.testing.assert_allclose(cache.state["running_mean1"], 0.1 * first.batchnorm.mean)


# ---------------------------------------------------------------- activation layers


def test_prelu_and_rrelu_are_registered_activation_layers():
    assert set(layers.ACTIVATION_LAYERS) == set(net.LAYER_ACTIVATIONS) == {"prelu", "rrelu"}
    prelu, rrelu = layers.activation_layer("prelu"), layers.activation_layer("rrelu")
    assert (prelu.param, prelu.param_init, prelu.draws_random) == ("alpha", 0.25, False)
    assert (rrelu.param, rrelu.draws_random) == (None, True)
    relu = layers.activation_layer("relu")
    assert relu.param is None and not relu.draws_random
    spec = cu.Spec((2, 3, 3, 1), activation=("prelu", "rrelu"))
    assert [layer.name for layer in spec.activation_layers] == ["prelu", "rrelu"]
    assert spec.needs_rng and not cu.Spec((2, 3, 1), activation="prelu").needs_rng


def test_prelu_parameters_keep_their_names_and_shapes():
    params = cu.init_params(cu.Spec((2, 3, 4, 1), activation="prelu"), "he_normal", rng=0)
    assert params["alpha1"].shape == (3, 1) and params["alpha2"].shape == (4, 1)
    assert np.all(params["alpha1"] == 0.25) and "alpha3" not in params
    shared = cu.init_params(cu.Spec((2, 3, 1), activation="prelu", prelu_shared=True), rng=0)
    assert shared["alpha1"].shape == (1, 1)


@pytest.mark.parametrize("activation,shared", [("prelu", False), ("prelu", True), ("rrelu", False),
                                               (("prelu", "rrelu"), False)])
def test_gradients_through_the_registry(activation, shared):
    """Float64 gradient check of networks with registered activation layers."""
    rng = np.random.default_rng(5)
    spec = cu.Spec((3, 6, 5, 1), activation=activation, prelu_shared=shared,
                   batch_norm=(False, True))
    params = cu.init_params(spec, "xavier_normal", rng)
    for key in params:
        if key.startswith("alpha"):  # slopes off their start, different per unit
            params[key] = params[key] + rng.normal(0, 0.1, size=params[key].shape)
    X = rng.normal(size=(3, 10))
    Y = (rng.random((1, 10)) > 0.5).astype(float)
    report = gradcheck.check_network(spec, params, X, Y)
    assert report.max_error < 1e-7, str(report)
    if "prelu" in np.atleast_1d(activation):
        assert "dalpha1" in net.loss_and_grads(spec, params, X, Y, rng=0)[1]


def test_diagnostic_slopes_come_from_the_registry():
    spec = cu.Spec((2, 4, 4, 1), activation=("prelu", "rrelu"))
    params = cu.init_params(spec, "he_normal", rng=0)
    params["alpha1"] = np.array([[0.1], [0.2], [0.3], [0.4]])
    Zs = [np.array([[-1.0, 2.0]] * 4), np.array([[-1.0, 2.0]] * 4)]
    prelu_slopes, rrelu_slopes = lesson_activations.slopes_of(spec, params, Zs)
    np.testing.assert_allclose(prelu_slopes[:, 0], [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(rrelu_slopes[:, 0], (1 / 8 + 1 / 3) / 2)
    assert np.all(prelu_slopes[:, 1] == 1) and np.all(rrelu_slopes[:, 1] == 1)
    slope = lesson_activations.slope_function("prelu")
    assert float(slope(np.array(-1.0))) == 0.25 and float(slope(np.array(1.0))) == 1.0
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        lesson_activations.slope_function("swish")


# ---------------------------------------------------------------- which parameters are weights


def test_is_weight_is_the_one_definition():
    assert all(cu.losses.is_weight(k) for k in ("W1", "W12"))
    assert not any(cu.losses.is_weight(k) for k in ("b1", "gamma1", "beta1", "alpha1"))
    params = {"W1": 1, "b1": 2, "alpha1": 3, "W2": 4}
    assert cu.losses.weight_keys(params) == ["W1", "W2"]
    assert not hasattr(cu.optimizers, "_is_weight")
    decayed = cu.optimizers.sgd(0.1, weight_decay=1.0).update(
        {"W1": np.ones(2), "b1": np.ones(2)}, {"dW1": np.zeros(2), "db1": np.zeros(2)}, {"step": 0})[0]
    np.testing.assert_allclose(decayed["W1"], 0.9)
    np.testing.assert_allclose(decayed["b1"], 1.0)


# ---------------------------------------------------------------- an optimizer's rate at a step


def test_lr_at_reads_a_number_or_a_schedule():
    assert cu.optimizers.sgd(0.05).lr_at(0) == 0.05
    assert cu.optimizers.adam(0.01).lr_at(10_000) == 0.01
    decayed = cu.optimizers.momentum(cu.optimizers.step_decay(0.4, drop=0.5, every=10))
    assert (decayed.lr_at(0), decayed.lr_at(9), decayed.lr_at(10)) == (0.4, 0.4, 0.2)
    falling = cu.optimizers.sgd(lambda t: 1.0 - 0.5 * t)
    with pytest.raises(ValueError, match=r"lr\(2\).*step 2"):
        falling.lr_at(2)


def test_proximal_l1_shrinks_by_the_scheduled_rate(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 6, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    schedule = cu.optimizers.exponential_decay(0.5, 0.9)
    optimizer = cu.optimizers.sgd(schedule)
    hist = cu.train(spec, params, X, Y, optimizer, steps=3, penalty=cu.L1(2.0, proximal=True))
    by_hand, state, m = params, optimizer.init(params), X.shape[1]
    for _ in range(3):
        _, grads, _ = cu.loss_and_grads(spec, by_hand, X, Y)
        threshold = optimizer.lr_at(state["step"]) * 2.0 / m
        by_hand, state = optimizer.update(by_hand, grads, state)
        by_hand = {k: cu.losses.soft_threshold(p, threshold) if cu.losses.is_weight(k) else p
                   for k, p in by_hand.items()}
    for key in params:
        np.testing.assert_array_equal(hist.params[key], by_hand[key])


# ---------------------------------------------------------------- train()'s options


@pytest.mark.parametrize("make,error,words", [
    (lambda: cu.L2(-0.1), ValueError, ["L2's lambd", ">= 0", "-0.1"]),
    (lambda: cu.L2("0.3"), TypeError, ["L2's lambd", "number", "str"]),
    (lambda: cu.L1(float("inf")), ValueError, ["L1's lambd", "finite"]),
    (lambda: cu.L1(0.1, proximal="yes"), TypeError, ["L1's proximal", "True or False"]),
    (lambda: cu.ClipNorm(0.0), ValueError, ["ClipNorm's threshold", "> 0"]),
    (lambda: cu.ClipValue(-1.0), ValueError, ["ClipValue's threshold", "> 0"]),
    (lambda: cu.ClipValue(None), TypeError, ["ClipValue's threshold", "number"]),
    (lambda: cu.Validation(np.zeros((2, 3))), ValueError, ["X_val and Y_val"]),
    (lambda: cu.Validation(np.zeros((2, 3)), np.zeros((1, 3)), every=0), ValueError,
     ["Validation's every", ">= 1"]),
    (lambda: cu.Validation(np.zeros((2, 3)), np.zeros((1, 3)), every=2.5), TypeError,
     ["Validation's every", "int"]),
    (lambda: cu.Validation(every=10, patience=5), ValueError, ["patience", "validation set"]),
    (lambda: cu.Validation(np.zeros((2, 3)), np.zeros((1, 3)), patience=0), ValueError,
     ["Validation's patience"]),
    (lambda: cu.Validation([[1.0]], [[0.0]]), TypeError, ["X_val", "numpy array"]),
])
def test_bad_options_name_the_argument(make, error, words):
    with pytest.raises(error) as raised:
        make()
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


def test_options_are_small_frozen_records():
    assert cu.L2(0.3) == cu.L2(0.3) and cu.L1(0.1) != cu.L1(0.1, proximal=True)
    with pytest.raises(AttributeError):
        cu.L2(0.3).lambd = 1.0
    assert cu.Validation().every == 100 and cu.Validation().patience is None
    assert cu.training.L2 is cu.L2 and cu.training.Validation is cu.Validation


SPEC = cu.Spec((2, 4, 1))
PARAMS = cu.init_params(SPEC, "he_normal", rng=0)


@pytest.mark.parametrize("keyword,value,instead", [
    ("l2", 0.3, "penalty=cu.L2(0.3)"),
    ("l1", 0.1, "penalty=cu.L1(0.1)"),
    ("l1_proximal", True, "penalty=cu.L1(lambd, proximal=True)"),
    ("clip_norm", 5.0, "clip=cu.ClipNorm(5)"),
    ("clip_value", 1.0, "clip=cu.ClipValue(1)"),
    ("X_val", None, "validation=cu.Validation(X_val, Y_val"),
    ("eval_every", 10, "validation=cu.Validation(X_val, Y_val, every=10)"),
    ("patience", 50, "validation=cu.Validation(X_val, Y_val, patience=50)"),
])
def test_an_old_keyword_says_what_to_write(circles, keyword, value, instead):
    X, Y, _, _ = circles
    with pytest.raises(TypeError) as raised:
        cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=1, **{keyword: value})
    assert f"no longer takes {keyword}=" in str(raised.value)
    assert instead in str(raised.value)


def test_an_unknown_keyword_is_an_ordinary_type_error(circles):
    X, Y, _, _ = circles
    with pytest.raises(TypeError, match="unexpected keyword argument 'lambd'"):
        cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=1, lambd=0.3)


@pytest.mark.parametrize("keyword,value,words", [
    ("penalty", 0.3, ["penalty", "cu.L2(lambd)", "float"]),
    ("clip", 5.0, ["clip", "cu.ClipNorm(threshold)"]),
    ("validation", (1, 2), ["validation", "cu.Validation(X_val, Y_val"]),
])
def test_an_option_of_the_wrong_kind_is_named(circles, keyword, value, words):
    X, Y, _, _ = circles
    with pytest.raises(TypeError) as raised:
        cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=1, **{keyword: value})
    for word in words:
        assert word in str(raised.value)


def test_penalty_and_clip_do_what_they_say(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 1))
    params = cu.init_params(spec, "he_normal", rng=0, gain=3.0)
    sgd = cu.optimizers.sgd(0.5)
    hist = cu.train(spec, params, X, Y, sgd, steps=1, penalty=cu.L2(0.7), clip=cu.ClipNorm(0.1))
    cost, grads, _ = cu.loss_and_grads(spec, params, X, Y, l2=0.7)
    assert hist.costs[0] == cost
    clipped = cu.optimizers.clip_by_norm(grads, 0.1)
    for key in params:
        np.testing.assert_allclose(hist.params[key], params[key] - 0.5 * clipped["d" + key])
    hist = cu.train(spec, params, X, Y, sgd, steps=1, clip=cu.ClipValue(0.01))
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    for key in params:
        np.testing.assert_allclose(hist.params[key],
                                   params[key] - 0.5 * np.clip(grads["d" + key], -0.01, 0.01))


def test_validation_without_a_set_evaluates_the_training_set(circles):
    X, Y, X_test, Y_test = circles
    hist = cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=20,
                    validation=cu.Validation(every=5))
    assert hist.evals["step"] == [0, 5, 10, 15, 20]
    assert set(hist.evals) == {"step", "train_cost", "train_acc"}
    hist = cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=20,
                    validation=cu.Validation(X_test, Y_test, every=10))
    assert set(hist.evals) == {"step", "train_cost", "train_acc", "val_cost", "val_acc"}
    assert not hist.stopped_early and hist.best_step is None


def test_validation_data_are_checked_against_the_spec(circles):
    X, Y, _, _ = circles
    with pytest.raises(ValueError, match="X_val must have shape"):
        cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(0.1), steps=1,
                 validation=cu.Validation(np.zeros((3, 5)), np.zeros((1, 5))))


# ---------------------------------------------------------------- one quadrature


def test_the_lessons_share_one_quadrature():
    assert not hasattr(lesson_gradients, "_NODES") and not hasattr(lesson_gradients, "hermegauss")
    assert lesson_gradients.slope_second_moment("relu", 2.0) == pytest.approx(0.5, abs=1e-12)
    assert lesson_gradients.slope_second_moment("linear", 3.0) == pytest.approx(1.0, abs=1e-12)
    assert theory.second_moment("relu", 2.0) == pytest.approx(1.0, abs=1e-12)
    assert theory.gaussian_expectation(lambda z: z ** 2, 4.0) == pytest.approx(4.0, rel=1e-12)
