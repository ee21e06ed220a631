"""Each initializer's spread matches its formula on a large draw."""

import numpy as np
import pytest

from course_utils import initializers

FAN_IN, FAN_OUT = 400, 250  # 100,000 weights per draw

EXPECTED_STD = {
    "normal": 0.01,
    "standard_uniform": np.sqrt(1 / (3 * FAN_IN)),
    "xavier_uniform": np.sqrt(2 / (FAN_IN + FAN_OUT)),
    "xavier_normal": np.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_normal": np.sqrt(2 / FAN_IN),
    "he_uniform": np.sqrt(2 / FAN_IN),
    "lecun_normal": np.sqrt(1 / FAN_IN),
}
UNIFORM_BOUND = {
    "standard_uniform": 1 / np.sqrt(FAN_IN),
    "xavier_uniform": np.sqrt(6 / (FAN_IN + FAN_OUT)),
    "he_uniform": np.sqrt(6 / FAN_IN),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_std_matches_formula(name):
    init = initializers.get(name)
    W = init(FAN_IN, FAN_OUT, rng=0)
    assert W.shape == (FAN_OUT, FAN_IN)
    assert init.std(FAN_IN, FAN_OUT) == pytest.approx(EXPECTED_STD[name])
    # The sample std of 100,000 draws is within 1% of the true one (about 4 standard errors).
    assert W.std() == pytest.approx(EXPECTED_STD[name], rel=0.01)
    assert abs(W.mean()) < 4 * EXPECTED_STD[name] / np.sqrt(W.size)


@pytest.mark.parametrize("name", sorted(UNIFORM_BOUND))
def test_uniform_bounds(name):
    W = initializers.get(name)(FAN_IN, FAN_OUT, rng=1)
    bound = UNIFORM_BOUND[name]
    assert W.max() <= bound and W.min() >= -bound
    assert W.max() > 0.99 * bound and W.min() < -0.99 * bound


def test_gain_scales_the_std():
    W = initializers.get("he_normal")(FAN_IN, FAN_OUT, rng=2, gain=3.0)
    assert W.std() == pytest.approx(3 * np.sqrt(2 / FAN_IN), rel=0.01)


def test_zeros_and_constant():
    assert not initializers.get("zeros")(3, 2).any()
    W = initializers.get("constant", value=0.5)(3, 2)
    assert np.all(W == 0.5)


def test_same_rng_seed_same_weights():
    a = initializers.get("he_normal")(5, 4, rng=7)
    b = initializers.get("he_normal")(5, 4, rng=7)
    np.testing.assert_array_equal(a, b)
