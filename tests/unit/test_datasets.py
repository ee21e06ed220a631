"""Loaders: column layout, determinism, the seed's circles exactly."""

import numpy as np
import pytest
import sklearn.datasets

import course_utils as cu

LOADERS = [cu.datasets.load_circles, cu.datasets.load_moons, cu.datasets.load_spirals,
           cu.datasets.load_xor, cu.datasets.load_two_scales, cu.datasets.load_digits,
           cu.datasets.load_breast_cancer, cu.datasets.load_wine]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_column_layout_and_determinism(loader):
    X, Y, X_test, Y_test = loader()
    assert X.ndim == Y.ndim == 2
    assert X.shape[1] == Y.shape[1] and X_test.shape[1] == Y_test.shape[1]
    assert X.shape[0] == X_test.shape[0] and Y.shape[0] == Y_test.shape[0]
    assert X.flags["C_CONTIGUOUS"]
    again = loader()
    for a, b in zip((X, Y, X_test, Y_test), again):
        np.testing.assert_array_equal(a, b)


def test_circles_are_the_seeds():
    np.random.seed(1)
    X, y = sklearn.datasets.make_circles(n_samples=300, noise=0.05)
    np.random.seed(2)
    X_test, y_test = sklearn.datasets.make_circles(n_samples=100, noise=0.05)
    ours = cu.datasets.load_circles()
    np.testing.assert_array_equal(ours[0], X.T)
    np.testing.assert_array_equal(ours[1], y.reshape(1, -1))
    np.testing.assert_array_equal(ours[2], X_test.T)
    np.testing.assert_array_equal(ours[3], y_test.reshape(1, -1))


def test_one_hot_digits():
    X, Y, X_test, Y_test = cu.datasets.load_digits()
    assert X.shape[0] == 64 and Y.shape[0] == 10
    np.testing.assert_array_equal(Y.sum(axis=0), 1)
    assert 0 <= X.min() and X.max() <= 1


def test_two_scales_has_the_ratio():
    X, _, _, _ = cu.datasets.load_two_scales(n_train=5000, scale_ratio=100)
    assert X[1].std() / X[0].std() == pytest.approx(100, rel=0.05)


def test_breast_cancer_features_on_very_different_scales():
    X, Y, _, _ = cu.datasets.load_breast_cancer()
    spread = X.std(axis=1)
    assert spread.max() / spread.min() > 1e4
    assert set(np.unique(Y)) == {0, 1}
