"""Two-dimensional test functions ("landscapes") with their gradients, and a runner that
moves any course_utils optimizer over them, so its path can be drawn on the contours.

    bowl = cu.lessons.optimizers.get("ravine")
    trip = cu.lessons.optimizers.run(cu.optimizers.momentum(0.05), bowl, steps=100)
    trip.path            # (steps + 1, 2): the start, then the point after every update
    trip.gaps            # f - f_min along the path

A point (w1, w2) is handed to the optimizer as the parameter dict {"W": array([w1, w2])}
and its gradient as {"dW": ...}, so every optimizer works unchanged (weight decay
included: "W" counts as a weight).

The five landscapes (`NAMES`), each a question the notebook asks:
    ravine         an ill-conditioned quadratic: does the optimizer zig-zag across it?
    rosenbrock     a curved, flat-bottomed valley: does it follow the bend?
    beale          steep walls and flat plateaus: gradients over many orders of magnitude
    saddle         a saddle point between two minima: how fast does it get off the ridge?
    local_minimum  a shallow local minimum beside the global one: does it roll through?
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import optimizers as _optimizers
from .._validate import one_of, positive_int, positive_number

# A run that leaves this box (or whose f stops being finite) has diverged and is stopped.
ESCAPE_RADIUS = 1e6
# Scores floor the gap at this value: below it every optimizer counts as "arrived".
GAP_FLOOR = 1e-12


@dataclass(frozen=True)
class Landscape:
    """A function f(w1, w2) with its gradient, and where to look at it.

    f(x, y) and grad(x, y) -> (df/dx, df/dy) take arrays of any (equal) shape.
    xlim, ylim: the window the notebook draws; start: the default starting point;
    minimum: the global minimum (one of them, for the saddle) and f_min its value;
    steps: the default number of updates for a run.
    """

    name: str
    title: str
    f: Callable
    grad: Callable
    xlim: tuple
    ylim: tuple
    start: tuple
    minimum: tuple
    f_min: float
    steps: int
    note: str = ""
    extra_minima: tuple = ()  # other local or global minima worth marking

    def value(self, point) -> float:
        """f at one point (w1, w2)."""
        x, y = point
        return float(self.f(np.asarray(x, dtype=float), np.asarray(y, dtype=float)))

    def gradient(self, point) -> np.ndarray:
        """(df/dw1, df/dw2) at one point, as an array of shape (2,)."""
        gx, gy = self.grad(np.asarray(point[0], dtype=float), np.asarray(point[1], dtype=float))
        return np.array([gx, gy], dtype=float)

    def grid(self, resolution: int = 200):
        """(xx, yy, zz) on the drawing window, for contour plots."""
        xs = np.linspace(*self.xlim, resolution)
        ys = np.linspace(*self.ylim, resolution)
        xx, yy = np.meshgrid(xs, ys)
        return xx, yy, self.f(xx, yy)


# ---------------------------------------------------------------- the landscapes


def ravine(condition: float = 100.0, angle_deg: float = 30.0) -> Landscape:
    """An ill-conditioned quadratic bowl: f = (u^2 + condition * v^2) / 2, where (u, v) is
    the point rotated by angle_deg (0: the steep direction is w2; the default 30 degrees
    keeps the ravine off the axes, which optimizers that scale each coordinate separately
    would otherwise straighten out for free).

    The curvatures are 1 and `condition`. Gradient descent is stable only for
    lr < 2 / condition, and then crawls along the flat direction: per step the error
    shrinks at best by (condition - 1) / (condition + 1). Heavy-ball momentum can reach
    (sqrt(condition) - 1) / (sqrt(condition) + 1).
    """
    condition = positive_number(condition, "condition")
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))

    def f(x, y):
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u * u + condition * v * v)

    def grad(x, y):
        u, v = c * x + s * y, -s * x + c * y
        du, dv = u, condition * v  # gradient in (u, v), rotated back
        return c * du - s * dv, s * du + c * dv

    return Landscape("ravine", f"ill-conditioned quadratic (curvatures 1 and {condition:g})",
                     f, grad, xlim=(-3.0, 3.0), ylim=(-2.0, 2.0), start=(-2.5, -0.8),
                     minimum=(0.0, 0.0), f_min=0.0, steps=150,
                     note="a ravine: steep across, flat along")


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    """Rosenbrock's banana: f = (a - w1)^2 + b (w2 - w1^2)^2, minimum f = 0 at (a, a^2).

    A steep-walled valley along the parabola w2 = w1^2 with an almost flat floor.
    """
    a, b = positive_number(a, "a"), positive_number(b, "b")

    def f(x, y):
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(x, y):
        return -2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)

    return Landscape("rosenbrock", "Rosenbrock's valley", f, grad, xlim=(-2.0, 2.0),
                     ylim=(-1.0, 3.0), start=(-1.2, 1.0), minimum=(a, a * a), f_min=0.0,
                     steps=300, note="a curved valley with a flat floor")


def beale() -> Landscape:
    """Beale's function: f = (1.5 - w1 + w1 w2)^2 + (2.25 - w1 + w1 w2^2)^2
    + (2.625 - w1 + w1 w2^3)^2, minimum f = 0 at (3, 0.5).

    The w2^3 term makes the walls very steep while large flat regions surround the
    minimum: the gradient's size varies over orders of magnitude.
    """
    def terms(x, y):
        return 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y ** 3

    def f(x, y):
        t1, t2, t3 = terms(x, y)
        return t1 * t1 + t2 * t2 + t3 * t3

    def grad(x, y):
        t1, t2, t3 = terms(x, y)
        gx = 2 * (t1 * (y - 1) + t2 * (y * y - 1) + t3 * (y ** 3 - 1))
        gy = 2 * x * (t1 + 2 * t2 * y + 3 * t3 * y * y)
        return gx, gy

    return Landscape("beale", "Beale's function", f, grad, xlim=(-1.0, 4.5), ylim=(-1.5, 2.0),
                     start=(0.5, 1.6), minimum=(3.0, 0.5), f_min=0.0, steps=300,
                     note="steep walls, flat plateaus")


def saddle() -> Landscape:
    """A saddle point between two minima: f = w1^2 / 2 - w2^2 / 2 + w2^4 / 4.

    At (0, 0) the gradient is 0 but it is no minimum: f curves up along w1 and down along
    w2. The minima are (0, 1) and (0, -1), f = -1/4. A start with w2 = 0 exactly never
    leaves the ridge; the default start is a hair (0.01) off it.
    """
    def f(x, y):
        y2 = y * y
        return 0.5 * x * x - 0.5 * y2 + 0.25 * y2 * y2

    def grad(x, y):
        return x, y * (y * y - 1)

    return Landscape("saddle", "a saddle point between two minima", f, grad,
                     xlim=(-2.5, 2.5), ylim=(-1.6, 1.6), start=(2.0, 0.01), minimum=(0.0, 1.0),
                     f_min=-0.25, steps=100, note="flat at the saddle: the gradient there is 0",
                     extra_minima=((0.0, -1.0),))


# The tilted double well: f = (w1^2 - 1)^2 + TILT * w1 + w2^2 / 2.
TILT = 0.3


def _double_well_minima():
    """The stationary points along w1: roots of 4 w1^3 - 4 w1 + TILT (sorted: global
    minimum, barrier top, local minimum)."""
    return np.sort(np.roots([4.0, 0.0, -4.0, TILT]).real)


def local_minimum() -> Landscape:
    """A shallow local minimum beside the global one, a tilted double well:
    f = (w1^2 - 1)^2 + 0.3 w1 + w2^2 / 2.

    The global minimum is near w1 = -1.04, the local one near w1 = 0.96, separated by a
    barrier near w1 = 0.08. The default start, on the right, runs downhill into the
    local minimum: only an optimizer that keeps enough speed crosses the barrier.
    """
    x_global, x_top, x_local = _double_well_minima()

    def f(x, y):
        return (x * x - 1) ** 2 + TILT * x + 0.5 * y * y

    def grad(x, y):
        return 4 * x * (x * x - 1) + TILT, y

    f_global = float(f(x_global, 0.0))
    return Landscape("local_minimum", "a local minimum beside the global one", f, grad,
                     xlim=(-2.0, 2.2), ylim=(-1.5, 1.5), start=(2.0, 1.0),
                     minimum=(float(x_global), 0.0), f_min=f_global, steps=150,
                     note="a shallow local minimum on the right",
                     extra_minima=((float(x_local), 0.0),))


_REGISTRY = {"ravine": ravine, "rosenbrock": rosenbrock, "beale": beale, "saddle": saddle,
             "local_minimum": local_minimum}
NAMES = tuple(_REGISTRY)


def get(name: str, **options) -> Landscape:
    """The landscape called `name` (one of NAMES), e.g. get("ravine", condition=100)."""
    one_of(name, "landscape", NAMES)
    return _REGISTRY[name](**options)


def local_minimum_barrier() -> dict:
    """Where the double well's minima and barrier are (w1 coordinates) and their f values."""
    land = local_minimum()
    x_global, x_top, x_local = _double_well_minima()
    return {"x_global": float(x_global), "x_barrier": float(x_top), "x_local": float(x_local),
            "f_global": land.value((x_global, 0.0)), "f_barrier": land.value((x_top, 0.0)),
            "f_local": land.value((x_local, 0.0))}


