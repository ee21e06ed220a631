"""The activation dashboard (04_activation_functions): choose the activation, the depth, the
initializer and the learning rate; watch the cost, the decision boundary, every hidden
layer's activations and how many units died.

Every setting trains a network of `width`-unit hidden layers on the moons by full-batch
gradient descent. A unit *never activates* when its z <= 0 on every training example; it
is *dead* when its slope f'(z) is below 1e-3 on every training example, so no gradient
reaches it (course_utils.lessons.activations). A run that diverged or blew up (History.verdict) has
no units worth counting (its weights are astronomically large: the network is gone, not some
of its units), so its bars are not drawn and the status line says why, as in the notebook's
section 4. Results are cached: returning to a setting redraws
at once; a new setting shows its start immediately, then trains with a frame every ~0.15 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, initializers, network, optimizers, plotting, training
from ..lessons import activations as lesson
from ._base import Dashboard

__all__ = ["ActivationDashboard", "activation_dashboard"]

ACTIVATIONS = ("relu", "leaky_relu", "prelu", "rrelu", "elu", "selu", "tanh", "sigmoid")
INITIALIZERS = {  # label shown -> (initializer name, gain on its standard deviation)
    "He normal": ("he_normal", 1.0),
    "Xavier normal": ("xavier_normal", 1.0),
    "Xavier normal × 4": ("xavier_normal", 4.0),
    "LeCun normal": ("lecun_normal", 1.0),
    "normal, std 1": ("normal", 1.0),
}
FITTING_INIT = {  # the initializer that keeps each activation's spread steady
    "relu": "He normal", "leaky_relu": "He normal", "prelu": "He normal", "rrelu": "He normal",
    "elu": "He normal", "selu": "LeCun normal", "tanh": "Xavier normal",
    "sigmoid": "Xavier normal × 4",  # the sigmoid's slope at 0 is 1/4 of tanh's
}
SQUASHING = ("tanh", "sigmoid")  # "never active" (z <= 0) means nothing special for these
MAX_DEPTH = 5
COST_LIMITS = (1e-3, 1e2)
HIST_BINS = np.linspace(-2.0, 4.0, 61)  # values outside are counted in the end bins
FRAME_SECONDS = 0.15


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray
    boundary: np.ndarray       # (resolution, resolution) P(y=1) on the grid
    ridges: list               # per hidden layer: histogram heights (len(HIST_BINS) - 1,)
    inactive: np.ndarray       # per hidden layer: fraction of units never active
    dead: np.ndarray           # per hidden layer: fraction of units with no gradient
    status: str
    level: str
    counted: bool = True       # False for a run that diverged or blew up: no bars drawn
    verdict: str = ""          # History.verdict once trained ("" while training)
    train_acc: float = np.nan
    test_acc: float = np.nan


def _initializer(label: str):
    """(Initializer, gain) for a label of INITIALIZERS."""
    name, gain = INITIALIZERS[label]
    init = initializers.get(name, scale=1.0) if name == "normal" else initializers.get(name)
    return init, gain


class ActivationDashboard(Dashboard):
    title = "Activation dashboard"

    def __init__(self, activation: str = "relu", depth: int = 3, init: str = "He normal",
                 lr: float = 0.3, width: int = 12, steps: int = 500, seed: int = 0,
                 resolution: int = 70, cache_size: int = 64):
        super().__init__(figsize=(14, 3.5), dpi=80)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_moons()
        self.width, self.steps, self.seed, self.resolution = width, steps, seed, resolution
        self._cache_size = cache_size
        self._build_controls(activation, depth, init, lr)
        self._build_figure()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, activation, depth, init, lr):
        self.controls = {
            "activation": widgets.Dropdown(options=ACTIVATIONS, value=activation,
                                           description="activation"),
            "depth": widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH,
                                       description="hidden layers", continuous_update=False,
                                       style={"description_width": "initial"}),
            "init": widgets.Dropdown(options=list(INITIALIZERS), value=init,
                                     description="initializer"),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=1, step=0.1,
                                         description="learning rate", continuous_update=False,
                                         readout_format=".3g",
                                         style={"description_width": "initial"}),
        }
        self.fit_button = widgets.Button(description="fitting init",
                                         tooltip="the initializer that suits this activation")
        self.fit_button.on_click(lambda _: self.fit_init())
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["activation"], c["init"], self.fit_button], [c["depth"], c["lr"]]],
            f"Each setting trains {self.steps:,} steps of gradient descent on the moons, hidden "
            f"layers of {self.width} units. Try first: ReLU, then drag the learning rate to 3 "
            f"and watch units die; then switch to leaky_relu and elu at that rate.")

    def fit_init(self) -> None:
        """Set the initializer that fits the current activation (He, LeCun or Xavier)."""
        self.set(init=FITTING_INIT[self.controls["activation"].value])

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_cost, ax_boundary, ax_hist, ax_dead = self.figure.subplots(
            1, 4, gridspec_kw={"width_ratios": [1.1, 1, 1.1, 0.9]})
        self.ax_cost, self.ax_boundary, self.ax_hist, self.ax_dead = ax_cost, ax_boundary, ax_hist, ax_dead

        (self.cost_line,) = ax_cost.plot([], [], color="C0")
        ax_cost.set(xlim=(0, self.steps), ylim=COST_LIMITS, yscale="log", xlabel="step",
                    ylabel="cost", title="cost (log scale)")
        self.cost_note = ax_cost.text(0.97, 0.95, "", transform=ax_cost.transAxes, ha="right",
                                      va="top", color="#c62828", fontsize=9)

        self.boundary = plotting.plot_decision_boundary(
            lambda G: np.full(G.shape[1], 0.5), self.X, self.Y, ax=ax_boundary,
            resolution=self.resolution, point_size=6)
        ax_boundary.set_title("decision boundary")

        # One ridge per possible layer; the ones deeper than the network are hidden.
        self.ridges = plotting.plot_layer_histograms(
            [np.zeros((1, 1))] * MAX_DEPTH, ax=ax_hist, bins=HIST_BINS)
        ax_hist.set_title("activations after training\n(exact zeros left out)", fontsize=10)

        layers = np.arange(1, MAX_DEPTH + 1)
        self.inactive_bars = ax_dead.bar(layers - 0.2, np.zeros(MAX_DEPTH), width=0.4,
                                         color="C1", alpha=0.6, label="never active")
        self.dead_bars = ax_dead.bar(layers + 0.2, np.zeros(MAX_DEPTH), width=0.4,
                                     color="C3", label="dead")
        ax_dead.set(xlim=(0.5, MAX_DEPTH + 0.5), ylim=(0, 1.35), xticks=layers,
                    yticks=np.linspace(0, 1, 6), xlabel="hidden layer",
                    ylabel="fraction of units", title="inactive and dead units")
        ax_dead.legend(loc="upper center", fontsize=8, ncol=2, handlelength=1,
                       columnspacing=0.8)
        self.dead_note = ax_dead.text(0.5, 0.45, "", transform=ax_dead.transAxes, ha="center",
                                      va="center", color="#c62828", fontsize=9)
        # Fixed margins: tight_layout would measure every label (slow, ~0.5 s).
        self.figure.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.86, wspace=0.42)
        self.view.animate(self.cost_line, self.cost_note, self.boundary.image,
                          self.boundary.points, *self.ridges, *self.inactive_bars,
                          *self.dead_bars, self.dead_note)

    # ---------------------------------------------------------------- one setting

    def key(self) -> tuple:
        c = self.controls
        return (c["activation"].value, c["depth"].value, c["init"].value, float(c["lr"].value))

    def spec(self) -> network.Spec:
        activation, depth, _, _ = self.key()
        return network.Spec((2,) + (self.width,) * depth + (1,), activation=activation)

    def update(self) -> None:
        """Show the current setting: from the cache, or train it with live frames."""
        self._update()

    def _update(self) -> None:
        self._show_setting(self._train, self._show)

    def _snapshot(self, spec, params, costs, status, level) -> Result:
        """Everything drawn for `params`: boundary, histograms, dead and inactive units.
        Units are not counted (counted=False) once the cost has become NaN or inf or risen
        over 100 times its start: History's "diverged" and "blew up"."""
        with np.errstate(over="ignore", invalid="ignore"):
            probabilities = network.predict_proba(spec, params, self.boundary.grid)
            Zs, As = network.hidden_activations(spec, params, self.X)
            slopes = lesson.slopes_of(spec, params, Zs)
        # the same measures as lesson.never_active_fraction and dead_fraction, from
        # one forward pass instead of three
        inactive = np.array([np.all(Z <= 0, axis=1).mean() for Z in Zs])
        dead = np.array([np.all(s <= lesson.DEAD_SLOPE, axis=1).mean() for s in slopes])
        boundary = np.nan_to_num(probabilities, nan=0.5).reshape(self.resolution, self.resolution)
        ridges = [plotting.ridge_heights(A[(A != 0) & np.isfinite(A)], HIST_BINS) for A in As]
        costs = np.asarray(costs, dtype=float)
        blown = costs.size > 0 and (not np.all(np.isfinite(costs)) or
                                    (costs[0] > 0 and costs.max() > 100 * costs[0]))
        return Result(costs, boundary, ridges, inactive, dead, status, level, counted=not blown)

    def _train(self) -> Result:
        activation, depth, init_label, lr = self.key()
        spec = self.spec()
        init, gain = _initializer(init_label)
        params = network.init_params(spec, init, rng=self.seed, gain=gain)
        self._show(self._snapshot(spec, params, [], f"{self._describe()}: training...", "info"))
        last_frame = [time.perf_counter()]

        def draw_progress(hist, step, current, state):
            if time.perf_counter() - last_frame[0] >= FRAME_SECONDS:
                self._show(self._snapshot(spec, current, hist.costs,
                                          f"{self._describe()}: training, step {step:,} of "
                                          f"{self.steps:,}", "info"))
                last_frame[0] = time.perf_counter()

        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(lr), steps=self.steps,
                              rng=self.seed, callback=draw_progress, callback_every=50,
                              progress=False)
        seconds = time.perf_counter() - start
        result = self._snapshot(spec, hist.params, hist.costs, "", "info")
        result.counted = hist.verdict not in ("diverged", "blew up")
        result.verdict = hist.verdict
        with np.errstate(over="ignore", invalid="ignore"):
            result.train_acc = network.accuracy(spec, hist.params, self.X, self.Y)
            result.test_acc = network.accuracy(spec, hist.params, self.X_test, self.Y_test)
        result.status, result.level = self._verdict(spec, hist, result, seconds)
        self._show(result)
        return result

    def _describe(self) -> str:
        activation, depth, init_label, lr = self.key()
        return (f"{activation}, {depth} hidden layer{'s' * (depth > 1)}, {init_label}, "
                f"learning rate {lr:.3g}")

    def _verdict(self, spec, hist, result: Result, seconds: float):
        """The run in words, judged by History.verdict: how it ended (History.status), the
        accuracies, and what happened to the units (only where they are worth counting)."""
        head = f"{self._describe()}: "
        verdict = hist.verdict
        if verdict in ("diverged", "blew up"):
            return (head + hist.status() + ". No unit is counted as dead or inactive: the "
                    "weights became huge and the whole network is gone, not some of its "
                    "units. Try a smaller learning rate.", "bad")
        n_units = self.width * len(result.dead)
        n_dead = int(round(float(np.sum(result.dead)) * self.width))
        n_inactive = int(round(float(np.sum(result.inactive)) * self.width))
        notes = []
        if np.any(result.dead >= 1.0):
            layer = int(np.argmax(result.dead >= 1.0)) + 1
            notes.append(f"every unit of layer {layer} is dead, so the output no longer "
                         "depends on the input: the network collapsed")
        elif n_dead:
            notes.append(f"{n_dead} of {n_units} units are dead (no gradient from any example)")
        alive_inactive = n_inactive - n_dead
        if alive_inactive > 0 and spec.activation[0] not in SQUASHING:
            verbs = ("units never activate", "pass") if alive_inactive > 1 else \
                    ("unit never activates", "passes")
            notes.append(f"{alive_inactive} {verbs[0]} but still {verbs[1]} a gradient")
        if verdict == "learned" and result.train_acc >= 0.9 and not n_dead:
            level = "good"
        elif verdict == "learned" and result.train_acc >= 0.75:
            level = "warn"
        else:
            level = "bad"
        text = (head + hist.status() + f". Train accuracy {result.train_acc:.2f}, "
                f"test {result.test_acc:.2f}")
        if notes:
            text += "; " + "; ".join(notes)
        return text + f" ({seconds:.1f} s).", level

    # ---------------------------------------------------------------- drawing

    def _show(self, result: Result) -> None:
        costs = result.costs
        steps = np.arange(costs.size)
        shown = np.clip(costs, *COST_LIMITS)
        bad = plotting.first_non_finite(costs)
        if bad is not None:
            self.cost_line.set_data(steps[:bad], shown[:bad])
            self.cost_note.set_text(f"diverged at step {bad:,}")
        else:
            self.cost_line.set_data(steps, shown)
            self.cost_note.set_text(f"peak cost {costs.max():.1e} (off the scale)"
                                    if costs.size and costs.max() > COST_LIMITS[1] else "")
        self.boundary.update(values=result.boundary)
        depth = len(result.ridges)
        for i, patch in enumerate(self.ridges):
            patch.set_visible(i < depth)
            if i < depth:
                patch.set_data(result.ridges[i] + i, HIST_BINS, baseline=i)
        squashing = self.controls["activation"].value in SQUASHING
        for i, (inactive_bar, dead_bar) in enumerate(zip(self.inactive_bars, self.dead_bars)):
            shown = i < depth and result.counted
            inactive_bar.set_height(result.inactive[i] if shown and not squashing else 0.0)
            dead_bar.set_height(result.dead[i] if shown else 0.0)
        gone = "diverged" if result.verdict == "diverged" else "blew up"
        self.dead_note.set_text("" if result.counted else f"not counted:\nthe network {gone}")
        self.say(result.status, result.level)
        self.view.redraw()
        self._frame_shown()


def activation_dashboard(**options) -> ActivationDashboard:
    """The dashboard of 04_activation_functions; see ActivationDashboard for the options."""
    return ActivationDashboard(**options)
