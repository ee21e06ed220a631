"""The course's figures. Each function takes `ax=None` (a new figure when None) and returns
its artists, so a dashboard can update them in place instead of drawing a new figure:
lines with `set_data`, the decision boundary with `set_array` (an image, because a
`contourf` cannot be updated), histograms with `StepPatch.set_data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

# ---------------------------------------------------------------- one palette for the course

# Matplotlib's "petroff10" style: ten colours chosen to stay distinct under the common
# colour-vision deficiencies (M. Petroff, 2021). "C0" ... "C9" name them in any figure
# once `use_course_style()` has run, which `import course_utils` does.
COURSE_STYLE = "petroff10"
PALETTE = tuple(plt.style.library[COURSE_STYLE]["axes.prop_cycle"].by_key()["color"])
# C0 blue, C1 yellow-orange, C2 red, C3 grey-green, C4 purple, C5 brown, C6 orange,
# C7 khaki, C8 grey, C9 light blue.

# One colour per quantity, in every dashboard and notebook figure. Greys ("0.55") mark
# what is only a reference, such as the starting point.
COLOURS = {"train": "C0", "cost": "C0", "val": "C6", "test": "C4", "weights": "C5",
           "start": "0.55", "bad": "C2", "good": "C0", "warn": "C6",
           "yours": "C6", "reference": "C0"}

# Text no smaller than this many points in any figure of the course.
MIN_FONT_SIZE = 8
# Colormaps: the decision boundary's is diverging (class 0 red, class 1 blue, as in the
# seed's figures, without the seed's Spectral greens and yellows); sequential maps are
# the perceptually uniform ones and single-hue ramps.
CMAP = "RdBu"
SEQUENTIAL_CMAPS = ("viridis", "cividis", "magma", "Greys", "Blues", "Blues_r", "Greys_r")


def use_course_style() -> None:
    """Set matplotlib's colour cycle to the course's palette (PALETTE) and its text sizes
    to readable ones. `import course_utils` calls it; call it again after another style."""
    plt.style.use(COURSE_STYLE)
    mpl.rcParams.update({"font.size": 10, "legend.fontsize": 9, "xtick.labelsize": 9,
                         "ytick.labelsize": 9, "axes.titlesize": 11})


def colour_of(name: str) -> str:
    """The hex colour of a palette name ("C2") or a quantity in COLOURS ("bad")."""
    return mpl.colors.to_hex(COLOURS.get(name, name))


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def first_non_finite(values) -> int | None:
    """Index of the first NaN/inf in `values`, or None."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=float)))
    return int(bad[0]) if bad.size else None


def plot_costs(costs, ax=None, label: str | None = None, steps=None, logy: bool = False, **style):
    """The cost per step. A run that diverged is drawn up to its last finite cost, with a
    marker and the words "diverged at step k" where it ended, never as a silent gap.

    Returns the Line2D (and, after divergence, the marker and text in `line.diverged_artists`).
    """
    ax = _axes(ax)
    costs = np.asarray(costs, dtype=float)
    steps = np.arange(costs.size) if steps is None else np.asarray(steps)
    bad = first_non_finite(costs)
    shown = slice(None) if bad is None else slice(0, bad)
    (line,) = ax.plot(steps[shown], costs[shown], label=label, **style)
    line.diverged_artists = []
    if bad is not None:
        y = costs[bad - 1] if bad > 0 else 1.0
        marker = ax.plot([steps[bad]], [y], "x", color=line.get_color(), ms=9, mew=2)[0]
        text = ax.annotate(f"diverged at step {steps[bad]:,}", (steps[bad], y),
                           textcoords="offset points", xytext=(-4, 6), ha="right",
                           color=line.get_color())
        line.diverged_artists = [marker, text]
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cost")
    return line


# ---------------------------------------------------------------- decision boundary


def grid_limits(X: np.ndarray, pad: float = 0.5):
    """(xmin, xmax), (ymin, ymax) around the points X (2, m), padded."""
    return ((X[0].min() - pad, X[0].max() + pad), (X[1].min() - pad, X[1].max() + pad))


@dataclass
class BoundaryArtists:
    """The decision-boundary picture: an image of the prediction on a grid, and the points.
    `update(predict_fn)` recolours the image in place."""

    image: object
    points: tuple  # the two classes' scatters: class 0 circles, class 1 triangles
    grid: np.ndarray  # (2, resolution**2) grid points, column layout
    resolution: int

    def values(self, predict_fn) -> np.ndarray:
        """predict_fn on the grid, as a (resolution, resolution) image."""
        out = np.asarray(predict_fn(self.grid), dtype=float)
        return out.reshape(self.resolution, self.resolution)

    def update(self, predict_fn=None, values: np.ndarray | None = None) -> None:
        self.image.set_array(self.values(predict_fn) if values is None else values)


