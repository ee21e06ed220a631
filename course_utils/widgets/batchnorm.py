"""The Batch-normalization dashboard (06_batch_normalization): choose the weights' scale,
the learning rate, the batch size, the activation and whether every hidden layer has batch
norm; watch the cost, what each layer's activation function receives, and the gradient that
reaches each layer, live while the network trains.

Every setting trains the same deep network (6 hidden layers of 16 units) from the same
random draw on the seed's circles, by minibatch gradient descent. Results are cached, so
returning to a setting redraws at once; a new setting shows its starting state immediately
and then a frame every ~0.15 s (the base's FRAME_SECONDS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import Validation, datasets, initializers, network, optimizers, plotting, training
from ._base import Dashboard
from .panels import (COLOURS, MINIBATCH_STYLE, SMOOTHED_STYLE, CostPanel, LayerPanel, accuracies,
                     corner_note)

__all__ = ["BatchNormDashboard", "batchnorm_dashboard"]

ACTIVATIONS = ("relu", "tanh", "sigmoid")
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)  # the whole set (300) would take over 1 s per move
COST_LIMITS = (1e-2, 1e2)
GRAD_LIMITS = (1e-9, 1e3)
Z_RANGE = 5.0  # histograms of z on [-5, 5]; values beyond are counted in the end bins
EVAL_EVERY = 20  # evaluation-mode cost on the whole training set every 20 steps


@dataclass
class Snapshot:
    """One training-mode pass over the whole training set: what each hidden layer's
    activation function receives, and the gradient that reaches each layer."""

    z_after: list              # per hidden layer: ridge heights of z (after BN, if on)
    z_before: list | None      # per hidden layer: ridge heights of W a before BN (BN only)
    grads: np.ndarray          # ||dW_l|| per layer, (L,), the output layer last


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray                  # minibatch cost at every step
    eval_steps: np.ndarray
    eval_costs: np.ndarray             # evaluation-mode cost on the training set
    z_after: list                      # the histograms of the snapshot shown (Snapshot)
    z_before: list | None
    grad_start: np.ndarray             # ||dW_l|| per layer at the start
    grad_now: np.ndarray               # ... now (after training when final)
    z_when: str = "at the start"       # which moment the histograms show
    status: str = ""
    level: str = "info"
    train_acc: float = np.nan
    test_acc: float = np.nan
    train_mode_acc: float = np.nan     # the final weights' accuracy with batch statistics


class RidgePanel:
    """One histogram per hidden layer, stacked (layer 1 at the bottom): what each layer's
    activation function receives (filled) and, with batch norm, W a before it (outlined).

    bins: the histograms' edges, (n_bins + 1,); values beyond them are in the end bins.
    """

    def __init__(self, view, ax, depth: int, bins: np.ndarray):
        self.bins = bins
        empty = np.zeros(bins.size - 1)
        self.after = [ax.stairs(empty + i, bins, baseline=i, fill=True, alpha=0.75, color="C0")
                      for i in range(depth)]
        self.before = [ax.stairs(empty + i, bins, baseline=None, color="C2", lw=1.0)
                       for i in range(depth)]
        ax.set_yticks(np.arange(depth) + 0.3)
        ax.set_yticklabels([f"layer {l}" for l in range(1, depth + 1)], fontsize=8)
        ax.set(xlim=(-Z_RANGE, Z_RANGE), ylim=(0, depth + 0.9),
               xlabel="z (values beyond ±5 in the end bins)",
               title="what each activation receives")
        ax.plot([], [], color="C0", lw=6, alpha=0.75, label="z (after BN, if on)")
        ax.plot([], [], color="C2", lw=1, label="W a before BN")
        ax.legend(loc="upper left", fontsize=8, ncol=2, bbox_to_anchor=(0, 1.0))
        # below the legend, top right: which moment the histograms show
        self.note = ax.text(0.98, 0.86, "", transform=ax.transAxes, ha="right", va="top",
                            fontsize=8, color="0.3")
        view.animate(self.note, *self.after, *self.before)

    def show(self, after: list, before: list | None, when: str) -> None:
        """after, before: per hidden layer, ridge heights (n_bins,); before None hides them."""
        self.note.set_text(when)
        for i, (patch, heights) in enumerate(zip(self.after, after)):
            patch.set_data(heights + i, self.bins, baseline=i)
        for i, patch in enumerate(self.before):
            patch.set_visible(before is not None)
            if before is not None:
                patch.set_data(before[i] + i, self.bins, baseline=None)


class BatchNormDashboard(Dashboard):
    title = "Batch-normalization dashboard"

    def __init__(self, scale: float = 0.01, lr: float = 0.1, batch_size: int = 32,
                 batch_norm: bool = True, activation: str = "relu", depth: int = 6,
                 width: int = 16, steps: int = 400, seed: int = 0, cache_size: int = 64):
        super().__init__(figsize=(12, 3.7), dpi=80, cache_size=cache_size)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_circles()
        self.depth, self.width, self.steps, self.seed = depth, width, steps, seed
        self.bins = np.linspace(-Z_RANGE, Z_RANGE, 41)
        self._build_controls(scale, lr, batch_size, batch_norm, activation)
        self._build_figure()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, scale, lr, batch_size, batch_norm, activation):
        wide = {"description_width": "initial"}
        self.controls = {
            "scale": widgets.FloatLogSlider(value=scale, base=10, min=-4, max=0.5, step=0.25,
                                            description="weight std", continuous_update=False,
                                            readout_format=".2g", style=wide),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=1.5, step=0.25,
                                         description="learning rate", continuous_update=False,
                                         readout_format=".2g", style=wide),
            "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=batch_size,
                                                  description="batch size",
                                                  continuous_update=False, style=wide),
            "batch_norm": widgets.ToggleButtons(options=[("without BN", False), ("with BN", True)],
                                                value=batch_norm, description="batch norm",
                                                style={"button_width": "100px", **wide}),
            "activation": widgets.ToggleButtons(options=ACTIVATIONS, value=activation,
                                                description="activation",
                                                style={"button_width": "80px", **wide}),
        }
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["scale"], c["lr"], c["batch_size"]], [c["batch_norm"], c["activation"]]],
            f"Every setting trains {self.depth} hidden layers of {self.width} units on the "
            f"circles for {self.steps} steps of minibatch gradient descent, weights drawn from "
            f"N(0, std²). Try first: switch batch norm off at weight std 0.01, then back on.")

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_cost, ax_z, ax_grad = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.2, 1, 1]})
        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS,
                              lines={"batch": (COLOURS["cost"], "minibatch cost", MINIBATCH_STYLE),
                                     "eval": (COLOURS["cost"], "training set, eval mode",
                                              SMOOTHED_STYLE),
                                     "other": ("0.45", "the other BN setting (once run)",
                                               {"lw": 1.5, "ls": "--"})},
                              legend_size=8)

        self.ridges = RidgePanel(self.view, ax_z, self.depth, self.bins)

        self.grads = LayerPanel(self.view, ax_grad, limits=GRAD_LIMITS, layers=self.depth + 1,
                                lines={"start": ("o--", "C1", "at the start"),
                                       "now": ("s-", "C2", "now / after training")},
                                xlabel="layer (last = output)",
                                ylabel="‖dW‖ on the training set",
                                title="gradient reaching each layer")
        ax_grad.legend(loc="lower right", fontsize=8)
        # values below the axis (down to exactly 0) are drawn on its bottom edge: say so
        self.grad_note = corner_note(self.view, ax_grad, where="lower left", fontsize=8)
        self.figure.tight_layout()

    # ---------------------------------------------------------------- one setting

    def spec(self) -> network.Spec:
        return network.Spec((2,) + (self.width,) * self.depth + (1,),
                            activation=self.controls["activation"].value,
                            batch_norm=self.controls["batch_norm"].value)

    def batch_size(self) -> int | None:
        """The batch size for train(): None (full batch) when it covers the training set."""
        batch_size = self.controls["batch_size"].value
        return None if batch_size >= self.X.shape[1] else batch_size

    def _snapshot(self, spec, params, state) -> Snapshot:
        """Histograms of each hidden layer's z (and of W a before BN) and the gradient norms,
        from one training-mode pass over the whole training set."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _, grads, cache = network.loss_and_grads(spec, params, self.X, self.Y, state,
                                                     train=True, check=False)
            after = [plotting.ridge_heights(np.nan_to_num(Z), self.bins) for Z in cache.pre]
            before = None
            if any(spec.batch_norm):
                before = [plotting.ridge_heights(np.nan_to_num(layer.dense.W @ layer.dense.A_prev), self.bins)
                          for layer in cache.layers[:-1]]
            norms = np.array([np.linalg.norm(grads[f"dW{l}"])
                              for l in range(1, spec.n_layers + 1)])
        return Snapshot(after, before, norms)

    def compute(self) -> Result:
        spec = self.spec()
        init = initializers.get("normal", scale=self.controls["scale"].value)
        params = network.init_params(spec, init, rng=self.seed)
        start = self._snapshot(spec, params, network.init_state(spec))
        partial = Result(np.array([]), np.array([]), np.array([]), start.z_after, start.z_before,
                         start.grads, np.full(start.grads.size, np.nan),
                         status=f"{self._describe()}: training...")
        self.show(partial)

        def draw_progress(hist, step, current, current_state):
            now = self._snapshot(spec, current, current_state)
            partial.costs = np.asarray(hist.costs)
            partial.eval_steps = np.asarray(hist.evals["step"])
            partial.eval_costs = np.asarray(hist.evals["train_cost"])
            partial.z_after, partial.z_before = now.z_after, now.z_before
            partial.grad_now = now.grads
            partial.z_when = f"at step {step:,}"
            partial.status = f"{self._describe()}: training, step {step:,} of {self.steps:,}"
            self.show(partial)

        began = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y,
                              optimizers.sgd(self.controls["lr"].value), steps=self.steps,
                              batch_size=self.batch_size(), rng=self.seed,
                              validation=Validation(every=EVAL_EVERY),
                              callback=self.throttled(draw_progress),
                              callback_every=EVAL_EVERY, progress=False)
        result = self._result(spec, hist, start, time.perf_counter() - began)
        self.show(result)
        return result

    def _result(self, spec, hist, start: Snapshot, seconds) -> Result:
        """The finished run. start: the snapshot at the start; after divergence the
        histograms stay there, since the last weights produce NaN."""
        if hist.diverged:
            end = Snapshot(start.z_after, start.z_before, np.full(start.grads.size, np.nan))
            when = "at the start (the run diverged)"
        else:
            end = self._snapshot(spec, hist.params, hist.state)
            when = f"after {hist.steps:,} steps"
        acc = accuracies(spec, hist.params, {"train": (self.X, self.Y),
                                             "test": (self.X_test, self.Y_test)}, hist.state)
        result = Result(np.asarray(hist.costs), np.asarray(hist.evals["step"]),
                        np.asarray(hist.evals["train_cost"], dtype=float), end.z_after,
                        end.z_before, start.grads, end.grads, when, train_acc=acc["train"],
                        test_acc=acc["test"],
                        train_mode_acc=self._train_mode_accuracy(spec, hist.params, hist.state))
        result.status, result.level = self._verdict(hist, result, seconds)
        return result

    def _train_mode_accuracy(self, spec, params, state) -> float:
        """The accuracy on the training set with the whole set's own statistics (training
        mode), to compare with evaluation mode's running statistics."""
        with np.errstate(over="ignore", invalid="ignore"):
            Z_L, _ = network.forward(spec, params, self.X, state, train=True)
        return float(np.mean((Z_L > 0) == self.Y))

    def _describe(self) -> str:
        setting = self.state()
        batch_size = self.batch_size()
        batch = "the full batch" if batch_size is None else f"batches of {batch_size}"
        return (f"{'With' if setting['batch_norm'] else 'Without'} BN, {setting['activation']}, "
                f"weight std {setting['scale']:.2g}, learning rate {setting['lr']:.2g}, {batch}")

    def _verdict(self, hist, result: Result, seconds: float):
        """The run in words: History.status() (diverged, blew up, stalled, at chance, got
        worse, learned), the accuracies, and what the gradients and BN's modes show."""
        head = f"{self._describe()}. "
        verdict = hist.verdict
        if verdict == "diverged":
            return head + hist.status() + ". Try a smaller learning rate or weight std.", "bad"
        notes = []
        grads = result.grad_start
        finite = np.all(np.isfinite(grads))
        if finite and grads[0] > 0 and grads[-1] / grads[0] > 1e3:
            notes.append(f"at the start the gradient reaching layer 1 is {_times(grads[-1] / grads[0])} "
                         "smaller than the output layer's (vanishing)")
        elif finite and grads.max() < 1e-4:
            notes.append(f"at the start every layer's gradient is below 1e-4 (largest "
                         f"{grads.max():.0e}): the signal has vanished on the way")
        elif finite and grads[0] == 0:
            notes.append("at the start no gradient reaches layer 1")
        # History judges the minibatch costs of the last epoch (training mode); the accuracy
        # is the final weights' in evaluation mode, which the running statistics can spoil
        bn, batch_size = self.controls["batch_norm"].value, self.controls["batch_size"].value
        train_mode = result.train_mode_acc
        if bn and train_mode - result.train_acc > 0.05:
            notes.append(f"in training mode (batch statistics) it scores {train_mode:.2f}: the "
                         "running statistics do not match what the layers saw in training")
        elif verdict == "learned" and result.train_acc < 0.7:
            notes.append("the cost fell, but an accuracy below 0.7 is barely learning")
        if bn and batch_size == 2:
            notes.append("a batch of 2 normalizes every unit to exactly ±1 in training")
        if verdict == "learned":
            level = "good" if result.train_acc >= 0.9 and not notes else (
                "warn" if result.train_acc >= 0.7 else "bad")
        else:
            level = "bad"
        text = head + hist.status() + (
            f". Train accuracy {result.train_acc:.2f}, test {result.test_acc:.2f} (evaluation mode)")
        if notes:
            text += "; " + "; ".join(notes)
        return text + f" ({seconds:.1f} s).", level

    # ---------------------------------------------------------------- drawing

    def _other_half(self) -> Result | None:
        """The remembered result of this setting with batch norm toggled, if it was run
        (looked up without marking it as used)."""
        other = {**self.state(), "batch_norm": not self.controls["batch_norm"].value}
        return self._cache.get(tuple(other.values()))

    def show(self, result: Result) -> None:
        self.cost.show(result.costs)
        self.cost.show(result.eval_costs, result.eval_steps, line="eval")
        other = self._other_half()
        if other is None:
            self.cost.show([], line="other")
        else:
            self.cost.show(other.eval_costs, other.eval_steps, line="other")
        self.ridges.show(result.z_after, result.z_before, result.z_when)
        self.grads.show({"start": result.grad_start, "now": result.grad_now})
        self.grad_note.set_text(_below_note(np.concatenate([result.grad_start, result.grad_now])))
        self.frame(result.status, result.level)


def _below_note(values: np.ndarray) -> str:
    """'3 points below 1e-09, drawn on the bottom edge', or '' when none is."""
    below = int(np.sum(np.isfinite(values) & (values < GRAD_LIMITS[0])))
    if not below:
        return ""
    return (f"{below} point{'s' if below != 1 else ''} below {GRAD_LIMITS[0]:.0e}, drawn on "
            "the bottom edge")


def _times(ratio: float) -> str:
    """'2,345 times' or, for huge ratios, 'about 10^12 times'."""
    return f"{ratio:,.0f} times" if ratio < 1e5 else f"about 10^{int(np.log10(ratio))} times"


def batchnorm_dashboard(**options) -> BatchNormDashboard:
    """The dashboard of 06_batch_normalization; see BatchNormDashboard for the options."""
    return BatchNormDashboard(**options)
