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
from .panels import COLOURS, BoundaryPanel, CostPanel, accuracies

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
GONE = ("diverged", "blew up")  # History.verdict of a run whose units are not worth counting
MAX_DEPTH = 5
COST_LIMITS = (1e-3, 1e2)
HIST_BINS = np.linspace(-2.0, 4.0, 61)  # values outside are counted in the end bins


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray
    boundary: np.ndarray       # (resolution, resolution) P(y=1) on the grid
    ridges: list               # per hidden layer: histogram heights (len(HIST_BINS) - 1,)
    inactive: np.ndarray       # per hidden layer: fraction of units never active
    dead: np.ndarray           # per hidden layer: fraction of units with no gradient
    status: str
    level: str = "info"
    counted: bool = True       # False for a run that diverged or blew up: no bars drawn
    verdict: str = ""          # History.verdict once trained ("" while training)


def _initializer(label: str):
    """(Initializer, gain) for a label of INITIALIZERS."""
    name, gain = INITIALIZERS[label]
    init = initializers.get(name, scale=1.0) if name == "normal" else initializers.get(name)
    return init, gain


def _blew_up(costs: np.ndarray) -> bool:
    """History's "diverged" or "blew up", from the costs so far: NaN or inf, or a rise to
    over 100 times the starting cost."""
    return costs.size > 0 and (not np.all(np.isfinite(costs)) or
                               (costs[0] > 0 and costs.max() > 100 * costs[0]))


