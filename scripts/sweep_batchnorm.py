"""Seed 002's claims about batch normalization, each over several random draws:
data/batchnorm_sweeps.json. Used by 06_batch_normalization.

Each experiment with and without batch norm (BN before each hidden activation):

- init_gradients: ||dW_l|| of every layer at the start, on the whole digits training set,
  hidden layers of 100 units, 3 draws: ReLU + BN at 10 and 30 layers, plain ReLU (He) at
  30, tanh + BN and sigmoid + BN at 30. Does BN steady the backward pass too?
- init_scale: weights drawn from N(0, s^2) for s = 1e-4 ... 1; does BN make the scale matter
  less? A 6-hidden-layer ReLU net (32 units) on the seed's circles, SGD lr 0.1, batches of 32.
- learning_rate: the same net at He's scale, learning rates 0.001 ... 30; does BN allow
  larger ones? Also the first step at which the training accuracy reaches 95%, the run's
  History.verdict and peak cost, and every 50 steps the hidden layers' weight-norm growth
  and effective step lr ||dW|| / ||W|| (the "brake" of scale invariance).
- sigmoid_depth: sigmoid hidden layers, 1 to 8 of them (32 units), the best of four learning
  rates for each draw: BN at Xavier's scale against the plain sigmoid at Xavier x1 and x4
  (its fair start) and the centred sigmoid sigma(z) - 1/2 at x4.
- regularization: noisy moons with 100 training points, a (64, 64, 64) ReLU net trained to
  fit them; is the train/test gap smaller with BN? Beside it: dropout (keep 0.8), and BN
  and the plain net on the full batch (no noise in the batch statistics or the gradient).
- batch_size: batches of 2 to 64 with the same number of steps, ten draws each (about a
  minute); what tiny batches do to BN, and evaluation mode against training mode.

Accuracies are in evaluation mode (running statistics), as a deployed network would run.
About 25 minutes on a quiet 2-core machine (most of it the sigmoid and learning-rate parts).
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
                      "lrs": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0],
                      "eval_every": 50,
                      "target_acc": 0.95, "seeds": [0, 1, 2]},
    "sigmoid_depth": {"data": "circles", "width": 32, "init": "xavier_normal",
                      "optimizer": "sgd", "batch_size": 32, "steps": 2000,
                      "depths": [1, 2, 3, 5, 8], "lrs": [0.3, 1.0, 3.0, 10.0],
                      # (activation, batch_norm, gain of the Xavier start): BN against the
                      # plain sigmoid at Xavier x1 and at its fair start x4, and the centred
                      # sigmoid sigma(z) - 1/2 at x4 (02's strongest alternative)
                      "variants": [["sigmoid", False, 1.0], ["sigmoid", True, 1.0],
                                   ["sigmoid", False, 4.0], ["sigmoid_centered", False, 4.0]],
                      "seeds": [0, 1]},
    "regularization": {"data": "moons", "n_train": 100, "n_test": 1000, "noise": 0.35,
                       "hidden": [64, 64, 64], "activation": "relu", "init": "he_normal",
                       "optimizer": "momentum", "lr": 0.1, "batch_size": 20, "steps": 2000,
                       "configs": ["plain", "batch_norm", "dropout", "batch_norm_full_batch",
                                   "plain_full_batch"],
                       "keep_prob": 0.8, "seeds": list(range(8))},
    "init_gradients": {"data": "digits", "width": 100, "output": "softmax",
                       # (activation, batch_norm, hidden layers, init); with BN the hidden
                       # layers are scale-invariant, so the init's scale does not matter
                       "nets": [["relu", True, 10, "he_normal"], ["relu", True, 30, "he_normal"],
                                ["relu", False, 30, "he_normal"],
                                ["tanh", True, 30, "xavier_normal"],
                                ["sigmoid", True, 30, "xavier_normal"]],
                       "seeds": [0, 1, 2]},
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


def _hidden_weights(spec, params, state, X, Y, lr, start_norms):
    """The "brake": per hidden layer, ||W_l|| / ||W_l at the start|| and the effective step
    lr ||dW_l|| / ||W_l|| (dW on the whole training set, training mode); medians over the
    hidden layers."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _, grads, _ = cu.network.loss_and_grads(spec, params, X, Y, state, train=True, check=False)
        hidden = range(1, spec.n_layers)
        norms = [np.linalg.norm(params[f"W{l}"]) for l in hidden]
        growth = float(np.median([n / n0 for n, n0 in zip(norms, start_norms)]))
        step = float(np.median([lr * np.linalg.norm(grads[f"dW{l}"]) / n
                                for l, n in zip(hidden, norms)]))
    return (round(growth, 6) if np.isfinite(growth) else None,
            float(f"{step:.6g}") if np.isfinite(step) else None)


