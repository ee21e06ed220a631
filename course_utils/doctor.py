"""The training doctor: reads a run and says what went wrong, why, and what to try.

    hist = cu.train(spec, params, X, Y, optimizer, steps=600, batch_size=64, rng=0,
                    record_every=10, validation=cu.Validation(X_val, Y_val, every=20))
    report = cu.diagnose(hist, spec, X, Y)
    report            # a table in a notebook; print(report) as text
    report.codes      # ("dead_relus", "stuck_at_chance"): the faults, most important first

Each finding says what was measured (numbers), the probable cause, what to try and the
notebook that teaches it. The findings come in a fixed order of importance, the order in
which to fix things: the data first, then the set-up, then what the numbers did (NaN,
exploding, diverging), then what the layers did (saturated, vanishing, dead), then the
symptoms those explain (stalled updates, a run at chance), then generalization.

What the doctor reads: the cost per step (History.costs), the per-layer statistics that
`train(..., record_every=k)` records (gradient norms, saturated and never-active fractions,
update-to-weight ratios), where a NaN appeared (History.nonfinite), the evaluations of a
`Validation`, and, when given, the spec, the final parameters and the data. A check whose
inputs are missing is skipped and said so in a note, never guessed.

The thresholds below are heuristics, each with where it comes from; the gallery of planted
faults and healthy runs (scripts/doctor_gallery.py, tests/claims/test_11_doctor_gallery.py)
is what shows they separate the two on the course's data.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from . import network as net
from .training import SATURATION_Z, History

# ---------------------------------------------------------------- thresholds

# Inputs: initializers (Xavier, He) assume inputs of about unit scale (01_input_normalization).
INPUT_SCALE_SPREAD = 100.0  # largest / median feature std: two orders of magnitude apart
INPUT_SCALE_LARGE = 5.0     # largest feature root-mean-square value: far above unit scale
# Batch norm's batch statistics get noisy in small batches; its error rises sharply below
# about 8 examples per batch (Wu & He, "Group Normalization", 2018, figure 1).
BN_SMALL_BATCH = 8
# Evaluation mode (running statistics) and training mode (the data's own statistics) should
# classify the training set about equally well once the running statistics have settled.
BN_MODE_GAP = 0.10          # accuracy difference between the two modes
# Gradients: notebook 02 measures ||dW1|| / ||dWL|| < 1e-2 for 6 sigmoid layers and between
# 0.1 and 10 for tanh and ReLU; beyond 1e2 the first layer's gradient explodes.
VANISHING_RATIO = 1e-2
EXPLODING_RATIO = 1e2
# A layer's gradient norm (of the mean cost) above this at any record: the gallery's healthy
# runs stay below 6 (tests/claims/test_11_doctor_gallery.py checks a margin), notebook 02's
# exploding run (2 x He, 6 ReLU layers) starts over 100 and ends in NaN.
EXPLODING_GRAD_NORM = 50.0
# Saturation: over half of a sigmoid/tanh layer's pre-activations beyond
# training.SATURATION_Z (slope below 7% of its peak), at the median record.
SATURATION_FRACTION = 0.5
# Dead ReLUs: over half of a ReLU layer's units never active on the training data.
DEAD_FRACTION = 0.5
# Update-to-weight ratio ||dW step|| / ||W||: "around 1e-3" is a heuristic from CS231n
# (Karpathy, "Neural Networks Part 3", babysitting the learning process). We flag only
# two orders of magnitude away from it on either side, at the median record.
UPDATE_RATIO_TYPICAL = 1e-3
UPDATE_RATIO_LOW = 1e-5     # every layer's: the learning rate is too small to move anything
UPDATE_RATIO_HIGH = 1e-1    # any layer's: each step rewrites a tenth of the weights
# Divergence: the cost, averaged per epoch (minibatches) or per step (full batch), rose to
# twice its starting value at some point, or ended above 1.2 times it.
DIVERGENCE_PEAK = 2.0
DIVERGENCE_END = 1.2
# At chance: History.at_chance (within 5% of the chance cost, or above), but not far above
# it (a cost far above chance is divergence's), or one class predicted for every example.
CHANCE_CEILING = 1.25
# Overfitting: the validation cost rose 10% above its best while the training cost kept
# falling, and training accuracy exceeds validation accuracy by 10 points or more (on a
# validation set of 100 examples a 5-point gap is within about two standard errors).
OVERFIT_VAL_RISE = 1.10
OVERFIT_ACC_GAP = 0.10

NOTEBOOKS = {
    "normalization": "01_input_normalization",
    "gradients": "02_vanishing_exploding_gradients",
    "initialization": "03_initialization",
    "activations": "04_activation_functions",
    "optimizers": "05_optimizers",
    "batchnorm": "06_batch_normalization",
    "regularization": "07_regularization",
}

# The order of importance: fix the first one first.
ORDER = ("unnormalized_inputs", "batchnorm_small_batch", "batchnorm_mode_mismatch",
         "non_finite", "exploding_gradients", "divergence", "symmetric_weights", "saturation",
         "vanishing_gradients", "dead_relus", "update_ratio", "stuck_at_chance", "overfitting")


# ---------------------------------------------------------------- findings and the report


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found.

    code: a stable name ("dead_relus", see ORDER); title: the same in words;
    measured: the numbers, as a sentence; cause: the probable cause; remedy: what to try;
    notebook: the notebook that teaches it ("04_activation_functions");
    severity: "fault" (something to fix) or "note" (information: a check not made, ...);
    numbers: the measured values by name, for dashboards and tests.
    """

    code: str
    title: str
    measured: str
    cause: str
    remedy: str
    notebook: str
    severity: str = "fault"
    numbers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"{self.title}: {self.measured}\n  probable cause: {self.cause}\n"
                f"  try: {self.remedy}\n  taught in: {self.notebook}")


