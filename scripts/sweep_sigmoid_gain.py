"""The sigmoid's two handicaps, measured: data/sigmoid_gain_depth.json.

02's depth sweep (sweep_depth_digits.py) started sigmoid networks at Xavier's scale (gain 1),
which is unfair to them: the sigmoid's slope is at most 1/4, and weights 4 times larger pay
for it. This sweep gives the sigmoid every chance and separates its two handicaps:

- `sigmoid`: the plain sigmoid at Xavier normal x gain, gain 1, 2, 4, 8 and 16;
- `sigmoid_centered`: sigma(z) - 1/2, the same slope but mean 0, at gain 1 and 4;
- `bias_cancel`: the plain sigmoid at gain 4 with every hidden layer's bias set at the start
  to cancel the mean 1/2 of the layer below (b_l = -1/2 W_l 1, layers 2 and up), to see
  whether the mean hurts only at the start or during training too.

Same setting as 02's sweep: scikit-learn's digits, hidden layers of 32 units, softmax output,
minibatch gradient descent (batches of 64, 30 epochs = 660 steps), depths 2-12, learning
rates 0.03 to 10 (a grid that brackets the best rate wherever a network learns), rng seeds
0-2 (the seed draws the weights and the batch order). Per run: final training cost, train
and test accuracy, and the first layer's gradient norm over the last layer's at the start.
The summary keeps, per variant, gain and depth, the rate with the best mean training
accuracy (ties: lower mean cost).

About 20-30 minutes on one core:

    python scripts/sweep_sigmoid_gain.py

It ends with the few runs of BEYOND_GRID (rates outside the grid, for the failures the
notebook states); `python scripts/sweep_sigmoid_gain.py --beyond` adds only those to the
stored file (a few minutes).

tests/claims/test_02_vanishing_exploding_gradients.py recomputes a sample (with a tolerance:
a few hundred minibatch steps amplify last-bit differences between CPUs).
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

import course_utils as cu
from course_utils.lessons import gradients as gradient_flow
from sweep_depth_digits import outcome  # the same row as 02's depth sweep (scripts/ is on the path)

OUT = pathlib.Path(__file__).parents[1] / "data" / "sigmoid_gain_depth.json"
SETTINGS = {
    "data": "cu.datasets.load_digits() (1,347 train, 450 test, pixels in [0, 1])",
    "width": 32, "depths": [2, 4, 6, 8, 10, 12], "epochs": 30, "batch_size": 64,
    "optimizer": "sgd", "init": "xavier_normal", "seeds": [0, 1, 2],
    "learning_rates": [0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
    "variants": {"sigmoid": [1, 2, 4, 8, 16], "sigmoid_centered": [1, 4], "bias_cancel": [4]},
    "bias_cancel_depths": [6, 8, 10, 12],
}


def spec_for(variant: str, depth: int) -> cu.Spec:
    activation = "sigmoid" if variant == "bias_cancel" else variant
    return cu.Spec((64,) + (SETTINGS["width"],) * depth + (10,), activation=activation,
                   output="softmax")


def start_params(variant: str, depth: int, gain: float, seed: int) -> dict:
    """Xavier normal x gain; for bias_cancel, b_l = -1/2 W_l 1 for l >= 2 (the layer below
    outputs sigma(z), mean about 1/2, so z_l starts centred)."""
    spec = spec_for(variant, depth)
    params = cu.init_params(spec, SETTINGS["init"], rng=seed, gain=gain)
    if variant == "bias_cancel":
        for l in range(2, spec.n_layers + 1):
            params[f"b{l}"] = -0.5 * params[f"W{l}"].sum(axis=1, keepdims=True)
    return params


def run_one(variant: str, depth: int, gain: float, lr: float, seed: int, data=None) -> dict:
    """One run of the sweep: the numbers stored for it."""
    X, Y, X_test, Y_test = cu.datasets.load_digits() if data is None else data
    spec = spec_for(variant, depth)
    params = start_params(variant, depth, gain, seed)
    at_start = gradient_flow.measure(spec, params, X, Y)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr), epochs=SETTINGS["epochs"],
                    batch_size=SETTINGS["batch_size"], rng=seed, progress=False)
    row = {"variant": variant, "depth": depth, "gain": gain, "lr": lr, "seed": seed}
    return row | outcome(spec, at_start, hist, (X, Y, X_test, Y_test))


def summarize(runs: list) -> list:
    """Per variant, gain and depth: the rate with the best mean training accuracy over the
    seeds (ties: lower mean final cost; a diverged run counts as accuracy 0, cost inf), and
    at that rate each seed's training accuracy, their mean, min and max."""
    rows = []
    for variant, gains in SETTINGS["variants"].items():
        for gain in gains:
            for depth in SETTINGS["depths"]:
                def picked(lr):
                    return [r for r in runs if (r["variant"], r["gain"], r["depth"], r["lr"])
                            == (variant, gain, depth, lr)]
                if not picked(SETTINGS["learning_rates"][0]):
                    continue

                def score(lr):
                    accs = [0.0 if r["train_acc"] is None else r["train_acc"] for r in picked(lr)]
                    costs = [np.inf if r["final_cost"] is None else r["final_cost"] for r in picked(lr)]
                    return -round(float(np.mean(accs)), 6), float(np.mean(costs))
                lr = min(SETTINGS["learning_rates"], key=score)
                accs = [0.0 if r["train_acc"] is None else r["train_acc"] for r in picked(lr)]
                rows.append({"variant": variant, "gain": gain, "depth": depth, "lr": lr,
                             "train_accs": accs, "train_acc_mean": round(float(np.mean(accs)), 4),
                             "train_acc_min": min(accs), "train_acc_max": max(accs),
                             "grad_ratio_median": float(f"{np.median([r['grad_ratio_at_start'] for r in picked(lr)]):.3g}")})
    return rows


