"""The gradient-checking dashboard (08_gradient_checking): plant a bug in a small network's
backward pass (course_utils.lessons.gradcheck), choose eps, the floating-point type and the
point where the check is made; see the check's per-block relative errors and its verdict,
and where the current eps sits on the eps sweep.

A setting's result is its whole eps sweep, from 1e-12 to 1e-1 (two-sided differences),
beside the correct code's sweep at the same precision and point. A new setting shows its
check at the current eps at once, then fills both sweeps with a frame every FRAME_SECONDS
at most; eps is not part of the remembered key, so moving eps afterwards only redraws.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import gradcheck, initializers
from ..plotting import COLOURS, colour_of
from ..lessons import gradcheck as lesson
from ._base import Dashboard

__all__ = ["GradcheckDashboard", "gradcheck_dashboard"]

NO_BUG = "none (correct code)"
TRAIN_STEPS = 300  # gradient descent steps (correct gradients) from the Xavier start
POINTS = ("Xavier init", f"after {TRAIN_STEPS} steps", "small init (×0.01)")
DTYPES = {"float64": np.float64, "float32": np.float32}
EPS_EXPONENTS = np.arange(-12.0, -0.75, 0.5)  # the slider's positions: 1e-12 ... 1e-1
EPS_GRID = 10.0 ** EPS_EXPONENTS
ERROR_LIMITS = (1e-13, 3.0)
BAND_COLOURS = {verdict: colour_of(level) for verdict, level in
                (("ok", "good"), ("look closer", "warn"), ("bug", "bad"))}


def eps_at(index: int) -> float:
    """The eps of the slider's index-th position."""
    return float(10.0 ** EPS_EXPONENTS[index])


def eps_index(eps: float) -> int:
    """The position of eps on the slider's grid (EPS_EXPONENTS, steps of 0.5)."""
    index = np.rint((np.log10(eps) - EPS_EXPONENTS[0]) / 0.5)
    return int(np.clip(index, 0, EPS_EXPONENTS.size - 1))


@dataclass
class Sweep:
    """Per-block relative errors of one setting at every eps of the slider (NaN = not yet)."""

    errors: np.ndarray  # (len(EPS_EXPONENTS), len(lesson.BLOCKS))

    @classmethod
    def empty(cls) -> Sweep:
        return cls(np.full((EPS_EXPONENTS.size, len(lesson.BLOCKS)), np.nan))

    def measured(self, index: int) -> bool:
        return not np.isnan(self.errors[index]).any()

    def largest(self) -> np.ndarray:
        """The check's number (the largest block error) at each eps, NaN where not computed."""
        out = np.full(self.errors.shape[0], np.nan)
        done = ~np.isnan(self.errors).any(axis=1)
        out[done] = self.errors[done].max(axis=1)
        return out


@dataclass
class Result:
    """What one setting shows: its sweep, and the correct code's at the same precision and
    point (the same Sweep when no bug is planted)."""

    planted: Sweep
    correct: Sweep


