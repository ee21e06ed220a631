"""The pieces a dashboard's figure is made of. A panel draws one quantity on one axes: it
is built once (axes, labels, empty artists, registered with the FigureView as changing) and
updated in place by `show(...)`, so that a frame redraws only what changed.

    cost = CostPanel(view, ax, length=steps, limits=(1e-3, 1e2))
    boundary = BoundaryPanel(view, ax2, X, Y, resolution=70)
    ...
    cost.show(history.costs)
    boundary.show(boundary.probabilities(spec, params))

The same quantity has the same colour in every dashboard (COLOURS).
"""

from __future__ import annotations

import numpy as np

from .. import network, plotting

COLOURS = plotting.COLOURS  # one colour per quantity, in every dashboard and notebook
# A cost measured on each minibatch is noisy: drawn thin and faint under its smoothed or
# whole-set version, which is drawn thicker.
MINIBATCH_STYLE = {"lw": 0.7, "alpha": 0.35}
SMOOTHED_STYLE = {"lw": 1.8}


def corner_note(view, ax, colour: str = COLOURS["bad"], where: str = "upper right",
                fontsize: int = 9):
    """An empty text in a corner of `ax`, registered as changing; set it with set_text."""
    x, ha = (0.97, "right") if where.endswith("right") else (0.03, "left")
    y, va = (0.95, "top") if where.startswith("upper") else (0.05, "bottom")
    note = ax.text(x, y, "", transform=ax.transAxes, ha=ha, va=va, color=colour,
                   fontsize=fontsize)
    view.animate(note)
    return note


class CostPanel:
    """Cost curves against the step, on a fixed (log) scale, with a note in words when the
    main curve leaves the scale: where it diverged (NaN/inf; the curve stops there, it is
    never drawn as nothing without a word) or how high it peaked.

    lines: name -> (colour, legend label or None[, style]), style a dict of line
    properties such as {"lw": 0.6, "alpha": 0.4, "ls": "--"}; the first is the main curve.
    """

    def __init__(self, view, ax, *, length: int, limits=(1e-3, 1e2),
                 lines: dict | None = None, xlabel: str = "step", ylabel: str = "cost",
                 title: str = "cost (log scale)", log: bool = True, legend_loc="lower left",
                 legend_size: float = 8):
        self.ax, self.limits = ax, limits
        lines = lines or {"cost": (COLOURS["cost"], None)}
        self.lines = {name: ax.plot([], [], color=colour, label=label, **(style[0] if style else {}))[0]
                      for name, (colour, label, *style) in lines.items()}
        self.main = next(iter(self.lines))
        ax.set(xlim=(0, length), ylim=limits, yscale="log" if log else "linear",
               xlabel=xlabel, ylabel=ylabel, title=title)
        if any(line.get_label() and not line.get_label().startswith("_")
               for line in self.lines.values()):
            ax.legend(loc=legend_loc, fontsize=legend_size)
        self.note = corner_note(view, ax)
        view.animate(*self.lines.values())

    def show(self, costs, steps=None, line: str | None = None) -> None:
        """Draw `costs` (at `steps`, default 0, 1, 2, ...) on one line (default the main
        one). Values beyond the scale are drawn on its edge; the main line's note says why."""
        line = line or self.main
        costs = np.asarray(costs, dtype=float)
        steps = np.arange(costs.size) if steps is None else np.asarray(steps)
        shown = np.clip(costs, *self.limits)
        bad = plotting.first_non_finite(costs)
        end = costs.size if bad is None else bad
        self.lines[line].set_data(steps[:end], shown[:end])
        if line != self.main:
            return
        self.note.set_color(COLOURS["bad"])
        if bad is not None:
            self.note.set_text(f"diverged at step {int(steps[bad]):,}")
        elif costs.size and costs.max() > self.limits[1]:
            self.note.set_text(f"peak cost {costs.max():.1e} (off the scale)")
        else:
            self.note.set_text("")


class BoundaryPanel:
    """The plane coloured by the network's P(y = 1), with the training points on top."""

    def __init__(self, view, ax, X, Y, *, resolution: int = 70, title: str = "decision boundary",
                 title_size: float | None = None, point_size: float = 8, xlim=None, ylim=None):
        self.resolution = resolution
        self.artists = plotting.plot_decision_boundary(
            lambda G: np.full(G.shape[1], 0.5), X, Y, ax=ax, resolution=resolution,
            xlim=xlim, ylim=ylim, point_size=point_size)
        self.grid = self.artists.grid  # (2, resolution**2): the points the plane is coloured by
        ax.set_title(title, fontsize=title_size)  # None: the figure's usual title size
        view.animate(self.artists.image, *self.artists.points)

    def probabilities(self, spec, params, state=None) -> np.ndarray:
        """P(y = 1) on the grid, (resolution, resolution); a network that overflowed gives
        NaN, shown as 0.5 (undecided) rather than as a hole."""
        with np.errstate(over="ignore", invalid="ignore"):
            P = network.predict_proba(spec, params, self.grid, state)
        return np.nan_to_num(P, nan=0.5).reshape(self.resolution, self.resolution)

    def show(self, values: np.ndarray) -> None:
        """values: (resolution, resolution) P(y = 1), as from probabilities()."""
        self.artists.update(values=values)