# Rates outside the grid, for the settings whose failure the notebook states although their best
# rate is a tie at chance or sits at the grid's edge: would a much larger (or smaller) rate
# have rescued them? (variant, gain, depth, rates); stored under "beyond_grid".
BEYOND_GRID = {"settings": [["sigmoid", 1, 6, [30.0, 100.0]],
                            ["sigmoid_centered", 1, 6, [30.0, 100.0]],
                            ["sigmoid_centered", 1, 8, [30.0, 100.0]],
                            ["sigmoid", 16, 12, [0.003, 0.01]]],
               "seeds": [0, 1, 2]}


def beyond_grid(data=None) -> list:
    """The runs of BEYOND_GRID (21 runs, a few minutes): python scripts/sweep_sigmoid_gain.py --beyond"""
    data = cu.datasets.load_digits() if data is None else data
    return [run_one(variant, depth, gain, lr, seed, data=data)
            for variant, gain, depth, rates in BEYOND_GRID["settings"]
            for lr in rates for seed in BEYOND_GRID["seeds"]]


def main() -> None:
    if "--beyond" in sys.argv:  # add only the runs beyond the grid to the stored sweep
        stored = json.loads(OUT.read_text())
        stored["beyond_grid"] = {"settings": BEYOND_GRID, "runs": beyond_grid()}
        OUT.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"added {len(stored['beyond_grid']['runs'])} runs beyond the grid to {OUT}")
        return
    data = cu.datasets.load_digits()
    start = time.perf_counter()
    runs = []
    for variant, gains in SETTINGS["variants"].items():
        depths = SETTINGS["bias_cancel_depths" if variant == "bias_cancel" else "depths"]
        for gain in gains:
            for depth in depths:
                for lr in SETTINGS["learning_rates"]:
                    for seed in SETTINGS["seeds"]:
                        runs.append(run_one(variant, depth, gain, lr, seed, data=data))
                print(f"{variant} gain {gain} depth {depth} done "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
                # Written as it goes, so a long sweep can be read (and resumed by hand) early.
                OUT.write_text(json.dumps({"settings": SETTINGS, "summary": summarize(runs),
                                           "runs": runs}, indent=1) + "\n")
    print(f"wrote {len(runs)} runs to {OUT} in {time.perf_counter() - start:.0f} s")
    stored = json.loads(OUT.read_text())
    stored["beyond_grid"] = {"settings": BEYOND_GRID, "runs": beyond_grid(data)}
    OUT.write_text(json.dumps(stored, indent=1) + "\n")


if __name__ == "__main__":
    main()
