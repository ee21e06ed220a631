"""The source course's optimizer experiment on the moons: data/moons_optimizers.json.

The network [2, 5, 2, 1] (ReLU, sigmoid output, He init), minibatches of 64 from the 300
training points of make_moons(noise=0.2, random_state=3), 5,000 epochs, trained by:

- "gap":      gradient descent, momentum (beta 0.9) and Adam at lr 0.0007 (the course's
              comparison);
- "decay":    the same three with the course's learning-rate schedule
              lr0 / (1 + floor(epoch / 1000)), from lr0 = 0.1 (gd, momentum) and 0.01 (adam);
- "constant": the same three at those lr0 without decay (is it the decay or the larger lr?).

Each setting runs with two sources of randomness:
- streams "course": the course's own random streams (weights from np.random.seed(3), epoch
  e shuffled with np.random.seed(11 + e), the decay applied from the epoch after), which
  reproduce its published numbers;
- streams "rng": course_utils as a reader would use it (cu.init_params(rng=seed),
  cu.train(..., batch_size=64, rng=seed)) for seeds 0-4.

Per run: the cost of every 10th epoch (the mean over the epoch's minibatches, before each
update, as the course prints it), the final parameters ("course" streams only), train and
test accuracy. About 5 minutes on a quiet machine. tests/claims/test_05_optimizers.py
recomputes a sample.

    python scripts/sweep_moons_optimizers.py
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

import course_utils as cu

OUT = pathlib.Path(__file__).parents[1] / "data" / "moons_optimizers.json"
SETTINGS = {"layer_sizes": [2, 5, 2, 1], "activation": "relu", "batch_size": 64,
            "epochs": 5000, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
            "decay_every_epochs": 1000, "cost_every_epochs": 10, "seeds": list(range(5)),
            "families": {"gap": {"gd": 0.0007, "momentum": 0.0007, "adam": 0.0007},
                         "decay": {"gd": 0.1, "momentum": 0.1, "adam": 0.01},
                         "constant": {"gd": 0.1, "momentum": 0.1, "adam": 0.01}}}
SPEC = cu.Spec(tuple(SETTINGS["layer_sizes"]), activation=SETTINGS["activation"])


def make_optimizer(name: str, lr):
    """The course's three optimizers with its hyperparameters; lr a number or a schedule."""
    if name == "gd":
        return cu.optimizers.sgd(lr)
    if name == "momentum":
        return cu.optimizers.momentum(lr, beta=SETTINGS["beta"])
    return cu.optimizers.adam(lr, SETTINGS["beta1"], SETTINGS["beta2"], SETTINGS["eps"])