@dataclass(frozen=True)
class Report:
    """The doctor's findings, faults first in the order of importance (ORDER), then notes.

    report.faults, report.notes: the two kinds; report.codes: the faults' codes in order;
    report.healthy: no fault found; report.rows(): one dict per finding, for a table or a
    dashboard panel; report.summary(): one sentence for a status line.
    """

    findings: tuple

    @property
    def faults(self) -> tuple:
        return tuple(f for f in self.findings if f.severity == "fault")

    @property
    def notes(self) -> tuple:
        return tuple(f for f in self.findings if f.severity != "fault")

    @property
    def codes(self) -> tuple:
        return tuple(f.code for f in self.faults)

    @property
    def healthy(self) -> bool:
        return not self.faults

    def __contains__(self, code: str) -> bool:
        return code in self.codes

    def __getitem__(self, code: str) -> Finding:
        for finding in self.findings:
            if finding.code == code:
                return finding
        raise KeyError(f"no finding {code!r}; the findings are {[f.code for f in self.findings]}")

    def rows(self) -> list:
        """One dict per finding: severity, finding, measured, cause, remedy, notebook."""
        return [{"severity": f.severity, "finding": f.title, "measured": f.measured,
                 "cause": f.cause, "remedy": f.remedy, "notebook": f.notebook}
                for f in self.findings]

    def summary(self) -> str:
        """One sentence: the faults' titles in order, or that none was found."""
        if self.healthy:
            return "No fault found"
        titles = [f.title for f in self.faults]
        return f"{len(titles)} finding{'s' * (len(titles) > 1)}: " + "; ".join(titles)

    def __str__(self) -> str:
        lines = [self.summary()]
        for i, f in enumerate(self.faults, 1):
            lines.append(f"{i}. {f}")
        for f in self.notes:
            lines.append(f"Note: {f.title}: {f.measured}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = ("<tr><th></th><th>finding</th><th>measured</th><th>probable cause</th>"
                "<th>try</th><th>notebook</th></tr>")
        body = []
        for i, f in enumerate(self.faults, 1):
            cells = [str(i), f"<b>{html.escape(f.title)}</b>", *(html.escape(text) for text in
                     (f.measured, f.cause, f.remedy, f.notebook))]
            body.append("<tr>" + "".join(f"<td style='text-align:left'>{c}</td>" for c in cells)
                        + "</tr>")
        table = (f"<table>{head}{''.join(body)}</table>" if body else "")
        notes = "".join(f"<li>{html.escape(f.title)}: {html.escape(f.measured)}</li>"
                        for f in self.notes)
        notes = f"<p>Notes:</p><ul>{notes}</ul>" if notes else ""
        return f"<div><p><b>{html.escape(self.summary())}</b></p>{table}{notes}</div>"


# ---------------------------------------------------------------- the checks


