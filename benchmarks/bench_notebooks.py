"""How long each notebook takes to execute top to bottom in a fresh kernel, as a reader's
"Run All" does (nothing is written back), with the cells that take longest.

Targets (issue 22): notebooks 00-08 together within 60 s; 09 onwards within 30 s each.
Cell times come from the kernel's own execution timestamps (started -> idle)."""

from __future__ import annotations

import datetime
import pathlib
import subprocess
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLOWEST = 3  # cells named per notebook


def _cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    try:
        start = datetime.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0.0
    return (end - start).total_seconds()


def execute(path: pathlib.Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                            store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's start-up log, not a result
    seconds = time.perf_counter() - start
    cells = [(i, _cell_seconds(c)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return {"seconds": seconds, "cells": sorted(cells, key=lambda c: -c[1])[:SLOWEST]}


def run(paths=NOTEBOOKS) -> dict:
    return {p.name: execute(p) for p in paths}


def report(result: dict) -> str:
    lines = ["notebooks executed top to bottom, each in a fresh kernel (nothing written):"]
    for name, r in result.items():
        slow = ", ".join(f"cell {i} {s:.1f} s" for i, s in r["cells"] if s >= 0.5)
        lines.append(f"  {name:40} {r['seconds']:5.1f} s   {('slowest: ' + slow) if slow else ''}")
    core = sum(r["seconds"] for n, r in result.items() if n[:2] <= "08")
    later = {n: r["seconds"] for n, r in result.items() if n[:2] > "08"}
    summary = f"  00-08 together: {core:.0f} s (target 60 s)"
    if later:
        summary += "; " + ", ".join(f"{n[:2]}: {s:.0f} s" for n, s in later.items()) + \
            " (target 30 s each)"
    lines.append(summary)
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    paths = [pathlib.Path(p) for p in sys.argv[1:]] or NOTEBOOKS
    print(report(run(paths)))