def run_learning_rate(lr: float, batch_norm: bool, seed: int) -> dict:
    """Also History.verdict (a run can blow up, cost 100 times its start, and come back
    finite), and every eval_every steps the weight-norm growth and effective step of the
    hidden layers (_hidden_weights)."""
    s = SETTINGS["learning_rate"]
    data = _data(s)
    X, Y = data[0], data[1]
    spec = cu.Spec((2, *s["hidden"], 1), activation=s["activation"], batch_norm=batch_norm)
    params = cu.init_params(spec, s["init"], rng=seed)
    start_norms = [np.linalg.norm(params[f"W{l}"]) for l in range(1, spec.n_layers)]
    brake = {"step": [], "weight_growth": [], "effective_step": []}

    def watch(hist, step, p, st):
        growth, eff = _hidden_weights(spec, p, st, X, Y, lr, start_norms)
        brake["step"].append(step)
        brake["weight_growth"].append(growth)
        brake["effective_step"].append(eff)

    watch(None, 0, params, cu.init_state(spec))
    hist = cu.train(spec, params, X, Y, cu.optimizers.get(s["optimizer"], lr=lr),
                    steps=s["steps"], batch_size=s["batch_size"], rng=seed, progress=False,
                    validation=cu.Validation(every=s["eval_every"]), callback=watch,
                    callback_every=s["eval_every"])
    accs = [round(float(a), 6) for a in hist.evals["train_acc"]]
    reached = [step for step, a in zip(hist.evals["step"], accs) if a >= s["target_acc"]]
    with np.errstate(over="ignore", invalid="ignore"):
        peak = float(np.nanmax(np.asarray(hist.costs, dtype=float)))
    return {"lr": lr, "batch_norm": batch_norm, "seed": seed, **_finish(spec, hist, data),
            "verdict": hist.verdict, "status": hist.status(),
            "peak_cost": float(f"{peak:.4g}") if np.isfinite(peak) else None,
            "steps_to_target": reached[0] if reached else None, "train_acc_curve": accs,
            "brake": brake}


def run_sigmoid_depth(depth: int, activation: str, batch_norm: bool, gain: float, lr: float,
                      seed: int) -> dict:
    s = SETTINGS["sigmoid_depth"]
    data = _data(s)
    spec = cu.Spec((2, *[s["width"]] * depth, 1), activation=activation,
                   batch_norm=batch_norm)
    params = cu.init_params(spec, s["init"], rng=seed, gain=gain)
    hist = cu.train(spec, params, data[0], data[1], cu.optimizers.get(s["optimizer"], lr=lr),
                    steps=s["steps"], batch_size=s["batch_size"], rng=seed, progress=False)
    return {"depth": depth, "activation": activation, "batch_norm": batch_norm, "gain": gain,
            "lr": lr, "seed": seed, **_finish(spec, hist, data)}


def run_init_gradients(activation: str, batch_norm: bool, depth: int, init: str,
                       seed: int) -> dict:
    """||dW_l|| of every layer at the start, on the whole digits training set (training
    mode: batch statistics of all 1,347 images)."""
    s = SETTINGS["init_gradients"]
    X, Y, _, _ = cu.datasets.load_digits()
    spec = cu.Spec((64, *[s["width"]] * depth, 10), activation=activation, output=s["output"],
                   batch_norm=batch_norm)
    params = cu.init_params(spec, init, rng=seed)
    _, grads, _ = cu.network.loss_and_grads(spec, params, X, Y, cu.init_state(spec))
    norms = [float(f"{np.linalg.norm(grads[f'dW{l}']):.6g}") for l in range(1, spec.n_layers + 1)]
    return {"activation": activation, "batch_norm": batch_norm, "depth": depth, "init": init,
            "seed": seed, "grad_norms": norms}


def run_regularization(config: str, seed: int) -> dict:
    s = SETTINGS["regularization"]
    data = _data(s)
    batch_norm = config.startswith("batch_norm")
    keep_prob = s["keep_prob"] if config == "dropout" else 1.0
    batch_size = s["n_train"] if config.endswith("full_batch") else s["batch_size"]
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
    return [run_sigmoid_depth(depth, act, bn, gain, lr, seed) for act, bn, gain in s["variants"]
            for depth in s["depths"] for lr in s["lrs"] for seed in s["seeds"]]


def part_init_gradients():
    s = SETTINGS["init_gradients"]
    return [run_init_gradients(act, bn, depth, init, seed) for act, bn, depth, init in s["nets"]
            for seed in s["seeds"]]


def part_regularization():
    s = SETTINGS["regularization"]
    return [run_regularization(config, seed) for config in s["configs"] for seed in s["seeds"]]


def part_batch_size():
    s = SETTINGS["batch_size"]
    return [run_batch_size(bs, bn, seed) for bn in (False, True) for bs in s["batch_sizes"]
            for seed in s["seeds"]]


PARTS = {"init_scale": part_init_scale, "learning_rate": part_learning_rate,
         "sigmoid_depth": part_sigmoid_depth, "regularization": part_regularization,
         "batch_size": part_batch_size, "init_gradients": part_init_gradients}


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
