"""Dashboards without a browser: set each control as a reader would, check what is drawn
and said, and that nothing raised (nbval cannot see tracebacks inside widget callbacks)."""

import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def init_dashboard():
    return cu.widgets.initialization_dashboard()


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(init_dashboard):
    bundle = init_dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Initialization dashboard (run the notebook to use the controls)"
    assert init_dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("control,value", [("gain", 10.0), ("gain", 0.1), ("activation", "tanh"),
                                           ("depth", 5), ("initializer", "Xavier uniform"),
                                           ("initializer", "standard uniform")])
def test_every_control_changes_the_figure(init_dashboard, control, value):
    before = init_dashboard.view.png
    init_dashboard.set(**{control: value})
    assert init_dashboard.view.png != before
    assert init_dashboard.status_text()
    init_dashboard.set(initializer="He normal", activation="relu", gain=1.0, depth=3)


def test_snap_buttons(init_dashboard):
    init_dashboard.set(initializer="standard uniform", gain=5.0)
    init_dashboard.xavier_button.click()
    assert init_dashboard.controls["initializer"].value == "Xavier uniform"
    assert init_dashboard.controls["gain"].value == 1.0
    init_dashboard.set(initializer="LeCun normal")
    init_dashboard.he_button.click()
    assert init_dashboard.controls["initializer"].value == "He normal"


def test_status_says_what_went_wrong_in_words(init_dashboard):
    init_dashboard.set(initializer="zeros", activation="relu", gain=1.0, depth=3)
    assert "every weight starts at 0" in init_dashboard.status_text()
    init_dashboard.set(initializer="He normal", gain=100.0, depth=5)
    text = init_dashboard.status_text()
    assert "diverged at step" in text or "blew up" in text
    init_dashboard.set(gain=0.01)
    assert "vanishing" in init_dashboard.status_text()
    init_dashboard.set(gain=1.0, depth=3)
    assert "train accuracy 0.9" in init_dashboard.status_text()


def test_revisit_is_served_from_the_cache(init_dashboard):
    init_dashboard.set(initializer="He normal", activation="relu", gain=1.0, depth=3)
    init_dashboard.set(gain=2.0)
    init_dashboard.set(gain=1.0)
    assert init_dashboard.timings[-1]["kind"] == "cached"


def test_unknown_control_is_a_clear_error(init_dashboard):
    with pytest.raises(ValueError, match="unknown control 'lr'"):
        init_dashboard.set(lr=0.1)


def test_learning_rate_demo_reports_divergence():
    demo = cu.widgets.learning_rate_demo()
    demo.set(lr=30.0)
    assert "diverged at step" in demo.status_text()
    demo.set(lr=1.0)
    assert "trained 300 steps" in demo.status_text()


def test_cache_is_bounded():
    dashboard = cu.widgets.initialization_dashboard(cache_size=3, steps=50)
    for gain in (0.5, 2.0, 4.0, 8.0):
        dashboard.set(gain=gain)
    assert len(dashboard._cache) == 3
