"""The training loop: `train(spec, params, X, Y, optimizer, steps=...) -> History`.

One loop for every notebook: full batch or minibatches, L1/L2 penalties, gradient clipping,
early stopping on a validation set, per-layer statistics on request, and a callback every
k steps that dashboards use to draw while training runs (and that may stop the run).
A run whose cost becomes NaN or inf stops and says "diverged at step k".

The options come as small records, so that a call reads as a sentence:

    hist = train(spec, params, X, Y, optimizers.sgd(0.1), steps=2000,
                 penalty=L2(0.3), clip=ClipNorm(5.0),
                 validation=Validation(X_val, Y_val, every=10, patience=50))
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import losses
from . import network as net
from . import optimizers as opt
from ._validate import as_rng, finite_array, positive_int, positive_number

# A progress bar appears only for runs projected to take over PROGRESS_OVER_SECONDS (judged
# after PROGRESS_AFTER_SECONDS), so the short runs of the notebooks never show one.
PROGRESS_AFTER_SECONDS = 2.0
PROGRESS_OVER_SECONDS = 60.0  # notebook runs stay far below, even on a busy machine

# A run "at chance" ends with a cost of at least this fraction of the chance cost (see
# History.at_chance): within 5% of what guessing the class frequencies gives.
CHANCE_FRACTION = 0.95

# What record_every records besides the activations' mean and std and the gradient norms,
# for the training doctor (course_utils.doctor). A sigmoid or tanh unit is "saturated" on an
# example when |z| exceeds SATURATION_Z: there the slope has fallen to about 7% of its peak
# (sigmoid'(4) = 0.018 = 7% of 0.25; tanh'(2) = 0.071 = 7% of 1), so little gradient passes.
SATURATION_Z = {"sigmoid": 4.0, "sigmoid_centered": 4.0, "tanh": 2.0}


@dataclass
class History:
    """What happened during a run.

    costs: the cost at every step, before that step's update (penalties included).
    params, state: the final parameters and state (the best ones with early stopping).
    diverged_at: the step whose cost was NaN or inf, else None.
    chance_cost: the cost of guessing the training labels' class frequencies (set by
        train(); see chance_cost()), against which `verdict` judges "at chance".
    steps_per_epoch: updates per pass over the data (1 for full batch), over which
        `judged_cost` averages minibatch costs.
    evals: records every `validation.every` steps (see Validation): {"step", "train_cost",
        "train_acc", "val_cost", "val_acc"} lists (val_* only with a validation set).
    layer_stats: records every `record_every` steps: {"step": (R,), "act_mean", "act_std":
        (R, L-1) per hidden layer, "grad_norm": (R, L) of each dW}, and for the training
        doctor: "saturated" (R, L-1), the fraction of a sigmoid or tanh layer's pre-activations
        with |z| > SATURATION_Z (NaN for other activations); "never_active" (R, L-1), the
        fraction of a layer's units with z <= 0 on every example of the batch; "update_ratio"
        (R, L), ||W after - W before|| / ||W before|| of that step's update (NaN where W = 0).
    batch_size: the batch size of the run (None: full batch).
    nonfinite: where the cost became NaN or inf, when it did: {"step", "layer" (1..L, or None
        for the cost itself), "where": "parameters" | "pre-activations" | "activations" |
        "logits" | "cost"}, the first place in forward order holding a NaN or inf.
    """

    costs: np.ndarray | list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    steps: int = 0
    diverged_at: int | None = None
    stopped_early: bool = False
    stopped_by_callback: bool = False
    best_step: int | None = None
    evals: dict = field(default_factory=dict)
    layer_stats: dict = field(default_factory=dict)
    seconds: float = 0.0
    chance_cost: float | None = None
    steps_per_epoch: int = 1
    batch_size: int | None = None
    nonfinite: dict | None = None

    @property
    def final_cost(self) -> float:
        return float(self.costs[-1]) if len(self.costs) else float("nan")

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def blew_up_at(self) -> int | None:
        """The step of the peak cost when a finite run's cost rose over 100 times its start
        (weights exploded, and often the network died after), else None."""
        costs = np.asarray(self.costs, dtype=float)
        if self.diverged or costs.size < 2 or not costs[0] > 0:
            return None
        peak = int(np.argmax(costs))
        return peak if costs[peak] > 100 * costs[0] else None

    @property
    def stalled(self) -> bool:
        """True when the cost did not move (relative change < 1e-6 over the whole run)."""
        costs = np.asarray(self.costs, dtype=float)
        if self.diverged or costs.size < 2:
            return False
        return bool(np.ptp(costs) <= 1e-6 * max(abs(costs[0]), 1e-12))

    @property
    def judged_cost(self) -> float:
        """The cost the verdict reads: the last step's cost on full-batch runs; on minibatch
        runs, where one batch's cost is noisy, the mean over the last epoch's steps."""
        costs = np.asarray(self.costs, dtype=float)
        if not costs.size:
            return float("nan")
        return float(costs[-self.steps_per_epoch:].mean())

    @property
    def at_chance(self) -> bool:
        """True when the judged cost is still within CHANCE_FRACTION of `chance_cost` (or
        above it): the network has learned next to nothing beyond the class frequencies."""
        if self.diverged or self.chance_cost is None or not len(self.costs):
            return False
        return bool(self.judged_cost >= CHANCE_FRACTION * self.chance_cost)

    @property
    def verdict(self) -> str:
        """How the run ended, in one word, judged from the numbers alone (the same rules for
        every notebook and dashboard), checked in this order:

        "diverged"  the cost became NaN or inf;
        "blew up"   a finite cost rose over 100 times its start (see blew_up_at);
        "stalled"   the cost did not move (see stalled);
        "at chance" the judged cost (see judged_cost) is no better than guessing the
                    class frequencies (see at_chance), whatever it started from;
        "got worse" the judged cost is above the first;
        "learned"   otherwise: the cost fell below chance and below its start.
        """
        if self.diverged:
            return "diverged"
        if not len(self.costs):
            return "not trained"
        if self.blew_up_at is not None:
            return "blew up"
        if self.stalled:
            return "stalled"
        if self.at_chance:
            return "at chance"
        if self.judged_cost > float(self.costs[0]):
            return "got worse"
        return "learned"

    def status(self) -> str:
        """One sentence on how the run ended (see `verdict`), starting with a capital, for
        printing or a dashboard's status line."""
        costs = np.asarray(self.costs, dtype=float)
        verdict = self.verdict
        if verdict == "diverged":
            what = "NaN" if np.isnan(costs[-1]) else "inf"
            return f"Diverged at step {self.diverged_at:,}: the cost became {what}"
        if verdict == "not trained":
            return "Not trained (0 steps)"
        chance = "" if self.chance_cost is None else f" (chance: {self.chance_cost:.3f})"
        # The cost the verdict read: on minibatch runs, the last epoch's mean (see judged_cost).
        end = self.judged_cost
        end_text = f"{end:.4g}" if self.steps_per_epoch == 1 else f"{end:.4g} (last epoch's mean)"
        if verdict == "blew up":
            text = (f"Blew up: the cost rose to {costs[self.blew_up_at]:.1e} at step "
                    f"{self.blew_up_at:,}; after {self.steps:,} steps it is {costs[-1]:.4g}")
        elif verdict == "stalled":
            text = f"Stalled: the cost stayed at {costs[0]:.4f} for {self.steps:,} steps"
        elif verdict == "at chance":
            text = (f"At chance after {self.steps:,} steps: cost {costs[0]:.4g} -> "
                    f"{end_text}, no better than guessing the class frequencies{chance}")
        elif verdict == "got worse":
            text = f"Got worse: the cost rose from {costs[0]:.4g} to {end_text} in {self.steps:,} steps"
        else:
            text = f"Learned: cost {costs[0]:.4g} -> {end_text} in {self.steps:,} steps"
        if self.stopped_early:
            text += f"; stopped early, best validation cost at step {self.best_step:,}"
        if self.stopped_by_callback:
            text += " (stopped by the callback)"
        return text


