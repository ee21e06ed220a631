"""Bad input gets a clear error that names the argument and what was expected."""

import numpy as np
import pytest

import course_utils as cu

X = np.zeros((2, 5))
Y = np.zeros((1, 5))
SPEC = cu.Spec((2, 3, 1))
PARAMS = cu.init_params(SPEC, "he_normal", rng=0)
SGD = cu.optimizers.sgd(0.1)
Y_TWOS = np.array([[0.0, 2.0, 0.0, 2.0, 2.0]])  # 0/1 labels times 2
SPEC_BN = cu.Spec((2, 3, 1), batch_norm=True)
PARAMS_BN = cu.init_params(SPEC_BN, "he_normal", rng=0)


def _run_schedule(optimizer, steps):
    """Take `steps` updates of one parameter with a constant gradient."""
    params, state = {"W1": np.ones((1, 1))}, optimizer.init({"W1": np.ones((1, 1))})
    for _ in range(steps):
        params, state = optimizer.update(params, {"dW1": np.ones((1, 1))}, state)
    return params


def _params_with(key, value):
    params = dict(PARAMS)
    params[key] = value
    return params


def _params_without(key):
    params = dict(PARAMS)
    del params[key]
    return params


CASES = [
    # (description, call, error type, words the message must contain)
    ("unknown activation", lambda: cu.activations.get("relu6"), ValueError, ["relu6", "known", "sigmoid"]),
    ("activation name not a str", lambda: cu.activations.get(3), TypeError, ["activation", "str"]),
    ("unknown activation hyperparameter", lambda: cu.activations.get("relu", slope=0.1), TypeError, ["slope"]),
    ("unknown initializer", lambda: cu.initializers.get("glorot"), ValueError, ["glorot", "xavier_uniform"]),
    ("unknown activation in Spec", lambda: cu.Spec((2, 3, 1), activation="swish"), ValueError, ["swish", "known"]),
    ("unknown output", lambda: cu.Spec((2, 3, 1), output="tanh"), ValueError, ["output", "softmax"]),
    ("layer size 0", lambda: cu.Spec((2, 0, 1)), ValueError, ["layer_sizes[1]", ">= 1"]),
    ("layer size not an int", lambda: cu.Spec((2, 2.5, 1)), TypeError, ["layer_sizes[1]", "int"]),
    ("one layer size only", lambda: cu.Spec((2,)), ValueError, ["layer_sizes", "at least"]),
    ("activations per layer, wrong count", lambda: cu.Spec((2, 3, 3, 1), activation=("relu",)), ValueError, ["activation", "hidden layer"]),
    ("keep_prob above 1", lambda: cu.Spec((2, 3, 1), keep_prob=1.5), ValueError, ["keep_prob", "(0, 1]", "1.5"]),
    ("X with the wrong number of features", lambda: cu.forward(SPEC, PARAMS, np.zeros((3, 5))), ValueError, ["X", "(2, m)"]),
    ("Y not matching X", lambda: cu.train(SPEC, PARAMS, X, np.zeros((1, 4)), SGD, steps=1), ValueError, ["Y", "(1, 5)"]),
    ("X not finite", lambda: cu.train(SPEC, PARAMS, np.full((2, 5), np.nan), Y, SGD, steps=1), ValueError, ["X", "NaN"]),
    ("X a list", lambda: cu.train(SPEC, PARAMS, [[0.0]], Y, SGD, steps=1), TypeError, ["X", "numpy array"]),
    ("params with a wrong shape", lambda: cu.train(SPEC, _params_with("W1", np.zeros((2, 3))), X, Y, SGD, steps=1), ValueError, ["W1", "(3, 2)"]),
    ("params missing a key", lambda: cu.train(SPEC, _params_without("b2"), X, Y, SGD, steps=1), ValueError, ["b2", "missing"]),
    ("negative learning rate", lambda: cu.optimizers.sgd(-0.1), ValueError, ["lr", "> 0"]),
    ("zero learning rate", lambda: cu.optimizers.adam(0.0), ValueError, ["lr", "> 0"]),
    ("learning rate not a number", lambda: cu.optimizers.sgd("0.1"), TypeError, ["lr", "number"]),
    ("beta of 1", lambda: cu.optimizers.momentum(0.1, beta=1.0), ValueError, ["beta", "[0, 1)"]),
    ("unknown optimizer", lambda: cu.optimizers.get("lbfgs"), ValueError, ["lbfgs", "adam"]),
    ("both steps and epochs", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, epochs=1), ValueError, ["steps", "epochs"]),
    ("negative steps", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=-1), ValueError, ["steps", ">= 0"]),
    ("optimizer not an Optimizer", lambda: cu.train(SPEC, PARAMS, X, Y, 0.1, steps=1), TypeError, ["optimizer", "sgd"]),
    ("early stopping without validation data", lambda: cu.Validation(patience=3), ValueError, ["patience", "validation"]),
    ("rng of the wrong type", lambda: cu.init_params(SPEC, "he_normal", rng="seed"), TypeError, ["rng", "Generator"]),
    ("gain negative", lambda: cu.init_params(SPEC, "he_normal", rng=0, gain=-1.0), ValueError, ["gain"]),
    ("batch norm on a batch of one", lambda: cu.layers.batchnorm_forward(np.zeros((3, 1)), np.ones((3, 1)), np.zeros((3, 1)), True), ValueError, ["batch", "at least 2"]),
    ("dropout mask of the wrong shape", lambda: cu.layers.dropout_forward(np.ones((3, 4)), 0.5, True, mask=np.ones((3, 3), bool)), ValueError, ["mask", "(3, 4)"]),
    ("clip_norm zero", lambda: cu.optimizers.clip_by_norm({"dW1": np.ones(2)}, 0.0), ValueError, ["max_norm"]),
    ("dataset size not positive", lambda: cu.datasets.load_moons(n_train=0), ValueError, ["n_train"]),
    # minibatches and randomness: every draw comes from an rng the caller chose
    ("batch_size zero", lambda: cu.training.minibatches(X, Y, 0, rng=0), ValueError, ["batch_size", ">= 1", "0"]),
    ("batch_size negative", lambda: cu.training.minibatches(X, Y, -5, rng=0), ValueError, ["batch_size", ">= 1", "-5"]),
    ("batch_size not an int", lambda: cu.training.minibatches(X, Y, 2.5, rng=0), TypeError, ["batch_size", "int", "float"]),
    ("batch_size zero in train", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, batch_size=0, rng=0), ValueError, ["batch_size", ">= 1"]),
    ("minibatches without rng", lambda: cu.training.minibatches(X, Y, 2, rng=None), TypeError, ["rng is required", "rng=0", "Generator"]),
    ("train on minibatches without rng", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, batch_size=2), TypeError, ["rng is required", "batches of 2", "rng=0"]),
    ("train with dropout without rng", lambda: cu.train(cu.Spec((2, 3, 1), keep_prob=0.5), PARAMS, X, Y, SGD, steps=1), TypeError, ["rng is required", "dropout", "rng=0"]),
    ("init_params without rng", lambda: cu.init_params(SPEC, "he_normal"), TypeError, ["rng is required", "initial weights", "rng=0"]),
    ("an initializer without rng", lambda: cu.initializers.get("xavier_normal")(3, 2), TypeError, ["rng is required"]),
    ("dropout in training without rng", lambda: cu.layers.dropout_forward(np.ones((3, 4)), 0.5, True), TypeError, ["rng is required", "dropout mask"]),
    ("RReLU in training without rng", lambda: cu.layers.rrelu_forward(np.ones((3, 4)), True), TypeError, ["rng is required", "RReLU slopes"]),
    # learning rates, schedules and weight decay
    ("schedule non-positive at a later step", lambda: cu.train(SPEC, PARAMS, X, Y, cu.optimizers.sgd(lambda t: 0.1 - 0.05 * t), steps=5), ValueError, ["lr(2)", "step 2", "> 0"]),
    ("schedule NaN at a later step", lambda: _run_schedule(cu.optimizers.adam(lambda t: 0.01 if t < 3 else float("nan")), 4), ValueError, ["lr(3)", "nan", "finite"]),
    ("schedule not a number", lambda: cu.optimizers.momentum(lambda t: "0.1"), TypeError, ["lr(0)", "'0.1'", "number"]),
    ("step_decay every not an int", lambda: cu.optimizers.step_decay(0.1, 0.5, every=2.5), TypeError, ["every", "int"]),
    ("step_decay every zero", lambda: cu.optimizers.step_decay(0.1, 0.5, every=0), ValueError, ["every", ">= 1"]),
    ("inverse_time_decay every not an int", lambda: cu.optimizers.inverse_time_decay(0.1, 1.0, every=0.5), TypeError, ["every", "int"]),
    ("cosine lr_min above lr0", lambda: cu.optimizers.cosine_decay(0.1, 100, lr_min=0.2), ValueError, ["lr_min", "below lr0", "0.1"]),
    ("cosine lr_min equal to lr0", lambda: cu.optimizers.cosine_decay(0.1, 100, lr_min=0.1), ValueError, ["lr_min", "below lr0"]),
    ("cosine lr_min negative", lambda: cu.optimizers.cosine_decay(0.1, 100, lr_min=-0.01), ValueError, ["lr_min", ">= 0"]),
    ("sgd lr * weight_decay >= 1", lambda: cu.optimizers.sgd(0.5, weight_decay=2.0), ValueError, ["weight_decay 2", "lr = 0.5", ">= 1", "flip"]),
    ("adamw lr * weight_decay >= 1", lambda: cu.optimizers.adamw(0.1, weight_decay=10.0), ValueError, ["weight_decay 10", ">= 1"]),
    ("adamw schedule crossing lr * weight_decay = 1", lambda: _run_schedule(cu.optimizers.adamw(lambda t: 0.4 * (t + 1), weight_decay=1.0), 5), ValueError, ["lr(2)", "step 2", ">= 1"]),
    ("ClipNorm zero", lambda: cu.ClipNorm(0.0), ValueError, ["ClipNorm's threshold", "> 0"]),
    ("ClipValue negative", lambda: cu.ClipValue(-1.0), ValueError, ["ClipValue's threshold", "> 0"]),
    ("progress not a choice", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, progress="yes"), ValueError, ["progress", "'auto'", "'yes'"]),
    # labels
    ("binary labels other than 0/1 in train", lambda: cu.train(SPEC, PARAMS, X, Y_TWOS, SGD, steps=1), ValueError, ["Y must hold the labels 0 and 1", "2"]),
    ("binary validation labels other than 0/1", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, validation=cu.Validation(X, Y_TWOS)), ValueError, ["Y_val must hold the labels 0 and 1"]),
    ("binary labels other than 0/1 in the loss", lambda: cu.losses.binary_cross_entropy(np.zeros((1, 5)), Y_TWOS), ValueError, ["Y must hold the labels 0 and 1", "2"]),
    ("binary labels other than 0/1 in accuracy", lambda: cu.accuracy(SPEC, PARAMS, X, Y_TWOS), ValueError, ["Y must hold the labels 0 and 1"]),
    ("binary labels other than 0/1 in loss_and_grads", lambda: cu.loss_and_grads(SPEC, PARAMS, X, Y_TWOS), ValueError, ["Y must hold the labels 0 and 1"]),
    ("loss with Y of another shape", lambda: cu.losses.binary_cross_entropy(np.zeros((1, 5)), np.zeros((1, 4))), ValueError, ["Y", "(1, 5)", "(1, 4)"]),
    ("loss with a 1-D Y", lambda: cu.losses.binary_cross_entropy(np.zeros((1, 5)), np.zeros(5)), ValueError, ["Y", "(1, 5)", "(5,)"]),
    ("softmax loss with Y of another shape", lambda: cu.losses.softmax_cross_entropy(np.zeros((3, 5)), np.zeros((1, 5))), ValueError, ["Y", "(3, 5)", "(1, 5)"]),
    ("loss with Y a list", lambda: cu.losses.mean_squared_error(np.zeros((1, 2)), [[0.0, 1.0]]), TypeError, ["Y", "numpy array"]),
    ("accuracy with Y of another shape", lambda: cu.accuracy(SPEC, PARAMS, X, np.zeros((1, 4))), ValueError, ["Y", "(1, 5)", "(1, 4)"]),
    ("accuracy with a 1-D Y", lambda: cu.accuracy(SPEC, PARAMS, X, np.zeros(5)), ValueError, ["Y", "2 dimensions"]),
    ("layer_sizes a string", lambda: cu.Spec("231"), TypeError, ["layer_sizes", "sequence of ints"]),
    ("layer_sizes an int", lambda: cu.Spec(3), TypeError, ["layer_sizes", "sequence of ints", "int"]),
    ("layer_sizes an array of floats", lambda: cu.Spec(np.array([2.0, 3.0, 1.0])), TypeError, ["layer_sizes[0]", "int"]),
    # batch norm in evaluation mode needs its running statistics
    ("batch norm forward without state", lambda: cu.forward(SPEC_BN, PARAMS_BN, X), ValueError, ["batch norm", "state", "cu.init_state"]),
    ("batch norm predict without state", lambda: cu.predict(SPEC_BN, PARAMS_BN, X), ValueError, ["batch norm", "History.state"]),
    ("batch norm accuracy without state", lambda: cu.accuracy(SPEC_BN, PARAMS_BN, X, Y), ValueError, ["batch norm", "state"]),
    ("batch norm predict_proba without state", lambda: cu.predict_proba(SPEC_BN, PARAMS_BN, X), ValueError, ["batch norm", "state"]),
]


@pytest.mark.parametrize("description,call,error,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(description, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{description}: {word!r} not in {message!r}"
