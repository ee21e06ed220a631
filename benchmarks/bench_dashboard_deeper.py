"""Latency of the 09_deeper_networks dashboard (targets: cached move < 80 ms; a move that
trains shows its first frame within 100 ms and its last within 300 ms on a quiet core)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"depth": 64}, {"sigma_w2": 4.0}, {"residual": True}, {"norm": "layer"},
         {"norm": "batch"}, {"warmup": 10}, {"depth": 32}, {"residual": False},
         {"norm": "none", "sigma_w2": 2.0}, {"depth": 8}]


def run():
    return measure(cu.widgets.deeper_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Deeper networks", run()))