# ---------------------------------------------------------------- train()'s options


@dataclass(frozen=True)
class L2:
    """The L2 penalty lambd / (2m) sum_l ||W_l||^2 on the weights (losses.l2_penalty), with
    m the number of training examples. train(..., penalty=L2(0.3))."""

    lambd: float

    def __post_init__(self):
        positive_number(self.lambd, "L2's lambd", allow_zero=True)


@dataclass(frozen=True)
class L1:
    """The L1 penalty lambd / m sum_l |W_l| on the weights (losses.l1_penalty).

    proximal=False: its subgradient joins the cost's gradient (weights hover around 0).
    proximal=True: after each update, W <- soft_threshold(W, lr * lambd / m), lr being the
    rate of that step (exact zeros). With plain `sgd` (no weight decay) this is proximal
    gradient descent (ISTA) on cost + L1. With any other optimizer it is a heuristic, not
    ISTA: the same fixed shrinkage lr * lambd / m follows a step that momentum made from past
    gradients or that Adam, RMSProp or AdaGrad rescaled per weight, and the L1 term never
    enters the momentum or the adaptive scaling. It still gives exact zeros.
    train(..., penalty=L1(0.1, proximal=True)).
    """

    lambd: float
    proximal: bool = False

    def __post_init__(self):
        positive_number(self.lambd, "L1's lambd", allow_zero=True)
        if not isinstance(self.proximal, bool):
            raise TypeError(f"L1's proximal must be True or False, got {self.proximal!r}")