def _fmt(x: float) -> str:
    """A number for a sentence: 2 significant digits, powers of ten for tiny or huge ones."""
    if not np.isfinite(x):
        return str(x)
    return f"{x:.1e}" if x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4) else f"{x:.2g}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _stats(hist: History, key: str):
    """A recorded per-layer statistic as an (R, n) array, or None when not recorded."""
    value = hist.layer_stats.get(key) if hist.layer_stats else None
    if value is None or np.size(value) == 0:
        return None
    return np.asarray(value, dtype=float)


def _column_medians(values: np.ndarray) -> np.ndarray:
    """Median of each column over the finite records (NaN where a column has none)."""
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        column = values[:, j][np.isfinite(values[:, j])]
        if column.size:
            out[j] = np.median(column)
    return out


def check_inputs(X: np.ndarray) -> Finding | None:
    """Feature scales differing by orders of magnitude, or far above unit scale.
    X (n_x, m), the training inputs."""
    std = X.std(axis=1)
    varying = std[std > 1e-12]
    if varying.size == 0:
        return None
    spread = float(varying.max() / np.median(varying))
    largest = float(np.sqrt((X ** 2).mean(axis=1)).max())
    if spread < INPUT_SCALE_SPREAD and largest < INPUT_SCALE_LARGE:
        return None
    measured = (f"feature standard deviations from {_fmt(varying.min())} to {_fmt(varying.max())} "
                f"(largest / median {_fmt(spread)}); largest feature root-mean-square {_fmt(largest)}")
    return Finding(
        "unnormalized_inputs", "Unnormalized inputs", measured,
        "the inputs are not on a common unit scale: the large features dominate the first "
        "layer's sums, saturate or blow up its units, and make the cost surface a narrow valley",
        "standardize every feature with the training set's mean and standard deviation "
        "(apply the same numbers to the validation and test sets)",
        NOTEBOOKS["normalization"], numbers={"scale_spread": spread, "largest_rms": largest})


def check_batchnorm(spec, hist: History, params, X, state) -> list:
    """Batch norm trained on tiny batches; evaluation mode disagreeing with training mode."""
    if spec is None or not any(spec.batch_norm):
        return []
    found = []
    if hist.batch_size is not None and hist.batch_size < BN_SMALL_BATCH:
        found.append(Finding(
            "batchnorm_small_batch", "Batch norm with tiny batches",
            f"batches of {hist.batch_size} examples (batch norm needs about {BN_SMALL_BATCH} "
            "or more)",
            "batch norm normalizes each unit by its batch's mean and variance: over a few "
            "examples these are noise (two examples are always normalized to -1 and +1), and "
            "the running statistics used at evaluation are that noise averaged",
            f"use batches of {BN_SMALL_BATCH * 4} or more, or drop batch norm (layer norm does "
            "not depend on the batch)",
            NOTEBOOKS["batchnorm"], numbers={"batch_size": hist.batch_size}))
    if X is not None and params is not None and state is not None and not hist.diverged:
        Y_eval, _ = net.forward_unchecked(spec, params, X, state, train=False)
        Y_train, _ = net.forward_unchecked(spec, params, X, state, train=True)
        agree = float(np.mean(Y_eval.argmax(axis=0) == Y_train.argmax(axis=0))
                      if Y_eval.shape[0] > 1 else np.mean((Y_eval > 0) == (Y_train > 0)))
        if 1 - agree > BN_MODE_GAP:
            initial = all(np.array_equal(v, net.init_state(spec)[k]) for k, v in state.items())
            why = ("the running statistics are the initial ones (mean 0, variance 1): this "
                   "state was never updated by training" if initial else
                   "the running statistics used in evaluation mode are not the statistics of "
                   "the data the network was trained on")
            found.append(Finding(
                "batchnorm_mode_mismatch", "Batch norm: evaluation and training mode disagree",
                f"evaluation mode and training mode classify {_pct(1 - agree)} of the training "
                "examples differently", why,
                "evaluate with the state that training returned (History.state), in evaluation "
                "mode; never evaluate in training mode, where each batch is normalized by itself",
                NOTEBOOKS["batchnorm"], numbers={"disagreement": 1 - agree,
                                                 "initial_state": initial}))
    return found


