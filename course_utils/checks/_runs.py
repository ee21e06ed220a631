"""Grading through a training run: the reader's piece (an optimizer, an activation, a layer,
a preprocessing step) trains the real network, and the grader trains the same network from
the same start with the library's piece, then compares the two runs step by step.

    def run(piece, callback):            # one short run with `piece` plugged in, from a
        start = {k: v.copy() for k, v in params.items()}   # fresh copy of the same start
        return cu.train(spec, start, X, Y, piece, steps=30, callback=callback,
                        callback_every=1, progress=False)

    case = run_case(run, cu.optimizers.momentum(lr=0.1), mistakes=[
        RunMistake("the heavy-ball form without converting the rate", heavy_ball, hint)],
        otherwise="compare your update with the formula step by step")
    feedback = grade("Momentum in a training run", [case], my_momentum)
    plot_runs(feedback)                  # the reader's cost curve beside the library's

When the runs part, the message says where: the first step whose cost differs, and the
parameter that differs most right after that step's update ("W2, relative difference
3e-02"). A known mistake is recognised by the run it produces: each `RunMistake` carries a
wrong implementation, trained the same way; a reader's run that matches it gets its hint.
Compare short runs only: over a long chaotic run, two correct implementations that round
differently part ways, and that is no mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..training import History
from ._core import apart, grade, past

COST_RTOL = 1e-6   # relative difference of two costs that counts as "the same run"
PARAM_RTOL = 1e-6  # relative difference of a parameter array (its norm), likewise


@dataclass
class Trace:
    """A short training run, step by step.

    history: the run's History (history.costs[k] is the cost before update k);
    snapshots: snapshots[k] the parameters after k + 1 updates, copied (k = 0..steps-1).
    """

    history: History
    snapshots: list

    @property
    def costs(self) -> np.ndarray:
        return np.asarray(self.history.costs, dtype=float)


@dataclass(frozen=True)
class RunMistake:
    """A known wrong implementation: `piece` is plugged in as the reader's would be; `what`
    says what it is ("momentum without the (1 - beta)"), `hint` how to fix it."""

    what: str
    piece: Any
    hint: str


def traced(run: Callable, piece) -> Trace:
    """Trace `run(piece, callback)`: run must train with `callback` called after every
    update (callback_every=1) and return the History; the callback copies the parameters."""
    snapshots = []

    def keep(history, step, params, state):
        snapshots.append({key: np.array(value, dtype=float) for key, value in params.items()})
        return False

    with np.errstate(all="ignore"):  # a wrong piece's overflow is reported in words
        history = run(piece, keep)
    return Trace(history, snapshots)


def relative_difference(a, b) -> float:
    """||a - b|| / max(||b||, tiny): how far an array (or a number) is from a reference.
    NaN and inf count as equal only where both hold the same one (else the difference is
    inf); the finite entries are compared as usual."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    finite = np.isfinite(a)
    if not (np.array_equal(finite, np.isfinite(b))
            and np.array_equal(a[~finite], b[~finite], equal_nan=True)):
        return float("inf")
    a, b = a[finite], b[finite]
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def first_parting(yours: Trace, reference: Trace, cost_rtol: float = COST_RTOL,
                  param_rtol: float = PARAM_RTOL) -> dict | None:
    """Where the two runs first differ, or None when every cost and every parameter agree.

    Returns {"step": k, "cost": (yours, reference) or None, "param": (name, relative
    difference) or None, "diverged": bool}: k is the first step whose cost differs or after
    whose update a parameter differs, whichever comes first (steps count from 0). Two runs
    that diverge at the same step, alike until then, count as the same run."""
    with np.errstate(all="ignore"):  # diverged parameters are compared without warnings
        return _first_parting(yours, reference, cost_rtol, param_rtol)


def _first_parting(yours, reference, cost_rtol, param_rtol):
    a, b = yours.costs, reference.costs
    n = min(a.size, b.size)
    for k in range(max(a.size, b.size)):
        if k >= n:
            return {"step": n, "cost": None, "param": None, "diverged": False,
                    "ended": a.size < b.size}
        if not np.isfinite(a[k]) and not np.isfinite(b[k]):
            return None  # both diverged at the same step, alike until then: the same run
        if not np.isfinite(a[k]):
            return {"step": k, "cost": (a[k], b[k]), "param": None, "diverged": True}
        if not np.isclose(a[k], b[k], rtol=cost_rtol, atol=1e-12):
            return {"step": k, "cost": (a[k], b[k]), "param": _worst_param(yours, reference, k - 1),
                    "diverged": False, "param_rtol": param_rtol}
        param = _worst_param(yours, reference, k)
        if param is not None and param[1] > param_rtol:
            blown = not np.all(np.isfinite(yours.snapshots[k].get(param[0], np.nan)))
            return {"step": k, "cost": None, "param": param, "diverged": False,
                    "nonfinite": blown, "param_rtol": param_rtol}
    return None


def _worst_param(yours: Trace, reference: Trace, k: int):
    """(name, relative difference) of the parameter furthest from the reference's after
    update k, or None when k is outside both traces."""
    if k < 0 or k >= min(len(yours.snapshots), len(reference.snapshots)):
        return None
    mine, theirs = yours.snapshots[k], reference.snapshots[k]
    differences = {key: relative_difference(mine.get(key, np.nan), value)
                   for key, value in theirs.items()}
    name = max(differences, key=differences.get)
    return name, differences[name]


