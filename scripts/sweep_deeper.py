"""The sweeps of 09_deeper_networks: data/deeper_map.json and data/deeper_runs.json.

`map` (data/deeper_map.json; about 15 minutes on one core for `plain`, 10 for `residual`):
the map of what trains. Plain networks with tanh, ReLU and sigmoid and residual networks
(branch scaled by 1/sqrt(depth)) with tanh and ReLU, 2 to 64 hidden layers of 32 units on
scikit-learn's digits, weights N(0, sigma_w2 / fan_in) with sigma_w2 from 0.5 to 16 and
biases N(0, 0.05), trained by the fixed short run of cu.lessons.deeper.map_run (SGD,
batches of 64, 200 steps) at seven learning rates (a factor sqrt(10) apart: 0.001-1, the
sigmoid 0.01-10), rng seed 0; then seed 1 at each cell's best rate, for the spread.

`runs` (data/deeper_runs.json; about 8 minutes): sections 2-5's training runs, each over a
learning-rate grid and rng seeds 0-2 (0-4 for warmup): depth 50 plain vs residual ReLU
nets; batch norm vs layer norm at batch sizes 2, 8, 64; pre- vs post-norm at depth 50;
Adam with and without warmup; ReLU, GELU and SiLU.

    python scripts/sweep_deeper.py map plain
    python scripts/sweep_deeper.py map residual
    python scripts/sweep_deeper.py runs

tests/claims/test_09_deeper_networks.py recomputes a sample of both files.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

import course_utils as cu
from course_utils.lessons import deeper

DATA = pathlib.Path(__file__).parents[1] / "data"
MAP_FILE, RUNS_FILE = DATA / "deeper_map.json", DATA / "deeper_runs.json"
SIGMA_W2 = [0.5, 0.71, 1.0, 1.41, 2.0, 2.83, 4.0, 8.0, 16.0]
DEPTHS = [2, 4, 8, 16, 32, 64]
RATES = [0.001, 0.0032, 0.01, 0.032, 0.1, 0.32, 1.0]
SIGMOID_RATES = [0.01, 0.032, 0.1, 0.32, 1.0, 3.2, 10.0]
VARIANTS = {"plain": ["tanh", "relu", "sigmoid"], "residual": ["tanh", "relu"]}


def rates_for(activation: str) -> list:
    return SIGMOID_RATES if activation == "sigmoid" else RATES


def _score(run) -> float:
    return -1.0 if np.isnan(run["train_acc"]) else run["train_acc"]


def sweep_map(kind: str) -> list:
    cells = []
    for activation in VARIANTS[kind]:
        for depth in DEPTHS:
            for sigma_w2 in SIGMA_W2:
                runs = {lr: deeper.map_run(activation, depth, sigma_w2, lr, 0, kind == "residual")
                        for lr in rates_for(activation)}
                best = max(runs, key=lambda lr: _score(runs[lr]))
                again = deeper.map_run(activation, depth, sigma_w2, best, 1, kind == "residual")
                cells.append({"kind": kind, "activation": activation, "depth": depth,
                              "sigma_w2": sigma_w2, "best_lr": best,
                              "acc_by_lr": [runs[lr]["train_acc"] for lr in rates_for(activation)],
                              "verdict_by_lr": [runs[lr]["verdict"] for lr in rates_for(activation)],
                              "acc_seeds": [runs[best]["train_acc"], again["train_acc"]],
                              "verdict_seeds": [runs[best]["verdict"], again["verdict"]]})
                print(kind, activation, depth, sigma_w2, best, cells[-1]["acc_seeds"], flush=True)
    return cells


def _save(path, content):
    path.write_text(json.dumps(content, indent=0, allow_nan=True) + "\n")


def main_map(kind: str):
    stored = json.loads(MAP_FILE.read_text()) if MAP_FILE.exists() else {"cells": []}
    cells = [c for c in stored["cells"] if c["kind"] != kind] + sweep_map(kind)
    fresh = json.loads(MAP_FILE.read_text()) if MAP_FILE.exists() else {"cells": []}
    other = [c for c in fresh["cells"] if c["kind"] != kind]  # the other kind may have finished meanwhile
    cells = other + [c for c in cells if c["kind"] == kind]
    settings = {"sigma_w2": SIGMA_W2, "depths": DEPTHS, "rates": RATES,
                "sigmoid_rates": SIGMOID_RATES, "sigma_b2": deeper.MAP_SIGMA_B2,
                "width": deeper.MAP_WIDTH, "steps": deeper.MAP_STEPS,
                "batch_size": deeper.MAP_BATCH, "seeds": [0, 1],
                "data": "cu.datasets.load_digits() training set (1,347 images)",
                "residual_branch_scale": "1/sqrt(depth)"}
    _save(MAP_FILE, {"settings": settings, "cells": cells})


if __name__ == "__main__":
    t = time.time()
    if sys.argv[1] == "map":
        main_map(sys.argv[2])
    else:
        import sweep_deeper_runs
        sweep_deeper_runs.main(sys.argv[2:])
    print(f"done in {time.time() - t:.0f} s")