@dataclass(frozen=True)
class ClipValue:
    """Clip every gradient entry to [-threshold, threshold] (optimizers.clip_by_value).
    Changes the gradient's direction. train(..., clip=ClipValue(1.0))."""

    threshold: float

    def __post_init__(self):
        positive_number(self.threshold, "ClipValue's threshold")

    def apply(self, grads: dict) -> dict:
        return opt.clip_by_value(grads, self.threshold)


@dataclass(frozen=True)
class ClipNorm:
    """Rescale all gradients together so that their global norm is at most threshold
    (optimizers.clip_by_norm). Keeps the direction. train(..., clip=ClipNorm(5.0))."""

    threshold: float

    def __post_init__(self):
        positive_number(self.threshold, "ClipNorm's threshold")

    def apply(self, grads: dict) -> dict:
        return opt.clip_by_norm(grads, self.threshold)


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value to compare
class Validation:
    """Evaluate every `every` steps, and stop early after `patience` evaluations without a
    better validation cost.

    X_val (n_x, m_val), Y_val (n_L, m_val): the validation set. Each evaluation records the
    evaluation-mode cost and accuracy on the training set and on the validation set (and at
    step 0, before any update) in History.evals. Without a validation set
    (Validation(every=50)) only the training set is evaluated.
    patience: None (train all the steps) or a number of evaluations; the best parameters seen
    (step 0's included) are then restored, with their state. Needs a validation set.
    train(..., validation=Validation(X_val, Y_val, every=10, patience=50)).
    """

    X_val: np.ndarray | None = None
    Y_val: np.ndarray | None = None
    every: int = 100
    patience: int | None = None

    def __post_init__(self):
        if (self.X_val is None) != (self.Y_val is None):
            raise ValueError("Validation needs both X_val and Y_val, or neither")
        if self.X_val is not None:
            finite_array(self.X_val, "X_val")
            finite_array(self.Y_val, "Y_val")
        positive_int(self.every, "Validation's every")
        if self.patience is not None:
            positive_int(self.patience, "Validation's patience")
            if self.X_val is None:
                raise ValueError("early stopping (patience) needs a validation set: "
                                 "Validation(X_val, Y_val, patience=...)")


def _check_option(value, name: str, kinds: tuple, example: str) -> None:
    """None or one of `kinds`, or a TypeError naming the argument and what it takes."""
    if value is not None and not isinstance(value, kinds):
        raise TypeError(f"{name} must be None or {example}, got {type(value).__name__} {value!r}")


CLIP_OPTIONS = ("None, cu.ClipValue(threshold), cu.ClipNorm(threshold) or a function "
                "grads -> grads")


def _check_clip(clip) -> None:
    """None, ClipValue, ClipNorm or a function of the gradients; else a TypeError."""
    if clip is None or isinstance(clip, (ClipValue, ClipNorm)):
        return
    if isinstance(clip, type):  # clip=cu.ClipNorm: the class, not an option
        raise TypeError(f"clip={clip.__name__} needs its threshold, e.g. "
                        f"clip=cu.{clip.__name__}(5.0)")
    if not callable(clip):
        raise TypeError(f"clip must be {CLIP_OPTIONS}, got {type(clip).__name__} {clip!r}")


