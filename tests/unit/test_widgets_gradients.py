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
    from course_utils.lessons import gradients as gradient_flow
    norms = gradient_flow.measure(spec, params, dashboard.X_measure, dashboard.Y_measure)
    x, y = dashboard.backward.lines["measured"].get_data()
    np.testing.assert_array_equal(x, np.arange(1, 10))
    np.testing.assert_allclose(y, norms.grad_rms)
    np.testing.assert_allclose(dashboard.forward.lines["measured"].get_data()[1], norms.z_rms)
    assert np.all(np.isfinite(dashboard.backward.lines["predicted"].get_data()[1]))
    assert np.all(np.isfinite(dashboard.backward.lines["after_training"].get_data()[1]))


def test_status_says_vanishing_exploding_and_steady_in_words(dashboard):
    dashboard.set(activation="sigmoid", depth=10, scale=1.0, lr=0.1)
    text = dashboard.status_text()
    assert "the gradient vanishes" in text and "it did not learn" in text
    dashboard.set(activation="tanh")
    assert "the gradient keeps roughly its size" in dashboard.status_text()
    dashboard.set(activation="linear", scale=1.5)  # 32-fold at 10 layers: said as the factor
    text = dashboard.status_text()
    assert "the gradient grows 32-fold" in text and "mildly" not in text
    dashboard.set(activation="relu", scale=4.0)
    text = dashboard.status_text()
    assert "the gradient explodes" in text
    assert "Diverged at step" in text or "Blew up" in text


def test_overflow_at_the_start_is_said_in_words(dashboard):
    dashboard.set(activation="linear", depth=20, scale=8.0)
    text = dashboard.status_text()
    assert "overflowed" in text or "explodes" in text
    assert "Diverged at step" in text
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


@pytest.fixture(scope="module")
def as_in_the_notebook():
    """The dashboard exactly as the notebook builds it (10 layers, 150 steps, lr 0.1)."""
    return cu.widgets.gradient_flow_dashboard()


def _train_accuracy(text):
    import re
    return float(re.search(r"train accuracy ([0-9.]+)", text).group(1))


def test_try_it_steps_work_as_the_notebook_says(as_in_the_notebook):
    """02's "Try, in this order", step by step at the notebook's settings, each step starting
    where the previous one left the controls."""
    d = as_in_the_notebook
    # 1. sigmoid, 10 layers, scale 1: about x1/4 per layer, cost at chance; tanh: flat, learns
    text = d.status_text()
    assert d.key() == ("sigmoid", 10, 1.0, 0.1, 150)
    assert "the gradient vanishes" in text and "it did not learn" in text
    per_layer = float(text.split("about ×")[1].split(" ")[0])
    assert 0.18 < per_layer < 0.30
    d.set(activation="tanh")
    text = d.status_text()
    assert "keeps roughly its size" in text and _train_accuracy(text) > 0.8
    # 2. relu, scale 1: shrinks slowly (mean square about halved per layer), barely learns
    d.set(activation="relu", scale=1.0)
    text = d.status_text()
    assert "shrinks" in text and "fold" in text
    assert 0.7 < float(text.split("about ×")[1].split(" ")[0]) ** 2 / 0.5 < 1.3
    assert _train_accuracy(text) < 0.4
    assert "but not far yet" in text  # the cost fell, but a low accuracy is not called a success
    #    scale sqrt 2 (He): flat, yet at 0.1 it does not learn in 150 steps ...
    d.he_button.click()
    text = d.status_text()
    assert "keeps roughly its size" in text and "it did not learn" in text
    #    ... and at 0.03 it does
    d.set(lr=0.03)
    text = d.status_text()
    assert "keeps roughly its size" in text and "did not learn" not in text
    assert _train_accuracy(text) > 0.5
    # 3. linear, scale 1.5, then 0.5: grows, then vanishes
    d.set(activation="linear", scale=1.5)
    assert "the gradient grows" in d.status_text()
    d.set(scale=0.5)
    assert "the gradient vanishes" in d.status_text()
    # 4. relu, scale 4: explodes and diverges within a few steps
    d.set(activation="relu", scale=4.0)
    text = d.status_text()
    assert "the gradient explodes" in text
    assert int(text.split("Diverged at step ")[1].split(":")[0]) <= 10
    # 5. sigmoid, 6 layers, scale 4, learning rate 1, 600 steps: it learns (scale 1 does not);
    #    at 10 layers it does not, and sigmoid - 1/2 at 10 layers does
    d.set(activation="sigmoid", depth=6, scale=4.0, lr=1.0)
    assert _train_accuracy(d.status_text()) < 0.5  # 150 steps: barely started
    d.set(steps=600)
    text = d.status_text()
    assert "Learned in 600 steps" in text and _train_accuracy(text) > 0.9
    d.set(scale=1.0)
    assert "it did not learn" in d.status_text()
    d.set(scale=4.0, depth=10)
    assert "it did not learn" in d.status_text()
    d.set(activation="sigmoid_centered")
    text = d.status_text()
    assert "Learned in 600 steps" in text and _train_accuracy(text) > 0.9


def test_every_scale_the_notebook_names_is_a_stop_of_the_slider(dashboard):
    """Issue 14: seed 000's 1.5 was not a stop of the log slider. The notebook names 0.5, 1,
    sqrt 2, 1.5, 4; the key holds the exact value (no rounding merges two settings)."""
    options = [value for _, value in dashboard.controls["scale"].options]
    for scale in (0.5, 1.0, math.sqrt(2), 1.5, 4.0):
        assert scale in options
    dashboard.set(activation="linear", depth=6, scale=1.5, lr=0.1)
    assert dashboard.key()[2] == 1.5
    assert "weight scale 1.5:" in dashboard.status_text()
    dashboard.set(activation="sigmoid", depth=6, scale=1.0, lr=0.1)


def test_a_scale_that_is_not_a_stop_is_a_clear_error():
    with pytest.raises(ValueError, match="scale must be one of"):
        cu.widgets.gradient_flow_dashboard(scale=1.7, steps=5, depth=2)


def test_labels_are_whole_and_clear_of_the_curves(dashboard):
    """Issue 14: the off-scale note was clipped ("ome values...") and could sit on a curve:
    it is now in the figure's top row, right of the legend, inside the figure; the chance
    label sits right of the cost panel, where no curve runs over it."""
    dashboard.set(activation="linear", depth=20, scale=8.0)
    renderer = dashboard.figure.canvas.get_renderer()
    note = dashboard.off_scale.get_window_extent(renderer)
    assert dashboard.off_scale.get_text().startswith("some values are off the scale")
    figure = dashboard.figure.bbox
    assert figure.x0 <= note.x0 and note.x1 <= figure.x1 and note.y1 <= figure.y1
    legend = dashboard.figure.legends[0].get_window_extent(renderer)
    assert note.x0 >= legend.x1
    for ax in dashboard.figure.axes:
        assert not note.overlaps(ax.get_window_extent(renderer))
    chance = [t for t in dashboard.cost.ax.texts if "ln 10" in t.get_text()][0]
    assert chance.get_window_extent(renderer).x0 >= dashboard.cost.ax.get_window_extent(renderer).x1
    dashboard.set(activation="sigmoid", depth=6, scale=1.0, lr=0.1)


def test_steps_control_sets_the_run_and_the_cost_axis(dashboard):
    dashboard.set(steps=600, depth=2)
    assert dashboard.cost.ax.get_xlim() == (0, 600)
    assert dashboard.cost.lines["cost"].get_data()[0].size == 600
    dashboard.set(steps=40, depth=6)
    assert dashboard.cost.ax.get_xlim() == (0, 40)
