"""Drive a dashboard headlessly, as a reader would, and report how fast it answers.

For every control move: the time to the first frame shown and to the last one, split into
moves that needed training (first visit) and moves served from the dashboard's cache
(revisits). The figures count everything the kernel does (training, drawing, PNG
encoding); the browser's own share is measured by tests/browser (make bench reports both).
"""

from __future__ import annotations

import numpy as np


def percentile_ms(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if len(values) else float("nan")


def measure(make_dashboard, moves, revisit: bool = True) -> dict:
    """moves: list of {control: value} dicts, applied in order, then (revisit) again."""
    dashboard = make_dashboard()
    dashboard.timings.clear()
    visited = []
    for move in moves:
        dashboard.set(**move)
        visited.append(dashboard.state())
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
    return summary


def report(name: str, summary: dict) -> str:
    lines = [f"{name} dashboard, response per control move (kernel side):"]
    for kind, s in summary.items():
        lines.append(f"  {kind:8} n={s['n']:3}  first frame median {s['first_median_ms']:6.0f} ms, "
                     f"p90 {s['first_p90_ms']:6.0f} ms   last frame median "
                     f"{s['total_median_ms']:6.0f} ms, p90 {s['total_p90_ms']:6.0f} ms")
    return "\n".join(lines)
