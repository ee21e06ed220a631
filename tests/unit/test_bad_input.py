"""Bad input gets a clear error that names the argument and what was expected."""

import numpy as np
import pytest

import course_utils as cu

X = np.zeros((2, 5))
Y = np.zeros((1, 5))
SPEC = cu.Spec((2, 3, 1))
PARAMS = cu.init_params(SPEC, "he_normal", rng=0)
SGD = cu.optimizers.sgd(0.1)


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
    ("early stopping without validation data", lambda: cu.train(SPEC, PARAMS, X, Y, SGD, steps=1, patience=3), ValueError, ["patience", "validation"]),
    ("rng of the wrong type", lambda: cu.init_params(SPEC, "he_normal", rng="seed"), TypeError, ["rng", "Generator"]),
    ("gain negative", lambda: cu.init_params(SPEC, "he_normal", rng=0, gain=-1.0), ValueError, ["gain"]),
    ("batch norm on a batch of one", lambda: cu.layers.batchnorm_forward(np.zeros((3, 1)), np.ones((3, 1)), np.zeros((3, 1)), True), ValueError, ["batch", "at least 2"]),
    ("dropout mask of the wrong shape", lambda: cu.layers.dropout_forward(np.ones((3, 4)), 0.5, True, mask=np.ones((3, 3), bool)), ValueError, ["mask", "(3, 4)"]),
    ("clip_norm zero", lambda: cu.optimizers.clip_by_norm({"dW1": np.ones(2)}, 0.0), ValueError, ["max_norm"]),
    ("dataset size not positive", lambda: cu.datasets.load_moons(n_train=0), ValueError, ["n_train"]),
]


@pytest.mark.parametrize("description,call,error,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(description, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{description}: {word!r} not in {message!r}"
