"""The Batch-normalization dashboard (06_batch_normalization): choose the weights' scale,
the learning rate, the batch size, the activation and whether every hidden layer has batch
norm; watch the cost, what each layer's activation function receives, and the gradient that
reaches each layer, live while the network trains.

Every setting trains the same deep network (6 hidden layers of 16 units) from the same
random draw on the seed's circles, by minibatch gradient descent. Results are cached, so
returning to a setting redraws at once; a new setting shows its starting state immediately
and then a frame every ~0.15 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np

from .. import datasets, initializers, network, optimizers, plotting, training
from ._base import Dashboard

__all__ = ["BatchNormDashboard", "batchnorm_dashboard"]

ACTIVATIONS = ("relu", "tanh", "sigmoid")
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)  # the whole set (300) would take over 1 s per move
COST_LIMITS = (1e-2, 1e2)
GRAD_LIMITS = (1e-9, 1e3)
Z_RANGE = 5.0  # histograms of z on [-5, 5]; values beyond are counted in the end bins
FRAME_SECONDS = 0.15
EVAL_EVERY = 20  # evaluation-mode cost on the whole training set every 20 steps


@dataclass
class Result:
    """What one setting produced: enough to redraw it without training again."""

    costs: np.ndarray                  # minibatch cost at every step
    eval_steps: np.ndarray
    eval_costs: np.ndarray             # evaluation-mode cost on the training set
    z_after: list                      # per hidden layer: ridge heights of what f receives
    z_before: list | None              # per hidden layer: heights of W a before BN (BN only)
    grad_start: np.ndarray             # ||dW_l|| per layer at the start
    grad_now: np.ndarray               # ... now (after training when final)
    z_when: str = "at the start"       # which moment the histograms show
    status: str = ""
    level: str = "info"
    train_acc: float = np.nan
    test_acc: float = np.nan
    extra: dict = field(default_factory=dict)


class BatchNormDashboard(Dashboard):
    title = "Batch-normalization dashboard"

    def __init__(self, scale: float = 0.01, lr: float = 0.1, batch_size: int = 32,
                 batch_norm: bool = True, activation: str = "relu", depth: int = 6,
                 width: int = 16, steps: int = 400, seed: int = 0, cache_size: int = 64):
        super().__init__(figsize=(12, 3.7), dpi=80)
        self.X, self.Y, self.X_test, self.Y_test = datasets.load_circles()
        self.depth, self.width, self.steps, self.seed = depth, width, steps, seed
        self.bins = np.linspace(-Z_RANGE, Z_RANGE, 41)
        self._cache_size = cache_size
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
        self.ax_cost, self.ax_z, self.ax_grad = ax_cost, ax_z, ax_grad

        (self.batch_line,) = ax_cost.plot([], [], color="C0", lw=0.6, alpha=0.45,
                                          label="minibatch cost")
        (self.eval_line,) = ax_cost.plot([], [], color="C0", lw=2,
                                         label="training set, eval mode")
        (self.other_line,) = ax_cost.plot([], [], color="0.45", lw=1.5, ls="--",
                                          label="the other BN setting (once run)")
        ax_cost.set(xlim=(0, self.steps), ylim=COST_LIMITS, yscale="log", xlabel="step",
                    ylabel="cost", title="cost (log scale)")
        ax_cost.legend(loc="lower left", fontsize=7)
        self.cost_note = ax_cost.text(0.97, 0.95, "", transform=ax_cost.transAxes, ha="right",
                                      va="top", color="#c62828", fontsize=9)

        spacing = 1.0
        self.after_patches, self.before_patches = [], []
        for i in range(self.depth):
            zero = np.zeros(self.bins.size - 1)
            self.after_patches.append(ax_z.stairs(zero + i, self.bins, baseline=i, fill=True,
                                                  alpha=0.75, color="C0"))
            self.before_patches.append(ax_z.stairs(zero + i, self.bins, baseline=None,
                                                   color="C3", lw=1.0))
        ax_z.set_ylim(0, self.depth * spacing + 0.2)
        ax_z.set_yticks(np.arange(self.depth) + 0.3)
        ax_z.set_yticklabels([f"layer {l}" for l in range(1, self.depth + 1)], fontsize=8)
        ax_z.set_xlim(-Z_RANGE, Z_RANGE)
        ax_z.set(xlabel="z (values beyond ±5 in the end bins)",
                 title="what each activation receives")
        ax_z.plot([], [], color="C0", lw=6, alpha=0.75, label="z (after BN, if on)")
        ax_z.plot([], [], color="C3", lw=1, label="W a before BN")
        ax_z.legend(loc="upper left", fontsize=7, ncol=2, bbox_to_anchor=(0, 1.0))
        ax_z.set_ylim(0, self.depth + 0.9)
        self.z_note = ax_z.text(0.98, 0.86, "", transform=ax_z.transAxes, ha="right",
                                va="top", fontsize=8, color="0.3")

        layers_with_w = np.arange(1, self.depth + 2)
        (self.grad_start_line,) = ax_grad.plot(layers_with_w, np.ones(self.depth + 1), "o--",
                                               color="C1", label="at the start")
        (self.grad_now_line,) = ax_grad.plot(layers_with_w, np.ones(self.depth + 1), "s-",
                                             color="C2", label="now / after training")
        ax_grad.set(yscale="log", ylim=GRAD_LIMITS, xlabel="layer (last = output)",
                    ylabel="‖dW‖ on the training set", title="gradient reaching each layer")
        # values below the axis (down to exactly 0) are drawn on its bottom edge: say so
        self.grad_note = ax_grad.text(0.03, 0.04, "", transform=ax_grad.transAxes, ha="left",
                                      va="bottom", fontsize=8, color="#c62828")
        ax_grad.set_xticks(layers_with_w)
        ax_grad.legend(loc="lower right", fontsize=7)
        self.figure.tight_layout()
        self.view.animate(self.batch_line, self.eval_line, self.other_line, self.cost_note,
                          self.z_note,
                          *self.after_patches, *self.before_patches, self.grad_start_line,
                          self.grad_now_line, self.grad_note)

    # ---------------------------------------------------------------- one setting

    def key(self, batch_norm: bool | None = None) -> tuple:
        c = self.controls
        bn = c["batch_norm"].value if batch_norm is None else batch_norm
        return (round(c["scale"].value, 8), round(c["lr"].value, 8), c["batch_size"].value,
                bool(bn), c["activation"].value)

    def spec(self) -> network.Spec:
        return network.Spec((2,) + (self.width,) * self.depth + (1,),
                            activation=self.controls["activation"].value,
                            batch_norm=self.controls["batch_norm"].value)

    def update(self) -> None:
        """Show the current setting: from the cache, or train it with live frames."""
        self._show_setting(self._train, self._show)

    def _snapshot(self, spec, params, state):
        """Histograms of each hidden layer's z (and of W a before BN) and the gradient norms,
        from one training-mode pass over the whole training set."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _, grads, cache = network.loss_and_grads(spec, params, self.X, self.Y, state,
                                                     train=True, check=False)
            after = [plotting.ridge_heights(np.nan_to_num(Z), self.bins) for Z in cache.pre]
            before = None
            if any(spec.batch_norm):
                before = [plotting.ridge_heights(np.nan_to_num(layer[0][1] @ layer[0][0]), self.bins)
                          for layer in cache.layers[:-1]]
            norms = np.array([np.linalg.norm(grads[f"dW{l}"])
                              for l in range(1, spec.n_layers + 1)])
        return after, before, norms

    def _train(self) -> Result:
        scale, lr, batch_size, bn, activation = self.key()
        spec = self.spec()
        params = network.init_params(spec, initializers.get("normal", scale=scale), rng=self.seed)
        state = network.init_state(spec)
        after, before, grad_start = self._snapshot(spec, params, state)
        partial = Result(np.array([]), np.array([]), np.array([]), after, before, grad_start,
                         np.full(grad_start.size, np.nan), f"{self._describe()}: training...")
        self._show(partial)
        last_frame = [time.perf_counter()]

        def draw_progress(hist, step, current, current_state):
            if time.perf_counter() - last_frame[0] >= FRAME_SECONDS:
                partial.costs = np.asarray(hist.costs)
                partial.eval_steps = np.asarray(hist.evals["step"])
                partial.eval_costs = np.asarray(hist.evals["train_cost"])
                partial.z_after, partial.z_before, partial.grad_now = self._snapshot(
                    spec, current, current_state)
                partial.z_when = f"at step {step:,}"
                partial.status = f"{self._describe()}: training, step {step:,} of {self.steps:,}"
                self._show(partial)
                last_frame[0] = time.perf_counter()

        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizers.sgd(lr), steps=self.steps,
                              batch_size=None if batch_size >= self.X.shape[1] else batch_size,
                              rng=self.seed, eval_every=EVAL_EVERY, callback=draw_progress,
                              callback_every=EVAL_EVERY, progress=False)
        seconds = time.perf_counter() - start
        result = self._result(spec, hist, (after, before, grad_start), seconds)
        self._show(result)
        return result

    def _result(self, spec, hist, start: tuple, seconds) -> Result:
        """The finished run. start: the snapshot at the start; after divergence the
        histograms stay there, since the last weights produce NaN."""
        grad_start = start[2]
        if hist.diverged:
            after, before, _ = start
            grad_now, when = np.full(grad_start.size, np.nan), "at the start (the run diverged)"
        else:
            after, before, grad_now = self._snapshot(spec, hist.params, hist.state)
            when = f"after {hist.steps:,} steps"
        with np.errstate(over="ignore", invalid="ignore"):
            train_acc = network.accuracy(spec, hist.params, self.X, self.Y, hist.state)
            test_acc = network.accuracy(spec, hist.params, self.X_test, self.Y_test, hist.state)
            Z_L, _ = network.forward(spec, hist.params, self.X, hist.state, train=True)
            train_mode_acc = float(np.mean((Z_L > 0) == self.Y))
        result = Result(np.asarray(hist.costs), np.asarray(hist.evals["step"]),
                        np.asarray(hist.evals["train_cost"], dtype=float), after, before,
                        grad_start, grad_now, when, train_acc=train_acc, test_acc=test_acc,
                        extra={"train_mode_acc": train_mode_acc})
        result.status, result.level = self._verdict(hist, result, seconds)
        return result

    def _describe(self) -> str:
        scale, lr, batch_size, bn, activation = self.key()
        batch = "the full batch" if batch_size >= self.X.shape[1] else f"batches of {batch_size}"
        return (f"{'With' if bn else 'Without'} BN, {activation}, weight std {scale:.2g}, "
                f"learning rate {lr:.2g}, {batch}")

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
        train_mode = result.extra.get("train_mode_acc", np.nan)
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

    def _show(self, result: Result) -> None:
        costs = np.asarray(result.costs, dtype=float)
        steps = np.arange(costs.size)
        bad = plotting.first_non_finite(costs)
        shown = slice(None) if bad is None else slice(0, bad)
        self.batch_line.set_data(steps[shown], np.clip(costs[shown], *COST_LIMITS))
        eval_costs = np.asarray(result.eval_costs, dtype=float)
        finite = np.isfinite(eval_costs)
        self.eval_line.set_data(np.asarray(result.eval_steps)[finite],
                                np.clip(eval_costs[finite], *COST_LIMITS))
        other = self._cache.get(self.key(batch_norm=not self.controls["batch_norm"].value))
        if other is not None:
            other_costs = np.asarray(other.eval_costs, dtype=float)
            ok = np.isfinite(other_costs)
            self.other_line.set_data(np.asarray(other.eval_steps)[ok],
                                     np.clip(other_costs[ok], *COST_LIMITS))
        else:
            self.other_line.set_data([], [])
        if bad is not None:
            self.cost_note.set_text(f"diverged at step {bad:,}")
        elif costs.size and costs.max() > COST_LIMITS[1]:
            self.cost_note.set_text(f"peak cost {costs.max():.1e} (off the scale)")
        else:
            self.cost_note.set_text("")

        self.z_note.set_text(result.z_when)
        for i, (patch, heights) in enumerate(zip(self.after_patches, result.z_after)):
            patch.set_data(heights + i, self.bins, baseline=i)
        for i, patch in enumerate(self.before_patches):
            if result.z_before is None:
                patch.set_visible(False)
            else:
                patch.set_visible(True)
                patch.set_data(result.z_before[i] + i, self.bins, baseline=None)

        layers_with_w = np.arange(1, result.grad_start.size + 1)
        self.grad_start_line.set_data(layers_with_w, plotting._loggable(
            np.clip(result.grad_start, *GRAD_LIMITS), True))
        self.grad_now_line.set_data(layers_with_w, plotting._loggable(
            np.clip(result.grad_now, *GRAD_LIMITS), True))
        shown = np.concatenate([result.grad_start, result.grad_now])
        below = np.sum(np.isfinite(shown) & (shown < GRAD_LIMITS[0]))
        self.grad_note.set_text(f"{below} point{'s' if below != 1 else ''} below "
                                f"{GRAD_LIMITS[0]:.0e}, drawn on the bottom edge" if below else "")
        self.say(result.status, result.level)
        self.view.redraw()
        self._frame_shown()


def _times(ratio: float) -> str:
    """'2,345 times' or, for huge ratios, 'about 10^12 times'."""
    return f"{ratio:,.0f} times" if ratio < 1e5 else f"about 10^{int(np.log10(ratio))} times"


def batchnorm_dashboard(**options) -> BatchNormDashboard:
    """The dashboard of 06_batch_normalization; see BatchNormDashboard for the options."""
    return BatchNormDashboard(**options)
