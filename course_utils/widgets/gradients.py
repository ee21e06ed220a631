"""The gradient-flow dashboard (02_vanishing_exploding_gradients): choose the activation, the
depth and the weight scale; see how big the signal is at every layer going forward and how
big the gradient is at every layer coming back, measured beside what the variance formulas
predict, and what that does to a short training run on the digits.

The weight scale s sets the standard deviation of every weight to s / sqrt(n_in): s = 1 is
LeCun's (and Xavier's, for layers of equal width), s = sqrt(2) is He's, s = 4 the classical
scale for the sigmoid; 1.5 and 0.5 are seed 000's deep linear network. Every setting uses
the same standard-normal draw, so only the scale, the depth and the activation change.
Training runs 150 steps (quick) or 600 (enough for a sigmoid network at scale 4 to learn).
A setting seen before is redrawn from the cache; a new one shows the start at once and then
trains, with a frame every 0.15 s at most (the base's FRAME_SECONDS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, training
from ..lessons import gradients as lesson
from ._base import Dashboard
from .panels import COLOURS, CostPanel, LayerPanel, accuracies

__all__ = ["GradientFlowDashboard", "gradient_flow_dashboard"]

# (label, registry name): sigma(z) - 1/2 is the sigmoid with its mean 1/2 taken away
ACTIVATIONS = (("linear", "linear"), ("sigmoid", "sigmoid"), ("sigmoid − ½", "sigmoid_centered"),
               ("tanh", "tanh"), ("relu", "relu"))
LEARNING_RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
# The weight scale's stops (label, value), exact: every scale the notebook names is one.
SCALES = (("0.25", 0.25), ("0.5", 0.5), ("0.75", 0.75), ("1", 1.0), ("√2", math.sqrt(2)),
          ("1.5", 1.5), ("2", 2.0), ("3", 3.0), ("4", 4.0), ("6", 6.0), ("8", 8.0))
STEPS = (150, 600)
DISPLAY_NAMES = {"linear": "Linear", "sigmoid": "Sigmoid", "sigmoid_centered": "Sigmoid − ½",
                 "tanh": "Tanh", "relu": "ReLU"}  # how the status line starts
MAX_DEPTH = 20
NORM_LIMITS = (1e-10, 1e10)
COST_LIMITS = (0.0, 4.0)
CHANCE_COST = math.log(10)  # softmax over 10 classes answering 1/10 for everyone
# How the status line words the gradient's change from the output back to layer 1:
# "vanishes"/"explodes" beyond a factor 100, "keeps roughly its size" within a factor 4,
# and in between the factor itself ("shrinks 55-fold").
VANISHES = 1e-2
STEADY = 4.0


@dataclass
class Result:
    """What one setting produced: enough to redraw it without computing it again."""

    z_rms: np.ndarray          # measured rms of z_l at the start, l = 1..L
    z_pred: np.ndarray         # predicted by the variance formula
    grad_rms: np.ndarray       # measured rms of the per-example gradient at z_l, at the start
    grad_pred: np.ndarray      # predicted
    grad_final: np.ndarray     # measured after training (NaN while training)
    costs: np.ndarray
    status: str
    level: str


class GradientFlowDashboard(Dashboard):
    title = "Gradient-flow dashboard"

    def __init__(self, activation: str = "sigmoid", depth: int = 10, scale: float = 1.0,
                 lr: float = 0.1, width: int = 32, steps: int = 150, batch_size: int = 64,
                 n_measure: int = 256, seed: int = 0, cache_size: int = 64):
        super().__init__(figsize=(12, 3.5), dpi=80, cache_size=cache_size)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_digits()
        # The sizes are measured on a fixed batch of training examples (fast, and the same
        # for every setting).
        self.X_measure, self.Y_measure = self.X[:, :n_measure], self.Y[:, :n_measure]
        self.input_second_moment = float(np.mean(self.X_measure ** 2))
        self.width, self.batch_size, self.seed = width, batch_size, seed
        self._build_controls(activation, depth, scale, lr, steps)
        self._build_figure()
        self._draw_steps_axes()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, activation, depth, scale, lr, steps):
        scales = dict((value, label) for label, value in SCALES)
        if scale not in scales:
            raise ValueError(f"scale must be one of the slider's stops "
                             f"{[value for _, value in SCALES]}, got {scale}")
        self.controls = {
            "activation": widgets.ToggleButtons(options=ACTIVATIONS, value=activation,
                                                description="activation",
                                                # wide enough for "sigmoid − ½"
                                                style={"button_width": "112px"}),
            "depth": widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="hidden layers",
                                       continuous_update=False,
                                       style={"description_width": "initial"}),
            "scale": widgets.SelectionSlider(options=SCALES, value=scale,
                                             description="weight scale", continuous_update=False,
                                             style={"description_width": "initial"}),
            "lr": widgets.Dropdown(options=LEARNING_RATES, value=lr, description="learning rate",
                                   style={"description_width": "initial"},
                                   layout=widgets.Layout(width="190px")),
            "steps": widgets.Dropdown(options=sorted(set(STEPS) | {steps}), value=steps,
                                      description="steps", style={"description_width": "initial"},
                                      layout=widgets.Layout(width="140px")),
        }
        self.lecun_button = widgets.Button(description="scale 1 (LeCun)",
                                           tooltip="std 1/sqrt(n_in): keeps a linear layer's variance")
        self.he_button = widgets.Button(description="scale √2 (He)",
                                        tooltip="std sqrt(2/n_in): keeps a ReLU layer's variance")
        self.lecun_button.on_click(lambda _: self.set(scale=1.0))
        self.he_button.on_click(lambda _: self.set(scale=math.sqrt(2)))
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["activation"], c["depth"]],
             [c["scale"], self.lecun_button, self.he_button, c["lr"], c["steps"]]],
            f"Every weight has std (weight scale) / sqrt(n_in). Each setting measures one forward "
            f"and backward pass, then trains the chosen number of steps of minibatch gradient "
            f"descent on the digits (layers of {self.width} units). Try first: sigmoid at 10 "
            f"layers, then tanh, then ReLU with scale √2 (and learning rate 0.03).")

    @property
    def steps(self) -> int:
        return self.controls["steps"].value

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_fwd, ax_bwd, ax_cost = self.figure.subplots(1, 3)
        predicted = ("--", "0.3", "predicted")
        measured = ("o-", "C0", "measured at the start")
        styles = {"measured": {"ms": 4}, "after_training": {"ms": 5, "mfc": "none"}}
        layer_axis = {"limits": NORM_LIMITS, "layers": MAX_DEPTH + 1, "styles": styles,
                      "xlabel": "layer (the last is the output)"}
        self.forward = LayerPanel(
            self.view, ax_fwd, lines={"predicted": predicted, "measured": measured},
            ylabel="rms of z (log scale)", title="forward: size of z at each layer", **layer_axis)
        self.backward = LayerPanel(
            self.view, ax_bwd, lines={"predicted": predicted, "measured": measured,
                                      "after_training": ("s:", "C2", "measured after training")},
            ylabel="rms per example (log scale)", title="backward: size of the gradient dJ/dz",
            **layer_axis)
        for ax in (ax_fwd, ax_bwd):  # a tick every 5 layers: one for each of 21 would crowd
            ax.set_xticks([1, 5, 10, 15, 20])
            ax.set_yticks([1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9])
        # In the figure's top row, right of the legend: no curve ever runs there.
        self.off_scale = self.figure.text(0.5, 0.985, "", ha="left", va="top", fontsize=8,
                                          color=COLOURS["bad"])
        self.view.animate(self.off_scale)

        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS,
                              log=False, title="training cost (minibatches)")
        ax_cost.axhline(CHANCE_COST, color="0.5", ls=":", lw=1)
        # The label sits outside the panel, right of the axis, where no curve can run over it.
        ax_cost.text(1.02, CHANCE_COST, "chance\n(ln 10)", transform=ax_cost.get_yaxis_transform(),
                     ha="left", va="center", fontsize=8, color="0.4")
        # One legend for both layer panels, above them, so it never hides a curve.
        self.figure.legend(handles=[self.forward.lines["measured"], self.forward.lines["predicted"],
                                    self.backward.lines["after_training"]],
                           loc="upper left", bbox_to_anchor=(0.06, 1.0), ncol=3, fontsize=9,
                           frameon=False)
        self.figure.tight_layout(rect=(0, 0, 1, 0.92))

    # ---------------------------------------------------------------- one setting

    def spec(self) -> network.Spec:
        activation, depth = self.key()[:2]
        return network.Spec((64,) + (self.width,) * depth + (10,), activation=activation,
                            output="softmax")

    def _measure(self, spec, params) -> lesson.LayerNorms:
        """Every layer's sizes (lesson.measure) on the fixed measuring batch."""
        return lesson.measure(spec, params, self.X_measure, self.Y_measure)

    def compute(self) -> Result:
        """Measure the start, show it with the prediction, then train with live frames."""
        activation, depth, scale, lr, steps = self.key()
        spec = self.spec()
        params = network.init_params(spec, "lecun_normal", rng=self.seed, gain=scale)
        start = self._measure(spec, params)
        z_pred, grad_pred = lesson.predict(spec.layer_sizes, activation, "lecun_normal", scale,
                                           self.input_second_moment, start.grad_rms[-1])
        not_yet = np.full(spec.n_layers, np.nan)
        partial = Result(start.z_rms, z_pred, start.grad_rms, grad_pred, not_yet, np.array([]),
                         self._describe(start) + " Training...", "info")
        self.show(partial)

        def draw_progress(hist, step, current, state):
            partial.costs = np.asarray(hist.costs)
            partial.grad_final = self._measure(spec, current).grad_rms
            partial.status = self._describe(start) + f" Training, step {step} of {steps}..."
            self.show(partial)

        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(lr), steps=steps,
                              batch_size=self.batch_size, rng=self.seed,
                              callback=self.throttled(draw_progress), callback_every=10,
                              progress=False)
        grad_final = not_yet if hist.diverged else self._measure(spec, hist.params).grad_rms
        status, level = self._verdict(start, hist)
        result = Result(start.z_rms, z_pred, start.grad_rms, grad_pred, grad_final,
                        np.asarray(hist.costs), status, level)
        self.show(result)
        return result

    def _describe(self, start) -> str:
        """The start in words: how the gradient changes from the output back to layer 1."""
        activation, depth, scale = self.key()[:3]
        head = f"{DISPLAY_NAMES[activation]}, {depth} hidden layer{'s' * (depth > 1)}, weight scale {scale:.3g}: "
        ratio = start.grad_rms[0] / start.grad_rms[-1]
        if not np.isfinite(ratio) or not np.all(np.isfinite(start.z_rms)):
            return head + "the forward pass overflowed (inf) at the start."
        per_layer = f"about ×{ratio ** (1 / depth):.2f} per layer"
        if ratio < VANISHES:
            words = (f"the gradient vanishes: at layer 1 it is {ratio:.1e} times its size at the "
                     f"output ({per_layer}).")
        elif ratio > 1 / VANISHES:
            words = (f"the gradient explodes: at layer 1 it is {ratio:.1e} times its size at the "
                     f"output ({per_layer}).")
        elif 1 / STEADY <= ratio <= STEADY:
            words = (f"the gradient keeps roughly its size (layer 1 / output = {ratio:.2g}, "
                     f"{per_layer}).")
        else:  # between a factor STEADY and a factor 100, said as the factor it is
            change, factor = ("grows", ratio) if ratio > 1 else ("shrinks", 1 / ratio)
            words = (f"the gradient {change} {factor:.0f}-fold from the output back to layer 1 "
                     f"({per_layer}).")
        return head + words

    def _verdict(self, start, hist):
        """The start in words, then the run, judged by History.verdict (the course's one rule)."""
        lr = self.key()[3]
        text = self._describe(start) + f" Gradient descent at learning rate {lr:g}. "
        if hist.diverged:
            return text + hist.status() + ".", "bad"
        acc = accuracies(self.spec(), hist.params, {"train": (self.X, self.Y),
                                                     "test": (self.X_test, self.Y_test)})
        scores = f"train accuracy {acc['train']:.2f}, test {acc['test']:.2f}"
        if hist.verdict != "learned":
            return text + f"{hist.status()}; {scores} (chance is 0.10): it did not learn.", "bad"
        if acc["train"] < 0.8:  # the cost fell, but not far: say so rather than "learned" alone
            return (text + f"Learned in {hist.steps:,} steps, but not far yet: {scores} "
                    "(chance is 0.10).", "warn")
        return text + f"Learned in {hist.steps:,} steps: {scores}.", "good"

    # ---------------------------------------------------------------- drawing

    def _set_steps_axis(self, steps: int) -> None:
        """The cost panel spans the run: each run length has its own background (axis and
        tick labels), drawn once and pasted again at every later change of length."""
        if self.cost.ax.get_xlim() != (0, steps):
            self.cost.ax.set_xlim(0, steps)
        self.view.use_background(steps)

    def _draw_steps_axes(self) -> None:
        """Draw the background of every run length the steps menu offers now, so that the
        first change of length sends its frame at once (a full redraw costs about 150 ms)."""
        for steps in self.controls["steps"].options:
            self._set_steps_axis(steps)
            self.view.draw_background()

    def show(self, result: Result) -> None:
        self._set_steps_axis(self.key()[4])  # the cost panel spans the current setting's run
        self.forward.show({"measured": result.z_rms, "predicted": result.z_pred})
        self.backward.show({"measured": result.grad_rms, "predicted": result.grad_pred,
                            "after_training": result.grad_final})
        off = self.forward.clipped + self.backward.clipped
        self.off_scale.set_text("some values are off the scale (drawn on the frame)" if off else "")
        self.cost.show(result.costs)
        self.frame(result.status, result.level)


def gradient_flow_dashboard(**options) -> GradientFlowDashboard:
    """The dashboard of 02_vanishing_exploding_gradients; see GradientFlowDashboard."""
    return GradientFlowDashboard(**options)
