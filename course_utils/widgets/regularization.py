"""The Regularization dashboard (07_regularization): choose a penalty (none, L2, L1) and its
strength lambda, a dropout keep probability, and early stopping on or off; watch the
decision boundary, the training and validation costs, and the histogram of the weights.

Every setting trains the same network from the same start ([2, 40, 40, 1], He weights,
rng 0) on the overfit set's 200 training points for 800 steps of momentum (lr 2, beta
0.9): a little smaller and much faster than the notebook's [2, 50, 50, 1] with 30,000
gradient-descent steps, so that a setting trains in well under a second, and it overfits
and answers regularization the same way (tests/claims/test_07_regularization.py). L1
uses the proximal step after each momentum update: exact zeros, though with momentum this
is not the textbook proximal-gradient method (ISTA), which assumes plain gradient steps.
The validation cost is evaluated every 10 steps: its lowest point comes near step 20, which
an evaluation every 50 steps would miss (the notebook's section 6 makes the same point for
its own network). Results are cached, so returning to a setting redraws at once; a new setting shows its
starting state immediately and then trains with a frame every FRAME_SECONDS at most.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import L1, L2, Validation, datasets, losses, network, optimizers, plotting, training
from ._base import Dashboard
from .panels import COLOURS, BoundaryPanel, CostPanel, accuracies, corner_note

__all__ = ["RegularizationDashboard", "regularization_dashboard"]

PENALTIES = ("none", "L2", "L1")
COST_LIMITS = (0.01, 3.0)
# 61 bins of width 0.05, the middle one centred on 0; weights beyond the ends are counted
# in the end bins
HIST_EDGES = (np.arange(62) - 30.5) * 0.05
HIST_FLOOR = 1e-4  # the log axis starts here: an empty bin sits on the floor
NEAR_ZERO = 0.01
FRAME_SECONDS = 0.3  # at most one frame this often while training (frames cost ~30 ms)


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    boundary: np.ndarray     # (resolution, resolution) P(y=1) on the grid
    steps: np.ndarray        # evaluation steps
    train_cost: np.ndarray   # data cost (no penalty), evaluation mode, at those steps
    val_cost: np.ndarray
    histogram: np.ndarray    # fraction of the weights in each bin of HIST_EDGES
    near_zero: float         # fraction of weights with |w| < NEAR_ZERO
    exactly_zero: float      # fraction of weights exactly 0
    best_step: int | None    # the restored step when early stopping is on
    status: str
    level: str
    train_acc: float = np.nan
    val_acc: float = np.nan


def all_weights(params: dict) -> np.ndarray:
    """Every weight matrix W1..WL in one flat array (biases left out, as the penalties do)."""
    return np.concatenate([params[k].ravel() for k in losses.weight_keys(params)])


class RegularizationDashboard(Dashboard):
    title = "Regularization dashboard"

    def __init__(self, penalty: str = "L2", lambd: float = 0.3, keep_prob: float = 1.0,
                 early_stopping: bool = False, hidden: tuple = (40, 40), steps: int = 800,
                 lr: float = 2.0, beta: float = 0.9, eval_every: int = 10, patience: int = 50,
                 seed: int = 0, resolution: int = 80, cache_size: int = 48):
        super().__init__(figsize=(12, 3.6), dpi=80, cache_size=cache_size)
        (self.X, self.Y, self.X_val, self.Y_val,
         self.X_test, self.Y_test) = datasets.load_overfit_2d(validation=True)
        # the labels follow x2 > 0.4 sin(pi x1) up to noise: that rule's training accuracy
        # is what a network that neither overfits nor underfits should get close to
        true_rule = (self.X[1] > 0.4 * np.sin(np.pi * self.X[0])).astype(int)
        self.curve_train_acc = float(np.mean(true_rule == self.Y))
        self.hidden, self.steps, self.lr, self.beta = tuple(hidden), steps, lr, beta
        self.eval_every, self.patience, self.seed = eval_every, patience, seed
        self.resolution = resolution
        self._build_controls(penalty, lambd, keep_prob, early_stopping)
        self._build_figure()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, penalty, lambd, keep_prob, early_stopping):
        self.controls = {
            "penalty": widgets.ToggleButtons(options=PENALTIES, value=penalty,
                                             description="penalty",
                                             style={"button_width": "60px"}),
            "lambd": widgets.FloatLogSlider(value=lambd, base=10, min=-2, max=1, step=0.1,
                                            description="λ (lambda)", continuous_update=False,
                                            readout_format=".3g"),
            "keep_prob": widgets.FloatSlider(value=keep_prob, min=0.3, max=1.0, step=0.05,
                                             description="keep prob", continuous_update=False,
                                             readout_format=".2f"),
            "early_stopping": widgets.Checkbox(value=early_stopping, description="early stopping",
                                               indent=False),
        }
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["penalty"], c["lambd"]], [c["keep_prob"], c["early_stopping"]]],
            f"Each setting trains [2, {', '.join(map(str, self.hidden))}, 1] for {self.steps:,} "
            f"steps (momentum, lr {self.lr:g}) on the 200 noisy training points. L1 uses the "
            "proximal step, so its zeros are exact; dropout keeps each hidden unit with the "
            "keep probability; early stopping watches the validation cost. Dashed: the curve "
            "the labels follow before the noise. It starts at L2 with λ = 0.3. Try first: "
            "penalty none (overfitting), then L2 with λ = 10 (underfitting), then L1 with "
            "λ = 1, then no penalty with keep prob 0.5, then early stopping.")

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_boundary, ax_cost, ax_hist = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1, 1.15, 1.15]})
        lims = (-1.1, 1.1)
        self.boundary = BoundaryPanel(self.view, ax_boundary, self.X, self.Y,
                                      resolution=self.resolution, xlim=lims, ylim=lims,
                                      title="decision boundary (dashed: the true curve)",
                                      title_size=10)
        x1 = np.linspace(*lims, 200)
        (true_curve,) = ax_boundary.plot(x1, 0.4 * np.sin(np.pi * x1), "k--", lw=0.8)
        self.view.animate(true_curve)  # animated too, so that it is drawn over the boundary

        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS,
                              lines={"train": (COLOURS["train"], "training cost"),
                                     "val": (COLOURS["val"], "validation cost")},
                              ylabel="cross-entropy (no penalty)",
                              title="training and validation cost")
        self.train_line, self.val_line = self.cost.lines["train"], self.cost.lines["val"]
        self.best_line = ax_cost.axvline(0, color="0.3", ls=":", lw=1)
        self.best_line.set_visible(False)
        self.view.animate(self.best_line)

        start = network.init_params(self.spec(1.0), "he_normal", rng=self.seed)
        ax_hist.stairs(np.maximum(plotting.histogram(all_weights(start), HIST_EDGES), HIST_FLOOR),
                       HIST_EDGES, baseline=HIST_FLOOR, color=COLOURS["start"], ls="--",
                       label="at the start")
        self.hist_patch = ax_hist.stairs(np.full(HIST_EDGES.size - 1, HIST_FLOOR), HIST_EDGES,
                                         baseline=HIST_FLOOR, fill=True, alpha=0.7,
                                         color=COLOURS["weights"], label="after training")
        ax_hist.set(yscale="log", ylim=(HIST_FLOOR, 1.0), xlim=(HIST_EDGES[0], HIST_EDGES[-1]),
                    xlabel="weight value (end bins: beyond ±1.5)", ylabel="fraction of weights",
                    title="all weights W1, W2, W3")
        ax_hist.legend(loc="upper left", fontsize=8)
        self.hist_note = corner_note(self.view, ax_hist, colour="black")
        self.view.animate(self.hist_patch)
        self.figure.tight_layout()

    # ---------------------------------------------------------------- one setting

    def key(self) -> tuple:
        c = self.controls
        penalty = c["penalty"].value
        # the control values exactly: rounding would merge distinct settings set from Python
        lambd = None if penalty == "none" else float(c["lambd"].value)
        return penalty, lambd, float(c["keep_prob"].value), bool(c["early_stopping"].value)

    def spec(self, keep_prob: float | None = None) -> network.Spec:
        keep = self.controls["keep_prob"].value if keep_prob is None else keep_prob
        return network.Spec((2, *self.hidden, 1), activation="relu", keep_prob=keep)

    def update(self) -> None:
        """Show the current setting: from memory, or train it with live frames."""
        # λ means nothing without a penalty: say so by greying its slider out.
        self.controls["lambd"].disabled = self.controls["penalty"].value == "none"
        super().update()

    def _describe(self) -> str:
        penalty, lambd, keep, early = self.key()
        parts = ["no penalty" if penalty == "none" else f"{penalty}, λ = {lambd:.3g}"]
        parts.append(f"keep prob {keep:.2f}" if keep < 1 else "no dropout")
        if early:
            parts.append("early stopping")
        return ", ".join(parts)

    def _heading(self) -> str:
        """The setting, capitalized, to start a status line."""
        describe = self._describe()
        return describe[0].upper() + describe[1:]

    def _weights_summary(self, params) -> dict:
        """The histogram of all weights and the fractions near and exactly at zero."""
        w = all_weights(params)
        return {"histogram": plotting.histogram(w, HIST_EDGES),
                "near_zero": float(np.mean(np.abs(w) < NEAR_ZERO)),
                "exactly_zero": float(np.mean(w == 0))}

    def penalty(self):
        """The penalty of the current setting, for train(penalty=...), or None."""
        penalty, lambd, _, _ = self.key()
        if penalty == "L2":
            return L2(lambd)
        if penalty == "L1":
            return L1(lambd, proximal=True)
        return None

    def compute(self) -> Result:
        early = self.key()[3]
        spec = self.spec()
        params = network.init_params(spec, "he_normal", rng=self.seed)
        partial = Result(self.boundary.probabilities(spec, params), np.array([]), np.array([]),
                         np.array([]), best_step=None, status=f"{self._heading()}: training...",
                         level="info", **self._weights_summary(params))
        self.show(partial)

        def draw_progress(hist, step, current, state):
            partial.boundary = self.boundary.probabilities(spec, current)
            partial.steps = np.asarray(hist.evals["step"])
            partial.train_cost = np.asarray(hist.evals["train_cost"])
            partial.val_cost = np.asarray(hist.evals["val_cost"])
            vars(partial).update(self._weights_summary(current))
            partial.status = f"{self._heading()}: training, step {step:,} of {self.steps:,}"
            self.show(partial)

        validation = Validation(self.X_val, self.Y_val, every=self.eval_every,
                                patience=self.patience if early else None)
        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y,
                              optimizers.momentum(self.lr, self.beta), steps=self.steps,
                              rng=self.seed + 1, penalty=self.penalty(), validation=validation,
                              callback=self.throttled(draw_progress, FRAME_SECONDS),
                              callback_every=self.eval_every, progress=False)
        result = self._result(spec, hist, time.perf_counter() - start)
        self.show(result)
        return result

    def _result(self, spec, hist, seconds) -> Result:
        params = hist.params
        acc = accuracies(spec, params, {"train": (self.X, self.Y), "val": (self.X_val, self.Y_val)})
        status, level = self._verdict(hist, all_weights(params), acc["train"], acc["val"], seconds)
        evals = hist.evals
        return Result(self.boundary.probabilities(spec, params), np.asarray(evals["step"]),
                      np.asarray(evals["train_cost"]), np.asarray(evals["val_cost"]),
                      best_step=hist.best_step if self.key()[3] else None, status=status,
                      level=level, train_acc=acc["train"], val_acc=acc["val"],
                      **self._weights_summary(params))

    def _verdict(self, hist, w, train_acc, val_acc, seconds):
        """The run in words, starting with History.verdict / status(): a run that diverged,
        blew up, stalled or stayed at chance is said so first; a run that learned gets its
        accuracies and what they mean."""
        setting = f" ({self._describe()}, {seconds:.1f} s)."
        verdict = hist.verdict
        if verdict in ("diverged", "blew up"):
            return (hist.status() + ": the weights exploded; try a smaller learning rate"
                    + setting, "bad")
        if np.all(w == 0):
            return ("Every weight is exactly 0: the penalty won, and the network predicts one "
                    f"class everywhere; try a smaller λ" + setting, "bad")
        if verdict != "learned":
            return (hist.status() + f": the network did not learn (train accuracy "
                    f"{train_acc:.2f})" + setting, "bad")
        text = self._heading() + f": train accuracy {train_acc:.2f}, validation {val_acc:.2f}"
        if hist.stopped_early:
            text += (f"; early stopping ended the run at step {hist.steps:,} and restored the "
                     f"weights of step {hist.best_step:,} (lowest validation cost)")
        elif self.key()[3] and hist.best_step is not None:
            text += (f" with the weights of step {hist.best_step:,} (lowest validation cost; "
                     f"it never went {self.patience} evaluations without improving)")
        else:
            text += f" after {hist.steps:,} steps"
        penalty, _, keep, early = self.key()
        regularized = penalty != "none" or keep < 1 or early
        gap = train_acc - val_acc
        if train_acc < self.curve_train_acc - 0.02 and regularized:
            note, level = ("underfitting: the network fits the training points worse than the "
                           f"true curve does ({self.curve_train_acc:.2f}); weaken the "
                           "regularization"), "warn"
        elif gap > 0.12:
            note, level = (f"overfitting: {gap:.2f} better on the training points than on "
                           "new ones"), "warn"
        else:
            note, level = f"the gap between training and validation is {gap:.2f}", "good"
        return text + f"; {note} ({seconds:.1f} s).", level

    # ---------------------------------------------------------------- drawing

    def show(self, result: Result) -> None:
        self.boundary.show(result.boundary)
        self.cost.show(result.train_cost, result.steps, line="train")
        self.cost.show(result.val_cost, result.steps, line="val")
        self.best_line.set_visible(result.best_step is not None)
        if result.best_step is not None:
            self.best_line.set_xdata([result.best_step, result.best_step])
            self.cost.note.set_text(f"restored step {result.best_step:,}")
            self.cost.note.set_color("black")
        self.hist_patch.set_data(values=np.maximum(result.histogram, HIST_FLOOR))
        self.hist_note.set_text(f"|w| < {NEAR_ZERO:g}: {result.near_zero:.0%}\n"
                                f"exactly 0: {result.exactly_zero:.0%}")
        self.frame(result.status, result.level)


def regularization_dashboard(**options) -> RegularizationDashboard:
    """The dashboard of 07_regularization; see RegularizationDashboard for the options."""
    return RegularizationDashboard(**options)