def _clipped(clip, grads: dict) -> dict:
    """The gradients after `clip` (see _check_clip). A function's result must be a dict
    with the keys and shapes of `grads`, or a TypeError says what came back."""
    if isinstance(clip, (ClipValue, ClipNorm)):
        return clip.apply(grads)
    out = clip(grads)
    if not isinstance(out, dict):
        raise TypeError(f"the clip function must return a dict of gradients like the one it "
                        f"was given, got {type(out).__name__}")
    if set(out) != set(grads):
        raise TypeError(f"the clip function must return the keys it was given "
                        f"{sorted(grads)}, got {sorted(out)}")
    for key, g in grads.items():
        if np.shape(out[key]) != g.shape:
            raise TypeError(f"the clip function returned {key} with shape "
                            f"{np.shape(out[key])}, expected {g.shape}")
    return out


# Keywords that train() took before its options were grouped, and what to write instead.
_REMOVED_KEYWORDS = {
    "l2": "penalty=cu.L2({value})",
    "l1": "penalty=cu.L1({value})",
    "l1_proximal": "penalty=cu.L1(lambd, proximal=True)",
    "clip_value": "clip=cu.ClipValue({value})",
    "clip_norm": "clip=cu.ClipNorm({value})",
    "X_val": "validation=cu.Validation(X_val, Y_val, every=..., patience=...)",
    "Y_val": "validation=cu.Validation(X_val, Y_val, every=..., patience=...)",
    "eval_every": "validation=cu.Validation(X_val, Y_val, every={value})",
    "patience": "validation=cu.Validation(X_val, Y_val, patience={value})",
}


def _reject_keywords(given: dict) -> None:
    """A TypeError for keywords train() does not take, saying what to write for old ones."""
    for name, value in given.items():
        if name not in _REMOVED_KEYWORDS:
            raise TypeError(f"train() got an unexpected keyword argument {name!r}")
        shown = f"{value:g}" if isinstance(value, float) else repr(value)
        instead = _REMOVED_KEYWORDS[name].format(value=shown)
        raise TypeError(f"train() no longer takes {name}=; write {instead}")


def chance_cost(Y: np.ndarray) -> float:
    """The cross-entropy of predicting each class's frequency in Y for every example: what
    a network that learned nothing from the inputs can reach. ln 2 for balanced binary
    labels, ln K for K balanced classes. Y: (1, m) 0/1 labels or (K, m) one-hot."""
    Y = np.asarray(Y, dtype=float)
    if Y.shape[0] == 1:
        freq = np.array([Y.mean(), 1 - Y.mean()])
    else:
        freq = Y.mean(axis=1)
    freq = freq[freq > 0]
    return float(-(freq * np.log(freq)).sum())


def minibatches(X: np.ndarray, Y: np.ndarray, batch_size: int, rng) -> list:
    """Shuffle the examples with `rng` and cut them into batches of `batch_size` (the last
    one may be smaller): the source course's random_mini_batches, with an explicit rng.
    X (n_x, m), Y (n_y, m) -> list of (X_batch, Y_batch). rng: an int seed or a Generator."""
    batch_size = positive_int(batch_size, "batch_size")
    m = X.shape[1]
    order = as_rng(rng, purpose="to shuffle the examples").permutation(m)
    X, Y = X[:, order], Y[:, order]
    return [(X[:, k:k + batch_size], Y[:, k:k + batch_size]) for k in range(0, m, batch_size)]


def _batches(X, Y, batch_size, rng):
    """Endless stream of batches: the full batch every step, or a reshuffle every epoch."""
    m = X.shape[1]
    if batch_size is None or batch_size >= m:
        while True:
            yield X, Y
    while True:
        yield from minibatches(X, Y, batch_size, rng)


def _record_layer_stats(stats: dict, step: int, cache, grads: dict, spec) -> None:
    stats["step"].append(step)
    stats["act_mean"].append([float(A.mean()) for A in cache.hidden])
    stats["act_std"].append([float(A.std()) for A in cache.hidden])
    stats["grad_norm"].append([float(np.linalg.norm(grads[f"dW{l}"]))
                               for l in range(1, spec.n_layers + 1)])
    stats["saturated"].append([_saturated_fraction(Z, name)
                               for Z, name in zip(cache.pre, spec.activation)])
    stats["never_active"].append([float(np.mean(np.all(Z <= 0, axis=1))) for Z in cache.pre])


def _saturated_fraction(Z: np.ndarray, activation: str) -> float:
    """The fraction of entries of Z (n, m) with |z| > SATURATION_Z; NaN for an activation
    that does not saturate that way (ReLU and its kin)."""
    if activation not in SATURATION_Z:
        return float("nan")
    return float(np.mean(np.abs(Z) > SATURATION_Z[activation]))