def check_non_finite(hist: History) -> Finding | None:
    """The cost became NaN or inf: at which step, and where it first appeared."""
    if not hist.diverged:
        return None
    where = hist.nonfinite or {"step": hist.diverged_at, "layer": None, "where": "cost"}
    place = ("the cost itself" if where["layer"] is None
             else f"layer {where['layer']}'s {where['where']}")
    norms = _stats(hist, "grad_norm")
    big = norms is not None and np.nanmax(norms) > EXPLODING_GRAD_NORM
    return Finding(
        "non_finite", "NaN or inf",
        f"the cost became {'NaN' if np.isnan(hist.costs[-1]) else 'inf'} at step "
        f"{hist.diverged_at:,}; the first NaN/inf in the forward pass was in {place}",
        ("exploding activations and gradients: the weights grew until a sum overflowed"
         if big else "steps too large for the curvature: each update overshot and the "
         "weights grew until a sum overflowed"),
        "lower the learning rate (by 10), check the initialization's scale, clip the gradients "
        "(cu.ClipNorm)",
        NOTEBOOKS["gradients"] if big else NOTEBOOKS["optimizers"],
        numbers={"step": hist.diverged_at, "layer": where["layer"], "where": where["where"]})


def check_gradients(hist: History) -> list:
    """Vanishing or exploding gradients: ||dW1|| / ||dWL|| at the median record, and the
    largest gradient norm of any layer at any record."""
    norms = _stats(hist, "grad_norm")
    if norms is None or norms.shape[1] < 2:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = norms[:, 0] / norms[:, -1]
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    ratio = float(np.median(ratios)) if ratios.size else float("nan")
    largest = float(np.nanmax(norms)) if np.any(np.isfinite(norms)) else float("nan")
    found = []
    if ratio > EXPLODING_RATIO or largest > EXPLODING_GRAD_NORM:
        found.append(Finding(
            "exploding_gradients", "Exploding gradients",
            f"largest gradient norm {_fmt(largest)} (layer {int(np.nanargmax(norms) % norms.shape[1]) + 1}); "
            f"||dW1|| / ||dW{norms.shape[1]}|| {_fmt(ratio)} at the median record",
            "the signal grows from layer to layer (weights too large for the depth: each layer "
            "multiplies the variance by more than 1), so the gradients are huge",
            "use an initialization scaled to the layer (He for ReLU, Xavier for tanh), clip the "
            "gradients (cu.ClipNorm), or lower the learning rate",
            NOTEBOOKS["gradients"], numbers={"largest_grad_norm": largest, "ratio": ratio}))
    if ratio < VANISHING_RATIO:
        found.append(Finding(
            "vanishing_gradients", "Vanishing gradients",
            f"||dW1|| / ||dW{norms.shape[1]}|| = {_fmt(ratio)} at the median record "
            f"(healthy: 0.1 to 10)",
            "each layer shrinks the gradient on its way back (a sigmoid's slope is at most 1/4; "
            "saturated units pass almost nothing), so the first layers barely learn",
            "use tanh or ReLU in the hidden layers with Xavier or He initialization, fewer "
            "layers, or batch norm",
            NOTEBOOKS["gradients"], numbers={"ratio": ratio}))
    return found


