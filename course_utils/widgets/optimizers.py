"""The dashboards of 05_optimizers.

`landscape_dashboard`: every optimizer's path over a 2-D landscape from the same start.
Choose the landscape, the start, which optimizers to show, and set each optimizer's
learning rate and beta; only the path that changed is recomputed (a few hundred updates
of a 2-D point: milliseconds), and the figure is redrawn by blitting.

`moons_dashboard`: the source course's network [2, 5, 2, 1] on the moons, trained by the
optimizer, learning rate, batch size and schedule you choose, drawn while it trains.
Results are cached, so returning to a setting redraws at once.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_hex

from .. import datasets, network, optimizers, plotting, training
from ..lessons import optimizers as lesson
from ._base import Dashboard
from .panels import (COLOURS, MINIBATCH_STYLE, SMOOTHED_STYLE, BoundaryPanel, CostPanel,
                     accuracies)

__all__ = ["LandscapeDashboard", "landscape_dashboard", "MoonsDashboard", "moons_dashboard"]

# ==================================================================== landscapes

# AdamW is left out, as in the notebook's race: a landscape has no penalty to decouple,
# so its decay is only a pull toward the origin (Adam plus shrinkage).
PATH_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
LABELS = {"sgd": "gradient descent", "momentum": "momentum", "nesterov": "Nesterov",
          "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}
COLORS = {name: f"C{i}" for i, name in enumerate(PATH_OPTIMIZERS)}
# Each optimizer's marker at the end of its path and line style in the gap plot, so that
# the paths are told apart without colour too.
MARKERS = dict(zip(PATH_OPTIMIZERS, "osDv^P"))
LINESTYLES = dict(zip(PATH_OPTIMIZERS, ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)))))
# The beta each optimizer's beta slider sets (None: the optimizer has none).
BETA_ARGUMENT = {"sgd": None, "momentum": "beta", "nesterov": "beta", "adagrad": None,
                 "rmsprop": "beta", "adam": "beta1"}
DEFAULT_BETA = 0.9
GAP_LIMITS = (1e-12, 1e3)
ARRIVED = 1e-6  # f - f_min below this counts as "at the minimum" in the status line
SETTLED = 0.05  # w1 this near the local minimum, the last step a fifth of it: "ended in it"


def capitalized(text: str) -> str:
    """Status lines start with a capital: "gradient descent ..." -> "Gradient descent ..."."""
    return text[0].upper() + text[1:]


def path_optimizer(name: str, lr: float, beta: float) -> optimizers.Optimizer:
    """The optimizer `name` with learning rate lr and, if it has one, its beta set."""
    hyper = {"lr": lr}
    if BETA_ARGUMENT[name]:
        hyper[BETA_ARGUMENT[name]] = beta
    return optimizers.get(name, **hyper)


class LandscapeDashboard(Dashboard):
    """Paths of up to six optimizers over one of the landscapes of course_utils.lessons.optimizers.

    tuned: {landscape name: {optimizer name: learning rate}}, e.g. the notebook's sweep; a
    landscape missing from it is tuned (lesson.tune_lr) the first time it is shown.

    Every move is fast (a path is a few hundred updates of a 2-D point), so this dashboard
    defines update() itself and remembers the paths one by one (path_key): a move
    recomputes only the path it changed, not all six.
    """

    title = "Optimizer-paths dashboard"

    def __init__(self, landscape: str = "ravine", tuned: dict | None = None,
                 edit: str = "momentum", shown=PATH_OPTIMIZERS, cache_size: int = 512):
        super().__init__(figsize=(11.5, 4.2), dpi=80, cache_size=cache_size)
        lesson.get(landscape)  # a clear error for an unknown name
        if edit not in PATH_OPTIMIZERS:
            raise ValueError(f"edit must be one of {PATH_OPTIMIZERS}, got {edit!r}")
        self.tuned = {k: dict(v) for k, v in (tuned or {}).items()}
        self.settings: dict = {}  # landscape -> optimizer -> {"lr", "beta"}
        self._contours = None  # the shown landscape's contours
        self._contour_sets: dict = {}  # landscape name -> its contours (hidden when not shown)
        self._shown_landscape = None
        self._build_controls(landscape, edit, shown)
        self._build_figure()
        self._switch_landscape()
        self.update()

    # ---------------------------------------------------------------- settings

    def tuned_lr(self, landscape: str, name: str) -> float:
        if name not in self.tuned.get(landscape, {}):
            best, _ = lesson.tune_lr(name, landscape)
            self.tuned.setdefault(landscape, {})[name] = best
        return self.tuned[landscape][name]

    def _settings_for(self, landscape: str) -> dict:
        if landscape not in self.settings:
            self.settings[landscape] = {name: {"lr": self.tuned_lr(landscape, name),
                                               "beta": DEFAULT_BETA}
                                        for name in PATH_OPTIMIZERS}
        return self.settings[landscape]

    def _setting(self, name: str) -> dict:
        """The learning rate and beta of optimizer `name` on the current landscape."""
        return self._settings_for(self.controls["landscape"].value)[name]

    # ---------------------------------------------------------------- controls

    def _build_controls(self, landscape, edit, shown):
        slider = dict(continuous_update=False, style={"description_width": "initial"},
                      layout=widgets.Layout(width="300px"))
        self.controls = {
            "landscape": widgets.Dropdown(
                options=[(lesson.get(n).title, n) for n in lesson.NAMES],
                value=landscape, description="landscape", layout=widgets.Layout(width="380px")),
            "optimizer": widgets.ToggleButtons(
                options=[(LABELS[n], n) for n in PATH_OPTIMIZERS], value=edit,
                description="sliders set", style={"button_width": "120px"},
                # Only picks which optimizer the sliders below set: the figure stays.
                _dom_classes=("cu-no-redraw",)),
            "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-4, max=1, step=0.05,
                                         description="learning rate", readout_format=".3g",
                                         **slider),
            "beta": widgets.FloatSlider(value=DEFAULT_BETA, min=0.0, max=0.99, step=0.01,
                                        description="beta", **slider),
            "x0": widgets.FloatSlider(value=0.0, min=-1, max=1, step=0.05,
                                      description="start w1", **slider),
            "y0": widgets.FloatSlider(value=0.0, min=-1, max=1, step=0.01,
                                      description="start w2", **slider),
        }
        for name in PATH_OPTIMIZERS:
            self.controls[f"show_{name}"] = widgets.Checkbox(
                value=name in shown, description=LABELS[name], indent=False,
                layout=widgets.Layout(width="130px"))
        self.tuned_button = widgets.Button(description="tuned rates",
                                           tooltip="every optimizer back to its tuned learning "
                                                   "rate, beta 0.9, the default start")
        self.tuned_button.on_click(lambda _: self.reset())
        self.settings_line = widgets.HTML()
        # These two run before the generic observer: they load the sliders first.
        self.controls["landscape"].observe(lambda _: self._switch_landscape(), names="value")
        self.controls["optimizer"].observe(lambda _: self._load_sliders(), names="value")
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["landscape"], self.tuned_button], [c["optimizer"]],
             [c["lr"], c["beta"]], [c["x0"], c["y0"]],
             [c[f"show_{name}"] for name in PATH_OPTIMIZERS], [self.settings_line]],
            "Pick the optimizer the sliders set, then move its learning rate or beta; every "
            "path starts at the same point (the start sliders). Try first: on the ravine, "
            "set momentum's beta to 0.5, then 0 (gradient descent at momentum's rate: too fast).")

    # The order in which set() applies controls: each one may reload those after it (a new
    # landscape resets the start and loads the selected optimizer's rate and beta; a new
    # optimizer loads its own rate and beta), so a value passed to set() is applied after
    # whatever could overwrite it, and always wins.
    SET_ORDER = ("landscape", "optimizer", "x0", "y0", "lr", "beta") + tuple(
        f"show_{name}" for name in PATH_OPTIMIZERS)

    def set(self, **values) -> None:
        """Change controls by name, then update once (as if a reader had set them all).

        Controls are applied in SET_ORDER, and every value passed is written after the
        controls that could reload it: set(optimizer="nesterov", lr=0.0562) gives Nesterov
        at lr 0.0562, even when the slider already showed 0.0562 for the previous optimizer.
        """
        unknown = [name for name in values if name not in self.controls]
        if unknown:
            raise ValueError(f"unknown control {', '.join(map(repr, unknown))}; this dashboard "
                             f"has: {', '.join(self.controls)}")
        before = self.state()
        self._held(**{name: values[name] for name in self.SET_ORDER if name in values})
        if self.state() != before:
            self._update_or_say_why()

    @contextmanager
    def _holding(self):
        """Change controls inside this block without an update for each."""
        previous, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = previous

    def _held(self, **values) -> None:
        """Set controls, in the order given, without triggering updates."""
        with self._holding():
            for name, value in values.items():
                self.controls[name].value = value

    def _load_sliders(self) -> None:
        """Show the chosen optimizer's own learning rate and beta on the sliders."""
        name = self.controls["optimizer"].value
        setting = self._setting(name)
        self._held(lr=setting["lr"], beta=setting["beta"])
        self.controls["beta"].disabled = BETA_ARGUMENT[name] is None
        self.controls["beta"].description = BETA_ARGUMENT[name] or "(no beta)"

    def _switch_landscape(self) -> None:
        """New ranges and default start for the start sliders, the optimizer's settings."""
        land = lesson.get(self.controls["landscape"].value)
        with self._holding():
            for name, (low, high), value in (("x0", land.xlim, land.start[0]),
                                             ("y0", land.ylim, land.start[1])):
                s = self.controls[name]
                # widen first, so the new start is inside the range whatever the old one was
                s.max = max(high, s.max)
                s.min = min(low, s.min)
                s.value = value
                s.min, s.max = low, high
        self._load_sliders()

    def reset(self) -> None:
        """Every optimizer back to its tuned rate and beta 0.9, the default start."""
        landscape = self.controls["landscape"].value
        self.settings.pop(landscape, None)
        land = lesson.get(landscape)
        self._load_sliders()
        self._held(x0=land.start[0], y0=land.start[1])
        self._update_or_say_why()

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        self.ax_path, self.ax_gap = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.path_lines, self.gap_lines, self.ends = {}, {}, {}
        for name in PATH_OPTIMIZERS:
            color = COLORS[name]
            (self.path_lines[name],) = self.ax_path.plot([], [], ".-", color=color, ms=2.5, lw=1.1)
            (self.ends[name],) = self.ax_path.plot([], [], MARKERS[name], color=color, ms=6,
                                                   mec="k", mew=0.5)
            (self.gap_lines[name],) = self.ax_gap.plot([], [], color=color, lw=1.5,
                                                       ls=LINESTYLES[name], marker=MARKERS[name],
                                                       markevery=[-1], ms=5, mec="k", mew=0.4,
                                                       label=LABELS[name])
        (self.start_marker,) = self.ax_path.plot([], [], "s", color="k", ms=6)
        # drawn last, so the paths never hide where the minima are
        (self.minima_marker,) = self.ax_path.plot([], [], "*", color="C1", mec="k", mew=0.6,
                                                  ms=12)
        self.ax_path.set(xlabel="$w_1$", ylabel="$w_2$")
        self.ax_gap.set(yscale="log", ylim=GAP_LIMITS, xlabel="step",
                        ylabel="$f - f_{min}$ (log scale)", title="distance to the minimum in f")
        # The legend is static (drawn once); the learning rates are in the settings line,
        # because text is the slowest thing to draw.
        self.ax_gap.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                           frameon=False)
        self.figure.subplots_adjust(left=0.06, right=0.85, bottom=0.12, top=0.92, wspace=0.22)
        self.view.animate(*self.path_lines.values(), *self.ends.values(),
                          *self.gap_lines.values(), self.start_marker, self.minima_marker)

    def _draw_landscape(self, land) -> None:
        """Contours, minima, limits and title of a new landscape: the static background. Each
        landscape keeps its contours and its drawn background (FigureView.use_background),
        so coming back to one pastes it instead of drawing the figure again (200 ms)."""
        if self._contours is not None:
            self._contours.set_visible(False)
        if land.name not in self._contour_sets:
            xx, yy, zz = land.grid(120)
            levels = np.log10(zz - zz.min() + 1e-3)
            self._contour_sets[land.name] = self.ax_path.contour(
                xx, yy, levels, levels=20, cmap="Greys", linewidths=0.6)
        self._contours = self._contour_sets[land.name]
        self._contours.set_visible(True)
        minima = np.array([land.minimum, *land.extra_minima])
        self.minima_marker.set_data(minima[:, 0], minima[:, 1])
        self.ax_path.set(xlim=land.xlim, ylim=land.ylim, title=land.title)
        self.ax_gap.set_xlim(0, land.steps)
        self._shown_landscape = land.name
        self.view.use_background(land.name)  # drawn by the frame that follows, the first time

    # ---------------------------------------------------------------- one setting

    def path_key(self, name: str) -> tuple:
        """What identifies optimizer `name`'s path: the landscape, its rate and beta (None
        for an optimizer without one, whose path the beta slider cannot change) and the
        start, exactly as held."""
        setting = self._setting(name)
        beta = setting["beta"] if BETA_ARGUMENT[name] else None
        c = self.controls
        return c["landscape"].value, name, setting["lr"], beta, c["x0"].value, c["y0"].value

    def trajectory(self, name: str):
        """(the path of optimizer `name` at its current settings, whether it was remembered)."""
        key = self.path_key(name)
        trip = self._recall(key)
        if trip is not None:
            return trip, True
        landscape, _, lr, _, x0, y0 = key
        trip = lesson.run(path_optimizer(name, lr, self._setting(name)["beta"]), landscape,
                          start=(x0, y0))
        self._remember(key, trip)
        return trip, False

    def shown(self) -> list:
        return [n for n in PATH_OPTIMIZERS if self.controls[f"show_{n}"].value]

    def update(self) -> None:
        """Store what the sliders say, draw a new landscape's contours if it changed, then
        show the paths (each remembered or computed). Records the timing."""
        self._start_update()
        c = self.controls
        landscape = c["landscape"].value
        # The sliders belong to the selected optimizer: store what they say.
        setting = self._setting(c["optimizer"].value)
        setting["lr"], setting["beta"] = c["lr"].value, c["beta"].value
        redrawn = self._shown_landscape != landscape
        if redrawn:
            self._draw_landscape(lesson.get(landscape))
        trips, all_cached = {}, True
        for name in PATH_OPTIMIZERS:
            if c[f"show_{name}"].value or name == c["optimizer"].value:
                trips[name], cached = self.trajectory(name)
                all_cached &= cached
        # What is drawn depends on the controls and on every optimizer's rate and beta on
        # this landscape (the sliders show only the selected one's): a position seen before
        # gets its stored frame (see Dashboard.update).
        position = (tuple(self.state().values()),
                    tuple((n, s["lr"], s["beta"]) for n, s in self._settings_for(landscape).items()))
        if all_cached and not redrawn:
            self._show_stored(position, trips)
        else:
            self.show(trips)
        self._keep_frame(position)
        self._end_update("landscape" if redrawn else ("cached" if all_cached else "trained"))

    # ---------------------------------------------------------------- drawing and words

    def show(self, trips: dict) -> None:
        """trips: optimizer name -> its path (lesson.run's result), for the shown optimizers
        and the one the sliders set."""
        shown = set(self.shown())
        for name in PATH_OPTIMIZERS:
            visible = name in shown and name in trips
            for artist in (self.path_lines[name], self.ends[name], self.gap_lines[name]):
                artist.set_visible(visible)
            if not visible:
                continue
            trip = trips[name]
            self.path_lines[name].set_data(trip.path[:, 0], trip.path[:, 1])
            self.ends[name].set_data(trip.path[-1:, 0], trip.path[-1:, 1])
            gaps = np.clip(trip.gaps, *GAP_LIMITS)
            self.gap_lines[name].set_data(np.arange(gaps.size), gaps)
        self.start_marker.set_data([self.controls["x0"].value], [self.controls["y0"].value])
        self.frame(*self._verdict(trips))
        self.settings_line.value = self.settings_html(trips)  # after the frame, as the status

    def settings_html(self, trips: dict) -> str:
        """Each shown optimizer's learning rate and beta, in its colour."""
        parts = []
        for name in self.shown():
            setting = self._setting(name)
            beta = f", β {setting['beta']:.2f}" if BETA_ARGUMENT[name] else ""
            gone = " (diverged)" if name in trips and trips[name].diverged else ""
            parts.append(f"<span style='color:{to_hex(COLORS[name])}'>{LABELS[name]}: lr "
                         f"{setting['lr']:.3g}{beta}{gone}</span>")
        return "<small>" + " &nbsp;·&nbsp; ".join(parts) + "</small>"

    def describe(self, trip) -> tuple:
        """One optimizer's run in words, and a level for the status colour."""
        land = trip.landscape
        if trip.diverged:
            return (f"diverged at step {trip.diverged_at:,}: the steps grew until the point "
                    "left the map; try a smaller learning rate", "bad")
        arrived = trip.steps_to(ARRIVED)
        end = trip.final_point
        if land.name == "local_minimum":
            barrier = lesson.local_minimum_barrier()
            if end[0] > barrier["x_barrier"]:
                if abs(end[0] - barrier["x_local"]) < SETTLED and trip.step_lengths()[-1] < SETTLED / 5:
                    return (f"ended in the local minimum (w1 = {end[0]:.2f}): it did not roll "
                            f"over the barrier at w1 = {barrier['x_barrier']:.2f}", "warn")
                # still on its way (a crawl at a small rate, or a slow swing at a high beta)
                return (f"has not crossed the barrier at w1 = {barrier['x_barrier']:.2f} in "
                        f"{trip.steps:,} steps: it is at w1 = {end[0]:.2f}, not yet settled",
                        "warn")
            if arrived is None:
                return (f"rolled over the barrier into the global minimum's well; after "
                        f"{trip.steps:,} steps f - f_min is still {trip.final_gap:.2g}", "info")
        if land.name == "saddle" and np.hypot(*end) < 0.1:
            return "is still at the saddle point (0, 0), where the gradient is almost 0", "warn"
        if arrived is not None:
            return f"got f - f_min below {ARRIVED:g} at step {arrived:,}", "good"
        return (f"after {trip.steps:,} steps f - f_min is still {trip.final_gap:.2g}",
                "warn" if trip.final_gap > 1e-3 else "info")

    def _verdict(self, trips: dict) -> tuple:
        name = self.controls["optimizer"].value
        setting = self._setting(name)
        beta = f", beta {setting['beta']:.2f}" if BETA_ARGUMENT[name] else ""
        words, level = self.describe(trips[name])
        text = f"{capitalized(LABELS[name])} (lr {setting['lr']:.3g}{beta}) {words}."
        arrivals = {n: t.steps_to(ARRIVED) for n, t in trips.items()
                    if n in self.shown() and not t.diverged}
        arrivals = {n: s for n, s in arrivals.items() if s is not None}
        if arrivals:
            first = min(arrivals, key=arrivals.get)
            if first != name:
                text += (f" First of those shown below {ARRIVED:g}: {LABELS[first]}, at step "
                         f"{arrivals[first]:,}.")
        return text, level


