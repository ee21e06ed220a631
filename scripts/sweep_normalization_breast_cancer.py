"""Raw vs standardized inputs on scikit-learn's breast-cancer set, over learning rates and
random draws: data/normalization_breast_cancer.json.

A small network [30, 16, 1] (ReLU, sigmoid output, He-normal weights drawn with rng seeds
0..N-1) trained by full-batch gradient descent for 1,000 steps, at each learning rate of a
half-decade grid from 1e-6 to 31.6, on the features prepared in one of five ways (always
with the training set's statistics):
  "raw", "standardized" (mean 0, std 1: cu.lessons.normalization), "centred only" (mean subtracted),
  "scaled only" (divided by the std), and "raw, small W1": raw features, with the first
  layer's He weights divided by the root mean square of the raw training inputs (about
  237), so that the first layer starts with the size of z the standardized network has
  (is He's start unfair to inputs hundreds of times larger than 1?).
Per run: whether it diverged, the cost every 50 steps, the final cost, train and test
accuracy. About 3-5 minutes. tests/claims/test_01_input_normalization.py recomputes a sample.

    python scripts/sweep_normalization_breast_cancer.py
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "normalization_breast_cancer.json"
SETTINGS = {"layer_sizes": [30, 16, 1], "activation": "relu", "init": "he_normal",
            "steps": 1000, "record_every": 50, "seeds": list(range(5)),
            "lrs": [float(f"{10.0 ** e:.3g}") for e in np.arange(-6, 1.51, 0.5)],
            "inputs": ["raw", "standardized", "centred only", "scaled only", "raw, small W1"]}


def load(inputs: str):
    """The breast-cancer split (cu.datasets' default), its features prepared as `inputs`
    says, with the training set's mean and standard deviation."""
    X, Y, X_test, Y_test = cu.datasets.load_breast_cancer()
    mean, std = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
    if inputs == "standardized":
        X, X_test, _ = cu.lessons.normalization.standardize_train_test(X, X_test)
    elif inputs == "centred only":
        X, X_test = X - mean, X_test - mean
    elif inputs == "scaled only":
        X, X_test = X / std, X_test / std
    elif inputs not in ("raw", "raw, small W1"):
        raise ValueError(f"inputs must be one of {SETTINGS['inputs']}, got {inputs!r}")
    return X, Y, X_test, Y_test


def run_one(inputs: str, lr: float, seed: int) -> dict:
    """One run of the sweep: the numbers stored for it."""
    X, Y, X_test, Y_test = load(inputs)
    spec = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"])
    params = cu.init_params(spec, SETTINGS["init"], rng=seed)
    if inputs == "raw, small W1":
        params["W1"] = params["W1"] / np.sqrt(np.mean(X ** 2))
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run says so in "diverged"
        hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr), steps=SETTINGS["steps"],
                        progress=False)
    every = SETTINGS["record_every"]
    with np.errstate(over="ignore", invalid="ignore"):
        train_acc = cu.accuracy(spec, hist.params, X, Y)
        test_acc = cu.accuracy(spec, hist.params, X_test, Y_test)
    return {
        "inputs": inputs, "lr": lr, "seed": seed,
        "diverged": hist.diverged,
        "costs": [round(float(c), 6) if np.isfinite(c) else None for c in hist.costs[::every]],
        "final_cost": round(hist.final_cost, 6) if not hist.diverged else None,
        "train_acc": round(train_acc, 6), "test_acc": round(test_acc, 6),
    }


def main() -> None:
    runs = [run_one(inputs, lr, seed) for inputs in SETTINGS["inputs"]
            for lr in SETTINGS["lrs"] for seed in SETTINGS["seeds"]]
    OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs}, indent=1) + "\n")
    print(f"wrote {len(runs)} runs to {OUT}")


if __name__ == "__main__":
    main()
