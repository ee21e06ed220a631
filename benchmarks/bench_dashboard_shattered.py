"""Latency of the 10_shattered_gradients dashboard (targets: cached move < 80 ms; a new
setting, computed in one go, shown within 300 ms)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"depth": 1}, {"depth": 8}, {"depth": 50}, {"residual": True}, {"depth": 24},
         {"batch_norm": False}, {"gain": 1.5}, {"residual": False}, {"gain": 0.7},
         {"batch_norm": True, "depth": 12}, {"gain": 1.0, "residual": True, "depth": 50}]


def run():
    return measure(cu.widgets.shattered_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Shattered gradients", run()))
