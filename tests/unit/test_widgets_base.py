"""The shared dashboard base and panels (course_utils.widgets._base, .panels), tested
through the smallest complete dashboard: one slider, one cost panel, a training run. It is
also the example of how little a new dashboard needs to declare."""

import ipywidgets as widgets
import numpy as np
import pytest

import course_utils as cu
from course_utils.widgets import Dashboard
from course_utils.widgets.panels import BoundaryPanel, CostPanel

STEPS = 60


class TinyDashboard(Dashboard):
    """A whole dashboard: its controls, its panel, compute() and show()."""

    title = "Tiny dashboard"

    def __init__(self, lr: float = 0.3, cache_size: int = 2):
        super().__init__(figsize=(4, 3), cache_size=cache_size)
        self.X, self.Y, _, _ = cu.datasets.load_moons()
        self.controls = {"lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=3,
                                                      description="learning rate")}
        self._watch_controls()
        self._layout([[self.controls["lr"]]], "Move the learning rate.")
        self.cost = CostPanel(self.view, self.figure.subplots(), length=STEPS)
        self.update()

    def compute(self):
        spec = cu.Spec((2, 8, 1), activation="tanh")
        params = cu.init_params(spec, "xavier_normal", rng=0)
        hist = cu.train(spec, params, self.X, self.Y, cu.optimizers.sgd(self.controls["lr"].value),
                        steps=STEPS, progress=False, callback_every=10,
                        callback=self.throttled(lambda history, *_: self.show(history)))
        self.show(hist)
        return hist

    def show(self, hist):
        self.cost.show(hist.costs)
        self.frame(hist.status(), "good" if hist.verdict == "learned" else "bad")


@pytest.fixture
def tiny():
    return TinyDashboard()


def test_a_new_setting_is_computed_and_a_seen_one_recalled(tiny):
    assert [t["kind"] for t in tiny.timings] == ["trained"]
    tiny.set(lr=0.1)
    tiny.set(lr=0.3)
    assert [t["kind"] for t in tiny.timings] == ["trained", "trained", "cached"]


def test_the_key_is_the_control_values_exactly(tiny):
    """Two settings that differ in the 12th digit are two results, never merged by rounding."""
    tiny.set(lr=0.3 + 1e-12)
    assert tiny.timings[-1]["kind"] == "trained"
    assert len(tiny._cache) == 2


def test_the_memory_is_bounded(tiny):
    for lr in (0.1, 0.2, 0.4):
        tiny.set(lr=lr)
    assert len(tiny._cache) == 2
    tiny.set(lr=0.3)  # forgotten: computed again
    assert tiny.timings[-1]["kind"] == "trained"


def test_a_run_that_blew_up_is_said_in_words_on_the_panel_and_in_the_status(tiny):
    tiny.set(lr=1000.0)
    assert tiny.cost.note.get_text().startswith("peak cost") and "off the scale" in tiny.cost.note.get_text()
    assert tiny.status_text().startswith("Blew up")


def test_unknown_controls_are_refused_by_name(tiny):
    with pytest.raises(ValueError, match="unknown control 'depth'"):
        tiny.set(depth=3)


def test_throttled_calls_at_most_once_per_interval():
    calls = []
    callback = Dashboard.throttled(calls.append, seconds=3600)
    for i in range(5):
        callback(i)
    assert calls == []  # nothing yet: the interval has not passed since it was made
    now = Dashboard.throttled(calls.append, seconds=0)
    now(1)
    now(2)
    assert calls == [1, 2]


def test_cost_panel_draws_up_to_the_first_non_finite_cost_and_says_so():
    board = TinyDashboard()
    board.cost.show([1.0, 0.5, np.nan, 0.2])
    x, y = board.cost.lines["cost"].get_data()
    assert list(x) == [0, 1]
    assert board.cost.note.get_text() == "diverged at step 2"
    board.cost.show([1.0, 500.0])
    assert board.cost.note.get_text().startswith("peak cost 5.0e+02")


def test_boundary_panel_shows_an_overflowed_network_as_undecided():
    board = TinyDashboard()
    ax = board.figure.add_subplot(2, 2, 4)
    panel = BoundaryPanel(board.view, ax, board.X, board.Y, resolution=5)
    spec = cu.Spec((2, 3, 1))
    params = cu.init_params(spec, rng=0)
    params["W2"][:] = np.nan
    assert np.all(panel.probabilities(spec, params) == 0.5)
