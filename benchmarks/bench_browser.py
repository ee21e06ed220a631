"""Latency in a real browser: from releasing a control to the new figure arriving in the
page (first frame, and last frame of a training move), measured by tests/browser in
headless Chromium over JupyterLab. Runs those tests (a few minutes), then summarizes
build/browser_latency.json, split as the headless figures are: moves that trained (a new
setting) and moves served from the dashboard's cache (a setting seen before), as the
dashboard itself recorded in the kernel. Says which notebooks failed and the tests' return
code: numbers from a failed run are only partial. Skipped without Chromium."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).parents[1]
LATENCY_FILE = ROOT / "build" / "browser_latency.json"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def run() -> dict | None:
    if not (pathlib.Path("/usr/bin/chromium").exists() or shutil.which("chromium")):
        return None
    LATENCY_FILE.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "browser" / "run.py")], cwd=ROOT,
                          check=False, capture_output=True, text=True)
    data = json.loads(LATENCY_FILE.read_text()) if LATENCY_FILE.exists() else {}
    return {"returncode": done.returncode, "output_tail": (done.stdout + done.stderr)[-1500:],
            "notebooks": data}


def _ms(values, q) -> float:
    return float(np.percentile(values, q))


def report(result) -> str:
    if result is None:
        return "browser latency: skipped (no Chromium at /usr/bin/chromium)"
    notebooks = result["notebooks"]
    failed = [name for name, r in notebooks.items() if not r["passed"]]
    missing = [name for name in NOTEBOOKS if name not in notebooks]
    verdict = "passed" if result["returncode"] == 0 and not failed and not missing else "FAILED"
    lines = [f"browser tests {verdict} (return code {result['returncode']}); "
             f"{len(notebooks) - len(failed)} of {len(NOTEBOOKS)} notebooks passed"]
    for name in failed:
        lines.append(f"  FAILED {name}: {notebooks[name]['error']}")
    for name in missing:
        lines.append(f"  no result for {name} (the run stopped before it, or it was added since)")
    if result["returncode"] != 0 and not failed:
        lines += ["  end of the test output:", *("    " + s for s in
                                                 result["output_tail"].splitlines()[-15:])]
    if verdict != "passed":
        lines.append("  (the numbers below come from the moves made before any failure)")
    for name, r in notebooks.items():
        for slider in r.get("never_enabled", []):
            lines.append(f"  note: {slider} was disabled throughout, so never dragged")

    records = [r for n in notebooks.values() for r in n["records"]]
    from_input = sum(bool(r.get("from_input")) for r in records)
    lines.append("browser (JupyterLab in headless Chromium), release of a control (its input "
                 f"event in the page: {from_input} of {len(records)} moves) -> figure in the "
                 "page, by the kind of update the dashboard recorded:")
    groups = {}
    for r in notebooks.values():
        for record in r["records"]:
            groups.setdefault((record["dashboard"], record["kind"]), []).append(record)
    if not groups:
        lines.append("  no measurements were written")
    for (name, kind), records in sorted(groups.items()):
        first = [r["first"] for r in records]
        last = [r["last"] for r in records]
        kernel = [r["kernel_total"] for r in records]
        # the kernel's own time to its first frame (older records lack it)
        kernel_first = [r["kernel_first"] for r in records if r.get("kernel_first") is not None]
        first_part = (f"first {_ms(kernel_first, 50):4.0f}, " if kernel_first else "")
        lines.append(f"  {name:44} {kind:9} n={len(records):2}  first frame median "
                     f"{_ms(first, 50):5.0f} ms, p90 {_ms(first, 90):5.0f} ms   last frame median "
                     f"{_ms(last, 50):5.0f} ms, p90 {_ms(last, 90):5.0f} ms   (kernel median: "
                     f"{first_part}total {_ms(kernel, 50):5.0f} ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