def check_divergence(hist: History) -> Finding | None:
    """The cost rose (or oscillated) instead of falling, without becoming NaN."""
    costs = np.asarray(hist.costs, dtype=float)
    if hist.diverged or costs.size < 4:
        return None
    window = max(1, hist.steps_per_epoch)
    usable = costs[: costs.size // window * window]
    curve = usable.reshape(-1, window).mean(axis=1) if usable.size else costs
    start = float(costs[0])
    peak, end = float(curve.max()), float(curve[-1])
    if not (peak > DIVERGENCE_PEAK * start or end > DIVERGENCE_END * start):
        return None
    per = "epoch" if window > 1 else "step"
    return Finding(
        "divergence", "Diverging cost",
        f"cost {_fmt(start)} at the start, up to {_fmt(peak)} (mean per {per}), {_fmt(end)} "
        "at the end",
        "the learning rate is too high for the curvature of the cost: steps overshoot the "
        "valley and climb its other side",
        "lower the learning rate (by 3 to 10) or use a schedule that lowers it; Adam or "
        "momentum with a smaller rate",
        NOTEBOOKS["optimizers"], numbers={"start": start, "peak": peak, "end": end})


def check_symmetry(spec, params) -> Finding | None:
    """Every unit of a hidden layer has the same incoming weights: they can never differ."""
    if spec is None or params is None or spec.n_layers < 2:
        return None
    for l in range(1, spec.n_layers):
        W = params[f"W{l}"]
        if W.shape[0] > 1 and np.all(np.isfinite(W)) and np.allclose(W, W[:1], atol=1e-12):
            return Finding(
                "symmetric_weights", "Symmetric weights",
                f"all {W.shape[0]} units of layer {l} have identical incoming weights "
                f"(largest |W{l}| = {_fmt(np.abs(W).max())})",
                "the weights started equal (e.g. all zeros): every unit of a layer computes "
                "the same thing and gets the same gradient, so they stay equal forever",
                "initialize the weights randomly (He for ReLU, Xavier for tanh)",
                NOTEBOOKS["initialization"], numbers={"layer": l})
    return None


def check_saturation(spec, hist: History) -> Finding | None:
    """Sigmoid/tanh layers whose pre-activations sit mostly in the flat tails."""
    saturated = _stats(hist, "saturated")
    if saturated is None:
        return None
    medians = _column_medians(saturated)
    if not np.any(medians > SATURATION_FRACTION):
        return None
    l = int(np.nanargmax(medians)) + 1
    name = spec.activation[l - 1] if spec is not None else "sigmoid/tanh"
    z = SATURATION_Z.get(name, min(SATURATION_Z.values()))
    return Finding(
        "saturation", "Saturated units",
        f"layer {l} ({name}): {_pct(medians[l - 1])} of pre-activations beyond |z| = {z:g} "
        f"at the median record (slope below 7% of its peak)",
        "the pre-activations are too large: weights initialized too large for the layer's "
        "fan-in, inputs on a large scale, or steps that pushed the weights out",
        "scale the initialization to the fan-in (Xavier), normalize the inputs, lower the "
        "learning rate, or use ReLU",
        NOTEBOOKS["activations"], numbers={"layer": l, "fraction": float(medians[l - 1])})


def check_dead_relus(spec, params, X, state, hist: History) -> Finding | None:
    """ReLU units that output 0 for every training example: no gradient ever reaches them."""
    if spec is None or "relu" not in spec.activation:
        return None
    if X is not None and params is not None and not hist.diverged:
        _, cache = net.forward_unchecked(spec, params, X, state, train=False)
        pre = cache.pre
        fractions = [float(np.mean(np.all(Z <= 0, axis=1))) if act == "relu" else np.nan
                     for Z, act in zip(pre, spec.activation)]
        on = f"the {X.shape[1]:,} training examples"
    else:
        never = _stats(hist, "never_active")
        if never is None:
            return None
        fractions = [v if act == "relu" else np.nan for v, act in zip(never[-1], spec.activation)]
        on = "the last recorded batch"
    fractions = np.asarray(fractions, dtype=float)
    if not np.any(fractions > DEAD_FRACTION):
        return None
    l = int(np.nanargmax(fractions)) + 1
    return Finding(
        "dead_relus", "Dead ReLUs",
        f"layer {l}: {_pct(fractions[l - 1])} of its units never active on {on}",
        "a large step (or a large negative bias) pushed these units' pre-activations below 0 "
        "for every input; ReLU's slope there is 0, so no gradient can bring them back",
        "lower the learning rate, use He initialization, or a ReLU that leaks (leaky ReLU, "
        "ELU)",
        NOTEBOOKS["activations"], numbers={"layer": l, "fraction": float(fractions[l - 1])})


def check_update_ratio(hist: History, stall_explained: bool = False) -> Finding | None:
    """||step|| / ||W|| per layer at the median record, against the ~1e-3 heuristic.
    stall_explained: another finding (dead units, vanishing gradients, symmetric weights)
    already explains tiny updates: they are then not blamed on the learning rate."""
    ratios = _stats(hist, "update_ratio")
    if ratios is None:
        return None
    medians = _column_medians(ratios)
    if not np.any(np.isfinite(medians)):
        return None
    largest = float(np.nanmax(medians))
    spread = f"from {_fmt(np.nanmin(medians))} to {_fmt(largest)} across layers"
    heuristic = (f"(heuristic, CS231n / Karpathy: about {UPDATE_RATIO_TYPICAL:g}; flagged below "
                 f"{UPDATE_RATIO_LOW:g} or above {UPDATE_RATIO_HIGH:g})")
    if largest < UPDATE_RATIO_LOW and not stall_explained:
        return Finding(
            "update_ratio", "Updates too small",
            f"update / weight ratio {spread} at the median record {heuristic}",
            "the learning rate is far too small: each step changes the weights by a "
            "negligible fraction, so the cost hardly moves",
            "raise the learning rate (try 10 to 100 times larger, or a grid bracketing the best)",
            NOTEBOOKS["optimizers"], numbers={"largest": largest, "direction": "low"})
    if largest > UPDATE_RATIO_HIGH:
        return Finding(
            "update_ratio", "Updates too large",
            f"update / weight ratio {spread} at the median record {heuristic}",
            "the learning rate is too large: each step rewrites a large part of the weights",
            "lower the learning rate (by 10), or clip the gradients",
            NOTEBOOKS["optimizers"], numbers={"largest": largest, "direction": "high"})
    return None


def check_chance(spec, hist: History, params, X, state, symmetric: bool) -> Finding | None:
    """A cost at (not far above) the chance cost, or one class predicted for every example."""
    if hist.diverged or not len(hist.costs) or hist.chance_cost is None:
        return None
    chance, end = hist.chance_cost, hist.judged_cost
    at_chance = hist.at_chance and end <= CHANCE_CEILING * chance
    share = None
    if X is not None and params is not None and spec is not None and spec.output != "linear":
        Z_L, _ = net.forward_unchecked(spec, params, X, state, train=False)
        labels = (Z_L > 0).astype(int).ravel() if Z_L.shape[0] == 1 else Z_L.argmax(axis=0)
        share = float(np.bincount(labels).max() / labels.size)
    constant = share is not None and share == 1.0
    if not (at_chance or constant):
        return None
    measured = (f"cost {_fmt(float(hist.costs[0]))} at the start, {_fmt(end)} at the end "
                f"(chance: {_fmt(chance)})")
    if share is not None:
        measured += f"; the most predicted class gets {_pct(share)} of the examples"
    cause = ("symmetric weights (see above): the hidden units are copies of one another"
             if symmetric else "no signal reaches the early layers, or the steps are too "
             "small or too wild to learn: see the findings above")
    return Finding(
        "stuck_at_chance", "Stuck at chance", measured, cause,
        "fix the findings above first; then check that the labels match the inputs",
        NOTEBOOKS["initialization"] if symmetric else NOTEBOOKS["gradients"],
        numbers={"start": float(hist.costs[0]), "end": end, "chance": chance,
                 "majority_share": share})


def check_overfitting(spec, hist: History, params, X, Y, X_val, Y_val, state) -> list:
    """A growing train/validation gap (from History.evals), or a large final gap."""
    evals = hist.evals or {}
    if "val_cost" in evals and len(evals["val_cost"]) < 3:
        return [Finding("overfitting_not_checked", "Overfitting not checked",
                        f"only {len(evals['val_cost'])} validation record(s)", "", "",
                        NOTEBOOKS["regularization"], severity="note")]
    if "val_cost" in evals:
        val, train = np.asarray(evals["val_cost"]), np.asarray(evals["train_cost"])
        best = int(np.argmin(val))
        rise = float(val[-1] / val[best])
        gap = (evals["train_acc"][-1] - evals["val_acc"][-1]) if "val_acc" in evals else np.nan
        if rise >= OVERFIT_VAL_RISE and train[-1] < train[best] and not gap < OVERFIT_ACC_GAP:
            return [Finding(
                "overfitting", "Overfitting",
                f"validation cost {_fmt(val[best])} at its best (step {evals['step'][best]:,}), "
                f"{_fmt(val[-1])} at the end (x{rise:.2f}) while the training cost fell to "
                f"{_fmt(train[-1])}; accuracy train {evals['train_acc'][-1]:.2f}, "
                f"validation {evals['val_acc'][-1]:.2f}",
                "the network fits the training set's noise: more capacity or training than "
                "the data support",
                "stop early at the best validation cost (Validation(patience=...)), add L2 or "
                "dropout, or get more data",
                NOTEBOOKS["regularization"], numbers={"rise": rise, "acc_gap": gap})]
        return []
    if X_val is not None and Y_val is not None and spec is not None and params is not None \
            and spec.output != "linear" and X is not None and not hist.diverged:
        acc_train = net.accuracy(spec, params, X, Y, state)
        acc_val = net.accuracy(spec, params, X_val, Y_val, state)
        if acc_train - acc_val > OVERFIT_ACC_GAP:
            return [Finding(
                "overfitting", "Overfitting",
                f"accuracy train {acc_train:.2f}, validation {acc_val:.2f} at the end (no "
                "validation record to see the gap grow)",
                "the network fits the training set's noise",
                "record validation (cu.Validation), stop early, add L2 or dropout",
                NOTEBOOKS["regularization"], numbers={"acc_gap": acc_train - acc_val})]
        return []
    return [Finding("overfitting_not_checked", "Overfitting not checked",
                    "no validation set (train with cu.Validation(X_val, Y_val) or pass X_val, "
                    "Y_val)", "", "", NOTEBOOKS["regularization"], severity="note")]


def _notes(hist: History, spec, X) -> list:
    """What could not be checked, said once."""
    missing = []
    if not hist.layer_stats:
        missing.append("per-layer statistics (train with record_every=k): gradients, "
                       "saturation, update sizes")
    if X is None:
        missing.append("the data (pass X): input scales, dead ReLUs on the whole set")
    if spec is None:
        missing.append("the architecture (pass spec): batch norm, dead ReLUs, symmetry")
    return [Finding("not_checked", "Not checked", "; ".join(missing), "", "", "",
                    severity="note")] if missing else []


# ---------------------------------------------------------------- diagnose


def diagnose(history: History, spec: net.Spec | None = None, X: np.ndarray | None = None,
             Y: np.ndarray | None = None, X_val: np.ndarray | None = None,
             Y_val: np.ndarray | None = None, *, params: dict | None = None,
             state: dict | None = None) -> Report:
    """The doctor's findings on a run, most important first (see ORDER).

    history: what cu.train returned; with record_every=k it holds the per-layer statistics
        most checks read, with a cu.Validation the evaluations the overfitting check reads.
    spec: the architecture (needed for batch norm, dead ReLUs, symmetry, predictions).
    X (n_x, m), Y (n_L, m): the training data (input scales, dead units on the whole set,
        constant predictions); X_val, Y_val: a validation set, used when the run recorded
        no validation.
    params, state: the parameters and batch-norm statistics to judge (default: the run's
        final ones, History.params and History.state); pass the state you evaluate with.
    """
    if not isinstance(history, History):
        raise TypeError(f"history must be a History (what cu.train returns), got "
                        f"{type(history).__name__}")
    if spec is not None and not isinstance(spec, net.Spec):
        raise TypeError(f"spec must be a cu.Spec or None, got {type(spec).__name__}")
    params = history.params if params is None else params
    state = history.state if state is None else state
    if spec is not None:
        if params:
            net.check_params(spec, params)
        for A, B, a, b in ((X, Y, "X", "Y"), (X_val, Y_val, "X_val", "Y_val")):
            if A is not None:
                net.check_data(spec, A, B, a, b)
    X = None if X is None else np.asarray(X, dtype=float)
    usable = spec is not None and bool(params) and all(
        np.all(np.isfinite(p)) for p in params.values())
    net_params = params if usable else None

    found = [check_inputs(X) if X is not None else None]
    found += check_batchnorm(spec, history, net_params, X, state)
    found += [check_non_finite(history)]
    found += check_gradients(history)
    found += [check_divergence(history)]
    symmetry = check_symmetry(spec, net_params)
    # Symmetric weights explain units that never activate (they are all the same unit).
    dead = None if symmetry else check_dead_relus(spec, net_params, X if usable else None,
                                                  state, history)
    explained = symmetry is not None or dead is not None or any(
        f is not None and f.code == "vanishing_gradients" for f in found)
    found += [symmetry, check_saturation(spec, history), dead,
              check_update_ratio(history, stall_explained=explained),
              check_chance(spec, history, net_params, X if usable else None, state,
                           symmetry is not None)]
    found += check_overfitting(spec, history, net_params, X, Y, X_val, Y_val, state)
    faults = sorted((f for f in found if f is not None and f.severity == "fault"),
                    key=lambda f: ORDER.index(f.code))
    notes = [f for f in found if f is not None and f.severity != "fault"]
    return Report(tuple(faults + notes + _notes(history, spec, X)))
