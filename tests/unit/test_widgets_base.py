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


# ---------------------------------------------------------------- a remembered setting's frame

DASHBOARDS = sorted(name for name in dir(cu.widgets)
                    if name.endswith(("_dashboard", "_demo")) and callable(getattr(cu.widgets, name)))


def another_value(control):
    """A value of the control other than its current one (None if it has no other)."""
    if isinstance(control, widgets.Checkbox):
        return not control.value
    options = getattr(control, "options", None)
    if options:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        return next((v for v in values if v != control.value), None)
    if hasattr(control, "max"):
        return control.max if control.value != control.max else control.min
    return None


# The optimizer paths dashboard keeps its own update() (its first control redraws the
# landscape): its stored frames have a test of their own below.
@pytest.mark.parametrize("name", [n for n in DASHBOARDS if n != "landscape_dashboard"])
def test_coming_back_to_a_setting_sends_the_frame_a_fresh_drawing_would(name):
    """Back at a position of the controls seen before, the stored frame is sent instead of
    drawing again: it must be the very picture that drawing the artists now gives."""
    dashboard = getattr(cu.widgets, name)()
    start = dashboard.state()
    control, other = next((n, another_value(c)) for n, c in dashboard.controls.items()
                          if not getattr(c, "disabled", False) and another_value(c) is not None)
    dashboard.set(**{control: other})
    moved = dashboard.view.png
    dashboard.set(**start)
    assert dashboard.timings[-1]["kind"] == "cached", f"{name}: moving back was not recalled"
    replayed = dashboard.view.png
    assert replayed != moved, f"{name}: moving {control} and back left the same picture"
    dashboard.view.redraw()
    assert dashboard.view.png == replayed, f"{name}: the stored frame differs from a fresh drawing"
    assert dashboard.view.image.value == replayed


def test_a_control_left_out_of_the_key_still_gets_its_own_frame():
    """The gradient-checking dashboard's key leaves eps out (a result holds the whole eps
    sweep): two eps under one key are two frames, neither sent for the other."""
    dashboard = cu.widgets.gradcheck_dashboard()
    start = dashboard.state()
    dashboard.set(eps=1e-10)
    other = dashboard.view.png
    dashboard.set(**start)
    assert dashboard.timings[-1]["kind"] == "cached" and dashboard.view.png != other
    replayed = dashboard.view.png
    dashboard.view.redraw()
    assert dashboard.view.png == replayed


def test_the_paths_dashboard_sends_a_stored_frame_only_for_the_same_rates_of_every_optimizer():
    """Its picture depends on every optimizer's rate on the landscape, not only on the
    sliders (which show the selected optimizer's): a stored frame is keyed by both."""
    dashboard = cu.widgets.landscape_dashboard()
    start, lr = dashboard.state(), dashboard.controls["lr"].value
    dashboard.set(lr=lr * 2)
    doubled = dashboard.view.png
    dashboard.set(lr=lr)
    assert dashboard.timings[-1]["kind"] == "cached" and dashboard.view.png != doubled
    replayed = dashboard.view.png
    dashboard.view.redraw()
    assert dashboard.view.png == replayed
    # Another optimizer's rate changed, then the sliders back on the first: a new picture.
    other = next(value for _, value in dashboard.controls["optimizer"].options
                 if value != start["optimizer"])
    dashboard.set(optimizer=other)
    dashboard.set(lr=dashboard.controls["lr"].value * 2)
    dashboard.set(optimizer=start["optimizer"])
    assert dashboard.view.png != replayed
    dashboard.view.redraw()
    fresh = dashboard.view.png
    dashboard.set(lr=lr * 2)
    dashboard.set(lr=lr)
    assert dashboard.view.png == fresh


def test_a_stored_frame_with_other_axis_limits_is_sent_without_drawing_them():
    """The gradients dashboard's cost axis spans the run: going back to 150 steps sends the
    stored frame, drawn on the background kept for 150 steps."""
    dashboard = cu.widgets.gradient_flow_dashboard()
    start = dashboard.state()
    longer = max(o for o in dashboard.controls["steps"].options if o != start["steps"])
    dashboard.set(steps=longer)
    dashboard.set(**start)
    assert dashboard.timings[-1]["kind"] == "cached"
    replayed = dashboard.view.png
    dashboard.view.redraw()
    assert dashboard.view.png == replayed
    assert dashboard.cost.ax.get_xlim() == (0, start["steps"])
    dashboard.view.full_redraw()  # the static parts drawn anew: the same picture
    assert dashboard.view.png == replayed


