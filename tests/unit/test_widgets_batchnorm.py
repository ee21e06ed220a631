"""The Batch-normalization dashboard without a browser: set each control as a reader would,
check what is drawn and said, and that nothing raised."""

import numpy as np
import pytest

import course_utils as cu

DEFAULTS = dict(scale=0.01, lr=0.1, batch_size=32, batch_norm=True, activation="relu")


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.batchnorm_dashboard()


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Batch-normalization dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")
    assert dashboard.state() == DEFAULTS


@pytest.mark.parametrize("control,value", [("scale", 1.0), ("scale", 1e-4), ("lr", 1.0),
                                           ("batch_size", 8), ("batch_size", 128),
                                           ("batch_norm", False), ("activation", "sigmoid"),
                                           ("activation", "tanh")])
def test_every_control_changes_the_figure(dashboard, control, value):
    dashboard.set(**DEFAULTS)
    before = dashboard.view.png
    dashboard.set(**{control: value})
    assert dashboard.view.png != before
    assert dashboard.status_text()
    assert dashboard.timings[-1]["frames"] >= 2  # a first frame before training, then more
    dashboard.set(**DEFAULTS)


def test_bn_rescues_a_small_start_and_says_so(dashboard):
    dashboard.set(**DEFAULTS)
    assert dashboard.status_text().startswith("With BN")
    assert "Learned: cost" in dashboard.status_text()
    assert "Train accuracy 0.9" in dashboard.status_text()
    dashboard.set(batch_norm=False)
    text = dashboard.status_text()
    assert text.startswith("Without BN") and "vanished" in text
    assert "Stalled" in text or "At chance" in text
    # the other half of the toggle is drawn beside the current one
    assert len(dashboard.cost.lines["other"].get_xdata()) > 0


def test_sigmoid_without_bn_reports_vanishing_gradients(dashboard):
    dashboard.set(**{**DEFAULTS, "batch_norm": False, "activation": "sigmoid"})
    assert "smaller than the output layer's (vanishing)" in dashboard.status_text()
    grads = dashboard.grads.lines["start"].get_ydata()
    assert grads[-1] / grads[0] > 1e6


def test_divergence_is_reported_in_words(dashboard):
    dashboard.set(**{**DEFAULTS, "batch_norm": False, "scale": 10 ** 0.5, "lr": 10 ** 1.5})
    text = dashboard.status_text()
    assert "Diverged at step" in text and "smaller learning rate" in text
    assert dashboard.cost.note.get_text().startswith("diverged at step")
    assert "diverged" in dashboard.ridges.note.get_text()


def test_batch_of_two_is_explained(dashboard):
    dashboard.set(**{**DEFAULTS, "batch_size": 2})
    assert "exactly ±1" in dashboard.status_text()


def test_before_bn_histograms_only_with_bn(dashboard):
    dashboard.set(**DEFAULTS)
    assert all(p.get_visible() for p in dashboard.ridges.before)
    dashboard.set(batch_norm=False)
    assert not any(p.get_visible() for p in dashboard.ridges.before)


def test_revisit_is_served_from_the_cache(dashboard):
    dashboard.set(**DEFAULTS)
    dashboard.set(lr=0.3)
    dashboard.set(lr=0.1)
    assert dashboard.timings[-1]["kind"] == "cached"
    assert np.isfinite(dashboard.timings[-1]["total_s"])


def test_cache_is_bounded():
    small = cu.widgets.batchnorm_dashboard(steps=40, cache_size=2)
    for lr in (0.3, 1.0, 3.0):
        small.set(lr=lr)
    assert len(small._cache) == 2


def test_unknown_control_is_a_clear_error(dashboard):
    with pytest.raises(ValueError, match="unknown control 'depth'"):
        dashboard.set(depth=3)


def test_instruction_5_learning_rate_path(dashboard):
    """The notebook's instruction 5, as a reader would follow it: without BN at weight std
    0.56 (the slider's 10^-0.25; it offers no 0.5), learning rate 0.1 reaches train accuracy
    0.68, 1 does not learn, 3.2 (10^0.5) diverges; with BN at 1 it learns (0.74).

    That last run is chaotic in the weight std: before issue 17 the dashboard trained with
    the std rounded to 8 decimals (0.56234133) and got 0.77; with the slider's exact value
    (0.5623413251903491, 5e-9 relative away) it gets 0.74. The notebook claims only that it
    learns, so that is what is checked, with an accuracy well above chance."""
    dashboard.set(**{**DEFAULTS, "batch_norm": False, "scale": 10 ** -0.25, "lr": 0.1})
    assert f"{dashboard.controls['scale'].value:.2g}" == "0.56"
    assert dashboard.status_text().startswith("Without BN")
    assert "Learned" in dashboard.status_text() and "Train accuracy 0.68," in dashboard.status_text()
    dashboard.set(lr=1.0)
    assert "At chance" in dashboard.status_text() or "Stalled" in dashboard.status_text()
    dashboard.set(lr=10 ** 0.5)
    assert f"{dashboard.controls['lr'].value:.2g}" == "3.2"
    assert "Diverged at step" in dashboard.status_text() or "Blew up" in dashboard.status_text()
    dashboard.set(batch_norm=True, lr=1.0)
    text = dashboard.status_text()
    assert text.startswith("With BN") and "Learned" in text
    train_acc = float(text.split("Train accuracy ")[1].split(",")[0])
    assert 0.7 <= train_acc <= 0.8
    dashboard.set(**DEFAULTS)


def test_bn_at_the_largest_rate_blows_up_and_is_not_called_a_success(dashboard):
    """Issue 15: at learning rate 32 (the slider's 10^1.5) with BN the cost rises over 100
    times its start and comes back finite: History.verdict says "blew up", not "learned"."""
    dashboard.set(**{**DEFAULTS, "lr": 10 ** 1.5})
    text = dashboard.status_text()
    assert "Blew up: the cost rose to" in text and "Train accuracy 0.50" in text
    assert cu.plotting.colour_of("bad") in dashboard.status.value  # coloured as a failure
    dashboard.set(**DEFAULTS)


def test_gradients_below_the_axis_are_said_to_be_clipped(dashboard):
    """Issue 15: the gradient panel draws values below 1e-9 on its bottom edge; a note says so."""
    dashboard.set(**{**DEFAULTS, "batch_norm": False, "activation": "sigmoid"})
    assert "below 1e-09, drawn on the bottom edge" in dashboard.grad_note.get_text()
    dashboard.set(**DEFAULTS)
    assert dashboard.grad_note.get_text() == ""
