"""What each activation costs to compute (04_activation_functions, section 2), as ratios to
ReLU measured in the same run: forward f(Z) plus backward dA * f'(Z) on a 256 x 1,024 array,
and beside them the three matrix products of the same layer with 256 or 1,024 inputs.

The notebook draws this as a figure and prints nothing (times depend on the machine); here
the ratios are printed so a change that makes an activation slower shows up in `make bench`.
"""

from __future__ import annotations

import numpy as np

from course_utils.lessons import activations as diagnostics
FAMILY = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu", "selu"]


def run(repeats: int = 7) -> dict:
    cost = {name: sum(diagnostics.activation_cost(name, shape=(256, 1024), repeats=repeats).values())
            for name in FAMILY}
    rng = np.random.default_rng(0)
    dZ = rng.standard_normal((256, 1024))
    for n_in in (256, 1024):
        W, A_prev = rng.standard_normal((256, n_in)), rng.standard_normal((n_in, 1024))
        cost[f"matrix products, {n_in} inputs"] = diagnostics.best_time(
            lambda: (W @ A_prev, dZ @ A_prev.T, W.T @ dZ), repeats=3)
    return cost


def report(cost: dict) -> str:
    lines = ["activation cost, forward + backward on 256 x 1,024 (best of 7 CPU times), "
             f"relative to ReLU ({cost['relu'] * 1e3:.2f} ms):"]
    lines += [f"  {name:30}{seconds / cost['relu']:7.1f} x" for name, seconds in cost.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
