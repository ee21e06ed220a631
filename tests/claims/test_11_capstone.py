"""The claims 11_capstone prints: the broken digits setting, fixed one finding of the
training doctor at a time (course_utils.lessons.capstone), the tuned network's test
accuracy over 5 seeds, every subset of the fixes and the three recorded runs of the
exercises. The stored sweep (data/capstone_runs.json, scripts/sweep_capstone.py) is
checked by retraining a sample of it.
"""

from dataclasses import replace

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import capstone as cap

PATH = [(), ("standardize",), ("standardize", "init"), ("standardize", "init", "relu"),
        ("standardize", "init", "relu", "lower_lr"), cap.FIX_NAMES]


@pytest.fixture(scope="module")
def data():
    return cap.load_data()


@pytest.fixture(scope="module")
def path(data):
    return [cap.run(cap.setup(fixes), data) for fixes in PATH]


@pytest.fixture(scope="module")
def stored():
    return cu.datasets.load_sweep("capstone_runs")


def test_the_broken_setting_is_at_chance_with_four_findings_in_order(path):
    """Raw pixels, 20 sigmoid layers, U(-1, 1), SGD lr 1: at chance (test accuracy 0.10);
    the doctor names unnormalized inputs, saturated units, vanishing gradients and stuck at
    chance, in that order."""
    broken = path[0]
    assert broken.verdict == "at chance" and round(broken.test_acc, 2) == 0.10
    assert broken.report.codes == ("unnormalized_inputs", "saturation", "vanishing_gradients",
                                   "stuck_at_chance")


def test_standardizing_removes_two_findings_but_changes_nothing_visible(path):
    """Standardized inputs: the input and saturation findings are gone; still at chance."""
    assert path[1].report.codes == ("vanishing_gradients", "stuck_at_chance")
    assert path[1].verdict == "at chance" and round(path[1].test_acc, 2) == 0.10


def test_xavier_makes_twenty_sigmoid_layers_vanish_more(path, data):
    """Xavier instead of U(-1, 1): still at chance, and ||dW1|| / ||dW21|| falls by more
    than 1e5 (2e-5 to 2e-12 on seed 0), on seeds 1 and 2 as well."""
    before = path[1].report["vanishing_gradients"].numbers["ratio"]
    after = path[2].report["vanishing_gradients"].numbers["ratio"]
    assert path[2].verdict == "at chance"
    assert after < before / 1e5
    for seed in (1, 2):
        uniform, xavier = (cap.run(cap.setup(f), data, seed=seed) for f in PATH[1:3])
        assert xavier.verdict == "at chance"
        assert (xavier.report["vanishing_gradients"].numbers["ratio"]
                < uniform.report["vanishing_gradients"].numbers["ratio"] / 1e5)


def test_uniform_start_is_about_the_sigmoids_classical_scale():
    """At width 32, U(-1, 1)'s standard deviation 0.58 is about 3.3 x Xavier's (0.18) and
    2.3 x He's (0.25)."""
    uniform = np.sqrt(1 / 3)
    assert round(uniform / np.sqrt(2 / 64), 1) == 3.3
    assert round(uniform / np.sqrt(2 / 32), 1) == 2.3


def test_relu_uncovers_the_learning_rate(path):
    """ReLU (He) at lr 1: NaN within 10 steps; the doctor names it first, and the updates
    as too large (update / weight ratio above 0.1)."""
    relu = path[3]
    assert relu.history.diverged and relu.history.diverged_at < 10
    assert relu.report.codes[0] == "non_finite" and "update_ratio" in relu.report.codes
    assert relu.report["update_ratio"].numbers["largest"] > 0.1


def test_a_smaller_rate_learns_with_no_fault_found_but_badly(path):
    """lr 0.1: learns, the doctor finds no fault, test accuracy about 0.25 (below 0.5)."""
    lower = path[4]
    assert lower.verdict == "learned" and lower.report.healthy
    assert lower.test_acc < 0.5


def test_two_hidden_layers_train(path):
    """2 hidden layers instead of 20: test accuracy about 0.95 (0.93 or more), no fault."""
    assert path[5].report.healthy and path[5].test_acc >= 0.93


def _deep(stored):
    runs = {}
    for r in stored["deep"]:
        runs.setdefault(r["label"], []).append(np.nan if r["test_acc"] is None else r["test_acc"])
    return {label: np.array(v) for label, v in runs.items()}


def test_twenty_layers_at_their_best_settings_stay_below_two(stored):
    """Section 6, was removing depth fair: 20 ReLU layers with SGD do best at lr 0.03, inside
    the grid (0.01 and 0.1 lower, 0.3 fails); 0.1 stays at chance on one seed of three; the
    best 20-layer settings (Adam 0.003, tanh SGD 0.1) reach about 0.9 in 400 steps, yet no
    20-layer setting reaches the 2-layer network's mean test accuracy (about 0.95)."""
    deep = _deep(stored)
    assert len(deep) == len(cap.DEEP_FAIR)
    sgd = {lr: np.nan_to_num(deep[f"ReLU, He, SGD lr {lr:g}"]).mean() for lr in (0.01, 0.03, 0.1, 0.3)}
    assert max(sgd, key=sgd.get) == 0.03
    assert min(deep["ReLU, He, SGD lr 0.1"]) < 0.15
    best = max(np.nan_to_num(v).mean() for v in deep.values())
    assert best >= 0.85
    two = np.array([c["test_acc"] for c in stored["combo_seeds"]
                    if set(c["fixes"]) == set(cap.FIX_NAMES)][0])
    assert best < two.mean()


