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
trains, with a frame every ~0.15 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, plotting, training
from ..lessons import gradients as lesson
from ._base import Dashboard

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
FRAME_SECONDS = 0.15
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
        super().__init__(figsize=(12, 3.5), dpi=80)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_digits()
        # The sizes are measured on a fixed batch of training examples (fast, and the same
        # for every setting).
        self.X_measure, self.Y_measure = self.X[:, :n_measure], self.Y[:, :n_measure]
        self.input_second_moment = float(np.mean(self.X_measure ** 2))
        self.width, self.batch_size, self.seed = width, batch_size, seed
        self._cache_size = cache_size
        self._build_controls(activation, depth, scale, lr, steps)
        self._build_figure()
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
        self.ax_fwd, self.ax_bwd, self.ax_cost = ax_fwd, ax_bwd, ax_cost
        layers = np.arange(1, 3)
        (self.z_pred_line,) = ax_fwd.plot(layers, [1, 1], "--", color="0.3", label="predicted")
        (self.z_line,) = ax_fwd.plot(layers, [1, 1], "o-", ms=4, color="C0",
                                     label="measured at the start")
        ax_fwd.set(title="forward: size of z at each layer", ylabel="rms of z (log scale)")
        (self.grad_pred_line,) = ax_bwd.plot(layers, [1, 1], "--", color="0.3")
        (self.grad_line,) = ax_bwd.plot(layers, [1, 1], "o-", ms=4, color="C0")
        (self.grad_final_line,) = ax_bwd.plot(layers, [1, 1], "s:", ms=5, mfc="none", color="C2",
                                              label="measured after training")
        ax_bwd.set(title="backward: size of the gradient dJ/dz",
                   ylabel="rms per example (log scale)")
        for ax in (ax_fwd, ax_bwd):
            ax.set(yscale="log", ylim=NORM_LIMITS, xlim=(0.5, MAX_DEPTH + 1.5),
                   xlabel="layer (the last is the output)")
            ax.set_xticks([1, 5, 10, 15, 20])
            ax.set_yticks([1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9])
        # In the figure's top row, right of the legend: no curve ever runs there.
        self.off_scale = self.figure.text(0.5, 0.985, "", ha="left", va="top", fontsize=8,
                                          color="#c62828")
        (self.cost_line,) = ax_cost.plot([], [], color="C0")
        ax_cost.axhline(CHANCE_COST, color="0.5", ls=":", lw=1)
        # The label sits outside the panel, right of the axis, where no curve can run over it.
        ax_cost.text(1.02, CHANCE_COST, "chance\n(ln 10)", transform=ax_cost.get_yaxis_transform(),
                     ha="left", va="center", fontsize=8, color="0.4")
        ax_cost.set(xlim=(0, self.steps), ylim=COST_LIMITS, xlabel="step",
                    ylabel="cost", title="training cost (minibatches)")
        self.cost_note = ax_cost.text(0.97, 0.95, "", transform=ax_cost.transAxes, fontsize=9,
                                      ha="right", va="top", color="#c62828")
        # One legend for both layer panels, above them, so it never hides a curve.
        self.figure.legend(handles=[self.z_line, self.z_pred_line, self.grad_final_line],
                           loc="upper left", bbox_to_anchor=(0.06, 1.0), ncol=3, fontsize=9,
                           frameon=False)
        self.figure.tight_layout(rect=(0, 0, 1, 0.92))
        self.view.animate(self.z_pred_line, self.z_line, self.grad_pred_line, self.grad_line,
                          self.grad_final_line, self.off_scale, self.cost_line, self.cost_note)

    # ---------------------------------------------------------------- one setting

    def key(self) -> tuple:
        """The setting, with every control's exact value (stops and options are exact)."""
        c = self.controls
        return (c["activation"].value, c["depth"].value, c["scale"].value, c["lr"].value,
                c["steps"].value)

    def spec(self) -> network.Spec:
        activation, depth = self.key()[:2]
        return network.Spec((64,) + (self.width,) * depth + (10,), activation=activation,
                            output="softmax")

    def update(self) -> None:
        """Show the current setting: from the cache, or measure and train it live."""
        self._show_setting(self._compute, self._show)

    def _compute(self) -> Result:
        activation, depth, scale, lr, steps = self.key()
        spec = self.spec()
        params = network.init_params(spec, "lecun_normal", rng=self.seed, gain=scale)
        start = lesson.measure(spec, params, self.X_measure, self.Y_measure)
        z_pred, grad_pred = lesson.predict(spec.layer_sizes, activation, "lecun_normal",
                                                  scale, self.input_second_moment,
                                                  start.grad_rms[-1])
        L = spec.n_layers
        partial = Result(start.z_rms, z_pred, start.grad_rms, grad_pred, np.full(L, np.nan),
                         np.array([]), self._describe(start) + " Training...", "info")
        self._show(partial)
        last_frame = [time.perf_counter()]

        def draw_progress(hist, step, current, state):
            if time.perf_counter() - last_frame[0] >= FRAME_SECONDS:
                partial.costs = np.asarray(hist.costs)
                partial.grad_final = lesson.measure(spec, current, self.X_measure,
                                                           self.Y_measure).grad_rms
                partial.status = self._describe(start) + f" Training, step {step} of {steps}..."
                self._show(partial)
                last_frame[0] = time.perf_counter()

        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(lr), steps=steps,
                              batch_size=self.batch_size, rng=self.seed, callback=draw_progress,
                              callback_every=10, progress=False)
        grad_final = np.full(L, np.nan)
        if not hist.diverged:
            grad_final = lesson.measure(spec, hist.params, self.X_measure,
                                               self.Y_measure).grad_rms
        status, level = self._verdict(start, hist)
        result = Result(start.z_rms, z_pred, start.grad_rms, grad_pred, grad_final,
                        np.asarray(hist.costs), status, level)
        self._show(result)
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
        with np.errstate(over="ignore", invalid="ignore"):
            train_acc = network.accuracy(self.spec(), hist.params, self.X, self.Y)
            test_acc = network.accuracy(self.spec(), hist.params, self.X_test, self.Y_test)
        accuracies = f"train accuracy {train_acc:.2f}, test {test_acc:.2f}"
        if hist.verdict != "learned":
            return text + f"{hist.status()}; {accuracies} (chance is 0.10): it did not learn.", "bad"
        if train_acc < 0.8:  # the cost fell, but not far: say so rather than "learned" alone
            return (text + f"Learned in {hist.steps:,} steps, but not far yet: {accuracies} "
                    "(chance is 0.10).", "warn")
        return text + f"Learned in {hist.steps:,} steps: {accuracies}.", "good"

    def _set_steps_axis(self, steps: int) -> None:
        """The cost panel spans the run; a new length needs a full redraw (rare)."""
        if self.ax_cost.get_xlim() != (0, steps):
            self.ax_cost.set_xlim(0, steps)
            self.view.full_redraw()

    # ---------------------------------------------------------------- drawing

    def _show(self, result: Result) -> None:
        self._set_steps_axis(self.key()[4])  # the cost panel spans the current setting's run
        L = result.z_rms.size
        layers = np.arange(1, L + 1)
        off = False
        for line, values in ((self.z_line, result.z_rms), (self.z_pred_line, result.z_pred),
                             (self.grad_line, result.grad_rms),
                             (self.grad_pred_line, result.grad_pred),
                             (self.grad_final_line, result.grad_final)):
            values = np.asarray(values, dtype=float)
            off |= bool(np.any(np.isfinite(values) & ((values < NORM_LIMITS[0]) | (values > NORM_LIMITS[1])))
                        | np.any(np.isinf(values)))
            line.set_data(layers, plotting._loggable(np.clip(values, *NORM_LIMITS), True))
        self.off_scale.set_text("some values are off the scale (drawn on the frame)" if off else "")
        costs = np.asarray(result.costs, dtype=float)
        steps = np.arange(costs.size)
        bad = plotting.first_non_finite(costs)
        shown = np.clip(costs, *COST_LIMITS)
        if bad is not None:
            self.cost_line.set_data(steps[:bad], shown[:bad])
            self.cost_note.set_text(f"diverged at step {bad}")
        else:
            self.cost_line.set_data(steps, shown)
            self.cost_note.set_text(f"peak cost {costs.max():.1e} (off the scale)"
                                    if costs.size and costs.max() > COST_LIMITS[1] else "")
        self.say(result.status, result.level)
        self.view.redraw()
        self._frame_shown()


def gradient_flow_dashboard(**options) -> GradientFlowDashboard:
    """The dashboard of 02_vanishing_exploding_gradients; see GradientFlowDashboard."""
    return GradientFlowDashboard(**options)
