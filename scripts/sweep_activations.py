"""Seed 002's ranking "ELU > leaky ReLU > ReLU > tanh > logistic", tested on four tasks:
data/activation_ranking.json.

Tasks: moons, spirals and XOR (2-D, 300 training and 100 test points, the loaders'
defaults) with four hidden layers of 16 units and a sigmoid output; scikit-learn's digits
(64 pixels, 10 classes, 1,347 training and 450 test images) with three hidden layers of 32
units and a softmax output. Every run of a task has the same budget: full-batch gradient
descent for 2,000 steps (2-D tasks) or 500 steps (digits). Each activation gets the
initialization that fits it (He normal for the ReLU family, Xavier normal for tanh, Xavier
normal x 4 for the logistic sigmoid, whose slope at 0 is 1/4) and each of the learning
rates in LEARNING_RATES (0.1, 0.3, 1, 3), with weights drawn with rng seeds 0..4. Where an
activation's best rate was the largest of those (the sigmoid's, on every task), its grid is
extended upwards (EXTRA_RATES), so that every best rate lies inside the grid it was chosen
from.

Beside the seed's five, one comparison that is not in its ranking: the centred sigmoid
sigma(z) - 1/2 ("sigmoid_centered", slope at most 1/4 like the sigmoid, but mean 0) at the
sigmoid's own start, Xavier normal x 4. It separates the sigmoid's two handicaps (02: the
slope sets a scale that the weights pay for; the mean 1/2 they cannot absorb). Per run: final training
cost, train and test accuracy, the first step at which the training cost falls below
TARGET_COST, and the cost every steps/40 steps (40 points).
The notebook picks, for each task and activation, the learning rate with the lowest mean
final training cost (never the test accuracy).

About 25 minutes of CPU time (runs that diverge stop early).
tests/claims/test_04_activation_functions.py recomputes a sample.

    python scripts/sweep_activations.py                 # every run
    python scripts/sweep_activations.py --only-missing  # keep the stored runs, add the rest

Each run is deterministic (its seed draws the weights; full-batch descent), so adding the
missing runs gives the same file as computing them all.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import time

# One BLAS thread: these matrices are small, and on a busy machine extra threads only wait.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import course_utils as cu  # noqa: E402

OUT = pathlib.Path(__file__).parents[1] / "data" / "activation_ranking.json"

RANKING = ["elu", "leaky_relu", "relu", "tanh", "sigmoid"]  # seed 002's order, best first
INITIALIZATION = {  # activation -> (initializer, gain on its standard deviation)
    "elu": ("he_normal", 1.0),
    "leaky_relu": ("he_normal", 1.0),
    "relu": ("he_normal", 1.0),
    "tanh": ("xavier_normal", 1.0),
    "sigmoid": ("xavier_normal", 4.0),
    "sigmoid_centered": ("xavier_normal", 4.0),  # a comparison, not in the seed's ranking
}
COMPARISONS = ["sigmoid_centered"]
TASKS = {  # task -> (loader, hidden layers, output, steps)
    "moons": ("load_moons", (16, 16, 16, 16), "sigmoid", 2000),
    "spirals": ("load_spirals", (16, 16, 16, 16), "sigmoid", 2000),
    "xor": ("load_xor", (16, 16, 16, 16), "sigmoid", 2000),
    "digits": ("load_digits", (32, 32, 32), "softmax", 500),
}
LEARNING_RATES = [0.1, 0.3, 1.0, 3.0]
EXTRA_RATES = {"sigmoid": [10.0, 30.0], "sigmoid_centered": [10.0, 30.0]}  # beyond LEARNING_RATES
# The comparison's grid starts at 0.3 (fewer runs); tests/claims checks that its best rate
# lies inside the grid.
SKIPPED_RATES = {"sigmoid_centered": [0.1]}


def rates_for(activation: str) -> list:
    """The learning rates tried for an activation."""
    skipped = SKIPPED_RATES.get(activation, [])
    return [lr for lr in LEARNING_RATES if lr not in skipped] + EXTRA_RATES.get(activation, [])


SEEDS = list(range(5))
TARGET_COST = 0.2
CURVE_POINTS = 40  # the cost is stored every steps / CURVE_POINTS steps

SETTINGS = {"ranking": RANKING, "comparisons": COMPARISONS, "initialization": INITIALIZATION,
            "tasks": {name: {"loader": loader, "hidden": list(hidden), "output": output,
                             "steps": steps}
                      for name, (loader, hidden, output, steps) in TASKS.items()},
            "learning_rates": {a: rates_for(a) for a in RANKING + COMPARISONS}, "seeds": SEEDS,
            "optimizer": "sgd (full batch)", "target_cost": TARGET_COST,
            "curve_points": CURVE_POINTS}


def load_task(task: str):
    """(spec-independent) data of a task: X, Y, X_test, Y_test in column layout."""
    loader = TASKS[task][0]
    return getattr(cu.datasets, loader)()


def task_spec(task: str, activation: str, n_x: int, n_out: int) -> cu.Spec:
    _, hidden, output, _ = TASKS[task]
    return cu.Spec((n_x, *hidden, n_out), activation=activation, output=output)


def _rounded(value: float, digits: int = 6):
    return round(float(value), digits) if math.isfinite(value) else None


def run_one(task: str, activation: str, lr: float, seed: int, data=None) -> dict:
    """One run of the sweep: the numbers stored for it."""
    X, Y, X_test, Y_test = load_task(task) if data is None else data
    spec = task_spec(task, activation, X.shape[0], Y.shape[0])
    init, gain = INITIALIZATION[activation]
    params = cu.init_params(spec, init, rng=seed, gain=gain)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr), steps=TASKS[task][3],
                    progress=False)
    with np.errstate(over="ignore", invalid="ignore"):
        train_acc = cu.accuracy(spec, hist.params, X, Y)
        test_acc = cu.accuracy(spec, hist.params, X_test, Y_test)
    below = np.flatnonzero(hist.costs < TARGET_COST)
    return {
        "task": task, "activation": activation, "lr": lr, "seed": seed,
        "diverged": hist.diverged,
        "final_cost": _rounded(hist.final_cost),
        "train_acc": round(train_acc, 6),
        "test_acc": round(test_acc, 6),
        "steps_to_target": int(below[0]) if below.size else None,
        "costs": [_rounded(c, 4) for c in hist.costs[::TASKS[task][3] // CURVE_POINTS]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-missing", action="store_true",
                        help="keep the runs already in the data file, compute the others")
    args = parser.parse_args()
    stored = {}
    if args.only_missing and OUT.exists():
        for run in json.loads(OUT.read_text())["runs"]:
            stored[run["task"], run["activation"], run["lr"], run["seed"]] = run
    runs = []
    start = time.perf_counter()
    for task in TASKS:
        data = load_task(task)
        for activation in RANKING + COMPARISONS:
            for lr in rates_for(activation):
                for seed in SEEDS:
                    key = (task, activation, lr, seed)
                    runs.append(stored[key] if key in stored else run_one(*key, data))
            print(f"{task:8} {activation:16} done ({time.perf_counter() - start:.0f} s)", flush=True)
            if args.only_missing:  # save as we go: a long run can be resumed
                write(runs + [r for k, r in stored.items() if r not in runs])
    write(runs)
    print(f"wrote {len(runs)} runs to {OUT}")


def write(runs: list) -> None:
    # One run per line: the file stays readable and its diffs small.
    lines = ",\n".join(json.dumps(run) for run in runs)
    OUT.write_text(f'{{"settings": {json.dumps(SETTINGS)},\n"runs": [\n{lines}\n]}}\n')


if __name__ == "__main__":
    main()
