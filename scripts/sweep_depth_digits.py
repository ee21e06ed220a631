"""Accuracy against depth on scikit-learn's digits, for sigmoid, tanh and ReLU networks:
data/depth_vs_accuracy.json (seed 001's "after 8 layers accuracy drops sharply", measured).

Networks of 2 to 12 hidden layers of 32 units, a softmax output over the 10 digits;
sigmoid and tanh start from Xavier normal weights, ReLU from He normal (each the
initialization its activation is meant for). Minibatch gradient descent, batches of 64,
30 epochs (660 steps), each depth and activation trained at four learning rates with five
random seeds (the seed draws the weights and the batch order). For each activation and
depth the summary keeps the learning rate with the highest mean training accuracy (ties:
the lower mean training cost), so every network is compared at its best rate. Per run: final training cost, train and test
accuracy, and the ratio of the first layer's gradient norm to the last layer's at the start.

A second, smaller group trains the sigmoid networks ten times longer (300 epochs, seeds
0-2) at learning rate 3, the rate that did best wherever a sigmoid network learned at all
(2-4 layers), to see whether the deep ones only needed more time.

About 25 minutes on one core; run it with one BLAS thread:

    OPENBLAS_NUM_THREADS=1 python scripts/sweep_depth_digits.py [--reuse-runs]

--reuse-runs keeps the 660 runs of an existing data file made with the same settings (the
long runs' aside) and recomputes only the summary and the long runs.

A third part, under the key "clipping", is 02's section on gradient clipping with several
seeds: six ReLU layers of 32 at 2 x He's scale (the gradient explodes from the start) and at
He's scale, gradient descent at lr 0.1, batches of 64, 300 steps, without clipping, clipped by
value (0.1) and by norm (5), rng seeds 0-9 (about 2 minutes). Run only that part with

    OPENBLAS_NUM_THREADS=1 python scripts/sweep_depth_digits.py --clipping

tests/claims/test_02_vanishing_exploding_gradients.py recomputes a sample.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

import course_utils as cu
from course_utils.lessons import gradients as gradient_flow
OUT = pathlib.Path(__file__).parents[1] / "data" / "depth_vs_accuracy.json"
SETTINGS = {
    "data": "cu.datasets.load_digits() (1,347 train, 450 test, pixels in [0, 1])",
    "width": 32, "depths": list(range(2, 13)), "epochs": 30, "batch_size": 64,
    "optimizer": "sgd", "seeds": list(range(5)),
    "activations": {"sigmoid": "xavier_normal", "tanh": "xavier_normal", "relu": "he_normal"},
    "learning_rates": {"sigmoid": [0.1, 0.3, 1.0, 3.0], "tanh": [0.01, 0.03, 0.1, 0.3],
                       "relu": [0.003, 0.01, 0.03, 0.1]},
    "long": {"activation": "sigmoid", "depths": [3, 4, 5, 6, 8], "epochs": 300, "lr": 3.0,
             "seeds": [0, 1, 2]},
}


def spec_for(activation: str, depth: int) -> cu.Spec:
    return cu.Spec((64,) + (SETTINGS["width"],) * depth + (10,), activation=activation,
                   output="softmax")


def run_one(activation: str, depth: int, lr: float, seed: int, epochs: int | None = None,
            data=None) -> dict:
    """One run of the sweep: the numbers stored for it."""
    X, Y, X_test, Y_test = cu.datasets.load_digits() if data is None else data
    spec = spec_for(activation, depth)
    params = cu.init_params(spec, SETTINGS["activations"][activation], rng=seed)
    at_start = gradient_flow.measure(spec, params, X, Y)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr),
                    epochs=SETTINGS["epochs"] if epochs is None else epochs,
                    batch_size=SETTINGS["batch_size"], rng=seed, progress=False)
    row = {"activation": activation, "depth": depth, "lr": lr, "seed": seed}
    return row | outcome(spec, at_start, hist, (X, Y, X_test, Y_test))


def outcome(spec: cu.Spec, at_start, hist: cu.History, data) -> dict:
    """What a run's row stores: the gradient ratio at the start (at_start from
    gradient_flow.measure), divergence, and the final cost on the whole training set with
    the train and test accuracy (None after a divergence)."""
    X, Y, X_test, Y_test = data
    row = {"grad_ratio_at_start": float(f"{at_start.dW_norm[0] / at_start.dW_norm[-1]:.4g}"),
           "diverged": hist.diverged}
    if hist.diverged:
        return row | {"final_cost": None, "train_acc": None, "test_acc": None}
    with np.errstate(over="ignore", invalid="ignore"):
        Z_L, _ = cu.forward(spec, hist.params, X)
        cost, _ = cu.losses.softmax_cross_entropy(Z_L, Y)
    return row | {"final_cost": round(float(cost), 6),
                  "train_acc": round(cu.accuracy(spec, hist.params, X, Y), 6),
                  "test_acc": round(cu.accuracy(spec, hist.params, X_test, Y_test), 6)}


def best_rates(runs: list) -> dict:
    """{activation: {depth: lr}}: the rate with the highest mean training accuracy over the
    seeds, ties broken by the lower mean final training cost (a diverged run counts as
    accuracy 0 and cost inf)."""
    chosen = {}
    for activation, rates in SETTINGS["learning_rates"].items():
        chosen[activation] = {}
        for depth in SETTINGS["depths"]:
            def score(lr):
                picked = [r for r in runs
                          if (r["activation"], r["depth"], r["lr"]) == (activation, depth, lr)]
                accuracy = np.mean([0.0 if r["train_acc"] is None else r["train_acc"] for r in picked])
                cost = np.mean([np.inf if r["final_cost"] is None else r["final_cost"] for r in picked])
                return -round(float(accuracy), 6), float(cost)
            chosen[activation][depth] = min(rates, key=score)
    return chosen


def summarize(runs: list) -> list:
    """Per activation and depth, at the chosen rate: mean and std over the seeds."""
    chosen = best_rates(runs)
    rows = []
    for activation, by_depth in chosen.items():
        for depth, lr in by_depth.items():
            picked = [r for r in runs if (r["activation"], r["depth"], r["lr"]) == (activation, depth, lr)]
            row = {"activation": activation, "depth": depth, "lr": lr, "n": len(picked)}
            for key in ("train_acc", "test_acc"):
                values = np.array([0.0 if r[key] is None else r[key] for r in picked])
                row[f"{key}_mean"] = round(float(values.mean()), 4)
                row[f"{key}_std"] = round(float(values.std()), 4)
            row["grad_ratio_median"] = float(f"{np.median([r['grad_ratio_at_start'] for r in picked]):.3g}")
            rows.append(row)
    return rows


CLIPPING = {"width": 32, "depth": 6, "activation": "relu", "init": "he_normal", "lr": 0.1,
            "steps": 300, "batch_size": 64, "threshold": 5.0, "seeds": list(range(10)),
            "runs": {"2 x He, no clipping": [2.0, {}],
                     "2 x He, clip by value (0.1)": [2.0, {"clip_value": 0.1}],
                     "2 x He, clip by norm (5)": [2.0, {"clip_norm": 5.0}],
                     "He, no clipping": [1.0, {}],
                     "He, clip by norm (5)": [1.0, {"clip_norm": 5.0}]}}


def _clip(option: dict):
    """A stored option, {} or {"clip_value": 0.1} or {"clip_norm": 5.0}, as train()'s clip."""
    if not option:
        return None
    (name, threshold), = option.items()
    return {"clip_value": cu.ClipValue, "clip_norm": cu.ClipNorm}[name](threshold)