# ---------------------------------------------------------------- running an optimizer


@dataclass
class Trajectory:
    """One optimizer's run over a landscape.

    path: (n + 1, 2), the start and the point after each of the n updates taken
    (n < steps when the run diverged); values: f along the path; gaps: values - f_min.
    states: the optimizer's state after every update (only with keep_states=True).
    """

    path: np.ndarray
    values: np.ndarray
    landscape: Landscape
    optimizer: object
    steps: int
    diverged_at: int | None = None
    states: list = field(default_factory=list)

    @property
    def gaps(self) -> np.ndarray:
        return self.values - self.landscape.f_min

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final_point(self) -> np.ndarray:
        return self.path[-1]

    @property
    def final_gap(self) -> float:
        return float(self.gaps[-1]) if not self.diverged else float("inf")

    def steps_to(self, gap: float) -> int | None:
        """The first step at which f - f_min < gap, or None if never."""
        below = np.flatnonzero(self.gaps < gap)
        return int(below[0]) if below.size else None

    def step_lengths(self) -> np.ndarray:
        """||w_{t+1} - w_t|| for each update, shape (n,)."""
        return np.linalg.norm(np.diff(self.path, axis=0), axis=1)

    def score(self) -> float:
        """The mean over the run of log10(max(f - f_min, GAP_FLOOR)): lower is better; it
        rewards getting low and getting there early. inf when the run diverged."""
        return score_gaps(self.gaps, self.steps, self.diverged)