def steps_per_epoch(m: int) -> int:
    return -(-m // SETTINGS["batch_size"])


def course_schedule(lr0: float, m: int):
    """The course's decay as a function of the step: it updates the rate after each epoch
    with schedule_lr_decay(lr0, epoch, 1, 1000), so epoch e (e >= 1) uses
    lr0 / (1 + floor((e - 1) / 1000))."""
    per_epoch, every = steps_per_epoch(m), SETTINGS["decay_every_epochs"]

    def lr(step):
        epoch = step // per_epoch
        return lr0 if epoch == 0 else lr0 / (1 + (epoch - 1) // every)
    return lr


def course_params() -> dict:
    """The course's initialize_parameters: He weights from np.random.seed(3)."""
    draw = np.random.RandomState(3)
    sizes, params = SETTINGS["layer_sizes"], {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = draw.randn(sizes[l], sizes[l - 1]) * np.sqrt(2 / sizes[l - 1])
        params[f"b{l}"] = np.zeros((sizes[l], 1))
    return params


def epoch_costs(step_costs, batch_sizes) -> np.ndarray:
    """The course's cost_avg per epoch: per-batch mean costs weighted by the batch sizes."""
    weights = np.asarray(batch_sizes, dtype=float)
    costs = np.asarray(step_costs, dtype=float).reshape(-1, weights.size)
    return costs @ weights / weights.sum()


def train_course_streams(name: str, lr0: float, decay: bool, epochs: int | None = None):
    """One run with the course's random streams. Returns (params, per-epoch costs)."""
    X, Y, _, _ = cu.datasets.load_moons()
    m, batch = X.shape[1], SETTINGS["batch_size"]
    epochs = SETTINGS["epochs"] if epochs is None else epochs
    optimizer = make_optimizer(name, course_schedule(lr0, m) if decay else lr0)
    params = course_params()
    state = optimizer.init(params)
    costs = []
    for epoch in range(epochs):
        order = np.random.RandomState(11 + epoch).permutation(m)  # the course's seed + 1
        Xs, Ys = X[:, order], Y[:, order]
        for k in range(0, m, batch):
            cost, grads, _ = cu.loss_and_grads(SPEC, params, Xs[:, k:k + batch],
                                               Ys[:, k:k + batch], check=False)
            params, state = optimizer.update(params, grads, state)
            costs.append(cost)
    sizes = [min(batch, m - k) for k in range(0, m, batch)]
    return params, epoch_costs(costs, sizes)


def train_rng(name: str, lr0: float, decay: bool, seed: int, epochs: int | None = None):
    """One run as a reader would write it with course_utils. Returns (params, epoch costs)."""
    X, Y, _, _ = cu.datasets.load_moons()
    m, batch = X.shape[1], SETTINGS["batch_size"]
    epochs = SETTINGS["epochs"] if epochs is None else epochs
    lr = (cu.optimizers.inverse_time_decay(lr0, 1.0, every=SETTINGS["decay_every_epochs"]
                                           * steps_per_epoch(m)) if decay else lr0)
    params = cu.init_params(SPEC, "he_normal", rng=seed)
    hist = cu.train(SPEC, params, X, Y, make_optimizer(name, lr), epochs=epochs,
                    batch_size=batch, rng=seed, progress=False)
    sizes = [min(batch, m - k) for k in range(0, m, batch)]
    return hist.params, epoch_costs(hist.costs, sizes)


def summarize(params, costs) -> dict:
    X, Y, X_test, Y_test = cu.datasets.load_moons()
    every = SETTINGS["cost_every_epochs"]
    return {"train_acc": round(cu.accuracy(SPEC, params, X, Y), 6),
            "test_acc": round(cu.accuracy(SPEC, params, X_test, Y_test), 6),
            "final_cost": round(float(costs[-1]), 6),
            "costs": [round(float(c), 6) for c in costs[::every]]}


def run_one(family: str, name: str, streams: str, seed: int | None = None) -> dict:
    """One run of the sweep: the record stored for it."""
    lr0 = SETTINGS["families"][family][name]
    decay = family == "decay"
    if streams == "course":
        params, costs = train_course_streams(name, lr0, decay)
    else:
        params, costs = train_rng(name, lr0, decay, seed)
    record = {"family": family, "optimizer": name, "lr0": lr0, "decay": decay,
              "streams": streams, "seed": seed, **summarize(params, costs)}
    if streams == "course":
        record["params"] = {k: np.round(v, 10).tolist() for k, v in params.items()}
    else:
        del record["costs"]  # the notebook draws the course-stream curves only
    return record


def main() -> None:
    runs = []
    for family, lrs in SETTINGS["families"].items():
        for name in lrs:
            runs.append(run_one(family, name, "course"))
            print(family, name, "course", runs[-1]["train_acc"], flush=True)
            for seed in SETTINGS["seeds"]:
                runs.append(run_one(family, name, "rng", seed))
                print(family, name, seed, runs[-1]["train_acc"], flush=True)
    OUT.write_text(json.dumps({"settings": SETTINGS, "runs": runs}) + "\n")
    print(f"wrote {len(runs)} runs to {OUT}")


if __name__ == "__main__":
    main()