def clipping_run(name: str, seed: int, data=None) -> dict:
    """One run of the clipping part: divergence, accuracies, and how often the global norm of
    the weights' gradient (before clipping) went over the threshold 5."""
    X, Y, X_test, Y_test = cu.datasets.load_digits() if data is None else data
    gain, option = CLIPPING["runs"][name]
    spec = cu.Spec((64,) + (CLIPPING["width"],) * CLIPPING["depth"] + (10,),
                   activation=CLIPPING["activation"], output="softmax")
    params = cu.init_params(spec, CLIPPING["init"], rng=seed, gain=gain)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(CLIPPING["lr"]), steps=CLIPPING["steps"],
                    batch_size=CLIPPING["batch_size"], rng=seed, record_every=1, progress=False,
                    clip=_clip(option))
    norms = np.sqrt((hist.layer_stats["grad_norm"] ** 2).sum(axis=1))
    over = norms > CLIPPING["threshold"]
    streak = int(np.argmin(over)) if not np.all(over) else int(over.size)  # steps 0.. all over
    row = {"name": name, "seed": seed, "verdict": hist.verdict, "diverged_at": hist.diverged_at,
           "first_norm": float(f"{norms[0]:.4g}"), "steps_over": int(np.sum(over)),
           "first_streak": streak, "over_after_streak": int(np.sum(over[streak:]))}
    if hist.diverged:
        row.update(train_acc=None, test_acc=None)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            row.update(train_acc=round(cu.accuracy(spec, hist.params, X, Y), 6),
                       test_acc=round(cu.accuracy(spec, hist.params, X_test, Y_test), 6))
    return row


def main_clipping() -> None:
    data = cu.datasets.load_digits()
    start = time.perf_counter()
    rows = [clipping_run(name, seed, data) for name in CLIPPING["runs"] for seed in CLIPPING["seeds"]]
    stored = json.loads(OUT.read_text())
    stored["clipping"] = {"settings": CLIPPING, "runs": rows}
    OUT.write_text(json.dumps(stored, indent=1) + "\n")
    print(f"wrote {len(rows)} clipping runs to {OUT} in {time.perf_counter() - start:.0f} s")


def main(reuse_runs: bool = False) -> None:
    data = cu.datasets.load_digits()
    start = time.perf_counter()
    runs = []
    if reuse_runs:
        stored = json.loads(OUT.read_text())
        same = {k: v for k, v in json.loads(json.dumps(SETTINGS)).items() if k != "long"}
        if {k: v for k, v in stored["settings"].items() if k != "long"} != same:
            raise SystemExit("--reuse-runs: the stored file was made with other settings")
        runs = stored["runs"]
    for activation in SETTINGS["activations"] if not runs else ():
        for depth in SETTINGS["depths"]:
            for lr in SETTINGS["learning_rates"][activation]:
                for seed in SETTINGS["seeds"]:
                    runs.append(run_one(activation, depth, lr, seed, data=data))
            print(f"{activation} depth {depth} done ({time.perf_counter() - start:.0f} s)", flush=True)
    summary = summarize(runs)
    long = SETTINGS["long"]
    long_runs = [run_one(long["activation"], depth, long["lr"], seed, epochs=long["epochs"], data=data)
                 for depth in long["depths"] for seed in long["seeds"]]
    stored = json.loads(OUT.read_text()) if OUT.exists() else {}
    OUT.write_text(json.dumps({"settings": SETTINGS, "summary": summary, "runs": runs,
                               "long_runs": long_runs, "clipping": stored.get("clipping")},
                              indent=1) + "\n")
    print(f"wrote {len(runs)} + {len(long_runs)} runs to {OUT} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    if "--clipping" in sys.argv[1:]:
        main_clipping()
    else:
        main(reuse_runs="--reuse-runs" in sys.argv[1:])
