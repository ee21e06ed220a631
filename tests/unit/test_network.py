"""The network's pieces: Spec accepts any sequence of ints, batch norm in evaluation mode
needs its state (passed on purpose), accuracy from one forward pass, labels checked."""

import numpy as np
import pytest

import course_utils as cu


@pytest.mark.parametrize("sizes", [(2, 3, 1), [2, 3, 1], np.array([2, 3, 1]), range(2, 5)])
def test_spec_accepts_any_sequence_of_ints(sizes):
    spec = cu.Spec(sizes)
    assert spec.layer_sizes == tuple(int(n) for n in sizes)
    assert all(type(n) is int for n in spec.layer_sizes)  # numpy ints become Python ints
    assert spec == cu.Spec(tuple(int(n) for n in sizes))  # equal, and hashed alike
    assert hash(spec) == hash(cu.Spec(tuple(int(n) for n in sizes)))


def test_batch_norm_evaluation_with_the_initial_state_on_purpose():
    # Passing cu.init_state(spec) is the explicit way to evaluate with the initial running
    # statistics (mean 0, variance 1): 06_batch_normalization shows what that gives.
    rng = np.random.default_rng(0)
    spec = cu.Spec((2, 4, 1), batch_norm=True)
    params = cu.init_params(spec, "he_normal", rng=0)
    X = rng.normal(size=(2, 7))
    Z_L, _ = cu.forward(spec, params, X, cu.init_state(spec))
    Z1 = params["W1"] @ X
    by_hand = params["W2"] @ np.maximum(Z1 / np.sqrt(1 + cu.layers.BN_EPS), 0) + params["b2"]
    np.testing.assert_allclose(Z_L, by_hand, rtol=1e-12)
    with pytest.raises(ValueError, match="batch norm"):
        cu.forward(spec, params, X)
    cu.forward(spec, params, X, train=True)  # training mode uses the batch's statistics


def test_accuracy_matches_predict():
    X, Y, _, _ = cu.datasets.load_moons()
    for spec in (cu.Spec((2, 6, 1)), cu.Spec((2, 6, 3), output="softmax")):
        params = cu.init_params(spec, "he_normal", rng=1)
        labels = Y if spec.output == "sigmoid" else cu.datasets.one_hot(
            np.arange(X.shape[1]) % 3, 3)
        expected = np.mean(cu.predict(spec, params, X) == (
            labels if spec.output == "sigmoid" else labels.argmax(axis=0).reshape(1, -1)))
        assert cu.accuracy(spec, params, X, labels) == expected


def test_labels_of_any_numeric_dtype_are_accepted():
    spec = cu.Spec((2, 3, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    X = np.ones((2, 4))
    accuracies = {cu.accuracy(spec, params, X, np.array([[0, 1, 1, 0]], dtype=dtype))
                  for dtype in (int, float, bool, np.float32)}
    assert len(accuracies) == 1
