"""Xavier vs He on the seed's task, over many random draws: data/xavier_vs_he.json.

The seed's network [2, 10, 5, 1] (ReLU, sigmoid output) on the seed's circles, gradient
descent with learning rate 0.01 for 15,000 steps, as in seed 003; weights from
xavier_normal or he_normal drawn with rng seeds 0..N-1, biases 0. Per run: final cost,
train and test accuracy, and the first step at which the cost falls below 0.2. For the draw
the notebook shows side by side (rng 0, "examples"): the cost every COST_EVERY steps and
the final weights (JSON floats round-trip exactly), so the notebook draws its cost curves
and decision boundaries without training them again (issue 26: 30 s budget).
About 50 s. tests/claims/test_03_initialization.py recomputes a sample.

    python scripts/sweep_xavier_he.py
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "xavier_vs_he.json"
SETTINGS = {"layer_sizes": [2, 10, 5, 1], "activation": "relu", "lr": 0.01, "steps": 15_000,
            "target_cost": 0.2, "seeds": list(range(10)),
            "initializers": ["xavier_normal", "he_normal"]}
EXAMPLE_SEED, COST_EVERY = 0, 10


def train_one(init: str, seed: int):
    """One run of the sweep: (spec, History, data)."""
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"])
    params = cu.init_params(spec, init, rng=seed)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(SETTINGS["lr"]),
                    steps=SETTINGS["steps"], progress=False)
    return spec, hist, (X, Y, X_test, Y_test)


def run_one(init: str, seed: int) -> dict:
    """One run of the sweep: the numbers stored for it."""
    spec, hist, (X, Y, X_test, Y_test) = train_one(init, seed)
    below = np.flatnonzero(hist.costs < SETTINGS["target_cost"])
    return {
        "init": init, "seed": seed,
        "final_cost": round(hist.final_cost, 6),
        "train_acc": round(cu.accuracy(spec, hist.params, X, Y), 6),
        "test_acc": round(cu.accuracy(spec, hist.params, X_test, Y_test), 6),
        "steps_to_target": int(below[0]) if below.size else None,
    }


def example(init: str, seed: int = EXAMPLE_SEED) -> dict:
    """The run the notebook draws: its cost every COST_EVERY steps and its final weights."""
    _, hist, _ = train_one(init, seed)
    return {"init": init, "seed": seed, "cost_every": COST_EVERY,
            "costs": [float(c) for c in np.asarray(hist.costs)[::COST_EVERY]],
            "params": {k: np.asarray(v).tolist() for k, v in hist.params.items()}}


def main() -> None:
    runs = [run_one(init, seed) for init in SETTINGS["initializers"] for seed in SETTINGS["seeds"]]
    examples = [example(init) for init in SETTINGS["initializers"]]
    OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs, "examples": examples},
                              indent=1) + "\n")
    print(f"wrote {len(runs)} runs to {OUT}")


if __name__ == "__main__":
    main()
