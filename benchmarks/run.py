"""make bench: every benchmark in one run, printed as a report (never asserted in tests).

Runs bench_training.py (the seed's loop vs course_utils), the timings two notebooks draw
(bench_activation_cost.py, bench_gradcheck_cost.py), every bench_dashboard_*.py (headless
response times), the notebooks' execution times (bench_notebooks.py), then the browser
latencies and the browser's floor (bench_browser_floor.py) if Chromium is present.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    training = importlib.import_module("bench_training")
    print(training.report(training.run()), "\n", flush=True)
    for name in ("bench_activation_cost", "bench_gradcheck_cost"):  # timings the notebooks draw
        module = importlib.import_module(name)
        print(module.report(module.run()), "\n", flush=True)
    from dashboard_latency import report
    for path in sorted(HERE.glob("bench_dashboard_*.py")):
        module = importlib.import_module(path.stem)
        name = path.stem.removeprefix("bench_dashboard_").replace("_", " ").capitalize()
        print(report(name, module.run()), "\n", flush=True)
    import resource
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process after driving every dashboard: {peak_mb:.0f} MB "
          "(a notebook's kernel must stay under 1 GB)\n", flush=True)
    for name in ("bench_notebooks", "bench_browser", "bench_browser_floor"):
        module = importlib.import_module(name)
        print(module.report(module.run()), "\n", flush=True)


if __name__ == "__main__":
    main()
