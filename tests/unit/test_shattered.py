"""course_utils.lessons.shattered: the grid, the two initializations, dy/dx along the grid
(against finite differences), the kink counts, the noise references."""

import numpy as np
import pytest

from course_utils import gradcheck, network
from course_utils.lessons import deeper, shattered


def test_grid_and_spec():
    x = shattered.grid()
    assert x.shape == (1, 256) and x[0, 0] == -2 and x[0, -1] == 2
    spec = shattered.net_spec(3, residual=True, width=8)
    assert spec.layer_sizes == (1, 8, 8, 8, 1) and spec.residual == (False, True, True)
    assert all(spec.batch_norm) and spec.output == "linear"


def test_init_net_variances():
    spec = shattered.net_spec(3, batch_norm=False, width=400)
    he = shattered.init_net(spec, 0)
    assert np.var(he["W2"]) == pytest.approx(2 / 400, rel=0.05)
    assert np.var(he["W1"]) == pytest.approx(2.0, rel=0.2)  # fan-in 1
    assert not np.any(he["b2"])
    book = shattered.init_net(spec, 0, "1/D", 1 / 400)
    for key in ("W1", "W2", "W4"):
        assert np.var(book[key]) == pytest.approx(1 / 400, rel=0.25)
    assert np.var(book["b2"]) == pytest.approx(1 / 400, rel=0.25)
    scaled = shattered.init_net(spec, 0, gain=2.0)
    np.testing.assert_allclose(scaled["W2"], 2 * he["W2"])
    with pytest.raises(ValueError, match="weight_variance"):
        shattered.init_net(spec, 0, "glorot")
    with pytest.raises(ValueError, match="bias_variance"):
        shattered.init_net(spec, 0, bias_variance=-1)


@pytest.mark.parametrize("batch_norm,statistics", [(False, "batch"), (True, "batch_constant")])
def test_gradient_along_grid_matches_finite_differences(batch_norm, statistics):
    """Without batch norm, or with the grid's statistics frozen, column j is dy_j/dx_j."""
    spec = shattered.net_spec(4, batch_norm=batch_norm, width=12)
    params = shattered.init_net(spec, 3, bias_variance=0.1)
    x = shattered.grid(40)
    g = shattered.gradient_along_grid(spec, params, x, statistics)
    if batch_norm:
        _, cache = network.forward(spec, params, x, train=True)
        state = {}
        for l in range(1, spec.n_layers):
            state[f"running_mean{l}"] = cache.layers[l - 1].batchnorm.mean
            state[f"running_var{l}"] = cache.layers[l - 1].batchnorm.var
    else:
        state = None
    eps = 1e-6
    numeric = (network.forward(spec, params, x + eps, state)[0]
               - network.forward(spec, params, x - eps, state)[0])[0] / (2 * eps)
    assert gradcheck.relative_error(g, numeric) < 1e-7


def test_no_biases_gives_a_single_step():
    """A rectifier net without biases is positively homogeneous: dy/dx has one value on
    each side of 0, so all its kinks sit in the one gap around 0."""
    spec = shattered.net_spec(6, batch_norm=False, width=20)
    params = shattered.init_net(spec, 1)
    x = shattered.grid()
    g = shattered.gradient_along_grid(spec, params, x)
    assert len(np.unique(np.round(g, 10))) <= 2
    assert shattered.kinked_intervals(spec, params, x) == pytest.approx(1 / 255)


def test_batch_norm_makes_every_unit_switch_inside_the_grid():
    spec = shattered.net_spec(5, width=30)
    params = shattered.init_net(spec, 2)
    np.testing.assert_array_equal(shattered.switching_fraction(spec, params), 1.0)


def test_noise_references_and_rates():
    rng = np.random.default_rng(5)
    assert deeper.lag1_correlation(shattered.brown_noise(rng=rng)) > 0.9
    assert abs(deeper.lag1_correlation(shattered.white_noise(rng=rng))) < 0.2
    np.testing.assert_allclose(shattered.paper_plain_rate([1, 3]), [0.5, 0.125])
    np.testing.assert_allclose(shattered.paper_resnet_rate([4, 16]), [0.5, 0.25])


def test_lag1_over_seeds_and_regression_run():
    spec = shattered.net_spec(2, width=16)
    lag1 = shattered.lag1_over_seeds(spec, [0, 1])
    assert lag1.shape == (2,) and np.all(np.abs(lag1) <= 1)
    run = shattered.regression_run(2, residual=True, lr=0.01, seed=0, steps=20, width=8, n_train=16)
    assert set(run) == {"train", "test", "lag1"} and np.isfinite(run["test"])
