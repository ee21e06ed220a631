"""Latency of the 07_regularization dashboard (targets: cached move <= 100 ms; a move that
trains shows its first frame within 200 ms and its last within 1 s)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"penalty": "L2"}, {"lambd": 2.0}, {"lambd": 0.2}, {"penalty": "L1"},
         {"lambd": 1.0}, {"penalty": "none", "keep_prob": 0.5}, {"keep_prob": 0.8},
         {"early_stopping": True}, {"keep_prob": 1.0}, {"penalty": "L2", "lambd": 0.7},
         {"early_stopping": False, "keep_prob": 0.7}, {"penalty": "L1", "lambd": 0.1}]


def run():
    return measure(cu.widgets.regularization_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Regularization", run()))