def count_full_draws(view, monkeypatch) -> list:
    """Patch the view's canvas so that every full drawing of the figure is counted."""
    calls = []
    draw = view.canvas.draw
    monkeypatch.setattr(view.canvas, "draw", lambda *a, **k: calls.append(1) or draw(*a, **k))
    return calls


def test_a_kept_background_is_pasted_not_drawn_and_is_the_same_picture(monkeypatch):
    """A change of run length in the gradients dashboard pastes the background drawn for
    that length when the dashboard was built (no full drawing, ~150 ms), and the frame is
    the picture a full drawing gives."""
    dashboard = cu.widgets.gradient_flow_dashboard()
    longer = max(dashboard.controls["steps"].options)
    draws = count_full_draws(dashboard.view, monkeypatch)
    dashboard.set(steps=longer)
    assert dashboard.timings[-1]["kind"] == "trained" and not draws
    assert dashboard.cost.ax.get_xlim() == (0, longer)
    shown = dashboard.view.png
    dashboard.view.full_redraw()
    assert draws and dashboard.view.png == shown


def test_a_changed_static_part_forgets_every_kept_background(monkeypatch):
    """invalidate() says the static parts changed: no kept background may be pasted again."""
    dashboard = cu.widgets.gradient_flow_dashboard()
    start, longer = dashboard.steps, max(dashboard.controls["steps"].options)
    dashboard.view.invalidate()
    draws = count_full_draws(dashboard.view, monkeypatch)
    dashboard.set(steps=longer)
    dashboard.set(steps=start, depth=dashboard.controls["depth"].value + 1)
    assert len(draws) == 2  # each length drawn again, once
    assert dashboard.cost.ax.get_xlim() == (0, start)


# ---------------------------------------------------------------- the frame before the words


def messages_in_order(dashboard, **watched) -> list:
    """The names of the widgets whose value changes, in the order the kernel sends them."""
    order = []
    for name, widget in {"figure": dashboard.view.image, "status": dashboard.status,
                         **watched}.items():
        widget.observe(lambda change, name=name: order.append(name), names="value")
    return order


@pytest.mark.parametrize("move", ["trained", "cached"])
def test_the_figure_is_sent_before_the_status_line(tiny, move):
    """The page handles the kernel's messages in order, and a changed text costs it a layout
    before the figure shows (05's paths: 115-131 ms to the first frame in the browser, 18-43
    ms with the figure first)."""
    start = tiny.controls["lr"].value
    tiny.set(lr=1.0)
    if move == "cached":
        tiny.set(lr=start)
    order = messages_in_order(tiny)
    tiny.set(lr=1.0 if move == "cached" else 3.0)
    assert order[:2] == ["figure", "status"], order


def test_the_paths_dashboard_sends_its_figure_before_its_words():
    dashboard = cu.widgets.landscape_dashboard()
    order = messages_in_order(dashboard, settings=dashboard.settings_line)
    dashboard.set(lr=dashboard.controls["lr"].value * 2)
    assert order[0] == "figure" and set(order[1:]) == {"status", "settings"}, order


def test_coming_back_to_a_landscape_pastes_its_background(monkeypatch):
    """05's paths: each landscape keeps its contours and its drawn background. Back on the
    ravine, nothing is drawn in full, and the frame is what a full drawing gives (so the
    other landscape's contours, hidden, are in neither)."""
    dashboard = cu.widgets.landscape_dashboard(tuned=TUNED)
    first = dashboard.view.png
    dashboard.set(landscape="saddle")
    draws = count_full_draws(dashboard.view, monkeypatch)
    dashboard.set(landscape="ravine")
    assert dashboard.timings[-1]["kind"] == "landscape" and not draws
    assert dashboard.view.png == first
    dashboard.view.full_redraw()
    assert draws and dashboard.view.png == first


# the notebook passes its own tuned rates; any rates do here (tuning takes 300 ms a landscape)
TUNED = {name: {opt: 0.01 for opt in cu.widgets.optimizers.PATH_OPTIMIZERS}
         for name in ("ravine", "saddle")}


def test_a_failure_from_a_button_is_said_on_the_status_line(monkeypatch):
    """Found in review: the buttons' moves went around the reader's path (set() called
    update() itself), so a failure left the old words and the busy mark in place."""
    dashboard = cu.widgets.gradient_flow_dashboard()

    def broken():
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(dashboard.view, "redraw", broken)
    with pytest.raises(RuntimeError):
        dashboard.set(scale=2.0)
    assert dashboard.status_text() == "Something went wrong: RuntimeError: drawing failed"
    assert "cu-busy" not in dashboard.status._dom_classes
