"""The Initialization dashboard (03_initialization): choose the initializer, its scale (a
gain on its standard deviation), the activation and the depth; watch the cost, the decision
boundary and the spread of every layer, predicted and measured.

Every setting trains the same network from the same random draw (only the scale and the
distribution change), by gradient descent on the seed's circles. Results are cached, so
returning to a setting redraws at once; a new setting shows its initial state immediately
and then trains with a frame every ~0.15 s (the base's FRAME_SECONDS).

The spread panel shows, per hidden layer, the std of z = W a + b (predicted by the variance
formula, measured at the start, measured after training) and the std of the activation
a = f(z) at the start. z is where the formula lives and where saturation shows (|z| > 3 for
tanh and the sigmoid, although their a stays within [-1, 1]); for ReLU, a's std is a fixed
fraction (0.58) of z's.

The two buttons snap to the published rules, Xavier's and He's, whatever the activation,
and the status line says which activation each rule was derived for (see `snap`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, initializers, network, optimizers, training
from ..lessons import theory
from ._base import Dashboard
from .panels import BoundaryPanel, CostPanel, LayerPanel, accuracies

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
GROWTH_NOTED = 50  # the status names a spread that shrinks or grows this much over the layers

# rule -> its variance; then what the status line says about it for each activation
SNAP_RULES = {"Xavier": "Var(w) = 2 / (fan_in + fan_out)", "He": "Var(w) = 2 / fan_in"}
SNAP_NOTES = {
    ("Xavier", "tanh"): "Xavier's rule was derived for an activation with slope 1 at 0, like "
                        "tanh: the rule for this activation.",
    ("Xavier", "relu"): "Xavier's rule was derived for slope-1 activations like tanh; ReLU keeps "
                        "only half of E[z^2], so between layers of equal width the variance "
                        "halves at every layer. He's rule is the one for ReLU.",
    ("He", "relu"): "He's rule was derived for ReLU (the 2 makes up for the half of z that ReLU "
                    "cuts off): the rule for this activation.",
    ("He", "tanh"): "He's rule was derived for ReLU; tanh keeps nearly all of Var(z) near 0, so "
                    "this start is sqrt(2) times the slope-1 scale sqrt(1 / fan_in): larger, and "
                    "nearer saturation: deep tanh nets at this scale are in the chaotic phase "
                    "(chi_1 = 1.106 > 1: a small perturbation's variance, and the gradient's, "
                    "grow about 1.1-fold per layer). Xavier's rule is the one for "
                    "tanh, derived for layers of equal width.",
}
# Added to the Xavier note for tanh when layer 1's fan_in and fan_out differ (the circles
# have 2 inputs, the hidden layers 12 units), see xavier_first_layer_note.
SIGMOID_NOTE = ("Neither rule was derived for the sigmoid: near 0 it is 1/2 + z/4, so a layer "
                "passes on E[a^2] ~ 1/4 + Var(z)/16 (not Var(z), nor Var(z)/2), and the buttons "
                "give it the same scales as the other activations. 04_activation_functions starts "
                "it at Xavier x 4 (its slope at 0 is 1/4): press Xavier scale, then set the gain "
                "to 4.")


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again.
    Per-layer arrays are (depth,), hidden layer 1 first."""

    costs: np.ndarray
    boundary: np.ndarray      # (resolution, resolution) P(y=1) on the grid
    std_init: np.ndarray      # measured std of z per hidden layer, at initialization
    std_pred: np.ndarray      # predicted by the variance formula
    std_final: np.ndarray     # measured after training
    act_std_init: np.ndarray  # measured std of a = f(z) per hidden layer, at initialization
    status: str
    level: str
    train_acc: float = np.nan
    test_acc: float = np.nan


def _initializer(label: str):
    name, hyper = INITIALIZERS[label]
    return initializers.get(name, **hyper)