def landscape_dashboard(**options) -> LandscapeDashboard:
    """The paths dashboard of 05_optimizers; see LandscapeDashboard for the options."""
    return LandscapeDashboard(**options)


# ==================================================================== the moons network

NETWORK_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
BATCH_SIZES = (("16", 16), ("32", 32), ("64", 64), ("128", 128), ("300 (full batch)", 300))
SCHEDULES = ("constant", "step: halve every 20%", "exponential", "1/t (the course's)", "cosine")
COST_LIMITS = (0.03, 3.0)
LR_LIMITS = (1e-6, 10.0)
FRAME_SECONDS = 0.2


def schedule(label: str, lr0: float, updates: int):
    """The learning rate as a function of the step for a schedule label (over `updates`)."""
    fifth = max(updates // 5, 1)
    if label == "constant":
        return lr0
    if label.startswith("step"):
        return optimizers.step_decay(lr0, 0.5, fifth)
    if label == "exponential":  # down to 1% of lr0 at the end
        return optimizers.exponential_decay(lr0, 0.01 ** (1 / updates))
    if label.startswith("1/t"):
        return optimizers.inverse_time_decay(lr0, 1.0, every=fifth)
    if label == "cosine":
        return optimizers.cosine_decay(lr0, updates)
    raise ValueError(f"unknown schedule {label!r}; known: {', '.join(SCHEDULES)}")


@dataclass
class NetworkResult:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray      # (steps done,) the cost of each minibatch
    boundary: np.ndarray   # (resolution, resolution) P(y = 1) on the grid
    lrs: np.ndarray        # (updates,) the learning rate of each update
    status: str
    level: str
    train_acc: float = float("nan")
    test_acc: float = float("nan")


def updates_per_epoch(m: int, batch_size: int) -> int:
    """How many updates one pass over m examples takes: training.minibatches keeps the
    remainder as a last, smaller batch (300 examples in batches of 64: 4 x 64 + 44, 5
    updates), and a batch of m or more is the full batch (1 update)."""
    X = np.zeros((1, m))
    return len(training.minibatches(X, X, min(batch_size, m), 0))


def epochs_of(updates: int, m: int, batch_size: int) -> float:
    """The number of epochs (passes over the m examples) that `updates` updates make."""
    return updates / updates_per_epoch(m, batch_size)


def smooth(costs: np.ndarray, window: int) -> np.ndarray:
    """The running mean over `window` steps (one epoch), same length as costs."""
    costs = np.asarray(costs, dtype=float)
    if window <= 1 or costs.size == 0:
        return costs
    cumulative = np.concatenate([[0.0], np.cumsum(costs)])
    counts = np.minimum(np.arange(1, costs.size + 1), window)
    return (cumulative[1:] - cumulative[np.arange(1, costs.size + 1) - counts]) / counts


class MoonsDashboard(Dashboard):
    """The source course's network and data; each setting trains `updates` minibatch
    updates from the same He initialization (rng `seed`), shuffling with the same rng."""

    title = "Optimizers-on-the-moons dashboard"

    def __init__(self, optimizer: str = "sgd", lr: float = 0.0007, batch_size: int = 64,
                 schedule_label: str = "constant", updates: int = 1500, seed: int = 0,
                 resolution: int = 70, cache_size: int = 64):
        super().__init__(figsize=(11.5, 3.5), dpi=80, cache_size=cache_size)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_moons()
        self.spec = network.Spec((2, 5, 2, 1), activation="relu")
        self.params0 = network.init_params(self.spec, "he_normal", rng=seed)
        self.updates, self.seed, self.resolution = updates, seed, resolution
        self._build_controls(optimizer, lr, batch_size, schedule_label)
        self._build_figure()
        self.update()

    def _build_controls(self, optimizer, lr, batch_size, schedule_label):
        self.controls = {
            "optimizer": widgets.Dropdown(options=[(LABELS[n], n) for n in NETWORK_OPTIMIZERS],
                                          value=optimizer, description="optimizer"),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05,
                                         description="learning rate", continuous_update=False,
                                         readout_format=".3g",
                                         style={"description_width": "initial"}),
            "batch_size": widgets.Dropdown(options=BATCH_SIZES, value=batch_size,
                                           description="batch size"),
            "schedule": widgets.Dropdown(options=SCHEDULES, value=schedule_label,
                                         description="schedule"),
        }
        self._watch_controls()
        c = self.controls
        epochs = epochs_of(self.updates, self.X.shape[1], 64)
        self._layout([[c["optimizer"], c["lr"]], [c["batch_size"], c["schedule"]]],
                     f"Each setting trains {self.updates:,} minibatch updates ({epochs:,.0f} "
                     "epochs at batches of 64) of the course's [2, 5, 2, 1] ReLU network (He "
                     "init) on the moons. Try first: at lr 0.0007 switch between gradient "
                     "descent and Adam; then give gradient descent lr 0.1.")

    def _build_figure(self):
        ax_cost, ax_boundary, ax_lr = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.15, 1, 0.9]})
        self.cost = CostPanel(self.view, ax_cost, length=self.updates, limits=COST_LIMITS,
                              lines={"minibatch": (COLOURS["cost"], "each minibatch", MINIBATCH_STYLE),
                                     "epoch": (COLOURS["cost"], "mean over an epoch", SMOOTHED_STYLE)},
                              xlabel="update", title="training cost (log scale)")
        self.boundary = BoundaryPanel(self.view, ax_boundary, self.X, self.Y,
                                      resolution=self.resolution,
                                      title="decision boundary (training points)")
        (self.lr_line,) = ax_lr.plot([], [], color="C4")
        ax_lr.set(xlim=(0, self.updates), ylim=LR_LIMITS, yscale="log", xlabel="update",
                  ylabel="learning rate", title="learning-rate schedule")
        self.figure.tight_layout()
        self.view.animate(self.lr_line)

    # ---------------------------------------------------------------- one setting

    def _describe(self) -> str:
        """The setting in words, e.g. "Adam, lr 0.05, batches of 64, constant schedule"."""
        c = self.controls
        batch_size = c["batch_size"].value
        batches = "full batch" if batch_size >= self.X.shape[1] else f"batches of {batch_size}"
        return capitalized(f"{LABELS[c['optimizer'].value]}, lr {c['lr'].value:.3g}, "
                           f"{batches}, {c['schedule'].value.split(':')[0]} schedule")

    def _optimizer(self) -> optimizers.Optimizer:
        """The optimizer of the current setting, its rate following the chosen schedule."""
        c = self.controls
        return optimizers.get(c["optimizer"].value,
                              lr=schedule(c["schedule"].value, c["lr"].value, self.updates))

    def compute(self) -> NetworkResult:
        optimizer = self._optimizer()
        lrs = np.array([optimizer.lr_at(step) for step in range(self.updates)])
        partial = NetworkResult(np.array([]), self.boundary.probabilities(self.spec, self.params0),
                                lrs, f"{self._describe()}: training...", "info")
        self.show(partial)

        def draw_progress(hist, step, params, state):
            partial.costs = np.asarray(hist.costs)
            partial.boundary = self.boundary.probabilities(self.spec, params)
            partial.status = f"{self._describe()}: training, update {step:,} of {self.updates:,}"
            self.show(partial)

        start = time.perf_counter()
        hist = training.train(self.spec, self.params0, self.X, self.Y, optimizer,
                              steps=self.updates, batch_size=self.controls["batch_size"].value,
                              rng=self.seed, callback=self.throttled(draw_progress, FRAME_SECONDS),
                              callback_every=50, progress=False)
        result = self._result(hist, lrs, time.perf_counter() - start)
        self.show(result)
        return result

    def _answer_spread(self, params) -> float:
        """How far apart the network's P(y = 1) on the training points lie: near 0 it gives
        every point the same answer (NaN, never small, for a network that overflowed)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.ptp(network.predict_proba(self.spec, params, self.X)))

    def _result(self, hist, lrs, seconds) -> NetworkResult:
        """The status line: the setting, then History's verdict in its own words (the same
        rules as every notebook), then the accuracies and the epochs the updates made."""
        acc = accuracies(self.spec, hist.params,
                         {"train": (self.X, self.Y), "test": (self.X_test, self.Y_test)})
        boundary = self.boundary.probabilities(self.spec, hist.params)
        m, batch_size = self.X.shape[1], self.controls["batch_size"].value
        epochs, per_epoch = epochs_of(hist.steps, m, batch_size), updates_per_epoch(m, batch_size)
        text = f"{self._describe()}. {hist.status()}"
        verdict = hist.verdict
        if verdict == "diverged":
            return NetworkResult(hist.costs, boundary, lrs,
                                 text + ". Try a smaller learning rate.", "bad")
        text += (f"; train accuracy {acc['train']:.2f}, test {acc['test']:.2f} after "
                 f"{epochs:,.0f} epochs of {per_epoch} update{'s' if per_epoch > 1 else ''}")
        if verdict == "learned":
            level = "good" if acc["train"] >= 0.9 else "warn"
        else:  # blew up, stalled, at chance, got worse
            level = "bad"
        if self._answer_spread(hist.params) < 1e-3:
            text += ("; the network gives every point the same answer: large steps killed "
                     "its ReLU units (try a smaller learning rate)")
            level = "bad"
        text += f" ({seconds:.1f} s)."
        return NetworkResult(hist.costs, boundary, lrs, text, level, acc["train"], acc["test"])

    def show(self, result: NetworkResult) -> None:
        """The costs of each minibatch and their mean over an epoch (up to where they
        stopped being finite), the boundary, the schedule, then the status line."""
        costs = np.asarray(result.costs, dtype=float)
        self.cost.show(costs, line="minibatch")  # the main line: its note says where it diverged
        finite = costs[:plotting.first_non_finite(costs)]
        epoch = updates_per_epoch(self.X.shape[1], self.controls["batch_size"].value)
        self.cost.show(smooth(finite, epoch), line="epoch")
        self.boundary.show(result.boundary)
        self.lr_line.set_data(np.arange(result.lrs.size), np.clip(result.lrs, *LR_LIMITS))
        self.frame(result.status, result.level)


def moons_dashboard(**options) -> MoonsDashboard:
    """The moons dashboard of 05_optimizers; see MoonsDashboard for the options."""
    return MoonsDashboard(**options)
