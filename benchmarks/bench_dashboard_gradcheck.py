"""Latency of the 08_gradient_checking dashboard (targets: cached move <= 100 ms; a move that
computes shows its first frame within 200 ms and its last within 1 s).

A move to a new (bug, precision, point) checks the current eps first (first frame), then
sweeps the 23 eps values of the slider; moving eps afterwards only redraws."""

import course_utils as cu
from course_utils.widgets.gradcheck import POINTS
from dashboard_latency import measure, report

MOVES = [{"dtype": "float32"}, {"eps": 1e-2}, {"dtype": "float64"}, {"eps": 1e-11},
         {"eps": 1e-6}, {"bug": "doubled gradient"}, {"bug": "wrong transpose"},
         {"eps": 1e-1}, {"bug": "missing 1/m"}, {"bug": "Z1 recomputed without b1"},
         {"point": POINTS[1]}, {"eps": 1e-6}, {"bug": "forgotten activation derivative"},
         {"point": POINTS[2]}, {"dtype": "float32"}, {"bug": "wrong sum axis"}]


def run():
    return measure(cu.widgets.gradcheck_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Gradient checking", run()))