def test_a_stored_deep_run_is_what_training_gives(stored, data):
    """One 20-layer run of section 6, retrained: the same test accuracy within 0.01."""
    label, seed = "ReLU, He, SGD lr 0.03", 1
    sample = next(r for r in stored["deep"] if r["label"] == label and r["seed"] == seed)
    run = cap.run(cap.DEEP_FAIR[label], data, seed=seed)
    assert abs(run.test_acc - sample["test_acc"]) <= 0.01


def test_the_stored_combos_are_what_training_gives(stored, data):
    """A sample of the 32 stored subsets, retrained: the same verdict and findings, test
    accuracies within 0.01."""
    combos = {frozenset(c["fixes"]): c for c in stored["combos"]}
    assert len(combos) == 32
    for fixes in [("shallow",), ("standardize", "relu", "shallow"), cap.FIX_NAMES,
                  ("init", "relu", "lower_lr")]:
        run = cap.run(cap.setup(fixes), data)
        c = combos[frozenset(fixes)]
        assert list(run.report.codes) == c["codes"] and run.verdict == c["verdict"]
        if c["test_acc"] is None:
            assert np.isnan(run.test_acc)
        else:
            assert abs(run.test_acc - c["test_acc"]) <= 0.01


def test_which_fixes_mattered(stored):
    """Section 8, seeds 0-2: standardizing alone at chance, 2 layers alone 0.9 or more on
    every seed; all but the standardization at chance on 2 seeds of 3; all but the 2 layers
    below 0.5 on every seed; only 2-layer subsets reach 0.9 on every seed; all but the
    smaller rate is within 0.02 of all five or better on average; the best subset is
    standardize + fan-in start + 2 layers (sigmoid at lr 1)."""
    acc = {frozenset(c["fixes"]): np.nan_to_num(np.array(c["test_acc"], dtype=float))
           for c in stored["combo_seeds"]}
    assert len(acc) == 32 and stored["combo_seeds"][0]["test_acc"][0] == stored["combos"][0]["test_acc"]
    everything = frozenset(cap.FIX_NAMES)
    assert acc[frozenset(["standardize"])].max() < 0.15
    assert acc[frozenset(["shallow"])].min() >= 0.9
    assert sum(acc[everything - {"standardize"}] < 0.15) == 2
    assert acc[everything - {"shallow"}].max() < 0.5
    assert all("shallow" in k for k, a in acc.items() if a.min() >= 0.9)
    assert acc[everything - {"lower_lr"}].mean() >= acc[everything].mean() - 0.02
    best = max(acc, key=lambda k: acc[k].mean())
    assert best == frozenset(["standardize", "init", "shallow"])


def test_the_learning_rate_grid_brackets_its_best(stored, data):
    """SGD lr 3 blows up or stays at chance on every seed; the best mean validation
    accuracy is inside the grid; a stored grid run retrained gives the same accuracies."""
    grid = {}
    for r in stored["grid"]:
        grid.setdefault((r["optimizer"], r["lr"]), []).append(r)
    assert all(r["verdict"] != "learned" for r in grid[("sgd", 3.0)])
    best = max(grid, key=lambda k: np.mean([r["val_acc"] for r in grid[k]]))
    assert best == ("sgd", 1.0)  # inside the SGD grid: 3 fails on every seed
    sample = grid[("adam", 0.003)][1]
    final = replace(cap.setup(cap.FIX_NAMES), width=64, steps=1000, optimizer="adam", lr=0.003)
    run = cap.run(final, data, seed=sample["seed"])
    assert abs(run.val_acc - sample["val_acc"]) <= 0.01
    assert abs(run.test_acc - sample["test_acc"]) <= 0.01


def test_the_tuned_network_over_five_seeds(data):
    """2 hidden layers of 64, SGD lr 1, 1,000 steps, seeds 0-4: test accuracy mean about
    0.97 (0.96 or more), range within 0.03; training accuracy 1.00; no fault found."""
    final = replace(cap.setup(cap.FIX_NAMES), width=64, steps=1000, lr=1.0)
    runs = [cap.run(final, data, seed=s) for s in range(5)]
    test = np.array([r.test_acc for r in runs])
    assert test.mean() >= 0.96 and test.max() - test.min() <= 0.03
    assert all(r.train_acc > 0.995 and r.report.healthy for r in runs)


def test_the_recorded_runs_have_one_fault_each(stored, data):
    """Run A: dead ReLUs first; run B: updates too small first; run C: saturation first;
    run B retrained gives the stored findings."""
    mystery = {r["name"]: r for r in stored["mystery"]}
    assert mystery["A"]["codes"][0] == "dead_relus"
    assert mystery["B"]["codes"][0] == "update_ratio"
    assert mystery["C"]["codes"] == ["saturation"]
    run = cap.run(cap.MYSTERY["B"], data, seed=cap.MYSTERY_SEED)
    assert list(run.report.codes) == mystery["B"]["codes"]