def _record_update_ratio(stats: dict, before: dict, after: dict, L: int) -> None:
    """||W after - W before|| / ||W before|| per layer, for the step just taken."""
    ratios = []
    for l in range(1, L + 1):
        size = np.linalg.norm(before[f"W{l}"])
        step = np.linalg.norm(after[f"W{l}"] - before[f"W{l}"])
        ratios.append(float(step / size) if size > 0 else float("nan"))
    stats["update_ratio"].append(ratios)


def _first_nonfinite(params: dict, cache, L: int) -> dict:
    """The first place, in forward order, holding a NaN or inf: layer l's parameters (W{l},
    b{l}, gamma{l}, ...), then its pre-activations and activations; then the logits; else
    the cost itself."""
    for l in range(1, L + 1):
        own = [p for key, p in params.items() if re.fullmatch(rf"[a-zA-Z]+{l}", key)]
        if not all(np.all(np.isfinite(p)) for p in own):
            return {"layer": l, "where": "parameters"}
        if l < L and not np.all(np.isfinite(cache.pre[l - 1])):
            return {"layer": l, "where": "pre-activations"}
        if l < L and not np.all(np.isfinite(cache.hidden[l - 1])):
            return {"layer": l, "where": "activations"}
    if not np.all(np.isfinite(cache.logits)):
        return {"layer": L, "where": "logits"}
    return {"layer": None, "where": "cost"}


def _evaluate(spec, params, state, X, Y, X_val, Y_val) -> dict:
    """Evaluation-mode costs and accuracies on the training and validation sets (the data
    were checked once by train; one forward pass gives each set's cost and accuracy)."""
    record = {}
    for name, Xs, Ys in (("train", X, Y), ("val", X_val, Y_val)):
        if Xs is None:
            continue
        Z_L, _ = net.forward_unchecked(spec, params, Xs, state, train=False)
        record[f"{name}_cost"], _ = net.output_loss(spec)(Z_L, Ys, check=False)
        if spec.output != "linear":
            record[f"{name}_acc"] = net.accuracy_from_logits(spec, Z_L, Ys)
    return record


def _append_eval(evals: dict, step: int, record: dict) -> None:
    evals["step"].append(step)
    for k, v in record.items():
        evals.setdefault(k, []).append(v)


class _Progress:
    """A tqdm.auto bar for long runs only (see PROGRESS_OVER_SECONDS), removed when the run
    ends (also when it stops early or diverges), so a stored notebook keeps no timing text.

    On a terminal, tqdm's leave=False clears the line. In a notebook tqdm.auto gives a widget
    bar; its display would also carry a text/plain copy of the bar ("training: 3%|...it/s]"),
    which a notebook stores even after the widget is closed. So the widget is displayed
    without that copy, under a display id, and at the end its texts are blanked, the widget
    closed and the display updated to nothing.
    """

    def __init__(self, total: int, mode):
        self.total, self.mode, self.start = total, mode, time.perf_counter()
        self.bar = self.display = None

    def _long_run(self, step: int) -> bool:
        elapsed = time.perf_counter() - self.start
        if elapsed < PROGRESS_AFTER_SECONDS or step == 0:
            return False
        return elapsed * self.total / step > PROGRESS_OVER_SECONDS

    def _open(self, step: int) -> None:
        from tqdm.auto import tqdm
        options = dict(total=self.total, initial=step, leave=False, desc="training")
        if not any(cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__):
            self.bar = tqdm(**options)  # a terminal: text on stderr, cleared at the end
            return
        from IPython.display import display
        self.bar = tqdm(**options, display=False)
        view = self.bar.container._repr_mimebundle_()
        view.pop("text/plain", None)  # the bar as text, timing included: never stored
        self.display = display(view, raw=True, display_id=True)

    def update(self, step: int):
        if self.mode is False:
            return
        if self.bar is None:
            if self.mode is True or self._long_run(step):
                self._open(step)
            return
        self.bar.update(step - self.bar.n)

    def close(self):
        if self.bar is None:
            return
        self.bar.close()
        if self.display is not None:
            for text in self.bar.container.children[::2]:  # the description and the timing
                text.value = ""
            self.bar.container.close()
            self.display.update({}, raw=True)  # the output keeps nothing to show or store


