"""The activation dashboard without a browser: set each control as a reader would, check
what is drawn and said, and that nothing raised (nbval cannot see tracebacks inside widget
callbacks)."""

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def dash():
    return cu.widgets.activation_dashboard()


def _reset(dash):
    dash.set(activation="relu", depth=3, init="He normal", lr=0.3)


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dash):
    bundle = dash._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Activation dashboard (run the notebook to use the controls)"
    assert dash.view.png.startswith(b"\x89PNG")
    assert "Learned:" in dash.status_text() and "Train accuracy 0.9" in dash.status_text()


@pytest.mark.parametrize("control,value", [
    ("activation", "leaky_relu"), ("activation", "prelu"), ("activation", "rrelu"),
    ("activation", "elu"), ("activation", "selu"), ("activation", "tanh"),
    ("activation", "sigmoid"), ("depth", 1), ("depth", 5), ("init", "Xavier normal"),
    ("init", "Xavier normal × 4"), ("init", "LeCun normal"), ("init", "normal, std 1"),
    ("lr", 0.01), ("lr", 3.0)])
def test_every_control_changes_the_figure(dash, control, value):
    _reset(dash)
    before = dash.view.png
    dash.set(**{control: value})
    assert dash.view.png != before
    assert dash.status_text()
    assert dash.timings[-1]["kind"] == "trained"


def test_histograms_and_bars_follow_the_depth(dash):
    _reset(dash)
    dash.set(depth=2)
    assert [p.get_visible() for p in dash.ridges] == [True, True, False, False, False]
    assert all(bar.get_height() == 0 for bar in dash.dead_bars[2:])
    dash.set(depth=5)
    assert all(p.get_visible() for p in dash.ridges)


def test_large_learning_rate_kills_relu_and_says_so(dash):
    _reset(dash)
    dash.set(lr=3.0)
    text = dash.status_text()
    assert "every unit of layer" in text and "collapsed" in text
    assert dash.dead_bars[2].get_height() == 1.0


def test_leaky_units_never_active_but_alive_are_reported(dash):
    _reset(dash)
    dash.set(activation="leaky_relu", lr=3.0)
    text = dash.status_text()
    assert "never activate but still pass a gradient" in text
    assert all(bar.get_height() == 0 for bar in dash.dead_bars)
    assert any(bar.get_height() > 0 for bar in dash.inactive_bars)


def test_divergence_is_reported_in_words(dash):
    _reset(dash)
    dash.set(activation="elu", lr=3.0)
    assert "Diverged at step" in dash.status_text()
    assert "smaller learning rate" in dash.status_text()
    assert "diverged at step" in dash.cost.note.get_text()


def test_a_diverged_network_gets_no_dead_unit_bars(dash):
    """Issue 14: ELU at lr 3 diverges; its units were drawn as 42% dead in layer 1. Section
    4's rule: a network that diverged or blew up has no dead units worth counting."""
    _reset(dash)
    dash.set(activation="elu", lr=3.0)
    assert all(bar.get_height() == 0 for bar in dash.dead_bars + dash.inactive_bars)
    assert "diverged" in dash.dead_note.get_text()  # the note names what the status line says
    assert "No unit is counted as dead" in dash.status_text()
    dash.set(activation="relu", lr=0.3)  # a run that learned: bars and no note
    assert dash.dead_note.get_text() == ""


def test_status_reads_the_verdict_and_never_calls_chance_a_success(dash):
    _reset(dash)
    dash.set(lr=3.0)  # ReLU collapses to a constant output
    text = dash.status_text()
    assert "At chance" in text and cu.plotting.colour_of("bad") in dash.status.value
    dash.set(lr=0.3)
    assert "Learned:" in dash.status_text()


def test_the_cache_key_holds_the_learning_rate_exactly(dash):
    _reset(dash)
    assert dash.key()[3] == dash.controls["lr"].value


def test_fitting_init_button(dash):
    _reset(dash)
    for activation, label in [("sigmoid", "Xavier normal × 4"), ("selu", "LeCun normal"),
                              ("tanh", "Xavier normal"), ("elu", "He normal")]:
        dash.set(activation=activation, init="normal, std 1")
        dash.fit_button.click()
        assert dash.controls["init"].value == label


def test_sigmoid_needs_its_fitting_init(dash):
    dash.set(activation="sigmoid", depth=5, init="Xavier normal", lr=0.3)
    assert "At chance" in dash.status_text()  # the cost stays at ln 2 (History.verdict)
    dash.set(init="Xavier normal × 4")
    assert "Learned:" in dash.status_text() and "Train accuracy 0.9" in dash.status_text()


def test_squashing_activations_show_no_inactive_bars(dash):
    dash.set(activation="tanh", depth=3, init="Xavier normal", lr=0.3)
    assert all(bar.get_height() == 0 for bar in dash.inactive_bars)
    assert "never activate" not in dash.status_text()


def test_revisit_is_served_from_the_cache(dash):
    _reset(dash)
    png = dash.view.png
    dash.set(lr=1.0)
    _reset(dash)
    assert dash.timings[-1]["kind"] == "cached"
    assert dash.view.png == png


def test_cache_is_bounded():
    small = cu.widgets.activation_dashboard(cache_size=2, steps=50)
    for lr in (0.1, 0.2, 0.4):
        small.set(lr=lr)
    assert len(small._cache) == 2


def test_unknown_control_is_a_clear_error(dash):
    with pytest.raises(ValueError, match="unknown control 'gain'"):
        dash.set(gain=2.0)


def test_training_is_deterministic():
    a = cu.widgets.activation_dashboard(steps=100)
    b = cu.widgets.activation_dashboard(steps=100)
    np.testing.assert_array_equal(a._cache[a.key()].costs, b._cache[b.key()].costs)


def test_a_blown_up_network_is_named_so_in_the_unit_panel(dash):
    """ReLU, He normal, 5 hidden layers, lr 10: here the cost rose past 100 times its start
    and came back down without NaN ("Blew up"); the unit panel names the same verdict as the
    status line (which of the two a chaotic run ends in may depend on rounding)."""
    _reset(dash)
    dash.set(depth=5, lr=10.0)
    verdict = dash.status_text().split(": ", 1)[1]
    assert verdict.startswith(("Blew up", "Diverged"))
    assert ("blew up" if verdict.startswith("Blew up") else "diverged") in dash.dead_note.get_text()
    assert all(bar.get_height() == 0 for bar in dash.dead_bars + dash.inactive_bars)