class InitializationDashboard(Dashboard):
    title = "Initialization dashboard"

    def __init__(self, initializer: str = "He normal", activation: str = "relu",
                 gain: float = 1.0, depth: int = 3, width: int = 12, steps: int = 1000,
                 lr: float = 0.1, seed: int = 0, resolution: int = 80, cache_size: int = 64):
        super().__init__(figsize=(11.5, 3.5), dpi=80, cache_size=cache_size)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_circles()
        self.width, self.steps, self.lr, self.seed = width, steps, lr, seed
        self.resolution = resolution
        self._build_controls(initializer, activation, gain, depth)
        self._build_figure()
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
        self.xavier_button = widgets.Button(
            description="Xavier scale",
            tooltip="weights with Xavier's std, Var(w) = 2 / (fan_in + fan_out) (the rule for tanh)")
        self.he_button = widgets.Button(
            description="He scale", tooltip="weights with He's std, Var(w) = 2 / fan_in (the rule for ReLU)")
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

    def snap(self, rule: str) -> None:
        """Give the weights Xavier's or He's std at every layer of the current network.

        Keeps the chosen initializer and sets the gain if one gain does that at every layer
        (LeCun normal x sqrt(2) = He normal); otherwise chooses the rule's own initializer,
        normal or uniform like the current one, at gain 1. The rules are the published
        ones whatever the activation, so each rule can be tried on each activation; the
        status line says which activation the rule was derived for (SNAP_NOTES). Rules
        adjusted to the activation would give both buttons the same scale in the 12-unit
        hidden layers and hide the Xavier-vs-He comparison the notebook makes.
        """
        if rule not in SNAP_RULES:
            raise ValueError(f"rule must be one of {', '.join(SNAP_RULES)}, got {rule!r}")
        label = self.controls["initializer"].value
        current = _initializer(label)
        shape = "uniform" if current.kind == "uniform" else "normal"
        target = f"{rule} {shape}"
        gain = matching_gain(current, _initializer(target), self.spec().layer_sizes)
        if gain is None:
            self.set(initializer=target, gain=1.0)
            done = f"{target} × 1"
        else:
            self.set(gain=gain)
            done = f"{label} × {gain:.3g}"
        note = SNAP_NOTES.get((rule, self.controls["activation"].value), SIGMOID_NOTE)
        if (rule, self.controls["activation"].value) == ("Xavier", "tanh"):
            note += xavier_first_layer_note(self.spec().layer_sizes)
        result = self._recall(self.key())
        if result is not None:
            self.say(f"{result.status} {rule} scale ({SNAP_RULES[rule]}): {done}. {note}",
                     result.level)

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_cost, ax_boundary, ax_std = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.15, 1, 1.15]})
        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS)
        self.boundary = BoundaryPanel(self.view, ax_boundary, self.X, self.Y,
                                      resolution=self.resolution,
                                      title="decision boundary (training points)")
        self.spread = LayerPanel(
            self.view, ax_std, limits=STD_LIMITS, layers=MAX_DEPTH,
            lines={"z_pred": ("--", "0.4", "z predicted at init"),
                   "z_init": ("o-", "C1", "z measured at init"),
                   "z_final": ("s:", "C2", "z after training"),
                   "a_init": ("^-", "C4", "a = f(z) at init")},
            styles={"a_init": {"ms": 4, "lw": 1}},
            xlabel="hidden layer", ylabel="standard deviation",
            title="spread of z = W a + b and of a = f(z)")
        ax_std.legend(loc="lower left", fontsize=8)
        self.figure.tight_layout()

    # ---------------------------------------------------------------- one setting

    def spec(self) -> network.Spec:
        depth = self.controls["depth"].value
        return network.Spec((2,) + (self.width,) * depth + (1,),
                            activation=self.controls["activation"].value)

    def _spread(self, spec, params) -> tuple[np.ndarray, np.ndarray]:
        """The std of z and of a = f(z) on the training points, (depth,) each."""
        with np.errstate(over="ignore", invalid="ignore"):
            Zs, As = network.hidden_activations(spec, params, self.X)
            return np.array([Z.std() for Z in Zs]), np.array([A.std() for A in As])

    def compute(self) -> Result:
        label, activation, gain, depth = self.state().values()
        spec, init = self.spec(), _initializer(label)
        params = network.init_params(spec, init, rng=self.seed, gain=gain)
        std_init, act_std_init = self._spread(spec, params)
        std_pred = theory.preactivation_std(spec.layer_sizes, activation, init, gain,
                                            float(np.mean(self.X ** 2)))
        partial = Result(np.array([]), self.boundary.probabilities(spec, params), std_init,
                         std_pred, np.full(depth, np.nan), act_std_init,
                         f"{self._describe()}: training...", "info")
        self.show(partial)

        def draw_progress(hist, step, current, state):
            partial.costs = np.asarray(hist.costs)
            partial.boundary = self.boundary.probabilities(spec, current)
            partial.status = f"{self._describe()}: training, step {step:,} of {self.steps:,}"
            self.show(partial)

        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(self.lr),
                              steps=self.steps, callback=self.throttled(draw_progress),
                              callback_every=100, progress=False)
        result = self._result(spec, init, hist, partial, time.perf_counter() - start)
        self.show(result)
        return result

    def _result(self, spec, init, hist, start: Result, seconds) -> Result:
        """The trained run's Result; `start` holds what was measured at initialization."""
        params = hist.params
        std_final, _ = self._spread(spec, params)
        acc = accuracies(spec, params, {"train": (self.X, self.Y),
                                        "test": (self.X_test, self.Y_test)})
        status, level = self._verdict(hist, init, start.std_init, acc["train"], acc["test"],
                                      seconds, end_cost=self._end_cost(spec, hist))
        return Result(hist.costs, self.boundary.probabilities(spec, params), start.std_init,
                      start.std_pred, std_final, start.act_std_init, status, level,
                      acc["train"], acc["test"])

    def _end_cost(self, spec, hist) -> float:
        """The cost of the final weights, which the accuracies measure (hist.costs[-1] is
        the cost before the last update); NaN for a run that diverged."""
        if hist.diverged:
            return np.nan
        with np.errstate(over="ignore", invalid="ignore"):
            logits = network.forward(spec, hist.params, self.X)[0]
            return float(network.output_loss(spec)(logits, self.Y)[0])

    def _describe(self) -> str:
        label, activation, gain, depth = self.state().values()
        return f"{label} × {gain:.3g}, {activation}, {depth} hidden layer{'s' * (depth > 1)}"

    # ---------------------------------------------------------------- the status line

    def _verdict(self, hist, init, std_init, train_acc, test_acc, seconds, end_cost=None):
        """The run in words, judged by History.verdict and said by History.status() (the
        rules every notebook shares), then the accuracies and what the start looked like.

        One exception: a run whose cost fell far and then jumped back up (see
        `_jumped_back_up`) is said to be "Unstable", whatever History's rule calls it.
        end_cost: the cost of the final weights (after the last update), which the
        accuracies measure."""
        head = f"{self._describe()}. "
        accuracy = f"Train accuracy {train_acc:.2f}, test {test_acc:.2f}."
        if init.name == "zeros":
            reason = self._zeros_reason(hist)
            return head + reason[0].upper() + reason[1:] + f" {accuracy}", "bad"
        if hist.verdict == "diverged":
            return head + hist.status() + ". Try a smaller gain.", "bad"
        notes = self._start_notes(hist, std_init)
        unstable = _jumped_back_up(hist, end_cost)
        if unstable:
            level = "warn"
        elif hist.verdict == "learned":
            level = "good" if train_acc >= 0.9 and not notes else "warn"
        else:
            level = "bad"
        text = head + (unstable or hist.status()) + ". " + accuracy
        if notes:
            joined = "; ".join(notes)
            text += " " + joined[0].upper() + joined[1:] + "."
        return text + f" ({seconds:.1f} s)", level

    def _start_notes(self, hist, std_init) -> list[str]:
        """What the start looked like, from the std of z per hidden layer, when it matters:
        a signal that vanishes or explodes over the layers, saturated units, gradients too
        small to learn."""
        notes = []
        finite = std_init[np.isfinite(std_init) & (std_init > 0)]
        # 50-fold from the first hidden layer to the last: gain 0.1 at depth 3 (about
        # tenfold per layer) already says "vanishing"; Xavier with ReLU at depth 5 (x0.7 per
        # layer, 4-fold) does not.
        vanishing = bool(finite.size and finite[-1] < finite[0] / GROWTH_NOTED)
        if vanishing:
            notes.append(f"at initialization the signal shrinks {fold(finite[0] / finite[-1])}"
                         "-fold from the first hidden layer to the last (vanishing)")
        elif finite.size and finite[-1] > GROWTH_NOTED * finite[0]:
            notes.append(f"at initialization the signal grows {fold(finite[-1] / finite[0])}"
                         "-fold from the first hidden layer to the last (exploding)")
        if self.controls["activation"].value in ("tanh", "sigmoid") and finite.size and finite.max() > 3:
            notes.append("many units start saturated (|z| > 3, where the slope is nearly 0)")
        if vanishing and hist.verdict in ("stalled", "at chance"):
            notes.append("the gradients are too small for this learning rate")
        return notes

    def _zeros_reason(self, hist) -> str:
        """Why a zero start does not learn, for the chosen activation (section 3 of the
        notebook): with f(0) = 0 every gradient is exactly 0; with the sigmoid, f(0) = 1/2
        and the trouble is symmetry."""
        activation = self.controls["activation"].value
        moved = max(float(np.abs(hist.params[f"W{l}"]).max())
                    for l in range(1, len(self.spec().layer_sizes)))
        if activation in ("relu", "tanh"):
            return (f"every weight starts at 0 and {activation}(0) = 0, so every hidden unit "
                    "outputs 0 and every weight gradient is exactly 0 (dW = dz a_prev^T = 0, "
                    "and the zero weights above pass no error down): no weight moves "
                    f"(largest |W| after training: {moved:.1g}). {hist.status()}.")
        symmetric = ("every weight starts at 0 and sigmoid(0) = 1/2, so every hidden unit "
                     "outputs 1/2 for every example: the units of a layer are copies and get "
                     "the same gradient (symmetry). The output weights' gradient is 1/2 x the "
                     "mean error")
        if moved < 1e-12:  # what is left is rounding residue
            return (symmetric + ", which is 0 here because the classes are balanced: the "
                    f"weights stay at 0 up to rounding (largest |W| after training: {moved:.1g}); "
                    "on unbalanced classes they would move, every unit of a layer alike. "
                    f"{hist.status()}.")
        return (symmetric + f": the weights moved (largest |W| {moved:.2g}), every unit of a "
                f"layer alike. {hist.status()}.")

    # ---------------------------------------------------------------- drawing

    def show(self, result: Result) -> None:
        self.cost.show(result.costs)
        self.boundary.show(result.boundary)
        self.spread.show({"z_pred": result.std_pred, "z_init": result.std_init,
                          "z_final": result.std_final, "a_init": result.act_std_init})
        self.frame(result.status, result.level)