def _validate_train_args(spec, params, X, Y, steps, epochs, batch_size, validation):
    net.check_params(spec, params)
    net.check_data(spec, X, Y)
    if validation is not None and validation.X_val is not None:
        net.check_data(spec, validation.X_val, validation.Y_val, "X_val", "Y_val")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps (updates) or epochs (passes over the data)")
    if batch_size is not None:
        positive_int(batch_size, "batch_size")
    m = X.shape[1]
    per_epoch = 1 if batch_size is None else -(-m // batch_size)  # ceil(m / batch_size)
    total = positive_int(steps, "steps", 0) if steps is not None else positive_int(epochs, "epochs", 0) * per_epoch
    return total


def train(spec: net.Spec, params: dict, X: np.ndarray, Y: np.ndarray,
          optimizer: opt.Optimizer, *, steps: int | None = None, epochs: int | None = None,
          batch_size: int | None = None, rng=None, state: dict | None = None,
          penalty: L2 | L1 | None = None,
          clip: ClipValue | ClipNorm | Callable[[dict], dict] | None = None,
          validation: Validation | None = None, record_every: int | None = None,
          callback: Callable | None = None, callback_every: int = 100,
          progress="auto", **removed) -> History:
    """Train `params` (not changed: the result is in History.params).

    steps / epochs: how long (exactly one). Full batch unless batch_size is given; then each
        epoch reshuffles with `rng` (also used for dropout masks and RReLU slopes).
    rng: an int seed or a numpy Generator; required when something is drawn (minibatches
        smaller than the data, dropout, RReLU), so every run can be repeated.
    penalty: None, L2(lambd) or L1(lambd, proximal=False), on the weights W only: cost +
        lambd/(2m) sum||W||^2 or + lambd/m sum|W|, with m the number of training examples,
        also when training on minibatches. L1(..., proximal=True) soft-thresholds the
        weights after each update instead (exact zeros; see L1).
    clip: None, ClipValue(threshold) (by entry), ClipNorm(threshold) (by global norm), or
        your own function grads -> grads (a dict with the same keys and shapes, e.g.
        lambda grads: my_clip(grads, 5.0)), applied to the gradient of the cost with its
        penalty, before the step (after record_every's statistics, which see it unclipped).
    validation: None or Validation(X_val, Y_val, every=100, patience=None): evaluate every
        `every` steps (costs and accuracies in History.evals), and at step 0; with
        patience, stop early and restore the best parameters seen (see Validation).
    record_every: per-layer statistics every k steps (History.layer_stats): activation
        mean/std and gradient norms, and for the training doctor the saturated and
        never-active fractions and the update-to-weight ratios. Off (None) by default.
    callback(history, step, params, state): called every callback_every steps while training
        (history.costs is the list so far); return True to stop the run.
    progress: "auto" (a bar only for runs projected to take over PROGRESS_OVER_SECONDS),
        True or False. The bar is removed when the run ends: no timing text stays in a
        stored notebook.
    The keywords of the old interface (l2=, l1=, l1_proximal=, clip_value=, clip_norm=,
    X_val=, Y_val=, eval_every=, patience=) raise a TypeError that says what to write.
    """
    _reject_keywords(removed)
    _check_option(penalty, "penalty", (L2, L1), "cu.L2(lambd) or cu.L1(lambd, proximal=False)")
    _check_clip(clip)
    _check_option(validation, "validation", (Validation,),
                  "cu.Validation(X_val, Y_val, every=100, patience=None)")
    total = _validate_train_args(spec, params, X, Y, steps, epochs, batch_size, validation)
    # Contiguous float copies: int labels would be converted at every step, and products
    # with a transposed view are slower.
    X, Y = np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(Y, dtype=float)
    if not isinstance(optimizer, opt.Optimizer):
        raise TypeError("optimizer must be an Optimizer, e.g. cu.optimizers.sgd(lr=0.01), "
                        f"got {type(optimizer).__name__}")
    if not (progress is True or progress is False or progress == "auto"):
        raise ValueError(f"progress must be 'auto', True or False, got {progress!r}")
    for value, name in ((record_every, "record_every"), (callback_every, "callback_every")):
        if value is not None:
            positive_int(value, name)
    # The loop below reads the options as plain numbers: 0 or None means "off".
    l2 = penalty.lambd if isinstance(penalty, L2) else 0.0
    l1 = penalty.lambd if isinstance(penalty, L1) else 0.0
    l1_proximal = isinstance(penalty, L1) and penalty.proximal
    X_val = validation.X_val if validation is not None else None
    Y_val = validation.Y_val if validation is not None else None
    eval_every = validation.every if validation is not None else None
    patience = validation.patience if validation is not None else None
    if rng is not None:
        rng = as_rng(rng)
    elif spec.needs_rng:
        rng = as_rng(rng, purpose="to train with dropout or RReLU (masks and slopes are drawn)")
    elif batch_size is not None and batch_size < X.shape[1]:
        rng = as_rng(rng, purpose=f"to shuffle the examples into batches of {batch_size}")

    hist = History(params=params, state=dict(state) if state is not None else net.init_state(spec),
                   chance_cost=chance_cost(Y),
                   steps_per_epoch=1 if batch_size is None else -(-X.shape[1] // batch_size),
                   batch_size=batch_size)
    if eval_every:
        hist.evals = {"step": []}
        _append_eval(hist.evals, 0, _evaluate(spec, params, hist.state, X, Y, X_val, Y_val))
    if record_every:
        hist.layer_stats = {"step": [], "act_mean": [], "act_std": [], "grad_norm": [],
                            "saturated": [], "never_active": [], "update_ratio": []}
    costs = hist.costs
    opt_state = optimizer.init(params)
    L = spec.n_layers
    m_train = X.shape[1]
    if patience is not None:  # the starting point is a candidate too: step 0's evaluation
        best_val, evals_since_best = hist.evals["val_cost"][0], 0
        hist.best_step, best = 0, (params, hist.state)
    batches = _batches(X, Y, batch_size, rng)
    bar = _Progress(total, progress)
    start = time.perf_counter()
    # Overflow in a diverging run is expected and reported in words (History.status()),
    # so numpy's overflow warnings are silenced inside the loop.
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            for step in range(total):
                Xb, Yb = next(batches)
                # Penalties use m = the whole training set's size, also on a minibatch: the
                # minibatch gradient is then an unbiased estimate of the full objective's.
                cost, grads, cache = net.loss_and_grads(
                    spec, params, Xb, Yb, hist.state, True, rng, l2,
                    0.0 if l1_proximal else l1, check=False, n_examples=m_train)
                if l1 and l1_proximal:  # in the cost, but applied by soft-thresholding below
                    cost += losses.l1_penalty(params, l1, m_train)[0]
                costs.append(cost)
                if not math.isfinite(cost):
                    hist.diverged_at = step
                    hist.nonfinite = {"step": step, **_first_nonfinite(params, cache, L)}
                    break

                recording = record_every and step % record_every == 0
                if recording:
                    _record_layer_stats(hist.layer_stats, step, cache, grads, spec)
                    params_before = params
                if clip is not None:
                    grads = _clipped(clip, grads)

                if l1 and l1_proximal:
                    lr_now = optimizer.lr_at(opt_state["step"])
                params, opt_state = optimizer.update(params, grads, opt_state)
                if l1 and l1_proximal:
                    threshold = lr_now * l1 / m_train
                    params = {k: losses.soft_threshold(p, threshold) if losses.is_weight(k) else p
                              for k, p in params.items()}
                if recording:
                    _record_update_ratio(hist.layer_stats, params_before, params, L)
                hist.state = cache.state
                hist.params, hist.steps = params, step + 1

                if eval_every and (step + 1) % eval_every == 0:
                    record = _evaluate(spec, params, hist.state, X, Y, X_val, Y_val)
                    _append_eval(hist.evals, step + 1, record)
                    if patience is not None:
                        if record["val_cost"] < best_val:
                            best_val, evals_since_best = record["val_cost"], 0
                            hist.best_step, best = step + 1, (params, hist.state)
                        else:
                            evals_since_best += 1
                            if evals_since_best >= patience:
                                hist.stopped_early = True
                                break
                if callback is not None and (step + 1) % callback_every == 0:
                    if callback(hist, step + 1, params, hist.state):
                        hist.stopped_by_callback = True
                        break
                bar.update(step + 1)
        finally:
            bar.close()

    if patience is not None:
        hist.params, hist.state = best  # early stopping returns the best parameters seen
    hist.seconds = time.perf_counter() - start
    hist.costs = np.asarray(costs, dtype=float)
    if hist.layer_stats:
        hist.layer_stats = {k: np.asarray(v) for k, v in hist.layer_stats.items()}
    return hist