class GradcheckDashboard(Dashboard):
    title = "Gradient checking dashboard"

    def __init__(self, bug: str = NO_BUG, eps: float = 1e-6, dtype: str = "float64",
                 point: str = POINTS[0], m: int = 40, seed: int = 0, cache_size: int = 64):
        super().__init__(figsize=(11.5, 3.6), dpi=80, cache_size=cache_size)
        self.X, self.Y = lesson.load_data(m)
        xavier = lesson.init_params(seed)
        self.points = {
            POINTS[0]: xavier,
            POINTS[1]: lesson.trained_params(xavier, self.X, self.Y, steps=TRAIN_STEPS),
            POINTS[2]: lesson.init_params(seed, init=initializers.get("normal", scale=0.01)),
        }
        self._build_controls(bug, eps, dtype, point)
        self._build_figure()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, bug, eps, dtype, point):
        self.controls = {
            "bug": widgets.Dropdown(options=[NO_BUG, *lesson.ALL_BUGS], value=bug,
                                    description="planted bug",
                                    style={"description_width": "initial"},
                                    layout=widgets.Layout(width="330px")),
            "eps": widgets.FloatLogSlider(value=eps, base=10, min=EPS_EXPONENTS[0],
                                          max=EPS_EXPONENTS[-1], step=0.5, description="eps",
                                          continuous_update=False, readout_format=".0e"),
            "dtype": widgets.ToggleButtons(options=list(DTYPES), value=dtype,
                                           description="precision",
                                           style={"button_width": "70px"}),
            "point": widgets.ToggleButtons(options=POINTS, value=point,
                                           description="checked at",
                                           style={"button_width": "130px"}),
        }
        self._watch_controls()
        c = self.controls
        self._layout([[c["bug"], c["eps"]], [c["dtype"], c["point"]]],
                     "Each setting gradient-checks the network of cu.lessons.gradcheck (2-6-6-1, tanh) on "
                     f"{self.X.shape[1]} points of the circles. Try first: the correct code in "
                     "float32 at eps 1e-6, then pick a bug and find the blocks it spoils.")

    # ---------------------------------------------------------------- figure

    def _bands(self, ax):
        for (low, high), verdict in (((ERROR_LIMITS[0], gradcheck.OK), "ok"),
                                     ((gradcheck.OK, gradcheck.LOOK_CLOSER), "look closer"),
                                     ((gradcheck.LOOK_CLOSER, ERROR_LIMITS[1]), "bug")):
            ax.axhspan(low, high, color=BAND_COLOURS[verdict], alpha=0.08, lw=0)
            ax.text(1.01, np.sqrt(low * high), verdict, transform=ax.get_yaxis_transform(),
                    ha="left", va="center", rotation=90, fontsize=8,
                    color=BAND_COLOURS[verdict])

    def _build_figure(self):
        ax_bars, ax_sweep = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        self.ax_bars, self.ax_sweep = ax_bars, ax_sweep
        blocks = np.arange(len(lesson.BLOCKS))
        ax_bars.set(yscale="log", ylim=ERROR_LIMITS, xlim=(-0.6, len(blocks) - 0.4),
                    ylabel="relative error", title="The check's report: error per block")
        self._bands(ax_bars)
        ax_bars.set_xticks(blocks, lesson.BLOCKS)
        self.bars = ax_bars.bar(blocks, np.zeros(blocks.size), bottom=ERROR_LIMITS[0], width=0.6)
        self.bar_labels = [ax_bars.text(i, ERROR_LIMITS[0], "", ha="center", va="bottom",
                                        fontsize=8) for i in blocks]

        ax_sweep.set(xscale="log", yscale="log", ylim=ERROR_LIMITS,
                     xlim=(EPS_GRID[0] / 2, EPS_GRID[-1] * 2), xlabel="eps",
                     ylabel="largest relative error",
                     title="The eps sweep (two-sided differences)")
        self._bands(ax_sweep)
        (self.correct_line,) = ax_sweep.plot([], [], "--", color="0.45", lw=1.2,
                                             label="correct code")
        (self.bug_line,) = ax_sweep.plot([], [], "o-", ms=3, color=COLOURS["bad"], lw=1.5,
                                         label="with the planted bug")
        self.eps_line = ax_sweep.axvline(1e-6, color="0.2", lw=0.8, ls=":")
        (self.eps_marker,) = ax_sweep.plot([], [], "o", ms=8, mfc="none", mec="k", mew=1.5)
        self.legend, self._legend_for = None, None  # the sweep's legend and the bug it names
        self._legend(NO_BUG)
        self.figure.tight_layout()
        self.figure.subplots_adjust(wspace=0.32)  # room between the band names and the next axis
        self.view.animate(*self.bars, *self.bar_labels, self.correct_line, self.bug_line,
                          self.eps_line, self.eps_marker)

    def _legend(self, bug: str) -> None:
        """The sweep's legend names only the lines on show: the correct code, and the planted
        bug by name when there is one. It is animated, so changing it needs no full redraw."""
        if bug == self._legend_for:
            return
        handles = [self.correct_line]
        if bug != NO_BUG:
            self.bug_line.set_label(f"with the bug: {bug}")
            handles.append(self.bug_line)
        self.view.forget(self.legend)
        self.legend = self.ax_sweep.legend(handles=handles, loc="lower left", fontsize=8)
        self.view.animate(self.legend)
        self._legend_for = bug

    # ---------------------------------------------------------------- one setting

    def key(self, bug: str | None = None) -> tuple:
        """(bug, precision, point): eps is left out, as a result holds the whole eps sweep
        and eps only picks the row on show. key(NO_BUG): the correct code's setting."""
        c = self.controls
        return (c["bug"].value if bug is None else bug, c["dtype"].value, c["point"].value)

    def _measure(self, sweep: Sweep, bug: str, index: int) -> None:
        """Fill row `index` of `sweep`: the check of `bug` (at the current precision and
        point) at the slider's index-th eps. A row already measured is left as it is."""
        if sweep.measured(index):
            return
        _, dtype, point = self.key()
        report = lesson.check(self.points[point], self.X, self.Y,
                              bug=None if bug == NO_BUG else bug,
                              eps=eps_at(index), dtype=DTYPES[dtype])
        sweep.errors[index] = [report.errors()[block] for block in lesson.BLOCKS]

    def compute(self) -> Result:
        """The check at the current eps first (the first frame), then the rest of the
        correct code's sweep and of the planted bug's, drawn as they fill. The correct
        code's sweep is shared with its own setting, and remembered as it too."""
        bug = self.controls["bug"].value
        known = self._recall(self.key(NO_BUG))
        correct = known.correct if known is not None else Sweep.empty()
        result = Result(correct if bug == NO_BUG else Sweep.empty(), correct)
        sweeps = {NO_BUG: correct, bug: result.planted}  # one entry when no bug is planted
        here = eps_index(self.controls["eps"].value)
        for planted, sweep in sweeps.items():
            self._measure(sweep, planted, here)
        self.show(result)
        frame = self.throttled(lambda: self.show(result))
        for planted, sweep in sweeps.items():
            for index in range(EPS_EXPONENTS.size):
                self._measure(sweep, planted, index)
                frame()
        self.show(result)
        if bug != NO_BUG:
            self._remember(self.key(NO_BUG), Result(correct, correct))
        return result

    # ---------------------------------------------------------------- drawing

    def show(self, result: Result) -> None:
        """The check at the current eps as bars, both sweeps as lines, the verdict in words."""
        here = eps_index(self.controls["eps"].value)
        bug = self.controls["bug"].value
        errors = result.planted.errors[here]
        for bar, label, error in zip(self.bars, self.bar_labels, errors):
            shown = float(np.clip(error, ERROR_LIMITS[0] * 1.01, ERROR_LIMITS[1]))
            bar.set_height(shown - ERROR_LIMITS[0])
            bar.set_color(BAND_COLOURS[gradcheck.verdict(error)])
            label.set_y(shown)
            label.set_text(f"{error:.0e}" if error > 0 else "0")
        self.correct_line.set_data(EPS_GRID, result.correct.largest())
        has_bug = bug != NO_BUG
        self.bug_line.set_data(EPS_GRID, result.planted.largest() if has_bug else EPS_GRID * np.nan)
        self.bug_line.set_visible(has_bug)
        self.eps_line.set_xdata([EPS_GRID[here]] * 2)
        self.eps_marker.set_data([EPS_GRID[here]], [np.clip(np.max(errors), *ERROR_LIMITS)])
        self._legend(bug)
        self.frame(*self._verdict(result, here))

    def _verdict(self, result: Result, here: int):
        """What the check says at this eps, and whether it tells the truth, in words."""
        bug, dtype, point = self.key()
        eps = eps_at(here)
        errors = dict(zip(lesson.BLOCKS, result.planted.errors[here]))
        largest = max(errors.values())
        verdict = gradcheck.verdict(largest)
        head = (f"At eps {eps:.0e} in {dtype} ({point}), the check says <b>{verdict}</b> "
                f"(largest relative error {largest:.1e})")
        flagged = [k for k, e in errors.items() if gradcheck.verdict(e) != "ok"]
        best = result.correct.largest()
        done = ~np.isnan(best)
        if bug == NO_BUG:
            if verdict == "ok":
                return head + ". The code is correct, and the check agrees.", "good"
            if not done.all():
                return head + ", but the code is correct (computing the eps sweep...)", "bad"
            best_index = int(np.nanargmin(best))
            floor = best[best_index]
            if dtype == "float32" and floor >= gradcheck.OK:
                why = (f"no eps brings float32 below {floor:.0e} (best at eps "
                       f"{eps_at(best_index):.0e}): with its 7 digits it cannot reach "
                       "the ok band, only tell large bugs apart; check in float64")
            elif here < best_index:
                why = ("round-off: eps is so small that J(θ+ε) and J(θ−ε) share almost all "
                       "their digits, and their difference is mostly rounding noise; "
                       f"the best eps here is about {eps_at(best_index):.0e}")
            else:
                why = ("truncation: eps is so large that the difference also measures the "
                       f"curvature; the best eps here is about {eps_at(best_index):.0e}")
            return head + f". A false alarm: the code is correct. {why[0].upper()}{why[1:]}.", "bad"
        planted = lesson.ALL_BUGS[bug]
        correct_here = float(np.max(result.correct.errors[here]))
        if gradcheck.verdict(correct_here) != "ok":
            caught = [k for k in flagged if gradcheck.verdict(errors[k]) == "bug"]
            if caught and min(errors[k] for k in caught) > 100 * correct_here:
                where = ", ".join(f"{k} ({errors[k]:.0e})" for k in caught)
                return head + (f". The correct code scores {correct_here:.0e} here, so this "
                               "setting cannot certify correct code; but the flagged blocks, "
                               f"{where}, score over 100 times more: a large bug shows even "
                               f"here. The planted line: {planted}."), "warn"
            return head + (f", but here the correct code scores {correct_here:.0e} too, so "
                           "the verdict tells nothing: pick an eps (and a precision) where "
                           "the correct code passes."), "warn"
        if verdict == "bug":
            where = ", ".join(f"{k} ({errors[k]:.0e})" for k in flagged)
            ok = [k for k in lesson.BLOCKS if k not in flagged]
            rest = f"; {', '.join(ok)} pass" if ok else ""
            return head + f". Caught: flagged {where}{rest}. The planted line: {planted}.", "good"
        if verdict == "look closer":
            return head + (f". A real bug scores only 'look closer' here: {planted}. "
                           "Check again at another point (after some training)."), "warn"
        return head + f". The bug goes unnoticed here: {planted}.", "bad"


def gradcheck_dashboard(**options) -> GradcheckDashboard:
    """The dashboard of 08_gradient_checking; see GradcheckDashboard for the options."""
    return GradcheckDashboard(**options)