def _jumped_back_up(hist, end_cost=None) -> str | None:
    """The words for a run whose cost fell far (its lowest recorded value below half its
    last) and then jumped back up, or None.

    History's rule reads only the last recorded cost, so it calls such a run "at chance" or
    "got worse", which would contradict a high accuracy (He normal, tanh, 5 hidden layers:
    cost 0.075 at step 966, a spike to 0.696 at step 999, train accuracy 0.94); and a
    "learned" run whose last recorded cost is such a spike hides it. Both are "Unstable",
    with what the cost did and, when known, the cost after the last step (end_cost)."""
    if hist.verdict not in ("at chance", "got worse", "learned"):
        return None
    costs = np.asarray(hist.costs, dtype=float)
    if not np.all(np.isfinite(costs)):
        return None
    best = int(np.argmin(costs))
    if not costs[best] < 0.5 * costs[-1]:
        return None
    where = {"at chance": f", as high as guessing the class frequencies (chance: "
                          f"{hist.chance_cost:.3f})",
             "got worse": ", above where it started"}.get(hist.verdict, "")
    words = (f"Unstable: the cost fell from {costs[0]:.3g} to {costs[best]:.3g} (step "
             f"{best:,}), then jumped back up, to {costs[-1]:.3g} at step {costs.size - 1:,}"
             + where + ": the steps overshoot at this learning rate")
    if end_cost is not None and np.isfinite(end_cost):
        words += f". After the last step the cost is {end_cost:.3g}"
    return words


