"""Latency of the 01_input_normalization dashboard (targets: cached move <= 100 ms; a move that
runs gradient descent shows its first frame within 200 ms and its last within 1 s)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"scale_ratio": r} for r in (31.6, 100.0, 3.16, 1000.0)] + \
        [{"inputs": "standardized"}, {"scale_ratio": 10.0}, {"lr": 1.0}, {"scale_ratio": 316.0},
         {"inputs": "raw"}, {"lr": 1e-6}, {"scale_ratio": 1.0}, {"lr": 0.1}, {"lr": 0.0158},
         {"scale_ratio": 3.16}, {"inputs": "standardized"}, {"lr": 0.01}]


def run():
    return measure(cu.widgets.normalization_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Input normalization", run()))