def plot_decision_boundary(predict_fn, X: np.ndarray, Y: np.ndarray, ax=None,
                           resolution: int = 150, xlim=None, ylim=None, pad: float = 0.5,
                           point_size: float = 12) -> BoundaryArtists:
    """Colour the plane by predict_fn and scatter the points.

    predict_fn: X (2, k) -> labels or P(y=1), shape (1, k) or (k,). X (2, m), Y (1, m).
    Red is class 0 (circles), blue is class 1 (triangles), as in the seed's figures.
    """
    ax = _axes(ax)
    if xlim is None or ylim is None:
        xlim, ylim = grid_limits(X, pad)
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.vstack([xx.ravel(), yy.ravel()])
    artists = BoundaryArtists(None, None, grid, resolution)
    image = ax.imshow(artists.values(predict_fn), extent=(*xlim, *ylim), origin="lower",
                      cmap=CMAP, vmin=0, vmax=1, alpha=0.55, aspect="auto",
                      interpolation="nearest")
    # Class 0 as circles, class 1 as triangles: the shape says the class without colour.
    labels = np.ravel(Y)
    points = tuple(ax.scatter(X[0, labels == k], X[1, labels == k], c=np.full((labels == k).sum(), k),
                              cmap=CMAP, vmin=-0.15, vmax=1.15, s=point_size, marker=marker,
                              edgecolors="k", linewidths=0.3, label=f"class {k}")
                   for k, marker in ((0, "o"), (1, "^")))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    artists.image, artists.points = image, points
    return artists


# ---------------------------------------------------------------- per-layer statistics


def plot_layer_stats(values, ax=None, predicted=None, label: str | None = None,
                     ylabel: str = "std of activations", logy: bool = True, **style):
    """One value per layer (e.g. the std of its activations) against the layer number, with
    an optional `predicted` curve (dashed) beside the measured one.

    Returns (measured_line, predicted_line or None). Zero or non-finite values are left out
    of a log axis; the caller says so in words.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    layers = np.arange(1, values.size + 1)
    (measured,) = ax.plot(layers, _loggable(values, logy), "o-", label=label, **style)
    predicted_line = None
    if predicted is not None:
        (predicted_line,) = ax.plot(layers, _loggable(np.asarray(predicted, float), logy), "--",
                                    color=measured.get_color(), alpha=0.7,
                                    label=None if label is None else f"{label} (predicted)")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    return measured, predicted_line


def _loggable(values, logy):
    """Values as they can be drawn: on a log axis, 0 and non-finite values become NaN (a gap)."""
    values = np.array(values, dtype=float)
    if logy:
        values[~(np.isfinite(values) & (values > 0))] = np.nan
    return values


def histogram(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Fractions of `values` in each bin (values outside the bins go to the end bins)."""
    clipped = np.clip(np.ravel(values), bins[0], bins[-1])
    counts, _ = np.histogram(clipped, bins)
    return counts / max(clipped.size, 1)


def plot_layer_histograms(activations: list, ax=None, bins=None, spacing: float = 1.0,
                          labels: bool = True, positive_only: bool = False):
    """Histograms of each layer's activations, stacked bottom (layer 1) to top (a ridgeline).

    activations: list of arrays (n_l, m). bins: edges (default 61 from -1 to 1, values
    outside are counted in the end bins). Each histogram is scaled to its own peak.
    positive_only: leave out values <= 0 (for ReLU, whose exact zeros, about half of all
    values, would dwarf the rest).
    Returns the list of StepPatch artists (update with `set_data(values, edges, baseline)`).
    """
    ax = _axes(ax)
    bins = np.linspace(-1, 1, 62) if bins is None else np.asarray(bins)
    patches = []
    for i, A in enumerate(activations):
        if positive_only:
            A = A[A > 0]
        heights = ridge_heights(A, bins, spacing)
        patch = ax.stairs(heights + i * spacing, bins, baseline=i * spacing, fill=True, alpha=0.8)
        patches.append(patch)
    ax.set_ylim(0, len(activations) * spacing + 0.2)
    ax.set_yticks(np.arange(len(activations)) * spacing + 0.3 * spacing)
    ax.set_yticklabels([f"layer {i + 1}" for i in range(len(activations))] if labels else [])
    ax.set_xlabel("activation value")
    return patches


def ridge_heights(A: np.ndarray, bins: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """A histogram scaled so that its peak is 0.9 * spacing (a ridge that does not overlap)."""
    fractions = histogram(A, bins)
    peak = fractions.max()
    return fractions / peak * 0.9 * spacing if peak > 0 else fractions


# ---------------------------------------------------------------- optimizer paths


def plot_trajectories(f, paths: dict, ax=None, xlim=(-2, 2), ylim=(-2, 2), levels: int = 30,
                      log_levels: bool = True, resolution: int = 200):
    """Contours of f(x, y) with the path of each optimizer on top.

    f: vectorized function of two arrays; paths: {label: array (n_steps, 2)}.
    Returns {label: Line2D} for set_data updates (the contours are drawn once).
    """
    ax = _axes(ax)
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    xx, yy = np.meshgrid(xs, ys)
    zz = f(xx, yy)
    if log_levels:
        zz = np.log10(zz - zz.min() + 1e-3)
    ax.contour(xx, yy, zz, levels=levels, cmap="Greys", linewidths=0.6)
    lines = {}
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        (lines[label],) = ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1.2, label=label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    return lines