def matching_gain(current, target, layer_sizes) -> float | None:
    """The gain that gives initializer `current` the std of `target` at every layer of a
    network with these layer sizes, or None if no single gain does (their stds depend on
    fan_in and fan_out differently, or current's std is 0)."""
    fans = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    stds = np.array([current.std(fan_in, fan_out) for fan_in, fan_out in fans], dtype=float)
    if current.kind == "constant" or not np.all(stds > 0):
        return None
    ratios = np.array([target.std(fan_in, fan_out) for fan_in, fan_out in fans]) / stds
    if not np.allclose(ratios, ratios[0], rtol=1e-9):
        return None
    return float(np.round(ratios[0], 12))


def fold(factor: float) -> str:
    """A growth or shrink factor for a status line: "23" below 1,000, else "1.1e4"
    (11079-fold reads as 1.1e4-fold)."""
    if not np.isfinite(factor):
        return "an infinite"
    if factor < 1000:
        return f"{factor:.0f}"
    mantissa, exponent = f"{factor:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def xavier_first_layer_note(layer_sizes) -> str:
    """Why Xavier's scale can start a tanh net small when layer 1 is not square: its
    compromise 2 / (fan_in + fan_out) is below 1 / fan_in, the variance that keeps the
    forward signal, by (fan_in + fan_out) / (2 fan_in)."""
    fan_in, fan_out = layer_sizes[0], layer_sizes[1]
    ratio = (fan_in + fan_out) / (2 * fan_in)
    if ratio <= 1.1:
        return ""
    return (f" But here layer 1 has fan_in {fan_in} and fan_out {fan_out}: Xavier's compromise "
            f"gives it Var(w) = 2 / {fan_in + fan_out}, {ratio:.3g} times below the 1 / {fan_in} "
            "that keeps the forward signal, so z starts small at layer 1 and stays small "
            "(tanh keeps it at most), and the net learns slowly; He's larger start (2 / "
            f"{fan_in} at layer 1) usually learns faster here.")


def initialization_dashboard(**options) -> InitializationDashboard:
    """The dashboard of 03_initialization; see InitializationDashboard for the options."""
    return InitializationDashboard(**options)
