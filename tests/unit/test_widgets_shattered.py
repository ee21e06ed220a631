"""The Shattered-gradients dashboard (course_utils.widgets.shattered): every control redraws
the gradient and its autocorrelation, the status line says what was measured in words."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import deeper, shattered


@pytest.fixture(scope="module")
def dash():
    return cu.widgets.shattered_dashboard(depth=4, width=16)


def test_default_draws_the_measured_setting(dash):
    spec = shattered.net_spec(4, width=16)
    g = shattered.gradient_along_grid(spec, shattered.init_net(spec, 0))
    np.testing.assert_allclose(dash.acf_line.get_ydata(), deeper.autocorrelation(g, 64))
    assert f"{deeper.lag1_correlation(g):.2f}" in dash.status_text()
    assert dash.view.png


# The gain moves set the rest too: the gain changes nothing visible under batch norm (the
# gradient does not depend on the weights' scale) nor in a plain ReLU net (positively
# homogeneous: it only rescales dy/dx, which the panels normalize), only in a residual one,
# and with pytest-xdist a worker may run these moves before the others.
DEEP_RESIDUAL = {"depth": 30, "residual": True, "batch_norm": False}


@pytest.mark.parametrize("move", [{"depth": 1}, {"depth": 30}, {"residual": True},
                                  {"batch_norm": False}, {**DEEP_RESIDUAL, "gain": 0.5},
                                  {**DEEP_RESIDUAL, "gain": 2.0}])
def test_every_control_redraws(dash, move):
    before = dash.view.png
    dash.set(**move)
    assert dash.status_text()[0].isupper() and "Something went wrong" not in dash.status_text()
    assert dash.view.png != before or dash.timings[-1]["kind"] == "cached"


def test_shallow_is_brown_and_deep_plain_is_shattered():
    dash = cu.widgets.shattered_dashboard(depth=1, width=32)
    assert "brown" in dash.status_text()
    dash.set(depth=24)
    assert "shattered" in dash.status_text()
    dash.set(depth=1)
    assert dash.timings[-1]["kind"] == "cached"


def test_overflow_and_a_constant_gradient_are_said_in_words():
    dash = cu.widgets.shattered_dashboard(depth=50, width=16, batch_norm=False, residual=True)
    dash.set(gain=2.0)  # residual without batch norm: dy/dx grows like 2^L and beyond
    text = dash.status_text()
    assert "overflowed" in text or "rms" in text
    dash.set(residual=False, gain=1.0, depth=3)  # no biases, no batch norm: a single step
    assert "Lag-1 correlation 0.99" in dash.status_text()


def test_a_step_function_is_not_called_brown_noise(dash):
    """Without batch norm (and without biases) a ReLU net's dy/dx is a single step on the
    grid: its lag-1 correlation is 0.99, but the status says it has two pieces, not that
    it wanders like brown noise."""
    dash.set(depth=24, residual=False, batch_norm=False, gain=1.0)
    text = dash.status_text()
    assert "2 constant pieces" in text and "random walk" not in text, text
    dash.set(depth=1, batch_norm=True)
    assert "brown noise" in dash.status_text()


def test_a_plain_net_says_why_the_init_scale_leaves_the_curve_alone():
    """Found in review: in a plain net without batch norm the init scale slider changes
    only the rms in the status line, never the picture; the line now says why."""
    dashboard = cu.widgets.shattered_dashboard(depth=5, residual=False, batch_norm=False)
    assert "rectifiers with zero biases are scale-free" in dashboard.status_text()
    before = dashboard.grad_line.get_ydata().copy(), dashboard.acf_line.get_ydata().copy()
    dashboard.set(gain=1.5)
    np.testing.assert_allclose(dashboard.grad_line.get_ydata(), before[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dashboard.acf_line.get_ydata(), before[1], rtol=1e-9, atol=1e-12)
    dashboard.set(batch_norm=True)
    assert "scale-free" not in dashboard.status_text()
