"""Sections 2-5 of 09_deeper_networks: data/deeper_runs.json (warmup, residual and norms
took 9 minutes together on the busy shared machine; warmup alone 83 s). Run through `python scripts/sweep_deeper.py runs [part ...]`; parts: residual,
norms, warmup, activations (default: all). Every part: scikit-learn's digits (1,347
training images, 450 test), hidden layers of 32 units, softmax, batches of 64 (except the
batch-size part), a learning-rate grid with each setting's best rate (by mean training
accuracy over rng seeds 0 and 1), then seed 2 at that rate."""

from __future__ import annotations

import json
import pathlib

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "deeper_runs.json"
X, Y, X_TEST, Y_TEST = cu.datasets.load_digits()
WIDTH = 32
DEEP = 50
RESIDUAL_RATES = [0.0032, 0.01, 0.032, 0.1, 0.32]
RESIDUAL_STEPS = 150
RESIDUAL_VARIANTS = {  # name -> Spec options of a 50-layer ReLU net
    "plain": {},
    "residual, branch 1": {"residual": True},
    "residual, branch 1/sqrt(50)": {"residual": True, "branch_scale": 1 / np.sqrt(DEEP)},
    "residual, pre-norm (LN)": {"residual": True, "layer_norm": True, "norm_position": "pre"},
    "residual, post-norm (LN)": {"residual": True, "layer_norm": True, "norm_position": "post"},
}
NORM_DEPTH, NORM_STEPS, NORM_RATES, BATCH_SIZES = 6, 300, [0.01, 0.032, 0.1, 0.32], [2, 8, 64]
WARMUP_RATES, WARMUPS, WARMUP_STEPS, RATIO_STEPS = [0.03, 0.1, 0.3, 1.0], [1, 100], 200, 10
ACTIVATIONS = ["relu", "gelu", "silu"]
ACT_DEPTHS = {8: [0.032, 0.1, 0.32, 1.0], 20: [0.01, 0.032, 0.1, 0.32]}
ACT_STEPS = 300


def spec_of(depth: int, activation="relu", **options) -> cu.Spec:
    return cu.Spec((64,) + (WIDTH,) * depth + (10,), activation, output="softmax", **options)


def run(spec, optimizer, steps, seed, batch_size=64, every=5) -> dict:
    """One training run from He-normal weights drawn with `seed` (batch order seed + 1000)."""
    params = cu.init_params(spec, "he_normal", np.random.default_rng(seed))
    hist = cu.train(spec, params, X, Y, optimizer, steps=steps, batch_size=batch_size,
                    rng=seed + 1000, progress=False)
    with np.errstate(all="ignore"):
        ok = not hist.diverged
        state = hist.state
        train_acc = cu.accuracy(spec, hist.params, X, Y, state) if ok else float("nan")
        test_acc = cu.accuracy(spec, hist.params, X_TEST, Y_TEST, state) if ok else float("nan")
    costs = np.asarray(hist.costs, dtype=float)
    return {"seed": seed, "verdict": hist.verdict, "train_acc": train_acc, "test_acc": test_acc,
            "costs": [float(c) for c in costs[::every]]}


def best_of(make_run, rates) -> dict:
    """Seeds 0 and 1 at every rate; the best rate's seed 2 too."""
    by_rate = {lr: [make_run(lr, s) for s in (0, 1)] for lr in rates}

    def score(lr):
        return np.mean([-1 if np.isnan(r["train_acc"]) else r["train_acc"] for r in by_rate[lr]])
    best = max(rates, key=score)
    return {"rates": rates, "best_lr": best, "best_runs": by_rate[best] + [make_run(best, 2)],
            "mean_acc_by_lr": [score(lr) for lr in rates]}


def part_residual() -> dict:
    return {name: best_of(lambda lr, s, o=options: run(spec_of(DEEP, **o), cu.optimizers.sgd(lr),
                                                       RESIDUAL_STEPS, s), RESIDUAL_RATES)
            for name, options in RESIDUAL_VARIANTS.items()}


def part_norms() -> dict:
    out = {}
    for norm in ("batch", "layer"):
        spec = spec_of(NORM_DEPTH, batch_norm=norm == "batch", layer_norm=norm == "layer")
        for batch_size in BATCH_SIZES:
            out[f"{norm} {batch_size}"] = best_of(
                lambda lr, s: run(spec, cu.optimizers.sgd(lr), NORM_STEPS, s, batch_size, every=10),
                NORM_RATES)
    return out


def part_warmup() -> dict:
    spec = spec_of(DEEP, residual=True, layer_norm=True, norm_position="pre")
    out = {}
    for lr in WARMUP_RATES:
        for warmup in WARMUPS:
            runs = [run(spec, cu.optimizers.adam(cu.optimizers.linear_warmup(lr, warmup)),
                        WARMUP_STEPS, s) for s in (0, 1, 2)]
            params = cu.init_params(spec, "he_normal", np.random.default_rng(0))
            short = cu.train(spec, params, X, Y, cu.optimizers.adam(cu.optimizers.linear_warmup(lr, warmup)),
                             steps=RATIO_STEPS, batch_size=64, rng=1000, record_every=1, progress=False)
            ratio = np.nanmedian(short.layer_stats["update_ratio"][:, 1:-1], axis=1)  # hidden residual layers
            out[f"{lr} {warmup}"] = {"lr": lr, "warmup": warmup, "runs": runs,
                                     "update_ratio": [float(r) for r in ratio]}
    return out


def part_activations() -> dict:
    return {f"{act} {depth}": best_of(lambda lr, s, a=act, d=depth: run(
                spec_of(d, a), cu.optimizers.sgd(lr), ACT_STEPS, s, every=10), rates)
            for depth, rates in ACT_DEPTHS.items() for act in ACTIVATIONS}


PARTS = {"residual": part_residual, "norms": part_norms, "warmup": part_warmup,
         "activations": part_activations}


def main(parts):
    stored = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in parts or PARTS:
        stored[name] = PARTS[name]()
        OUT.write_text(json.dumps(stored, allow_nan=True) + "\n")
        print("wrote", name, flush=True)