class ActivationDashboard(Dashboard):
    title = "Activation dashboard"

    def __init__(self, activation: str = "relu", depth: int = 3, init: str = "He normal",
                 lr: float = 0.3, width: int = 12, steps: int = 500, seed: int = 0,
                 resolution: int = 70, cache_size: int = 64):
        super().__init__(figsize=(14, 3.5), dpi=80, cache_size=cache_size)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_moons()
        self.width, self.steps, self.seed, self.resolution = width, steps, seed, resolution
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
        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS)
        self.boundary = BoundaryPanel(self.view, ax_boundary, self.X, self.Y,
                                      resolution=self.resolution, point_size=6)
        self._build_ridges(ax_hist)
        self._build_unit_bars(ax_dead)
        # Fixed margins: tight_layout would measure every label (slow, ~0.5 s).
        self.figure.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.86, wspace=0.42)

    def _build_ridges(self, ax):
        """One histogram per possible hidden layer; those deeper than the network are hidden."""
        self.ridges = plotting.plot_layer_histograms(
            [np.zeros((1, 1))] * MAX_DEPTH, ax=ax, bins=HIST_BINS)
        ax.set_title("activations after training\n(exact zeros left out)", fontsize=10)
        self.view.animate(*self.ridges)

    def _build_unit_bars(self, ax):
        """Per hidden layer, the fraction of units never active (left) and dead (right)."""
        layers = np.arange(1, MAX_DEPTH + 1)
        self.inactive_bars = ax.bar(layers - 0.2, np.zeros(MAX_DEPTH), width=0.4,
                                    color="C1", alpha=0.6, label="never active")
        self.dead_bars = ax.bar(layers + 0.2, np.zeros(MAX_DEPTH), width=0.4,
                                color=COLOURS["bad"], label="dead")
        ax.set(xlim=(0.5, MAX_DEPTH + 0.5), ylim=(0, 1.35), xticks=layers,
               yticks=np.linspace(0, 1, 6), xlabel="hidden layer",
               ylabel="fraction of units", title="inactive and dead units")
        ax.legend(loc="upper center", fontsize=8, ncol=2, handlelength=1, columnspacing=0.8)
        self.dead_note = ax.text(0.5, 0.45, "", transform=ax.transAxes, ha="center",
                                 va="center", color=COLOURS["bad"], fontsize=9)
        self.view.animate(*self.inactive_bars, *self.dead_bars, self.dead_note)

    # ---------------------------------------------------------------- one setting

    def spec(self) -> network.Spec:
        setting = self.state()
        return network.Spec((2,) + (self.width,) * setting["depth"] + (1,),
                            activation=setting["activation"])

    def _describe(self) -> str:
        setting = self.state()
        depth = setting["depth"]
        return (f"{setting['activation']}, {depth} hidden layer{'s' * (depth > 1)}, "
                f"{setting['init']}, learning rate {setting['lr']:.3g}")

    def _snapshot(self, spec, params, costs, status: str) -> Result:
        """Everything drawn for `params`: boundary, histograms, dead and inactive units.
        Units are not counted (counted=False) once the cost has become NaN or inf or risen
        over 100 times its start: History's "diverged" and "blew up"."""
        with np.errstate(over="ignore", invalid="ignore"):
            Zs, As = network.hidden_activations(spec, params, self.X)
            slopes = lesson.slopes_of(spec, params, Zs)
        # the same measures as lesson.never_active_fraction and dead_fraction, from
        # one forward pass instead of three
        inactive = np.array([np.all(Z <= 0, axis=1).mean() for Z in Zs])
        dead = np.array([np.all(s <= lesson.DEAD_SLOPE, axis=1).mean() for s in slopes])
        ridges = [plotting.ridge_heights(A[(A != 0) & np.isfinite(A)], HIST_BINS) for A in As]
        costs = np.asarray(costs, dtype=float)
        return Result(costs, self.boundary.probabilities(spec, params), ridges, inactive, dead,
                      status, counted=not _blew_up(costs))

    def compute(self) -> Result:
        setting = self.state()
        spec = self.spec()
        init, gain = _initializer(setting["init"])
        params = network.init_params(spec, init, rng=self.seed, gain=gain)
        self.show(self._snapshot(spec, params, [], f"{self._describe()}: training..."))

        def draw_progress(hist, step, current, state):
            self.show(self._snapshot(spec, current, hist.costs, f"{self._describe()}: training, "
                                     f"step {step:,} of {self.steps:,}"))

        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(setting["lr"]),
                              steps=self.steps, rng=self.seed,
                              callback=self.throttled(draw_progress), callback_every=50,
                              progress=False)
        seconds = time.perf_counter() - start
        result = self._snapshot(spec, hist.params, hist.costs, "")
        result.counted = hist.verdict not in GONE
        result.verdict = hist.verdict
        acc = accuracies(spec, hist.params, {"train": (self.X, self.Y),
                                             "test": (self.X_test, self.Y_test)})
        result.status, result.level = self._verdict(hist, result, acc, seconds)
        self.show(result)
        return result

    def _verdict(self, hist, result: Result, acc: dict, seconds: float):
        """The run in words, judged by History.verdict: how it ended (History.status), the
        accuracies, and what happened to the units (only where they are worth counting)."""
        head = f"{self._describe()}: "
        verdict = hist.verdict
        if verdict in GONE:
            return (head + hist.status() + ". No unit is counted as dead or inactive: the "
                    "weights became huge and the whole network is gone, not some of its "
                    "units. Try a smaller learning rate.", "bad")
        if verdict == "learned" and acc["train"] >= 0.9 and not self._units(result.dead):
            level = "good"
        elif verdict == "learned" and acc["train"] >= 0.75:
            level = "warn"
        else:
            level = "bad"
        text = (head + hist.status() + f". Train accuracy {acc['train']:.2f}, "
                f"test {acc['test']:.2f}")
        notes = self._unit_notes(result)
        if notes:
            text += "; " + "; ".join(notes)
        return text + f" ({seconds:.1f} s).", level

    def _units(self, fractions: np.ndarray) -> int:
        """How many units in all, from the fraction of each layer's units."""
        return int(round(float(np.sum(fractions)) * self.width))

    def _unit_notes(self, result: Result) -> list:
        """What happened to the units, in words: a layer all dead (the network collapsed),
        how many units are dead, how many never activate but still pass a gradient."""
        n_units = self.width * len(result.dead)
        n_dead, n_inactive = self._units(result.dead), self._units(result.inactive)
        notes = []
        if np.any(result.dead >= 1.0):
            layer = int(np.argmax(result.dead >= 1.0)) + 1
            notes.append(f"every unit of layer {layer} is dead, so the output no longer "
                         "depends on the input: the network collapsed")
        elif n_dead:
            notes.append(f"{n_dead} of {n_units} units are dead (no gradient from any example)")
        alive_inactive = n_inactive - n_dead
        if alive_inactive > 0 and self.state()["activation"] not in SQUASHING:
            verbs = ("units never activate", "pass") if alive_inactive > 1 else \
                    ("unit never activates", "passes")
            notes.append(f"{alive_inactive} {verbs[0]} but still {verbs[1]} a gradient")
        return notes

    # ---------------------------------------------------------------- drawing

    def show(self, result: Result) -> None:
        self.cost.show(result.costs)
        self.boundary.show(result.boundary)
        self._show_ridges(result.ridges)
        self._show_unit_bars(result)
        self.frame(result.status, result.level)

    def _show_ridges(self, ridges: list) -> None:
        depth = len(ridges)
        for i, patch in enumerate(self.ridges):
            patch.set_visible(i < depth)
            if i < depth:
                patch.set_data(ridges[i] + i, HIST_BINS, baseline=i)

    def _show_unit_bars(self, result: Result) -> None:
        """The bars of the layers the network has, when its units are worth counting; the
        never-active bars only for activations where z <= 0 means something."""
        depth = len(result.ridges)
        squashing = self.state()["activation"] in SQUASHING
        for i, (inactive_bar, dead_bar) in enumerate(zip(self.inactive_bars, self.dead_bars)):
            shown = i < depth and result.counted
            inactive_bar.set_height(result.inactive[i] if shown and not squashing else 0.0)
            dead_bar.set_height(result.dead[i] if shown else 0.0)
        gone = "diverged" if result.verdict == "diverged" else "blew up"
        self.dead_note.set_text("" if result.counted else f"not counted:\nthe network {gone}")


def activation_dashboard(**options) -> ActivationDashboard:
    """The dashboard of 04_activation_functions; see ActivationDashboard for the options."""
    return ActivationDashboard(**options)
