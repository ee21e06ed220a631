"""Latency of the 02_vanishing_exploding_gradients dashboard (targets: cached move <= 100 ms;
a move that trains shows its first frame within 200 ms and its last within 1 s)."""

import math

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"activation": "tanh"}, {"activation": "relu"}, {"scale": math.sqrt(2)},
         {"depth": 20}, {"scale": 2.0}, {"scale": 0.5}, {"activation": "linear"},
         {"scale": 1.0}, {"depth": 5}, {"activation": "sigmoid"}, {"lr": 1.0},
         {"depth": 15}, {"activation": "tanh"}, {"lr": 0.03}, {"scale": 4.0}]


def run():
    return measure(cu.widgets.gradient_flow_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Gradient flow", run()))