def accuracies(spec, params, data: dict, state=None) -> dict:
    """The accuracy on each data set, e.g. accuracies(spec, params, {"train": (X, Y),
    "test": (X_test, Y_test)}) -> {"train": 0.93, "test": 0.91}. A network that overflowed
    is scored as it predicts (NaN probabilities are no class), without warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        return {name: network.accuracy(spec, params, X, Y, state) for name, (X, Y) in data.items()}


class LayerPanel:
    """One value per layer (a std, an rms, a gradient's norm) as lines against the layer
    number 1, 2, ..., on a fixed log scale. A value beyond the scale (0 and inf too) is drawn
    on its edge and counted in `clipped`; NaN leaves a gap.

    lines: name -> (matplotlib format, colour, legend label or None); styles: name -> more
    line options, e.g. {"a": {"ms": 4}}. layers: the most layers ever shown (the x range is
    fixed, so that a change of depth needs no slow full redraw).
    """

    def __init__(self, view, ax, *, lines: dict, limits, layers: int, styles: dict | None = None,
                 xlabel: str = "layer", ylabel: str = "", title: str = ""):
        self.ax, self.limits = ax, limits
        styles = styles or {}
        self.lines = {name: ax.plot([], [], fmt, color=colour, label=label,
                                    **styles.get(name, {}))[0]
                      for name, (fmt, colour, label) in lines.items()}
        ax.set(yscale="log", ylim=limits, xlim=(0.5, layers + 0.5), xlabel=xlabel,
               ylabel=ylabel, title=title)
        ax.set_xticks(np.arange(1, layers + 1))
        self.clipped = 0
        view.animate(*self.lines.values())

    def show(self, values: dict) -> None:
        """values: line name -> one value per layer, (n_layers,), layer 1 first."""
        self.clipped = 0
        for name, per_layer in values.items():
            per_layer = np.asarray(per_layer, dtype=float)
            beyond = (per_layer < self.limits[0]) | (per_layer > self.limits[1])
            self.clipped += int(np.sum(beyond))  # NaN compares False: never counted
            self.lines[name].set_data(np.arange(1, per_layer.size + 1),
                                      np.clip(per_layer, *self.limits))


class DoctorPanel:
    """The training doctor's findings (course_utils.doctor) as a numbered list on an axes
    without ticks: each fault's title, the notebook that teaches it and what was measured,
    wrapped to the panel's width; "No fault found" in green when there is none.

    show(findings): findings as dicts with "title", "notebook", "measured" and "severity"
    (Report.rows() gives "finding" for the title; both are accepted), or a Report.
    """

    def __init__(self, view, ax, *, title: str = "the training doctor's findings",
                 width: int = 84, max_findings: int = 5, fontsize: float = 8.5):
        self.width, self.max_findings = width, max_findings
        ax.set_axis_off()
        ax.set_title(title)
        self.text = ax.text(0.0, 1.0, "", transform=ax.transAxes, ha="left", va="top",
                            fontsize=fontsize, family="monospace", linespacing=1.25)
        view.animate(self.text)

    def lines(self, findings) -> str:
        """The panel's text for `findings` (what show() draws)."""
        import textwrap

        if hasattr(findings, "rows"):
            findings = findings.rows()
        faults = [f for f in findings if f.get("severity", "fault") == "fault"]
        if not faults:
            return "No fault found."
        out = []
        for i, f in enumerate(faults[: self.max_findings], 1):
            title = f.get("title", f.get("finding"))
            out.append(f"{i}. {title} ({f['notebook'][:2]})")
            out += textwrap.wrap(f["measured"], self.width, initial_indent="   ",
                                 subsequent_indent="   ")[:3]
        if len(faults) > self.max_findings:
            out.append(f"... and {len(faults) - self.max_findings} more")
        return "\n".join(out)

    def show(self, findings) -> None:
        text = self.lines(findings)
        self.text.set_text(text)
        self.text.set_color(COLOURS["good"] if text == "No fault found." else "black")
