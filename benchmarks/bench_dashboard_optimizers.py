"""Latency of the two 05_optimizers dashboards.

Paths over a landscape (target: a move that recomputes a path <= 50 ms; a landscape
switch redraws the contours, <= 200 ms), and the moons network (targets as for
Initialization: cached move <= 100 ms; a move that trains shows its first frame within
200 ms and its last within 1 s). The paths dashboard gets its tuned learning rates up
front, as in the notebook (the sweep itself is not timed)."""

import time

import numpy as np

import course_utils as cu
from course_utils.widgets.optimizers import PATH_OPTIMIZERS
from dashboard_latency import measure, percentile_ms, report

PATH_MOVES = [{"beta": 0.0}, {"beta": 0.5}, {"lr": 0.01}, {"lr": 0.03}, {"optimizer": "adam"},
              {"lr": 0.1}, {"x0": 1.0}, {"y0": -1.0}, {"show_adagrad": False},
              {"landscape": "rosenbrock"}, {"optimizer": "sgd"}, {"lr": 0.002},
              {"landscape": "local_minimum"}, {"optimizer": "momentum"}, {"lr": 0.02},
              {"beta": 0.95}, {"landscape": "saddle"}, {"y0": 0.0}, {"landscape": "beale"},
              {"lr": 0.3}]

MOONS_MOVES = [{"optimizer": "adam"}, {"optimizer": "momentum"}, {"lr": 0.01}, {"lr": 0.1},
               {"optimizer": "sgd"}, {"schedule": "cosine"}, {"batch_size": 16},
               {"batch_size": 300}, {"optimizer": "rmsprop", "lr": 0.003}, {"schedule": "constant"},
               {"optimizer": "adagrad"}, {"batch_size": 32}]


def tuned_rates() -> dict:
    return {name: {opt: cu.lessons.optimizers.tune_lr(opt, name)[0] for opt in PATH_OPTIMIZERS}
            for name in cu.lessons.optimizers.NAMES}


def measure_cpu(make_dashboard, moves) -> dict:
    """The same moves as measure(), timed in CPU seconds of this process: on a machine
    shared with other jobs, wall-clock times are inflated and CPU time is closer to what a
    reader's quiet machine would see. Reported as kinds "<kind> (cpu)", whole move only."""
    dashboard = make_dashboard()
    dashboard.timings.clear()
    seconds, visited = {}, []
    def move(values):
        start = time.process_time()
        dashboard.set(**values)
        if dashboard.timings:
            kind = dashboard.timings[-1]["kind"]
            seconds.setdefault(kind, []).append(time.process_time() - start)
            dashboard.timings.clear()
    for values in moves:
        move(values)
        visited.append(dashboard.state())
    for state in visited:
        move(state)
    return {f"{kind} (cpu)": {"n": len(v), "first_median_ms": np.nan, "first_p90_ms": np.nan,
                              "total_median_ms": percentile_ms(v, 50),
                              "total_p90_ms": percentile_ms(v, 90)}
            for kind, v in seconds.items()}


def run():
    tuned = tuned_rates()
    summary = {}
    for name, make, moves in (("paths", lambda: cu.widgets.landscape_dashboard(tuned=tuned),
                               PATH_MOVES),
                              ("moons", cu.widgets.moons_dashboard, MOONS_MOVES)):
        for kind, s in {**measure(make, moves), **measure_cpu(make, moves)}.items():
            summary[f"{name} {kind}"] = s
    return summary


if __name__ == "__main__":
    print(report("Optimizers", run()))
