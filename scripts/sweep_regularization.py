"""The long runs of 07_regularization: data/regularization_runs.json.

Every run: the network [2, 50, 50, 1] (ReLU, sigmoid output, He-normal weights drawn with
rng `seed`) on the overfit set (cu.datasets.load_overfit_2d: 200 training points), full-batch
gradient descent with learning rate 0.3 for 30,000 steps: the source course's recipe for
its regularization task. Dropout masks are drawn from rng 1000 + seed.

    main      none, L2 (lambda 0.7), dropout (keep 0.86): seeds 0-4
    l2        L2 with lambda in LAMBDAS (seed 0)
    l1        L1 with lambda in LAMBDAS, by subgradient and by the proximal step (seed 0)
    dropout   keep 0.7 and 0.5 (seed 0; keep 1 and 0.86 are in main)
    early     no penalty, seeds 0-4, evaluated at EARLY_STEPS (step 0 and 80 log-spaced
              steps from 1 to 30,000): the costs and accuracies on the three splits, the
              sum of squared weights and the squared distance of the weights from their
              start (section 6, early stopping)
    adam      section 4's Adam runs from start 0, full batch, 1,000 steps in lockstep: Adam
              + L2 (lambda 0.7), AdamW (wd = lambda / m), plain Adam, AdamW (wd = 1): the sum
              of squared weights at every step, the final accuracies, the largest weight
              difference between Adam + L2 and AdamW, and for Adam + L2 the histogram of the
              per-weight rates lr / (sqrt(v_hat) + eps) at the end (1,000 Adam steps amplify
              the last bits of rounding, so the notebook reads them from here)

Per run: accuracies and data costs on the three splits (every 1,000 steps for seed 0, at
the end for the others), the weight statistics (fraction with |w| < 0.01, fraction exactly
0, quantiles of |w|, histograms of w and of log10 |w|), and for the main runs of seed 0
the final parameters (5 significant digits), for the notebook's decision boundaries.
About 9 minutes on a quiet machine (1.35 million steps); tests/claims/test_07_regularization.py
recomputes a sample. One part alone (merged into the existing file):

    python scripts/sweep_regularization.py
    python scripts/sweep_regularization.py early
    python scripts/sweep_regularization.py adam
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
# Early stopping needs dense evaluation where the validation cost turns (near step 10) and
# little later: step 0 and 80 log-spaced steps up to 30,000.
EARLY_STEPS = [0] + np.unique(np.round(np.logspace(0, np.log10(30_000), 80))).astype(int).tolist()
SETTINGS["early_steps"] = EARLY_STEPS


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
    penalty = {"l2": cu.L2(lambd), "l1": cu.L1(lambd),
               "l1_proximal": cu.L1(lambd, proximal=True)}.get(kind)
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
                    penalty=penalty)
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


def weight_sums(params: dict, start: dict) -> tuple[float, float]:
    """sum W^2 of every weight matrix, and sum (W - W_start)^2: the size of the weights and
    how far they moved from their start."""
    keys = cu.losses.weight_keys(params)
    return (float(sum(np.sum(params[k] ** 2) for k in keys)),
            float(sum(np.sum((params[k] - start[k]) ** 2) for k in keys)))


def run_early(seed: int) -> dict:
    """No penalty, evaluated at EARLY_STEPS: what early stopping would see (section 6)."""
    X, Y, X_val, Y_val, X_test, Y_test = cu.datasets.load_overfit_2d(validation=True)
    splits = {"train": (X, Y), "val": (X_val, Y_val), "test": (X_test, Y_test)}
    spec = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"])
    start = cu.init_params(spec, SETTINGS["init"], rng=seed)
    wanted = set(EARLY_STEPS)
    history = {"step": []}

    def track(hist, step, current, state):
        if step not in wanted:
            return
        history["step"].append(step)
        for key, value in _scores(spec, current, splits).items():
            history.setdefault(key, []).append(value)
        norm, moved = weight_sums(current, start)
        history.setdefault("sum_sq", []).append(round(norm, 4))
        history.setdefault("moved_sq", []).append(round(moved, 6))

    track(None, 0, start, None)
    cu.train(spec, start, X, Y, cu.optimizers.sgd(SETTINGS["lr"]), steps=SETTINGS["steps"],
             progress=False, callback=track, callback_every=1)
    return {"kind": "early", "seed": seed, "lambda": 0.0, "keep_prob": 1.0, "curves": history}


ADAM_SETUPS = {"Adam + L2": ("adam", 0.0, 0.7), "AdamW, wd = λ/m": ("adamw", 0.7 / 200, 0.0),
               "Adam, no penalty": ("adam", 0.0, 0.0), "AdamW, wd = 1": ("adamw", 1.0, 0.0)}
ADAM_LR, ADAM_STEPS = 0.01, 1000
SETTINGS["adam_rate_edges"] = [round(x, 3) for x in np.linspace(-3, 5, 49)]  # log10 of the rate


def adam_part(runs: list) -> list:
    """Replace the 'adam' run in `runs` by a new one (section 4)."""
    X, Y, _, _, X_test, Y_test = cu.datasets.load_overfit_2d(validation=True)
    spec = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"])
    start = cu.init_params(spec, SETTINGS["init"], rng=0)
    state = {}
    for label, (name, decay, lambd) in ADAM_SETUPS.items():
        opt = (cu.optimizers.adamw(ADAM_LR, weight_decay=decay) if name == "adamw"
               else cu.optimizers.adam(ADAM_LR))
        state[label] = {"opt": opt, "l2": lambd, "params": start, "state": opt.init(start),
                        "sum_sq": []}
    for _ in range(ADAM_STEPS):
        for run in state.values():
            _, grads, _ = cu.loss_and_grads(spec, run["params"], X, Y, l2=run["l2"])
            run["params"], run["state"] = run["opt"].update(run["params"], grads, run["state"])
            run["sum_sq"].append(weight_sums(run["params"], start)[0])
    l2, wd = state["Adam + L2"], state["AdamW, wd = λ/m"]
    opt_state = l2["state"]
    v_hat = np.concatenate([opt_state["v"][k].ravel() for k in cu.losses.weight_keys(start)])
    rate = ADAM_LR / (np.sqrt(v_hat / (1 - 0.999 ** opt_state["step"])) + 1e-8)
    counts, _ = np.histogram(np.log10(rate), SETTINGS["adam_rate_edges"])
    record = {"kind": "adam", "seed": 0, "lambda": 0.7, "keep_prob": 1.0,
              "gap": round(max(float(np.abs(l2["params"][k] - wd["params"][k]).max())
                               for k in start), 6),
              "rate_counts": counts.tolist(),
              "rate_quantiles": np.quantile(rate, [0.0, 0.5, 1.0]).round(8).tolist(),
              "runs": {label: {"sum_sq": [float(f"{v:.6g}") for v in run["sum_sq"]],
                               "train_acc": round(cu.accuracy(spec, run["params"], X, Y), 6),
                               "test_acc": round(cu.accuracy(spec, run["params"], X_test, Y_test), 6)}
                       for label, run in state.items()}}
    print("adam runs done", flush=True)
    return [r for r in runs if r["kind"] != "adam"] + [record]


def early_part(runs: list) -> list:
    """Replace the 'early' runs in `runs` by new ones."""
    runs = [r for r in runs if r["kind"] != "early"]
    for seed in SETTINGS["seeds"]:
        runs.append(run_early(seed))
        print(f"early stopping curves of seed {seed} done", flush=True)
    return runs


def main() -> None:
    import sys
    if sys.argv[1:] in (["early"], ["adam"]):
        stored = json.loads(OUT.read_text())
        runs = (early_part if sys.argv[1] == "early" else adam_part)(stored["runs"])
        OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs}, separators=(",", ":"))
                       + "\n")
        print(f"wrote {len(runs)} runs to {OUT}")
        return
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
    runs = adam_part(early_part(runs))
    OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs}, separators=(",", ":")) + "\n")
    print(f"wrote {len(runs)} runs to {OUT}")


if __name__ == "__main__":
    main()
