"""Latency of the 04_activation_functions dashboard (targets: cached move <= 100 ms; a move
that trains shows its first frame within 200 ms and its last within 1 s)."""

import course_utils as cu
from dashboard_latency import measure, report

MOVES = [{"lr": 3.0}, {"activation": "leaky_relu"}, {"activation": "elu"}, {"lr": 0.3},
         {"depth": 5}, {"activation": "selu"}, {"init": "LeCun normal"}, {"activation": "tanh"},
         {"init": "Xavier normal"}, {"activation": "sigmoid"}, {"init": "Xavier normal × 4"},
         {"depth": 2}, {"activation": "prelu"}, {"activation": "rrelu"}, {"lr": 0.03},
         {"init": "normal, std 1"}]


def run():
    return measure(cu.widgets.activation_dashboard, MOVES)


if __name__ == "__main__":
    print(report("Activations", run()))