def score_gaps(gaps, steps: int, diverged: bool) -> float:
    """The tuning score of a run (see Trajectory.score)."""
    if diverged:
        return float("inf")
    logs = np.log10(np.maximum(np.asarray(gaps, dtype=float), GAP_FLOOR))
    return float(logs.mean())


def run(optimizer, landscape: Landscape | str, start=None, steps: int | None = None,
        keep_states: bool = False) -> Trajectory:
    """Move `optimizer` (a course_utils Optimizer) over `landscape` from `start` (default
    landscape.start) for `steps` updates (default landscape.steps).

    Stops early, with diverged_at set, when f is no longer finite or the point leaves a
    box of radius ESCAPE_RADIUS. Returns a Trajectory (path shape (n + 1, 2)).
    """
    if isinstance(landscape, str):
        landscape = get(landscape)
    if not isinstance(optimizer, _optimizers.Optimizer):
        raise TypeError("optimizer must be a course_utils Optimizer, e.g. "
                        f"cu.optimizers.adam(0.1), got {type(optimizer).__name__}")
    steps = positive_int(landscape.steps if steps is None else steps, "steps", 0)
    point = np.array(landscape.start if start is None else start, dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be a finite point (w1, w2), got {start!r}")
    params = {"W": point}
    opt_state = optimizer.init(params)
    path = np.empty((steps + 1, 2))
    path[0] = point
    states, diverged_at, taken = [], None, steps
    grad = landscape.grad
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            w = params["W"]
            gx, gy = grad(float(w[0]), float(w[1]))  # Python floats: faster than 0-d arrays
            params, opt_state = optimizer.update(params, {"dW": np.array([gx, gy])}, opt_state)
            w = params["W"]
            path[t + 1] = w
            if keep_states:
                states.append(opt_state)
            if not (abs(w[0]) < ESCAPE_RADIUS and abs(w[1]) < ESCAPE_RADIUS):  # NaN fails too
                diverged_at, taken = t + 1, t
                break
        path = path[:taken + 1]
        values = landscape.f(path[:, 0], path[:, 1])
    if diverged_at is None and not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        diverged_at, path, values = bad, path[:bad], values[:bad]
    return Trajectory(path, np.asarray(values, dtype=float), landscape, optimizer, steps,
                      diverged_at, states)


def lr_grid(low: float = 1e-3, high: float = 10.0, per_decade: int = 4) -> np.ndarray:
    """Log-spaced learning rates from low to high, `per_decade` per factor of 10."""
    positive_number(low, "low")
    positive_number(high, "high")
    positive_int(per_decade, "per_decade")
    n = int(round(math.log10(high / low) * per_decade)) + 1
    return np.logspace(math.log10(low), math.log10(high), n)


def tune_lr(name: str, landscape: Landscape | str, lrs=None, steps: int | None = None,
            start=None, **hyper):
    """The small sweep that picks an optimizer's learning rate on a landscape.

    Runs the optimizer `name` (cu.optimizers.get(name, lr=lr, **hyper)) at every lr in
    `lrs` (default lr_grid()), scores each run (Trajectory.score: the mean log10 gap, inf
    if it diverged) and returns (best_lr, scores) with scores of shape (len(lrs),).
    """
    if isinstance(landscape, str):
        landscape = get(landscape)
    lrs = lr_grid() if lrs is None else np.asarray(lrs, dtype=float)
    scores = np.array([run(_optimizers.get(name, lr=float(lr), **hyper), landscape, start,
                           steps).score() for lr in lrs])
    if not np.any(np.isfinite(scores)):
        raise ValueError(f"{name} diverged at every learning rate tried on {landscape.name}; "
                         "try smaller ones")
    return float(lrs[int(np.argmin(scores))]), scores
