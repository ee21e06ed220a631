"""What a full gradient check costs against a training step (08_gradient_checking, 6g):
the notebook's 64-16-10 tanh network on 50 digits, medians of the same run, as a ratio."""

from __future__ import annotations

import statistics
import time

import numpy as np

import course_utils as cu
from course_utils import gradcheck


def run(repeats: int = 20) -> dict:
    X, Y, _, _ = cu.datasets.load_digits()
    X, Y = np.ascontiguousarray(X[:, :50]), Y[:, :50]
    spec = cu.Spec((64, 16, 10), activation="tanh", output="softmax")
    params = cu.init_params(spec, "xavier_normal", rng=0)

    def cost(p):
        logits, _ = cu.network.forward_unchecked(spec, p, X)
        return cu.network.output_loss(spec)(logits, Y)[0]

    steps = []
    for _ in range(repeats):
        start = time.perf_counter()
        cu.loss_and_grads(spec, params, X, Y)
        steps.append(time.perf_counter() - start)
    checks = []
    for _ in range(3):
        start = time.perf_counter()
        gradcheck.numerical_gradient(cost, params)
        checks.append(time.perf_counter() - start)
    step, check = statistics.median(steps), statistics.median(checks)
    return {"step_s": step, "check_s": check, "n_params": sum(v.size for v in params.values())}


def report(result: dict) -> str:
    return (f"gradient check vs training step, 64-16-10 tanh net ({result['n_params']:,} parameters):\n"
            f"  one training step  {result['step_s'] * 1e3:8.3f} ms\n"
            f"  one full check     {result['check_s'] * 1e3:8.1f} ms"
            f"  = {result['check_s'] / result['step_s']:,.0f} training steps")


if __name__ == "__main__":
    print(report(run()))
