"""The long runs of 07_regularization: data/regularization_runs.json.

Every run: the network [2, 50, 50, 1] (ReLU, sigmoid output, He-normal weights drawn with
rng `seed`) on the overfit set (cu.datasets.load_overfit_2d: 200 training points), full-batch
gradient descent with learning rate 0.3 for 30,000 steps: the source course's recipe for
its regularization task. Dropout masks are drawn from rng 1000 + seed.

    main      none, L2 (lambda 0.7), dropout (keep 0.86): seeds 0-4
    l2        L2 with lambda in LAMBDAS (seed 0)
    l1        L1 with lambda in LAMBDAS, by subgradient and by the proximal step (seed 0)
    dropout   keep 0.7 and 0.5 (seed 0; keep 1 and 0.86 are in main)

Per run: accuracies and data costs on the three splits (every 1,000 steps for seed 0, at
the end for the others), the weight statistics (fraction with |w| < 0.01, fraction exactly
0, quantiles of |w|, histograms of w and of log10 |w|), and for the main runs of seed 0
the final parameters (5 significant digits), for the notebook's decision boundaries.
About 8 minutes on a quiet machine (1.2 million steps); tests/claims/test_07_regularization.py
recomputes a sample.

    python scripts/sweep_regularization.py
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "regularization_runs.json"
SETTINGS = {"layer_sizes": [2, 50, 50, 1], "activation": "relu", "init": "he_normal",
            "lr": 0.3, "steps": 30_000, "record_every": 1000, "seeds": [0, 1, 2, 3, 4],
            "l2_main": 0.7, "keep_main": 0.86,
            "lambdas": [0.01, 0.03, 0.1, 0.3, 0.7, 1.0, 3.0, 10.0],
            "keeps": [0.7, 0.5], "near_zero": 0.01,
            "histogram_edges": [round(x, 3) for x in np.linspace(-2, 2, 81)],
            "log10_edges": [round(x, 2) for x in np.arange(-12, 1.01, 0.5)],
            "quantiles": [0.5, 0.9, 0.99, 1.0]}


def weights(params: dict) -> np.ndarray:
    """Every weight of every layer, in one flat array (biases left out)."""
    return np.concatenate([params[k].ravel() for k in cu.losses.weight_keys(params)])


def _scores(spec, params, splits) -> dict:
    out = {}
    for name, (X, Y) in splits.items():
        Z, _ = cu.forward(spec, params, X)
        out[f"{name}_cost"] = round(cu.losses.binary_cross_entropy(Z, Y.astype(float))[0], 6)
        out[f"{name}_acc"] = round(cu.accuracy(spec, params, X, Y), 6)
    return out


def run_one(kind: str, seed: int = 0, lambd: float = 0.0, keep_prob: float = 1.0,
            curves: bool = False, keep_params: bool = False) -> dict:
    """One run. kind: "none", "l2", "l1" (subgradient), "l1_proximal" or "dropout"."""
    X, Y, X_val, Y_val, X_test, Y_test = cu.datasets.load_overfit_2d(validation=True)
    splits = {"train": (X, Y), "val": (X_val, Y_val), "test": (X_test, Y_test)}
    spec = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"],
                   keep_prob=keep_prob)
    params = cu.init_params(spec, SETTINGS["init"], rng=seed)
    penalty = {"l2": {"l2": lambd}, "l1": {"l1": lambd},
               "l1_proximal": {"l1": lambd, "l1_proximal": True}}.get(kind, {})
    record = {"kind": kind, "seed": seed, "lambda": lambd, "keep_prob": keep_prob}
    history = {"step": []}

    def track(hist, step, current, state):
        history["step"].append(step)
        for key, value in _scores(spec, current, splits).items():
            history.setdefault(key, []).append(value)

    if curves:
        track(None, 0, params, None)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(SETTINGS["lr"]),
                    steps=SETTINGS["steps"], rng=1000 + seed, progress=False,
                    callback=track if curves else None, callback_every=SETTINGS["record_every"],
                    **penalty)
    record.update(_scores(spec, hist.params, splits))
    record["final_cost"] = round(hist.final_cost, 6)
    w = weights(hist.params)
    record["near_zero"] = round(float(np.mean(np.abs(w) < SETTINGS["near_zero"])), 6)
    record["exactly_zero"] = round(float(np.mean(w == 0)), 6)
    record["mean_abs_weight"] = round(float(np.mean(np.abs(w))), 6)
    edges = np.array(SETTINGS["histogram_edges"])
    record["histogram"] = cu.plotting.histogram(w, edges).round(6).tolist()
    # log10 |w| of the nonzero weights, as fractions of all weights (exact zeros are counted
    # in exactly_zero); values beyond the edges go to the end bins
    nonzero = np.abs(w[w != 0])
    counts, _ = np.histogram(np.clip(np.log10(nonzero), SETTINGS["log10_edges"][0],
                                     SETTINGS["log10_edges"][-1]), SETTINGS["log10_edges"])
    record["log10_histogram"] = (counts / w.size).round(6).tolist()
    record["abs_quantiles"] = np.quantile(np.abs(w), SETTINGS["quantiles"]).round(8).tolist()
    if curves:
        record["curves"] = history
    if keep_params:
        record["params"] = {k: np.vectorize(lambda v: float(f"{v:.5g}"))(p).tolist()
                            for k, p in hist.params.items()}
    return record


def main() -> None:
    runs = []
    for seed in SETTINGS["seeds"]:
        first = seed == 0
        runs.append(run_one("none", seed, curves=first, keep_params=first))
        runs.append(run_one("l2", seed, lambd=SETTINGS["l2_main"], curves=first, keep_params=first))
        runs.append(run_one("dropout", seed, keep_prob=SETTINGS["keep_main"], curves=first,
                            keep_params=first))
        print(f"main runs of seed {seed} done", flush=True)
    for keep in SETTINGS["keeps"]:
        runs.append(run_one("dropout", 0, keep_prob=keep, curves=True))
    for lambd in SETTINGS["lambdas"]:
        for kind in ("l2", "l1", "l1_proximal"):
            if kind == "l2" and lambd == SETTINGS["l2_main"]:
                continue  # the main run of seed 0
            runs.append(run_one(kind, 0, lambd=lambd, curves=True))
        print(f"lambda {lambd} done", flush=True)
    OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs}, separators=(",", ":")) + "\n")
    print(f"wrote {len(runs)} runs to {OUT}")


if __name__ == "__main__":
    main()
