"""The Input-normalization dashboard (01_input_normalization): choose how much larger the
second feature is than the first, whether the features are standardized, and the learning
rate; watch gradient descent on the cost surface of a two-weight linear regression, and
its cost curve.

Each setting runs plain gradient descent from w = (0, 0) until the cost is 99.9% of the way
to its minimum, at most `max_steps` steps (a few milliseconds: the model has two weights),
so the whole run is drawn at once. Results are cached, so revisiting a setting redraws it
without running again.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import BoundaryNorm

from ..lessons import normalization as lesson
from ._base import Dashboard
from .panels import COLOURS, CostPanel, corner_note

__all__ = ["NormalizationDashboard", "normalization_dashboard"]

INPUTS = ("raw", "standardized")
WINDOW = (-0.6, 1.8)                    # w1 and w2 range: equal, so circles look round
BAND_EDGES = np.arange(-4.0, 2.01, 0.5)  # contour bands of log10(excess cost / start's)
EXCESS_LIMITS = (1e-4, 1e3)             # the cost-curve axis, in units of the start's excess
NOTE_COLOURS = {level: COLOURS[level] for level in ("good", "warn", "bad")}  # as the status line


@dataclass
class Result:
    """What one setting produced: enough to redraw it without running again."""

    weights: np.ndarray       # (k+1, 2): the path
    excess: np.ndarray        # (k+1,): (J - J*) / (J(w0) - J*) along it
    predicted: np.ndarray     # rate^(2k) at the best learning rate, same length as the axis
    diverged: bool            # the run passed gradient_descent's blow-up threshold
    status: str
    level: str


class NormalizationDashboard(Dashboard):
    """scale_ratio: how much larger x2 is than x1 (1 to 1,000); inputs: "raw" or
    "standardized"; lr: the learning rate (None: the best rate of the starting surface).
    max_steps caps each run; tolerance is the target, as a fraction of the starting cost
    above the minimum; m and seed choose the data (cu.lessons.normalization.two_scales_regression)."""

    title = "Input-normalization dashboard"

    def __init__(self, scale_ratio: float = 10.0, inputs: str = "raw", lr: float | None = None,
                 max_steps: int = 2000, tolerance: float = 1e-3, m: int = 200, seed: int = 0,
                 resolution: int = 150, cache_size: int = 128):
        super().__init__(figsize=(11, 4.2), dpi=80, cache_size=cache_size)
        if inputs not in INPUTS:
            raise ValueError(f"inputs must be one of {INPUTS}, got {inputs!r}")
        self.max_steps, self.tolerance, self.m, self.seed = max_steps, tolerance, m, seed
        self.resolution = resolution
        self._surfaces: OrderedDict = OrderedDict()  # (ratio, inputs) -> (QuadraticCost, image)
        if lr is None:  # start at the best rate of the starting surface
            lr = lesson.best_learning_rate(self._surface(scale_ratio, inputs)[0].H)
        self._build_controls(scale_ratio, inputs, lr)
        self._build_figure()
        self.update()

    # ---------------------------------------------------------------- controls

    def _build_controls(self, scale_ratio, inputs, lr):
        self.controls = {
            "scale_ratio": widgets.FloatLogSlider(
                value=scale_ratio, base=10, min=0, max=3, step=0.1,
                description="scale of x2 / x1", continuous_update=False, readout_format=".3g",
                style={"description_width": "initial"}),
            "inputs": widgets.ToggleButtons(options=INPUTS, value=inputs, description="features",
                                            style={"button_width": "100px"}),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-7, max=1, step=0.1,
                                         description="learning rate", continuous_update=False,
                                         readout_format=".3g",
                                         style={"description_width": "initial"}),
        }
        self.best_button = widgets.Button(description="best rate",
                                          tooltip="set the learning rate to 2 / (λmin + λmax)")
        self.best_button.on_click(lambda _: self.snap_best_rate())
        self._watch_controls()
        c = self.controls
        self._layout(
            [[c["scale_ratio"], c["inputs"]], [c["lr"], self.best_button]],
            f"Gradient descent on a two-weight linear regression, from (0, 0), until the cost "
            f"is {100 * (1 - self.tolerance):g}% of the way to its minimum (at most "
            f"{self.max_steps:,} steps). Try first: raw features at the best rate, drag the "
            f"scale to 100 and press <b>best rate</b> again; then switch to standardized.")

    def snap_best_rate(self) -> None:
        """Set the learning rate to the best one for the current cost surface."""
        # Exactly, not rounded: near the stability limit a 0.3% change of the rate can
        # change the number of steps by a quarter.
        self.set(lr=lesson.best_learning_rate(self.cost().H))

    # ---------------------------------------------------------------- figure

    def _build_figure(self):
        ax_surface, ax_cost = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.35]})
        self.ax_surface, self.ax_cost = ax_surface, ax_cost
        norm = BoundaryNorm(BAND_EDGES, ncolors=256)
        self.surface = ax_surface.imshow(np.zeros((self.resolution, self.resolution)),
                                         extent=(*WINDOW, *WINDOW), origin="lower",
                                         cmap="Blues_r", norm=norm, interpolation="nearest")
        (self.path_line,) = ax_surface.plot([], [], ".-", color=COLOURS["bad"], ms=4, lw=1.2,
                                            label="gradient descent")
        (self.minimum_mark,) = ax_surface.plot([], [], "*", color="C1", mec="k", ms=14,
                                               label="minimum")
        (self.start_mark,) = ax_surface.plot([0], [0], "o", color="k", ms=5, label="start")
        ax_surface.set(xlim=WINDOW, ylim=WINDOW, aspect="equal", xlabel="$w_1$", ylabel="$w_2$")
        ax_surface.set_title("cost surface (darker = lower) and the path", fontsize=11)
        # Outside the axes: the surface image is redrawn over everything inside them.
        ax_surface.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8,
                          frameon=False)
        # in this order: the image first, then what lies on it
        self.view.animate(self.surface, self.path_line, self.start_mark, self.minimum_mark)
        self.surface_note = corner_note(self.view, ax_surface, colour="black", where="upper left")
        self.surface_note.set_bbox({"facecolor": "white", "alpha": 0.8, "lw": 0})

        self.curve = CostPanel(self.view, ax_cost, length=self.max_steps, limits=EXCESS_LIMITS,
                               lines={"run": (COLOURS["bad"], "this run"),
                                      "theory": ("0.35", "theory at the best rate")},
                               xlabel="step (linear up to 10, then log scale)",
                               ylabel="cost above the minimum\n(relative to the start)", title="")
        self.curve.lines["theory"].set(linestyle="--", linewidth=1)
        ax_cost.axhline(self.tolerance, color=COLOURS["good"], ls=":", lw=1.2,
                        label=f"target ({100 * (1 - self.tolerance):g}% of the way)")
        ax_cost.set_xscale("symlog", linthresh=10)  # the fast runs take 1-10 steps
        ax_cost.set_xlim(0, self.max_steps)
        ax_cost.set_title("cost curve", fontsize=11)
        ax_cost.legend(loc="lower left", fontsize=8)  # again, now with the target
        self.figure.tight_layout()

    # ---------------------------------------------------------------- one setting

    def cost(self) -> lesson.QuadraticCost:
        """The cost surface of the current scale ratio and inputs."""
        return self._surface()[0]

    def _surface(self, ratio: float | None = None, inputs: str | None = None):
        """(QuadraticCost, image) for a scale ratio and inputs (default: the controls'),
        remembered (the oldest forgotten beyond cache_size): every rate shares its surface."""
        if ratio is None:
            ratio, inputs = self.controls["scale_ratio"].value, self.controls["inputs"].value
        key = (ratio, inputs)
        if key not in self._surfaces:
            self._surfaces[key] = self._make_surface(ratio, inputs)
            if len(self._surfaces) > self._cache_size:
                self._surfaces.popitem(last=False)
        return self._surfaces[key]

    def _make_surface(self, ratio: float, inputs: str):
        """The least-squares cost of the data at this scale ratio (standardized or not), and
        the image of log10((J - J*) / (J(0) - J*)) over the window, (resolution, resolution)."""
        X, y = lesson.two_scales_regression(self.m, ratio, rng=self.seed)
        if inputs == "standardized":
            X = lesson.standardize(X, lesson.fit_scaler(X))
        cost = lesson.least_squares(X, y)
        axis = np.linspace(*WINDOW, self.resolution)
        start_excess = float(cost.excess(np.zeros(2)))
        with np.errstate(divide="ignore"):
            image = np.log10(np.maximum(lesson.cost_grid(cost, axis, axis) - cost.min_cost,
                                        1e-300) / start_excess)
        return cost, image

    def compute(self) -> Result:
        """Run gradient descent at the current setting (milliseconds: two weights) and show it."""
        lr = self.controls["lr"].value
        cost, _ = self._surface()
        start_excess = float(cost.excess(np.zeros(2)))
        target = cost.min_cost + self.tolerance * start_excess
        path = lesson.gradient_descent(cost, lr, self.max_steps, target=target)
        excess = (path.costs - cost.min_cost) / start_excess
        rate = lesson.convergence_rate(cost.H)
        predicted = rate ** (2.0 * np.arange(self.max_steps + 1))
        status, level = self._verdict(cost, path, excess, lr)
        result = Result(path.weights, excess, predicted, path.diverged, status, level)
        self.show(result)
        return result

    def _describe(self, cost) -> str:
        ratio, inputs = self.controls["scale_ratio"].value, self.controls["inputs"].value
        kappa_text = _kappa_text(cost.condition_number)
        if ratio == 1:
            if inputs == "raw":
                return f"raw features, x1 and x2 on the same scale; condition number {kappa_text}"
            return (f"standardized features (raw x1 and x2 were on the same scale); "
                    f"condition number {kappa_text}")
        ratio = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"
        if inputs == "raw":
            return f"raw features, x2 {ratio}× larger than x1; condition number {kappa_text}"
        return (f"standardized features (raw x2 was {ratio}× larger); "
                f"condition number {kappa_text}")

    def _verdict(self, cost, path, excess, lr):
        """The run in words: diverged, reached the target, or not within the step limit."""
        limit = lesson.max_stable_learning_rate(cost.H)
        best = lesson.best_learning_rate(cost.H)
        predicted = lesson.predicted_steps(cost.H, self.tolerance)
        head = _capital(f"{self._describe(cost)}; learning rate {lr:.3g}. ")
        if lr > limit:
            # Along the steepest axis each step multiplies the error by |1 - lr * lambda_max| > 1.
            growth = abs(1 - lr * cost.eigenvalues[-1])
            if path.diverged:
                what = (f"Diverged at step {path.diverged_at:,}: the rate is "
                        f"{_above_limit(lr, limit)}, so every step overshoots the steepest "
                        f"direction further (its error grows by a factor of "
                        f"{_factor(growth)} per step).")
            else:  # unstable, but growing too slowly to pass the blow-up threshold yet
                what = (f"Diverging slowly: the rate is {_above_limit(lr, limit)}; along the "
                        f"steepest direction the error grows by a factor of {_factor(growth)} "
                        f"per step, {_factor(growth ** path.steps)} in {path.steps:,} steps.")
            return head + what + " " + self._advice(cost), "bad"
        theory = (f"At the best rate, {best:.3g}, theory says {predicted:,} "
                  f"step{'s' * (predicted != 1)}.")
        if excess[-1] <= self.tolerance:
            return (head + f"Reached the target in {path.steps:,} step"
                    f"{'s' * (path.steps != 1)}. " + theory, "good")
        done = 100 * (1 - excess[-1])
        text = head + (f"Not reached within {self.max_steps:,} steps: the cost went "
                       f"{math.floor(done * 10) / 10:.1f}% of the way to its minimum. " + theory)
        if lr < best / 3:
            text += " This rate is far below the best one."
        steep = 1 - lr * cost.eigenvalues[-1]  # what a step does to the steep direction's error
        if steep < -0.99:
            # Near the limit the steep direction zig-zags almost undamped, so in a short run
            # a smaller rate can get further (it removes the steep part at once), though the
            # flat direction then converges even more slowly.
            shrinks = (f"shrinks by only {_fraction(1 + steep)} of itself per step"
                       if 1 + steep > 0 else "does not shrink at all (the rate is the limit)")
            text += (f" So close to the limit the steep direction's error flips sign and "
                     f"{shrinks}; half this rate removes it at once, but the flat direction "
                     f"is then twice as slow.")
        return text, "warn"

    def _advice(self, cost) -> str:
        """What to do after a divergence: the best rate, how close it is to the limit, and
        whether even that rate reaches the target within the step limit."""
        limit = lesson.max_stable_learning_rate(cost.H)
        best = lesson.best_learning_rate(cost.H)
        gap = 1 - best / limit  # = lambda_min / (lambda_min + lambda_max) = 1 / (kappa + 1)
        if gap < 1e-3:
            text = (f"Press best rate: 2/(λmin + λmax) is below the limit by only {gap:.1e} "
                    f"of it, far closer than the slider's notches (26% apart) can reach.")
        else:
            text = f"Press best rate ({best:.3g}, {100 * (1 - gap):.3g}% of the limit)."
        predicted = lesson.predicted_steps(cost.H, self.tolerance)
        if predicted > self.max_steps:
            text += (f" Even at that rate theory says {predicted:,} steps to the target: "
                     f"try standardized features.")
        return text

    # ---------------------------------------------------------------- drawing

    def show(self, result: Result) -> None:
        cost, image = self._surface()
        self.surface.set_array(image)
        self.minimum_mark.set_data([cost.minimizer[0]], [cost.minimizer[1]])
        self.path_line.set_data(result.weights[:, 0], result.weights[:, 1])
        # Short: text is the slowest thing to draw (the status line says it in full).
        self.surface_note.set_text(f"{self.controls['inputs'].value}, "
                                   f"κ = {_kappa_text(cost.condition_number)}")
        self.curve.show(result.excess, line="run")
        # the theory line ends where it leaves the scale, rather than lying along its floor
        on_scale = np.where(result.predicted >= EXCESS_LIMITS[0], result.predicted, np.nan)
        self.curve.show(on_scale, line="theory")
        self.curve.note.set_text(self._curve_note(result))
        self.curve.note.set_color(NOTE_COLOURS[result.level])
        self.frame(result.status, result.level)

    def _curve_note(self, result: Result) -> str:
        """The cost curve's corner: how the run ended, in a few words."""
        last = result.excess.size - 1
        if result.level == "bad":
            return f"diverged at step {last:,}" if result.diverged else "diverging"
        if result.level == "warn":
            return f"not reached within {self.max_steps:,} steps"
        return f"reached in {last:,} step{'s' * (last != 1)}"


def _kappa_text(kappa: float) -> str:
    """A condition number for a sentence: 3.16, 11, 1,142,654."""
    return f"{kappa:.2f}" if kappa < 10 else f"{kappa:,.0f}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _factor(factor: float) -> str:
    """A growth factor for a sentence: 1 + 2.0e-07, 1.002, 3.2, 250, 1.1e4."""
    if not np.isfinite(factor):
        return "inf"
    if factor < 1.001:
        return f"1 + {factor - 1:.1e}"
    if factor < 1.1:
        return f"{factor:.4g}"
    if factor < 10:
        return f"{factor:.2g}"
    if factor < 1e4:
        return f"{factor:,.0f}"
    mantissa, exponent = f"{factor:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _fraction(x: float) -> str:
    """A small fraction for a sentence: 1.8e-06, 0.004."""
    return f"{x:.1e}" if x < 1e-3 else f"{x:.2g}"


def _above_limit(lr: float, limit: float) -> str:
    """How far a rate is above the limit, readable when they share their first digits."""
    ratio = lr / limit
    if ratio < 1.01:
        return f"above the stable limit 2/λmax = {limit:.3g}, by {ratio - 1:.1e} of it"
    return f"{_factor(ratio)} times the stable limit 2/λmax = {limit:.3g}"


def normalization_dashboard(**options) -> NormalizationDashboard:
    """The dashboard of 01_input_normalization; see NormalizationDashboard for the options."""
    return NormalizationDashboard(**options)
