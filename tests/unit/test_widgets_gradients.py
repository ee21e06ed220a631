"""The gradient-flow dashboard without a browser: set each control as a reader would, check
what is drawn and said, and that nothing raised (nbval cannot see tracebacks inside widget
callbacks). Small settings (few steps) keep it quick."""

import math

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.gradient_flow_dashboard(steps=40, depth=6)


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Gradient-flow dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("control,value", [("activation", "tanh"), ("activation", "relu"),
                                           ("activation", "linear"), ("depth", 12),
                                           ("depth", 1), ("scale", 2.0), ("scale", 0.5),
                                           ("lr", 0.01)])
def test_every_control_changes_the_figure(dashboard, control, value):
    before = dashboard.view.png
    dashboard.set(**{control: value})
    assert dashboard.view.png != before
    assert dashboard.status_text()
    dashboard.set(activation="sigmoid", depth=6, scale=1.0, lr=0.1)


def test_drawn_curves_are_the_measured_and_predicted_norms(dashboard):
    dashboard.set(activation="relu", depth=8, scale=math.sqrt(2), lr=0.1)
    spec = dashboard.spec()
    params = cu.init_params(spec, "lecun_normal", rng=0, gain=math.sqrt(2))
    from course_utils import gradient_flow
    norms = gradient_flow.measure(spec, params, dashboard.X_measure, dashboard.Y_measure)
    x, y = dashboard.grad_line.get_data()
    np.testing.assert_array_equal(x, np.arange(1, 10))
    np.testing.assert_allclose(y, norms.grad_rms)
    np.testing.assert_allclose(dashboard.z_line.get_data()[1], norms.z_rms)
    assert np.all(np.isfinite(dashboard.grad_pred_line.get_data()[1]))
    assert np.all(np.isfinite(dashboard.grad_final_line.get_data()[1]))


def test_status_says_vanishing_exploding_and_steady_in_words(dashboard):
    dashboard.set(activation="sigmoid", depth=10, scale=1.0, lr=0.1)
    text = dashboard.status_text()
    assert "the gradient vanishes" in text and "it did not learn" in text
    dashboard.set(activation="tanh")
    assert "the gradient keeps roughly its size" in dashboard.status_text()
    dashboard.set(activation="relu", scale=4.0)
    text = dashboard.status_text()
    assert "the gradient explodes" in text
    assert "diverged at step" in text or "blew up" in text


def test_overflow_at_the_start_is_said_in_words(dashboard):
    dashboard.set(activation="linear", depth=20, scale=8.0)
    text = dashboard.status_text()
    assert "overflowed" in text or "explodes" in text
    assert "diverged at step" in text
    assert "off the scale" in dashboard.off_scale.get_text()


def test_buttons_set_the_scale(dashboard):
    dashboard.set(activation="relu", depth=6, scale=0.5)
    dashboard.he_button.click()
    assert dashboard.controls["scale"].value == pytest.approx(math.sqrt(2))
    dashboard.lecun_button.click()
    assert dashboard.controls["scale"].value == 1.0


def test_revisit_is_served_from_the_cache(dashboard):
    dashboard.set(activation="tanh", depth=6, scale=1.0, lr=0.1)
    dashboard.set(scale=2.0)
    dashboard.set(scale=1.0)
    assert dashboard.timings[-1]["kind"] == "cached"


def test_cache_is_bounded():
    small = cu.widgets.gradient_flow_dashboard(steps=10, depth=2, cache_size=2)
    for depth in (3, 4, 5):
        small.set(depth=depth)
    assert len(small._cache) == 2


def test_unknown_control_is_a_clear_error(dashboard):
    with pytest.raises(ValueError, match="unknown control 'gain'"):
        dashboard.set(gain=1.0)
