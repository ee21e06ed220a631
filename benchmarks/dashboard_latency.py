"""Drive a dashboard headlessly, as a reader would, and report how fast it answers.

For every control move: the time to the first frame shown and to the last one, split into
moves that needed training (first visit) and moves served from the dashboard's cache
(revisits). The figures count everything the kernel does (training, drawing, PNG
encoding); the browser's own share is measured by tests/browser (make bench reports both).

Where the kernel's time goes, over the first pass through the moves (mostly new settings):
training (cu.train, less the frames drawn from its callbacks), drawing the frames
(FigureView.redraw and full_redraw, less the encoding), encoding them as PNG
(FigureView._encode), and the rest (the setting's other computations: statistics,
decision-boundary grids, theory).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from course_utils import training
from course_utils.widgets import figure


def percentile_ms(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if len(values) else float("nan")


class _Split:
    """Seconds spent in training, drawing and encoding while it is installed (see
    `installed`): wrappers around cu.train and FigureView's drawing and encoding."""

    def __init__(self):
        self.seconds = {"training": 0.0, "drawing": 0.0, "encoding": 0.0}
        self._open = []  # the wrapped calls running now, outermost first

    def _timed(self, part, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            self._open.append(part)
            try:
                return function(*args, **kwargs)
            finally:
                self._open.pop()
                spent = time.perf_counter() - start
                self.seconds[part] += spent
                if self._open:  # spent inside an enclosing wrapped call: not its own time
                    self.seconds[self._open[-1]] -= spent
        return wrapper

    @contextlib.contextmanager
    def installed(self):
        view = figure.FigureView
        saved = (training.train, view.redraw, view.full_redraw, view._encode)
        training.train = self._timed("training", saved[0])
        view.redraw = self._timed("drawing", saved[1])
        view.full_redraw = self._timed("drawing", saved[2])
        view._encode = self._timed("encoding", saved[3])
        try:
            yield self
        finally:
            training.train, view.redraw, view.full_redraw, view._encode = saved


def measure(make_dashboard, moves, revisit: bool = True) -> dict:
    """moves: list of {control: value} dicts, applied in order, then (revisit) again."""
    dashboard = make_dashboard()
    dashboard.timings.clear()
    visited = []
    split = _Split()
    with split.installed():  # the first pass: where the moves that compute spend their time
        for move in moves:
            dashboard.set(**move)
            visited.append(dashboard.state())
    first_pass = sum(t["total_s"] for t in dashboard.timings)
    if revisit:  # come back to each setting seen, all its controls at once
        for state in visited:
            dashboard.set(**state)
    by_kind = {}
    for timing in dashboard.timings:
        by_kind.setdefault(timing["kind"], []).append(timing)
    summary = {}
    for kind, timings in by_kind.items():
        first = [t["first_frame_s"] for t in timings]
        total = [t["total_s"] for t in timings]
        summary[kind] = {"n": len(timings),
                         "first_median_ms": percentile_ms(first, 50),
                         "first_p90_ms": percentile_ms(first, 90),
                         "total_median_ms": percentile_ms(total, 50),
                         "total_p90_ms": percentile_ms(total, 90)}
    if first_pass > 0:
        shares = {part: seconds / first_pass for part, seconds in split.seconds.items()}
        summary["split"] = {**shares, "rest": 1 - sum(shares.values())}
    return summary


def report(name: str, summary: dict) -> str:
    lines = [f"{name} dashboard, response per control move (kernel side):"]
    splits = {kind: s for kind, s in summary.items() if kind.endswith("split")}
    for kind, s in summary.items():
        if kind in splits:
            continue
        lines.append(f"  {kind:8} n={s['n']:3}  first frame median {s['first_median_ms']:6.0f} ms, "
                     f"p90 {s['first_p90_ms']:6.0f} ms   last frame median "
                     f"{s['total_median_ms']:6.0f} ms, p90 {s['total_p90_ms']:6.0f} ms")
    for kind, split in splits.items():
        lines.append(f"  {kind.removesuffix('split')}first pass through the moves, where the "
                     "kernel's time went: "
                     + ", ".join(f"{part} {share:.0%}" for part, share in split.items()))
    return "\n".join(lines)
