"""Latency of the 11_capstone dashboard (every setting is stored: each move draws a stored
run; targets: a move <= 80 ms)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"standardize": True}, {"init": True}, {"relu": True}, {"lower_lr": True},
         {"shallow": True}, {"standardize": False}, {"relu": False}, {"lower_lr": False},
         {"init": False}, {"shallow": False, "standardize": True}]


def run():
    return measure(cu.widgets.capstone_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Capstone", run()))
