"""The Initialization dashboard (03_initialization): choose the initializer, its scale (a
gain on its standard deviation), the activation and the depth; watch the cost, the decision
boundary and the spread of every layer, predicted and measured.

Every setting trains the same network from the same random draw (only the scale and the
distribution change), by gradient descent on the seed's circles. Results are cached, so
returning to a setting redraws at once; a new setting shows its initial state immediately
and then trains with a frame every ~0.15 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, plotting, theory, training
from ._base import Dashboard

# label shown -> (initializer name, hyperparameters)
INITIALIZERS = {
    "normal, std 1": ("normal", {"scale": 1.0}),
    "standard uniform": ("standard_uniform", {}),
    "Xavier normal": ("xavier_normal", {}),
    "Xavier uniform": ("xavier_uniform", {}),
    "He normal": ("he_normal", {}),
    "He uniform": ("he_uniform", {}),
    "LeCun normal": ("lecun_normal", {}),
    "zeros": ("zeros", {}),
}
ACTIVATIONS = ("relu", "tanh", "sigmoid")
MAX_DEPTH = 5  # deeper tanh nets take over a second to train (np.tanh is slow)
COST_LIMITS = (1e-3, 1e3)
STD_LIMITS = (1e-4, 1e4)
FRAME_SECONDS = 0.15  # at most one frame this often while training


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray
    boundary: np.ndarray      # (resolution, resolution) P(y=1) on the grid
    std_init: np.ndarray      # measured std of z per hidden layer, at initialization
    std_pred: np.ndarray      # predicted by the variance formula
    std_final: np.ndarray     # measured after training
    status: str
    level: str
    train_acc: float
    test_acc: float


def _initializer(label: str):
    name, hyper = INITIALIZERS[label]
    from .. import initializers
    return initializers.get(name, **hyper)


class InitializationDashboard(Dashboard):
    title = "Initialization dashboard"

    def __init__(self, initializer: str = "He normal", activation: str = "relu",
                 gain: float = 1.0, depth: int = 3, width: int = 12, steps: int = 1000,
                 lr: float = 0.1, seed: int = 0, resolution: int = 80, cache_size: int = 64):
        super().__init__(figsize=(11.5, 3.5), dpi=80)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_circles()
        self.width, self.steps, self.lr, self.seed = width, steps, lr, seed
        self.resolution = resolution
        self._cache_size = cache_size
        self._build_controls(initializer, activation, gain, depth)
        self._build_figure(depth)
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, initializer, activation, gain, depth):
        self.controls = {
            "initializer": widgets.Dropdown(options=list(INITIALIZERS), value=initializer,
                                            description="initializer"),
            "activation": widgets.ToggleButtons(options=ACTIVATIONS, value=activation,
                                                description="activation",
                                                style={"button_width": "78px"}),
            "gain": widgets.FloatLogSlider(value=gain, base=10, min=-2, max=2, step=0.1,
                                           description="gain", continuous_update=False,
                                           readout_format=".3g"),
            "depth": widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="hidden layers",
                                       continuous_update=False,
                                       style={"description_width": "initial"}),
        }
        self.xavier_button = widgets.Button(description="Xavier scale",
                                            tooltip="Xavier/Glorot initializer, gain 1")
        self.he_button = widgets.Button(description="He scale", tooltip="He initializer, gain 1")
        self.xavier_button.on_click(lambda _: self.snap("Xavier"))
        self.he_button.on_click(lambda _: self.snap("He"))
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["initializer"], c["gain"], self.xavier_button, self.he_button],
             [c["activation"], c["depth"]]],
            f"Gain multiplies the initializer's standard deviation (gain 1 = its own scale). "
            f"Each setting trains {self.steps:,} steps of gradient descent (learning rate "
            f"{self.lr:g}) on the seed's circles, hidden layers of {self.width} units. "
            f"Try first: He normal with ReLU, then drag the gain to 10.")

    def snap(self, family: str) -> None:
        """Set the Xavier or He initializer (same normal/uniform shape as now) at gain 1."""
        shape = "uniform" if "uniform" in self.controls["initializer"].value else "normal"
        self.set(initializer=f"{family} {shape}", gain=1.0)

    # ---------------------------------------------------------------- figure

    def _build_figure(self, depth):
        ax_cost, ax_boundary, ax_std = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.15, 1, 1.15]})
        self.ax_cost, self.ax_boundary, self.ax_std = ax_cost, ax_boundary, ax_std

        (self.cost_line,) = ax_cost.plot([], [], color="C0")
        ax_cost.set(xlim=(0, self.steps), ylim=COST_LIMITS, yscale="log", xlabel="step",
                    ylabel="cost", title="cost (log scale)")
        self.cost_note = ax_cost.text(0.97, 0.95, "", transform=ax_cost.transAxes, ha="right",
                                      va="top", color="#c62828", fontsize=9)

        self.boundary = plotting.plot_decision_boundary(
            lambda G: np.zeros(G.shape[1]), self.X, self.Y, ax=ax_boundary,
            resolution=self.resolution, point_size=8)
        ax_boundary.set_title("decision boundary (training points)")

        layers = np.arange(1, depth + 1)
        (self.std_pred_line,) = ax_std.plot(layers, np.ones(depth), "--", color="0.4",
                                            label="predicted at init")
        (self.std_init_line,) = ax_std.plot(layers, np.ones(depth), "o-", color="C1",
                                            label="measured at init")
        (self.std_final_line,) = ax_std.plot(layers, np.ones(depth), "s:", color="C2",
                                             label="after training")
        ax_std.set(yscale="log", ylim=STD_LIMITS, xlabel="hidden layer", ylabel="std of z",
                   title="spread of each layer's z = W a + b")
        ax_std.legend(loc="lower left", fontsize=8)
        # A fixed axis for every depth: changing depth then needs no slow full redraw.
        ax_std.set_xlim(0.5, MAX_DEPTH + 0.5)
        ax_std.set_xticks(np.arange(1, MAX_DEPTH + 1))
        self.figure.tight_layout()
        self.view.animate(self.cost_line, self.cost_note, self.boundary.image,
                          self.boundary.points, self.std_pred_line, self.std_init_line,
                          self.std_final_line)

    # ---------------------------------------------------------------- one setting

    def key(self) -> tuple:
        c = self.controls
        return (c["initializer"].value, c["activation"].value, round(c["gain"].value, 6),
                c["depth"].value)

    def spec(self) -> network.Spec:
        depth = self.controls["depth"].value
        return network.Spec((2,) + (self.width,) * depth + (1,),
                            activation=self.controls["activation"].value)

    def update(self) -> None:
        """Show the current setting: from the cache, or train it with live frames."""
        self._show_setting(self._train, lambda result: self._show(result, final=True))

    def _train(self) -> Result:
        label, activation, gain, depth = self.key()
        spec = self.spec()
        init = _initializer(label)
        params = network.init_params(spec, init, rng=self.seed, gain=gain)
        Z_init, _ = network.hidden_activations(spec, params, self.X)
        std_init = np.array([Z.std() for Z in Z_init])
        std_pred = theory.preactivation_std(spec.layer_sizes, activation, init, gain,
                                            float(np.mean(self.X ** 2)))
        partial = Result(np.array([]), self._probabilities(spec, params), std_init, std_pred,
                         np.full(depth, np.nan), f"{self._describe()}: training...", "info",
                         np.nan, np.nan)
        self._show(partial, final=False)
        last_frame = [time.perf_counter()]

        def draw_progress(hist, step, current, state):
            if time.perf_counter() - last_frame[0] >= FRAME_SECONDS:
                partial.costs = np.asarray(hist.costs)
                partial.boundary = self._probabilities(spec, current)
                partial.status = f"{self._describe()}: training, step {step:,} of {self.steps:,}"
                self._show(partial, final=False)
                last_frame[0] = time.perf_counter()

        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(self.lr),
                              steps=self.steps, callback=draw_progress, callback_every=100,
                              progress=False)
        seconds = time.perf_counter() - start
        result = self._result(spec, init, hist, std_init, std_pred, seconds)
        self._show(result, final=True)
        return result

    def _probabilities(self, spec, params) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            P = network.predict_proba(spec, params, self.boundary.grid)
        return np.nan_to_num(P, nan=0.5).reshape(self.resolution, self.resolution)

    def _result(self, spec, init, hist, std_init, std_pred, seconds) -> Result:
        params = hist.params
        with np.errstate(over="ignore", invalid="ignore"):
            Z_final, _ = network.hidden_activations(spec, params, self.X)
            std_final = np.array([Z.std() for Z in Z_final])
            train_acc = network.accuracy(spec, params, self.X, self.Y)
            test_acc = network.accuracy(spec, params, self.X_test, self.Y_test)
        status, level = self._verdict(hist, init, std_init, train_acc, test_acc, seconds)
        return Result(hist.costs, self._probabilities(spec, params), std_init, std_pred,
                      std_final, status, level, train_acc, test_acc)

    def _describe(self) -> str:
        label, activation, gain, depth = self.key()
        return f"{label} × {gain:.3g}, {activation}, {depth} hidden layer{'s' * (depth > 1)}"

    def _verdict(self, hist, init, std_init, train_acc, test_acc, seconds):
        """The run in words: what went wrong, if anything, and the accuracies."""
        head = f"{self._describe()}: "
        if init.name == "zeros":
            return (head + "every weight starts at 0, so every unit of a layer computes the "
                    "same thing and gets the same gradient: " + hist.status()
                    + f". Train accuracy {train_acc:.2f}.", "bad")
        if hist.diverged:
            return head + hist.status() + ". Try a smaller gain.", "bad"
        notes = []
        finite = std_init[np.isfinite(std_init) & (std_init > 0)]
        if finite.size and finite[-1] < 1e-2 * finite[0]:
            notes.append(f"at initialization the signal shrinks {finite[0] / finite[-1]:.0f}-fold "
                         "from the first hidden layer to the last (vanishing)")
        elif finite.size and finite[-1] > 1e2 * finite[0]:
            notes.append(f"at initialization the signal grows {finite[-1] / finite[0]:.0f}-fold "
                         "from the first hidden layer to the last (exploding)")
        if self.controls["activation"].value in ("tanh", "sigmoid") and finite.size and finite.max() > 3:
            notes.append("many units start saturated (|z| > 3, where the slope is nearly 0)")
        if hist.blew_up_at is not None or hist.stalled:
            notes.append(hist.status())
        elif hist.final_cost > 0.95 * hist.costs[0] and train_acc < 0.75:
            notes.append(f"the cost barely moved ({hist.costs[0]:.3f} -> {hist.final_cost:.3f}): "
                         "the gradients are too small for this learning rate")
        level = "good" if train_acc >= 0.9 and not notes else ("warn" if train_acc >= 0.6 else "bad")
        text = head + f"train accuracy {train_acc:.2f}, test {test_acc:.2f} after {hist.steps:,} steps"
        if notes:
            text += "; " + "; ".join(notes)
        return text + f" ({seconds:.1f} s).", level

    # ---------------------------------------------------------------- drawing

    def _show(self, result: Result, final: bool) -> None:
        costs = np.asarray(result.costs, dtype=float)
        steps = np.arange(costs.size)
        shown = np.clip(costs, *COST_LIMITS)  # off-scale values sit on the frame, said in words
        self.cost_line.set_data(steps, shown)
        bad = plotting.first_non_finite(costs)
        if bad is not None:
            self.cost_line.set_data(steps[:bad], shown[:bad])
            self.cost_note.set_text(f"diverged at step {bad:,}")
        elif costs.size and costs.max() > COST_LIMITS[1]:
            self.cost_note.set_text(f"peak cost {costs.max():.1e} (off the scale)")
        else:
            self.cost_note.set_text("")
        self.boundary.update(values=result.boundary)
        depth = result.std_init.size
        layers = np.arange(1, depth + 1)
        for line, values in ((self.std_pred_line, result.std_pred),
                             (self.std_init_line, result.std_init),
                             (self.std_final_line, result.std_final)):
            line.set_data(layers, plotting._loggable(np.clip(values, *STD_LIMITS), True))
        self.say(result.status, result.level)
        self.view.redraw()
        self._frame_shown()


def initialization_dashboard(**options) -> InitializationDashboard:
    """The dashboard of 03_initialization; see InitializationDashboard for the options."""
    return InitializationDashboard(**options)
