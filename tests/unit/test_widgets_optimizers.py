"""The dashboards of 05_optimizers without a browser: set each control as a reader would,
check what is drawn and said, and that nothing raised."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.widgets import optimizers as W

# Tuned rates given up front (as the notebook does), so the tests do not wait for sweeps.
TUNED = {name: {opt: 0.05 for opt in W.PATH_OPTIMIZERS} for name in cu.lessons.optimizers.NAMES}
TUNED["ravine"].update(sgd=0.0178, momentum=0.0562, nesterov=0.1)


@pytest.fixture(scope="module")
def paths():
    return cu.widgets.landscape_dashboard(tuned=TUNED)


@pytest.fixture(scope="module")
def moons():
    return cu.widgets.moons_dashboard(updates=400)


def _png_bundle(dashboard, title):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == f"{title} (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


def test_default_figures_are_stored_for_readers_without_a_kernel(paths, moons):
    _png_bundle(paths, "Optimizer-paths dashboard")
    _png_bundle(moons, "Optimizers-on-the-moons dashboard")


@pytest.mark.parametrize("control,value", [
    ("lr", 0.01), ("beta", 0.5), ("x0", 1.0), ("y0", 1.5),
    ("show_momentum", False), ("landscape", "rosenbrock"), ("landscape", "local_minimum"),
])
def test_every_path_control_changes_the_figure(paths, control, value):
    before = paths.view.png
    paths.set(**{control: value})
    assert paths.view.png != before
    assert paths.status_text()
    paths.reset()
    paths.set(landscape="ravine", optimizer="momentum", show_momentum=True)
    paths.reset()


def test_choosing_an_optimizer_changes_the_words_not_the_paths(paths):
    paths.set(landscape="ravine", optimizer="momentum")
    before, words = paths.view.png, paths.status_text()
    paths.set(optimizer="adam")
    assert paths.status_text().startswith("Adam (lr ") and paths.status_text() != words
    assert paths.view.png == before  # every path was already shown
    paths.set(optimizer="momentum")


def test_sliders_follow_the_chosen_optimizer(paths):
    paths.set(landscape="ravine", optimizer="momentum")
    paths.set(lr=0.02, beta=0.6)
    paths.set(optimizer="adagrad")
    assert paths.controls["lr"].value == pytest.approx(TUNED["ravine"]["adagrad"])
    assert paths.controls["beta"].disabled
    paths.set(optimizer="momentum")
    assert paths.controls["lr"].value == pytest.approx(0.02, rel=1e-6)
    assert paths.controls["beta"].value == pytest.approx(0.6)
    assert "momentum: lr 0.02, β 0.60" in paths.settings_line.value
    paths.reset()
    assert paths.controls["lr"].value == pytest.approx(TUNED["ravine"]["momentum"])


def test_landscape_change_moves_the_start_sliders(paths):
    paths.set(landscape="beale")
    land = cu.lessons.optimizers.get("beale")
    assert (paths.controls["x0"].value, paths.controls["y0"].value) == pytest.approx(land.start)
    assert (paths.controls["x0"].min, paths.controls["x0"].max) == land.xlim
    assert paths.timings[-1]["kind"] == "landscape"
    paths.set(landscape="ravine")


def test_status_says_what_happened_in_words(paths):
    paths.set(landscape="ravine", optimizer="sgd")
    paths.set(lr=0.05)  # above 2 / 100
    assert "diverged at step" in paths.status_text()
    assert "(diverged)" in paths.settings_line.value
    paths.set(lr=0.0178)
    assert "after 150 steps f - f_min is still" in paths.status_text()
    paths.set(optimizer="nesterov")
    assert "below 1e-06 at step" in paths.status_text()
    paths.set(landscape="local_minimum", optimizer="momentum")
    paths.set(lr=0.01, beta=0.9)
    assert "ended in the local minimum" in paths.status_text()
    paths.set(lr=0.1)
    assert "local minimum" not in paths.status_text()
    # a crawl at a tiny rate, or a slow swing at a high beta, has not "ended" anywhere yet
    paths.set(lr=1e-4, beta=0.99)
    assert "has not crossed the barrier" in paths.status_text()
    assert "ended in the local minimum" not in paths.status_text()
    paths.set(lr=0.01, beta=0.95)
    assert "has not crossed the barrier" in paths.status_text()
    paths.set(lr=0.02, beta=0.95)  # lr / (1 - beta) = 0.4: over the barrier, still settling
    assert "rolled over the barrier" in paths.status_text()
    assert paths.status_text()[0].isupper()
    paths.set(landscape="saddle", y0=0.0)
    assert "still at the saddle point" in paths.status_text()
    paths.reset()
    paths.set(landscape="ravine")


@pytest.mark.parametrize("optimizer,lr", [("nesterov", 0.0562), ("nesterov", 0.02),
                                          ("adam", 0.1), ("momentum", 0.0562)])
def test_a_value_passed_to_set_always_wins(paths, optimizer, lr):
    """Issue 15: from momentum at its tuned 0.0562, set(optimizer="nesterov", lr=0.0562)
    used to give Nesterov at its own tuned 0.1 (the lr "had not changed", and switching
    the optimizer then loaded Nesterov's rate)."""
    paths.set(landscape="ravine", optimizer="momentum")
    paths.reset()
    assert paths.controls["lr"].value == pytest.approx(0.0562)
    paths.set(optimizer=optimizer, lr=lr, beta=0.8)
    assert paths.controls["optimizer"].value == optimizer
    assert paths.controls["lr"].value == pytest.approx(lr)
    setting = paths.settings["ravine"][optimizer]
    assert setting["lr"] == pytest.approx(lr) and setting["beta"] == pytest.approx(0.8)
    label = W.LABELS[optimizer][0].upper() + W.LABELS[optimizer][1:]
    assert paths.status_text().startswith(f"{label} (lr {lr:.3g}, beta 0.80)")
    paths.reset()


def test_set_applies_the_start_after_the_landscape(paths):
    paths.set(landscape="beale", x0=1.0, y0=0.5)
    assert (paths.controls["x0"].value, paths.controls["y0"].value) == (1.0, 0.5)
    paths.set(landscape="ravine")
    paths.reset()


def test_path_revisit_is_cached(paths):
    paths.set(landscape="ravine", optimizer="momentum")
    paths.set(beta=0.5)
    paths.set(beta=0.9)
    assert paths.timings[-1]["kind"] == "cached"
    paths.reset()


def test_lazy_tuning_of_a_landscape_without_rates():
    dashboard = cu.widgets.landscape_dashboard(landscape="saddle", tuned={})
    best, _ = cu.lessons.optimizers.tune_lr("adam", "saddle")
    assert dashboard.tuned["saddle"]["adam"] == best


@pytest.mark.parametrize("control,value", [("optimizer", "adam"), ("lr", 0.05),
                                           ("batch_size", 16), ("schedule", "cosine")])
def test_every_moons_control_changes_the_figure(moons, control, value):
    before = moons.view.png
    moons.set(**{control: value})
    assert moons.view.png != before
    assert "train accuracy" in moons.status_text()
    moons.set(optimizer="sgd", lr=0.0007, batch_size=64, schedule="constant")


def test_moons_status_words(moons):
    """The verdict is History's (issue: one set of rules for every dashboard), the line
    starts with a capital, and the epochs come from the batching (400 updates of 5
    minibatches of at most 64 are 80 epochs, not 400 x 64 / 300 = 85)."""
    moons.set(optimizer="sgd", lr=0.0007, batch_size=64, schedule="constant")
    text = moons.status_text()
    assert text.startswith("Gradient descent, lr 0.0007")
    assert "At chance after 400 steps" in text and "80 epochs of 5 updates" in text
    moons.set(optimizer="adam", lr=0.05)
    text = moons.status_text()
    assert text.startswith("Adam, lr 0.05, batches of 64, constant schedule. Learned: cost")
    assert "train accuracy" in text and "At chance" not in text
    moons.set(optimizer="sgd", lr=3.0, batch_size=16)
    text = moons.status_text()
    assert "diverged at step" in text or "killed its ReLU units" in text or "blew up" in text
    moons.set(optimizer="sgd", lr=0.0007, batch_size=64)


def test_moons_schedules_are_drawn(moons):
    moons.set(optimizer="sgd", lr=0.0007, batch_size=64)
    for label in W.SCHEDULES:
        moons.set(schedule=label)
        lrs = moons.lr_line.get_ydata()
        assert lrs[0] == pytest.approx(0.0007)
        if label != "constant":
            assert lrs[-1] < lrs[0]
    moons.set(schedule="constant")


def test_moons_revisit_is_cached(moons):
    moons.set(optimizer="adam")
    moons.set(optimizer="sgd")
    assert moons.timings[-1]["kind"] == "cached"


@pytest.mark.parametrize("batch_size,per_epoch,epochs", [(64, 5, 300), (16, 19, 79),
                                                          (128, 3, 500), (300, 1, 1500),
                                                          (1000, 1, 1500)])
def test_epochs_come_from_the_batching(batch_size, per_epoch, epochs):
    """Issue 15: the last, smaller batch is an update too (300 = 4 x 64 + 44)."""
    assert W.updates_per_epoch(300, batch_size) == per_epoch
    assert round(W.epochs_of(1500, 300, batch_size)) == epochs
    X = np.zeros((2, 300))
    assert len(cu.training.minibatches(X, X[:1], batch_size, 0)) == per_epoch


def test_moons_guidance_states_the_epochs(moons):
    guidance = [child.value for child in moons.box.children if hasattr(child, "value")
                and "minibatch updates" in str(child.value)]
    assert guidance and "400 minibatch updates (80 epochs at batches of 64)" in guidance[0]


def test_the_notebooks_moons_dashboard_trains_300_epochs():
    """The notebook's prose: 1,500 updates are 300 epochs at batches of 64."""
    assert W.epochs_of(1500, 300, 64) == 300


def test_smooth_is_a_running_mean():
    np.testing.assert_allclose(W.smooth(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1, 2, 4, 6])


def test_unknown_schedule_and_optimizer_are_clear_errors():
    with pytest.raises(ValueError, match="unknown schedule"):
        W.schedule("linear", 0.1, 100)
    with pytest.raises(ValueError, match="edit must be one of"):
        cu.widgets.landscape_dashboard(edit="lbfgs", tuned=TUNED)
