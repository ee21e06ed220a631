"""Seed 002's claims about batch normalization, each over several random draws:
data/batchnorm_sweeps.json. Used by 06_batch_normalization.

Five experiments, each with and without batch norm (BN before each hidden activation):

- init_scale: weights drawn from N(0, s^2) for s = 1e-4 ... 1; does BN make the scale matter
  less? A 6-hidden-layer ReLU net (32 units) on the seed's circles, SGD lr 0.1, batches of 32.
- learning_rate: the same net at He's scale, learning rates 0.01 ... 30; does BN allow
  larger ones? Also the first step at which the training accuracy reaches 95%.
- sigmoid_depth: sigmoid hidden layers, 1 to 8 of them (32 units, Xavier normal), the best
  of three learning rates for each; does BN let a saturating activation train in deep nets?
- regularization: noisy moons with 100 training points, a (64, 64, 64) ReLU net trained to
  fit them; is the train/test gap smaller with BN? Beside it: dropout (keep 0.8), and BN
  with the full batch (no noise in the batch statistics).
- batch_size: batches of 2 to 64 with the same number of steps, ten draws each (about a
  minute); what tiny batches do to BN, and evaluation mode against training mode.

Accuracies are in evaluation mode (running statistics), as a deployed network would run.
About 15 minutes on a busy 2-core machine (most of it the sigmoid and learning-rate parts).
tests/claims/test_06_batch_normalization.py recomputes a sample.

    python scripts/sweep_batchnorm.py [part ...]     (default: every part)
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "batchnorm_sweeps.json"

SETTINGS = {
    "init_scale": {"data": "circles", "hidden": [32] * 6, "activation": "relu",
                   "optimizer": "sgd", "lr": 0.1, "batch_size": 32, "steps": 1500,
                   "scales": [float(s) for s in np.round(10.0 ** np.arange(-4, 0.01, 0.5), 6)],
                   "seeds": [0, 1, 2]},
    "learning_rate": {"data": "circles", "hidden": [32] * 6, "activation": "relu",
                      "init": "he_normal", "optimizer": "sgd", "batch_size": 32, "steps": 1500,
                      "lrs": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0], "eval_every": 50,
                      "target_acc": 0.95, "seeds": [0, 1, 2]},
    "sigmoid_depth": {"data": "circles", "width": 32, "activation": "sigmoid",
                      "init": "xavier_normal", "optimizer": "sgd", "batch_size": 32,
                      "steps": 2000, "depths": [1, 2, 3, 5, 8], "lrs": [0.3, 1.0, 3.0],
                      "seeds": [0, 1]},
    "regularization": {"data": "moons", "n_train": 100, "n_test": 1000, "noise": 0.35,
                       "hidden": [64, 64, 64], "activation": "relu", "init": "he_normal",
                       "optimizer": "momentum", "lr": 0.1, "batch_size": 20, "steps": 2000,
                       "configs": ["plain", "batch_norm", "dropout", "batch_norm_full_batch"],
                       "keep_prob": 0.8, "seeds": list(range(8))},
    "batch_size": {"data": "circles", "hidden": [16] * 3, "activation": "relu",
                   "init": "he_normal", "optimizer": "sgd", "lr": 0.1, "steps": 1000,
                   "batch_sizes": [2, 4, 8, 16, 32, 64], "seeds": list(range(10))},
}


def _data(settings):
    if settings["data"] == "circles":
        return cu.datasets.load_circles()
    return cu.datasets.load_moons(n_train=settings["n_train"], n_test=settings["n_test"],
                                  noise=settings["noise"])


def _finish(spec, hist, data) -> dict:
    """Evaluation-mode accuracies and cost of a finished run (NaN-safe)."""
    X, Y, X_test, Y_test = data
    row = {"diverged": hist.diverged}
    with np.errstate(over="ignore", invalid="ignore"):
        if hist.diverged:
            row.update(train_acc=None, test_acc=None, train_cost=None)
            return row
        Z_L, _ = cu.network.forward(spec, hist.params, X, hist.state, train=False)
        cost, _ = cu.network.output_loss(spec)(Z_L, Y)
        row["train_cost"] = round(float(cost), 6) if np.isfinite(cost) else None
        row["train_acc"] = round(cu.accuracy(spec, hist.params, X, Y, hist.state), 6)
        row["test_acc"] = round(cu.accuracy(spec, hist.params, X_test, Y_test, hist.state), 6)
    return row


def run_init_scale(scale: float, batch_norm: bool, seed: int) -> dict:
    s = SETTINGS["init_scale"]
    data = _data(s)
    spec = cu.Spec((2, *s["hidden"], 1), activation=s["activation"], batch_norm=batch_norm)
    params = cu.init_params(spec, cu.initializers.get("normal", scale=scale), rng=seed)
    hist = cu.train(spec, params, data[0], data[1], cu.optimizers.get(s["optimizer"], lr=s["lr"]),
                    steps=s["steps"], batch_size=s["batch_size"], rng=seed, progress=False)
    return {"scale": scale, "batch_norm": batch_norm, "seed": seed, **_finish(spec, hist, data)}


def run_learning_rate(lr: float, batch_norm: bool, seed: int) -> dict:
    s = SETTINGS["learning_rate"]
    data = _data(s)
    spec = cu.Spec((2, *s["hidden"], 1), activation=s["activation"], batch_norm=batch_norm)
    params = cu.init_params(spec, s["init"], rng=seed)
    hist = cu.train(spec, params, data[0], data[1], cu.optimizers.get(s["optimizer"], lr=lr),
                    steps=s["steps"], batch_size=s["batch_size"], rng=seed, progress=False,
                    eval_every=s["eval_every"])
    accs = [round(float(a), 6) for a in hist.evals["train_acc"]]
    reached = [step for step, a in zip(hist.evals["step"], accs) if a >= s["target_acc"]]
    return {"lr": lr, "batch_norm": batch_norm, "seed": seed, **_finish(spec, hist, data),
            "steps_to_target": reached[0] if reached else None, "train_acc_curve": accs}


def run_sigmoid_depth(depth: int, batch_norm: bool, lr: float, seed: int) -> dict:
    s = SETTINGS["sigmoid_depth"]
    data = _data(s)
    spec = cu.Spec((2, *[s["width"]] * depth, 1), activation=s["activation"],
                   batch_norm=batch_norm)
    params = cu.init_params(spec, s["init"], rng=seed)
    hist = cu.train(spec, params, data[0], data[1], cu.optimizers.get(s["optimizer"], lr=lr),
                    steps=s["steps"], batch_size=s["batch_size"], rng=seed, progress=False)
    return {"depth": depth, "batch_norm": batch_norm, "lr": lr, "seed": seed,
            **_finish(spec, hist, data)}


def run_regularization(config: str, seed: int) -> dict:
    s = SETTINGS["regularization"]
    data = _data(s)
    batch_norm = config.startswith("batch_norm")
    keep_prob = s["keep_prob"] if config == "dropout" else 1.0
    batch_size = s["n_train"] if config == "batch_norm_full_batch" else s["batch_size"]
    spec = cu.Spec((2, *s["hidden"], 1), activation=s["activation"], batch_norm=batch_norm,
                   keep_prob=keep_prob)
    params = cu.init_params(spec, s["init"], rng=seed)
    hist = cu.train(spec, params, data[0], data[1], cu.optimizers.get(s["optimizer"], lr=s["lr"]),
                    steps=s["steps"], batch_size=batch_size, rng=seed, progress=False)
    return {"config": config, "seed": seed, **_finish(spec, hist, data)}


def run_batch_size(batch_size: int, batch_norm: bool, seed: int) -> dict:
    """Also the accuracy in training mode on the whole training set at once (batch
    statistics of all 300 points instead of the running ones)."""
    s = SETTINGS["batch_size"]
    data = _data(s)
    X, Y = data[0], data[1]
    spec = cu.Spec((2, *s["hidden"], 1), activation=s["activation"], batch_norm=batch_norm)
    params = cu.init_params(spec, s["init"], rng=seed)
    hist = cu.train(spec, params, X, Y, cu.optimizers.get(s["optimizer"], lr=s["lr"]),
                    steps=s["steps"], batch_size=batch_size, rng=seed, progress=False)
    row = {"batch_size": batch_size, "batch_norm": batch_norm, "seed": seed,
           **_finish(spec, hist, data)}
    if batch_norm and not hist.diverged:
        with np.errstate(over="ignore", invalid="ignore"):
            Z_L, _ = cu.network.forward(spec, hist.params, X, hist.state, train=True)
        row["train_acc_batch_stats"] = round(float(np.mean((Z_L > 0) == Y)), 6)
    return row


def part_init_scale():
    s = SETTINGS["init_scale"]
    return [run_init_scale(scale, bn, seed) for bn in (False, True) for scale in s["scales"]
            for seed in s["seeds"]]


def part_learning_rate():
    s = SETTINGS["learning_rate"]
    return [run_learning_rate(lr, bn, seed) for bn in (False, True) for lr in s["lrs"]
            for seed in s["seeds"]]


def part_sigmoid_depth():
    s = SETTINGS["sigmoid_depth"]
    return [run_sigmoid_depth(depth, bn, lr, seed) for bn in (False, True)
            for depth in s["depths"] for lr in s["lrs"] for seed in s["seeds"]]


def part_regularization():
    s = SETTINGS["regularization"]
    return [run_regularization(config, seed) for config in s["configs"] for seed in s["seeds"]]


def part_batch_size():
    s = SETTINGS["batch_size"]
    return [run_batch_size(bs, bn, seed) for bn in (False, True) for bs in s["batch_sizes"]
            for seed in s["seeds"]]


PARTS = {"init_scale": part_init_scale, "learning_rate": part_learning_rate,
         "sigmoid_depth": part_sigmoid_depth, "regularization": part_regularization,
         "batch_size": part_batch_size}


def main(parts) -> None:
    stored = json.loads(OUT.read_text()) if OUT.exists() else {"settings": {}, "runs": {}}
    for name in parts or PARTS:
        start = time.perf_counter()
        stored["runs"][name] = PARTS[name]()
        stored["settings"][name] = SETTINGS[name]
        print(f"{name}: {len(stored['runs'][name])} runs in {time.perf_counter() - start:.0f} s",
              flush=True)
        OUT.write_text(json.dumps(stored, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
