"""What correct code scores in a gradient check, on many networks: data/gradcheck_networks.json.

08_gradient_checking derives the thresholds (ok below 1e-7, bug above 1e-3) from what
correct and buggy code score. One network is not enough to ground them, so this script
checks the correct backward pass (course_utils.network) of every network in
course_utils.lessons.gradcheck.THRESHOLD_NETWORKS (sizes from 67 to about 1,500 parameters; tanh, ReLU,
sigmoid, ELU; with and without batch norm; circles or digits) at its initialization, rng
seeds 0-2, with two-sided differences in float64 at eps 1e-6 (the course's default) and 1e-7
(the source course's). Per check: every block's relative error and gradient norm.
About 4 minutes on a busy 2-core machine. tests/claims/test_08_gradient_checking.py
recomputes a sample; rerun on another CPU, the errors (rounding noise) change by tens of
percent, never by an order of magnitude.

    python scripts/sweep_gradcheck_networks.py
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from course_utils import network
from course_utils.lessons import gradcheck as bugs
OUT = pathlib.Path(__file__).parents[1] / "data" / "gradcheck_networks.json"
SEEDS = (0, 1, 2)
EPS_VALUES = (1e-6, 1e-7)


def run_one(name: str, seed: int) -> dict:
    spec, params, X, Y = bugs.threshold_problem(name, seed)
    _, grads, _ = network.loss_and_grads(spec, params, X, Y)
    record = {"name": name, "seed": seed, "n_params": int(sum(v.size for v in params.values())),
              "grad_norm": {k: float(np.linalg.norm(grads["d" + k])) for k in params}}
    for eps in EPS_VALUES:
        report = bugs.check_threshold_network(name, seed, eps)
        record[f"errors_eps_{eps:.0e}"] = {k: float(f"{e:.4g}") for k, e in report.errors().items()}
    return record


def main() -> None:
    runs = []
    for name in bugs.THRESHOLD_NETWORKS:
        for seed in SEEDS:
            runs.append(run_one(name, seed))
            worst = max(runs[-1]["errors_eps_1e-06"].values())
            print(f"{name:28} seed {seed}: largest block error at eps 1e-6 {worst:.1e}", flush=True)
    settings = {"networks": {k: list(v) for k, v in bugs.THRESHOLD_NETWORKS.items()},
                "seeds": list(SEEDS), "eps": list(EPS_VALUES)}
    OUT.write_text(json.dumps({"settings": settings, "runs": runs}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
