"""The sweeps of 09_deeper_networks: data/deeper_map.json and data/deeper_runs.json.

`map` (data/deeper_map.json; `plain` took 150 s wall-clock (116 s of CPU) on the shared
2-core machine with two other helpers' jobs running, `residual` 34 s, `bracket`
about 45 s): the map of what trains. Plain networks with tanh, ReLU and sigmoid and residual ReLU
networks (branch scaled by 1/sqrt(depth)), 2 to 64 hidden layers of 32 units on
scikit-learn's digits, weights N(0, sigma_w2 / fan_in) with sigma_w2 in SIGMA_W2 and biases
N(0, 0.05), trained by the fixed short run of cu.lessons.deeper.map_run (SGD, batches of
64, 100 steps). The budget: three learning rates per cell, a factor sqrt(10) apart and
centred on where that depth's best rate lies (rates_for), rng seed 0 at each; then seed 1
at the cell's best rate. `bracket` (about 1 minute) checks on a sample of cells that the
3-rate grid brackets the best rate: it adds the rates a factor sqrt(10) below and above
the grid and records whether either beats the grid's best by more than 0.05.

`runs` (data/deeper_runs.json): sections 2-5's training runs (scripts/sweep_deeper_runs.py).

    python scripts/sweep_deeper.py map plain
    python scripts/sweep_deeper.py map residual
    python scripts/sweep_deeper.py bracket
    python scripts/sweep_deeper.py runs [residual norms warmup activations]

tests/claims/test_09_deeper_networks.py recomputes a sample of both files.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

from course_utils.lessons import deeper

DATA = pathlib.Path(__file__).parents[1] / "data"
MAP_FILE = DATA / "deeper_map.json"
SIGMA_W2 = [0.5, 1.0, 1.41, 2.0, 2.83, 4.0, 16.0]
DEPTHS = [2, 4, 8, 16, 32, 64]
VARIANTS = {"plain": ["tanh", "relu", "sigmoid"], "residual": ["relu"]}
# The grid's centre by depth (deeper plain nets need lower rates); x10 for the sigmoid (its
# slope is at most 1/4); residual nets (branches scaled down) have their own centres.
CENTRE = {2: 0.32, 4: 0.32, 8: 0.1, 16: 0.032, 32: 0.01, 64: 0.01}
RESIDUAL_CENTRE = {2: 0.32, 4: 0.32, 8: 0.32, 16: 0.1, 32: 0.1, 64: 0.1}
STEP = np.sqrt(10)
BRACKET_SAMPLE = [("plain", "tanh", 8, 2.0), ("plain", "tanh", 32, 1.41), ("plain", "relu", 16, 2.0),
                  ("plain", "relu", 32, 2.0), ("plain", "sigmoid", 4, 16.0), ("plain", "sigmoid", 8, 16.0),
                  ("residual", "relu", 32, 2.0), ("plain", "tanh", 16, 4.0)]


def rates_for(activation: str, depth: int, kind: str = "plain") -> list:
    centre = (RESIDUAL_CENTRE if kind == "residual" else CENTRE)[depth] * (10 if activation == "sigmoid" else 1)
    return [float(f"{centre * f:.2g}") for f in (1 / STEP, 1, STEP)]


def _score(run) -> float:
    return -1.0 if np.isnan(run["train_acc"]) else run["train_acc"]


def sweep_cell(kind, activation, depth, sigma_w2, rates=None) -> dict:
    rates = rates or rates_for(activation, depth, kind)
    runs = {lr: deeper.map_run(activation, depth, sigma_w2, lr, 0, kind == "residual") for lr in rates}
    best = max(runs, key=lambda lr: _score(runs[lr]))
    again = deeper.map_run(activation, depth, sigma_w2, best, 1, kind == "residual")
    return {"kind": kind, "activation": activation, "depth": depth, "sigma_w2": sigma_w2,
            "best_lr": best, "rates": rates,
            "acc_by_lr": [runs[lr]["train_acc"] for lr in rates],
            "verdict_by_lr": [runs[lr]["verdict"] for lr in rates],
            "acc_seeds": [runs[best]["train_acc"], again["train_acc"]],
            "verdict_seeds": [runs[best]["verdict"], again["verdict"]]}


def sweep_map(kind: str) -> list:
    cells = []
    for activation in VARIANTS[kind]:
        for depth in DEPTHS:
            for sigma_w2 in SIGMA_W2:
                cells.append(sweep_cell(kind, activation, depth, sigma_w2))
                c = cells[-1]
                print(kind, activation, depth, sigma_w2, c["best_lr"], np.round(c["acc_by_lr"], 2),
                      np.round(c["acc_seeds"], 2), flush=True)
    return cells


def sweep_bracket() -> list:
    """Seed 0 at the grid's rates and at one rate beyond each end, for BRACKET_SAMPLE."""
    out = []
    for kind, activation, depth, sigma_w2 in BRACKET_SAMPLE:
        grid = rates_for(activation, depth, kind)
        wide = [float(f"{grid[0] / STEP:.2g}")] + grid + [float(f"{grid[-1] * STEP:.2g}")]
        accs = [_score(deeper.map_run(activation, depth, sigma_w2, lr, 0, kind == "residual")) for lr in wide]
        out.append({"kind": kind, "activation": activation, "depth": depth, "sigma_w2": sigma_w2,
                    "rates": wide, "acc_by_lr": accs, "grid_best": max(accs[1:4]),
                    "outside_best": max(accs[0], accs[4])})
        print(out[-1], flush=True)
    return out


def _load() -> dict:
    return json.loads(MAP_FILE.read_text()) if MAP_FILE.exists() else {"cells": [], "bracket": []}


def _save(content):
    MAP_FILE.write_text(json.dumps(content, indent=0, allow_nan=True) + "\n")


def settings() -> dict:
    return {"sigma_w2": SIGMA_W2, "depths": DEPTHS,
            "rates": {f"{a} {d} {k}": rates_for(a, d, k) for k, acts in VARIANTS.items()
                      for a in acts for d in DEPTHS},
            "sigma_b2": deeper.MAP_SIGMA_B2, "width": deeper.MAP_WIDTH, "steps": deeper.MAP_STEPS,
            "batch_size": deeper.MAP_BATCH, "seeds": [0, 1],
            "data": "cu.datasets.load_digits() training set (1,347 images)",
            "residual_branch_scale": "1/sqrt(depth)"}


def main_map(kind: str):
    cells = sweep_map(kind)
    stored = _load()  # re-read: the other kind may have finished meanwhile
    stored["cells"] = [c for c in stored.get("cells", []) if c["kind"] != kind] + cells
    stored["settings"] = settings()
    _save(stored)


def main_bracket():
    bracket = sweep_bracket()
    stored = _load()
    stored["bracket"] = bracket
    _save(stored)


if __name__ == "__main__":
    t = time.time()
    if sys.argv[1] == "map":
        main_map(sys.argv[2])
    elif sys.argv[1] == "bracket":
        main_bracket()
    else:
        import sweep_deeper_runs
        sweep_deeper_runs.main(sys.argv[2:])
    print(f"done in {time.time() - t:.0f} s")