def describe_parting(parting: dict, yours: str = "your run") -> str:
    """The first difference of two runs in words."""
    step = parting["step"]
    if parting["diverged"]:
        return f"{yours} diverged at step {step} (the cost became NaN or inf)"
    if parting.get("nonfinite"):
        return (f"{yours} diverged: after the update at step {step}, {parting['param'][0]} "
                "holds NaN or inf")
    if parting.get("ended"):
        return f"{yours} stopped after {step} steps; the library's went on"
    said = f"{yours} parts from the library's at step {step}"
    if parting["cost"] is not None:
        mine, theirs = apart(*parting["cost"])
        said += f": cost {mine} where the library's is {theirs}"
    if parting["param"] is not None and parting["param"][1] > 0:
        name, difference = parting["param"]
        before = "; before it, " if parting["cost"] is not None else ": "
        limit = parting.get("param_rtol", PARAM_RTOL)
        said += f"{before}{name} differs most (relative difference {past(difference, limit)})"
    return said


def run_case(run: Callable, reference, *, otherwise: str, mistakes=(),
             right: str = "your run matches the library's at every step ({steps} steps, "
                          "costs and parameters within {rtol:g})",
             cost_rtol: float = COST_RTOL, param_rtol: float = PARAM_RTOL,
             yours: str = "your run") -> Callable:
    """A case: train with the reader's piece and with `reference` (the library's), step by
    step, and compare (`first_parting`). When they part, a known mistake whose run matches
    the reader's gets its hint; otherwise the message says where the runs part and the hint
    is `otherwise`. Like the value cases of _core, the case is called with a function of no
    arguments that returns the piece (`grade_run` does this). The traces are kept for
    `plot_runs`."""
    reference_trace = {}

    def case(answer):
        mine = traced(run, answer())
        if "trace" not in reference_trace:
            reference_trace["trace"] = traced(run, reference)
        theirs = reference_trace["trace"]
        case.traces = {"yours": mine, "library": theirs}
        parting = first_parting(mine, theirs, cost_rtol, param_rtol)
        if parting is None:
            return True, right.format(steps=theirs.costs.size, rtol=max(cost_rtol, param_rtol)), None
        for mistake in mistakes:
            if first_parting(mine, traced(run, mistake.piece), cost_rtol, param_rtol) is None:
                return False, f"{describe_parting(parting, yours)}: {mistake.what}", mistake.hint
        return False, describe_parting(parting, yours), otherwise
    case.traces = {}
    return case


def grade_run(title: str, case: Callable, piece, *more_cases, stop_at_first_failure: bool = True):
    """Grade `piece` (the reader's optimizer, activation, layer, ...: any value, a function
    included) with `case` and then `more_cases`, each called with `lambda: piece`; the
    case's traces are attached to the Feedback (`feedback.traces`: "yours" and "library")
    for `plot_runs`. With stop_at_first_failure=False every case runs (and the run is drawn)
    even after an earlier case failed."""
    feedback = grade(title, [case, *more_cases], lambda: piece, stop_at_first_failure)
    feedback.traces = dict(getattr(case, "traces", {}))
    return feedback


def plot_runs(feedback, boundary=None, logy: bool = True):
    """The reader's cost curve beside the library's, from a Feedback made by `grade_run`,
    and with boundary=(spec, X, Y) the decision boundary the reader's run ends with (a 2-D
    input). A run that diverged is said on the axes. Returns the axes."""
    import matplotlib.pyplot as plt

    from .. import network, plotting

    traces = getattr(feedback, "traces", {})
    panels = 2 if boundary is not None and "yours" in traces else 1
    _, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.4), layout="constrained",
                           squeeze=False)
    ax = axes[0, 0]
    if panels == 2:
        spec, X, Y = boundary
        final = traces["yours"].history
        try:
            with np.errstate(all="ignore"):
                plotting.plot_decision_boundary(
                    lambda G: np.nan_to_num(network.predict_proba(spec, final.params, G, final.state),
                                            nan=0.5), X, Y, ax=axes[0, 1], resolution=80)
            axes[0, 1].set_title("your run's decision boundary")
        except (ValueError, TypeError, KeyError, IndexError):  # parameters of the wrong shape
            axes[0, 1].text(0.5, 0.5, "your run's parameters do not fit the network:\n"
                            "no decision boundary to draw", transform=axes[0, 1].transAxes,
                            ha="center", va="center")
            axes[0, 1].set_axis_off()
    styles = {"library": {"color": plotting.COLOURS["reference"], "lw": 3, "alpha": 0.5},
              "yours": {"color": plotting.COLOURS["yours"], "lw": 1.3, "ls": "--"}}
    labels = {"library": "the library's", "yours": "yours"}
    for name in ("library", "yours"):
        if name in traces:
            costs = traces[name].costs
            bad = plotting.first_non_finite(costs)
            end = costs.size if bad is None else bad
            ax.plot(np.arange(end), costs[:end], label=labels[name], **styles[name])
            if bad is not None:
                ax.annotate(f"{labels[name]} diverged at step {bad}", (0.97, 0.95),
                            xycoords="axes fraction", ha="right", va="top",
                            color=plotting.COLOURS["bad"])
    ax.set(xlabel="step", ylabel="cost", title=feedback.title, yscale="log" if logy else "linear")
    if traces:
        ax.legend(loc="lower left")
    else:
        ax.text(0.5, 0.5, "no run to show: the grader stopped before training",
                transform=ax.transAxes, ha="center")
    return axes[0]
