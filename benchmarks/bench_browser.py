"""Latency in a real browser: from releasing a control to the new figure arriving in the
page (first frame, and last frame of a training move), measured by tests/browser in
headless Chromium over JupyterLab. Runs those tests (a few minutes), then summarizes
build/browser_latency.json. Skipped without Chromium."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).parents[1]
LATENCY_FILE = ROOT / "build" / "browser_latency.json"


def run() -> dict | None:
    if not (pathlib.Path("/usr/bin/chromium").exists() or shutil.which("chromium")):
        return None
    LATENCY_FILE.unlink(missing_ok=True)
    subprocess.run([sys.executable, str(ROOT / "tests" / "browser" / "run.py")], cwd=ROOT,
                   check=False, capture_output=True)
    if not LATENCY_FILE.exists():
        return {}
    return json.loads(LATENCY_FILE.read_text())


def report(data) -> str:
    if data is None:
        return "browser latency: skipped (no Chromium at /usr/bin/chromium)"
    if not data:
        return "browser latency: the browser tests wrote no measurements (did they fail?)"
    lines = ["browser (JupyterLab in headless Chromium), release of a control -> figure in the page:"]
    by_dashboard = {}
    for records in data.values():
        for r in records:
            by_dashboard.setdefault(r["dashboard"], []).append(r)
    for name, records in sorted(by_dashboard.items()):
        first = np.array([r["first"] for r in records])
        last = np.array([r["last"] for r in records])
        lines.append(f"  {name:32} n={len(records):2}  first frame median {np.median(first):5.0f} ms, "
                     f"p90 {np.percentile(first, 90):5.0f} ms   last frame median "
                     f"{np.median(last):5.0f} ms, p90 {np.percentile(last, 90):5.0f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
