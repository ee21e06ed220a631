"""Latency of the 03_initialization dashboard (targets: cached move <= 100 ms; a move that
trains shows its first frame within 200 ms and its last within 1 s)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"gain": g} for g in (10.0, 3.16, 0.316, 0.1)] + \
        [{"activation": "tanh"}, {"gain": 1.0}, {"depth": 5}, {"activation": "relu"},
         {"initializer": "Xavier normal"}, {"depth": 2}, {"initializer": "standard uniform"},
         {"activation": "sigmoid"}, {"initializer": "He uniform"}, {"depth": 4}]


def run():
    return measure(cu.widgets.initialization_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Initialization", run()))
