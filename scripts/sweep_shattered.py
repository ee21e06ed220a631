"""The sweeps of 10_shattered_gradients: data/shattered.json, in three parts.

    depth     the lag-1 correlation of dy/dx along the 256-point grid in [-2, 2] at
              initialization (He weights, biases 0, 200 rectifiers per hidden layer, batch
              norm on Z, dy/dx through the grid's statistics, "batch"), seeds 0-9, for plain
              nets of PLAIN_DEPTHS hidden layers and residual nets of RESIDUAL_DEPTHS
    textbook  the textbook notebook's setup (weights and biases N(0, 1/D), no batch norm)
              and one change at a time (He weights; no biases; batch norm) beside the
              our version of the paper's (He, no biases, batch norm), at TEXTBOOK_DEPTHS, seeds 0-9: lag-1
              correlation and the rms of dy/dx
    training  plain and residual batch-normalized nets of 24 hidden layers (width 64) fit
              sin(3x) + 0.5 sin(7x) from 64 inputs drawn uniformly from [-2, 2] (rng =
              seed), Adam, full batch, 300 steps, at every rate of TRAINING["lrs"], seeds 0-4
              (lessons.shattered.regression_run): final training cost, test cost on the
              grid (evaluation mode), lag-1 correlation at initialization

About 8 minutes on a quiet machine; tests/claims/test_10_shattered_gradients.py recomputes a
sample of each part. One part alone (merged into the existing file):

    python scripts/sweep_shattered.py
    python scripts/sweep_shattered.py depth
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

from course_utils.lessons import shattered

OUT = pathlib.Path(__file__).parents[1] / "data" / "shattered.json"
SEEDS = list(range(10))
PLAIN_DEPTHS = [1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24]
RESIDUAL_DEPTHS = [2, 4, 8, 16, 24, 32, 50]
TEXTBOOK_DEPTHS = [24, 50]
# name -> (weight variance, bias variance, batch norm); D = 200
SETUPS = {"textbook": ("1/D", 1 / 200, False), "He weights": ("he", 1 / 200, False),
          "no biases": ("1/D", 0.0, False), "batch norm": ("1/D", 1 / 200, True),
          "paper": ("he", 0.0, True)}
TRAINING = {"depth": 24, "lrs": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3], "seeds": [0, 1, 2, 3, 4],
            "steps": 300, "width": 64, "n_train": 64}


def depth_part() -> dict:
    out = {"seeds": SEEDS, "plain": {}, "residual": {}}
    for kind, depths in (("plain", PLAIN_DEPTHS), ("residual", RESIDUAL_DEPTHS)):
        for depth in depths:
            spec = shattered.net_spec(depth, residual=kind == "residual")
            out[kind][str(depth)] = np.round(shattered.lag1_over_seeds(spec, SEEDS), 4).tolist()
            print(kind, depth, out[kind][str(depth)], flush=True)
    return out


def textbook_part() -> dict:
    out = {"seeds": SEEDS, "setups": {k: list(v) for k, v in SETUPS.items()}, "runs": {}}
    x = shattered.grid()
    for name, (weight_variance, bias_variance, batch_norm) in SETUPS.items():
        for depth in TEXTBOOK_DEPTHS:
            spec = shattered.net_spec(depth, batch_norm=batch_norm)
            lag1, rms = [], []
            for seed in SEEDS:
                params = shattered.init_net(spec, seed, weight_variance, bias_variance)
                g = shattered.gradient_along_grid(spec, params, x)
                lag1.append(round(shattered.deeper.lag1_correlation(g), 4))
                rms.append(float(f"{np.sqrt(np.mean(g ** 2)):.4g}"))
            out["runs"][f"{name}|{depth}"] = {"lag1": lag1, "rms": rms}
            print(name, depth, lag1, rms, flush=True)
    return out


def training_part(stored: dict | None = None) -> dict:
    """stored: the part from an earlier sweep with the same settings but fewer rates; its
    runs are kept rather than repeated."""
    done = {(r["residual"], r["lr"], r["seed"]): r for r in (stored or {}).get("runs", [])}
    runs = []
    for residual in (False, True):
        for lr in TRAINING["lrs"]:
            for seed in TRAINING["seeds"]:
                if (residual, lr, seed) in done:
                    runs.append(done[(residual, lr, seed)])
                    continue
                result = shattered.regression_run(TRAINING["depth"], residual, lr, seed,
                                                  TRAINING["steps"], TRAINING["width"],
                                                  TRAINING["n_train"])
                runs.append({"residual": residual, "lr": lr, "seed": seed,
                             **{k: float(f"{v:.4g}") for k, v in result.items()}})
                print(runs[-1], flush=True)
    return {"settings": TRAINING, "runs": runs}


PARTS = {"depth": depth_part, "textbook": textbook_part, "training": training_part}


def main(parts) -> None:
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    for part in parts:
        data[part] = training_part(data.get("training")) if part == "training" else PARTS[part]()
        OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(PARTS))
