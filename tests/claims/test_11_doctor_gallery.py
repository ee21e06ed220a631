"""The training doctor's gallery (scripts/doctor_gallery.py), the claims 11_capstone prints (section 9).

12 faults, each planted on purpose, and 10 kinds of healthy run (digits, moons, circles,
breast cancer, wine; ReLU, leaky ReLU, tanh, sigmoid; SGD, momentum, RMSProp, Adam; with and
without batch norm and dropout), each on seeds 0, 1, 2. The whole gallery runs here (about
20 s), and the stored data/doctor_gallery.json, which a notebook reads, must be what it gives.

The thresholds were chosen with this gallery in view, so its score is not an independent
check; doctor_gallery.HELD_OUT (other data, depths, rates and optimizers, written after the
thresholds were fixed) is, and its stored score is checked here by rerunning seed 0.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import course_utils as cu
from course_utils import doctor

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import doctor_gallery  # noqa: E402


@pytest.fixture(scope="module")
def results():
    return doctor_gallery.run_gallery()


def test_every_planted_fault_is_named_and_named_first(results):
    """Faults named / planted: 36 / 36 (12 faults x 3 seeds); named first where that cause
    dominates: 36 / 36. (For zero initialization the first finding is the cause, symmetric
    weights, and "stuck at chance" is named after it.)"""
    score = doctor_gallery.figures(results)
    missed = [(r["case"], r["seed"], r["codes"]) for r in results
              if r["planted"] is not None and not r["right"]]
    assert not missed
    assert score["faults_named"] == score["faults_planted"] == 36
    assert score["named_first"] == score["first_required"] == 36


def test_healthy_runs_raise_no_fault(results):
    """False alarms / healthy runs: 0 / 30 (10 kinds x 3 seeds). Notes (e.g. a check that
    could not be made) are not faults and are kept apart in the report."""
    alarms = [(r["case"], r["seed"], r["codes"]) for r in results
              if r["planted"] is None and r["codes"]]
    assert not alarms
    assert doctor_gallery.figures(results)["healthy_runs"] == 30


def test_the_gallery_covers_every_fault_the_doctor_knows():
    """One planted case per fault in doctor.ORDER (symmetric weights through the
    zero-initialization case), at least 3 seeds each."""
    planted = {c.planted for c in doctor_gallery.FAULTS} | {c.first for c in doctor_gallery.FAULTS}
    assert planted == set(doctor.ORDER)
    assert len(doctor_gallery.SEEDS) >= 3


def test_the_stored_gallery_is_what_the_script_gives(results):
    stored = json.loads((ROOT / "data" / "doctor_gallery.json").read_text())
    assert stored["figures"] == doctor_gallery.figures(results)
    assert [(r["case"], r["seed"], r["codes"]) for r in stored["runs"]] == \
        [(r["case"], r["seed"], r["codes"]) for r in results]


def _healthy_measures():
    """The largest gradient norm, saturated and dead fractions and update ratio of the
    healthy runs, and the smallest, measured as the doctor measures them."""
    out = {"grad_norm": [], "ratio": [], "saturated": [], "dead": [], "update": []}
    for case in doctor_gallery.HEALTHY:
        for seed in doctor_gallery.SEEDS:
            run = case.run(seed)
            hist, spec = run["history"], run["spec"]
            stats = hist.layer_stats
            out["grad_norm"].append(np.nanmax(stats["grad_norm"]))
            out["ratio"].append(np.median(stats["grad_norm"][:, 0] / stats["grad_norm"][:, -1]))
            out["saturated"].append(np.nanmax(np.r_[doctor._column_medians(stats["saturated"]), 0]))
            out["update"].append(np.nanmax(doctor._column_medians(stats["update_ratio"])))
            _, cache = cu.network.forward(spec, hist.params, run["X"], hist.state)
            out["dead"].append(max([np.mean(np.all(Z <= 0, axis=1))
                                    for Z, a in zip(cache.pre, spec.activation) if a == "relu"]
                                   or [0.0]))
    return {k: np.array(v) for k, v in out.items()}


def test_healthy_runs_keep_a_margin_from_every_threshold():
    """Healthy runs, measured: largest gradient norm < 10 (threshold 50), first/last gradient
    ratio within 0.5 to 10 (thresholds 0.01 and 100), saturated fraction < 0.2 (threshold
    0.5), dead ReLUs < 0.4 (threshold 0.5: the closest margin, from the 6-layer RMSProp runs,
    about 0.3), update ratios within 1e-4 to 1e-2 (thresholds 1e-5 and 0.1)."""
    m = _healthy_measures()
    assert m["grad_norm"].max() < 10
    assert 0.5 < m["ratio"].min() and m["ratio"].max() < 10
    assert m["saturated"].max() < 0.2
    assert m["dead"].max() < 0.4
    assert 1e-4 < m["update"].min() and m["update"].max() < 1e-2


def test_the_held_out_cases():
    """Held-out cases (9 faults, 8 healthy kinds, seeds 0-2, stored): every planted fault is
    named (27 / 27), named first in all but one run (26 / 27: a learning rate of 2 that
    kills the ReLUs is first named as a diverging cost, its consequence's cause), no false
    alarm (0 / 24). Seed 0 retrained gives the stored findings."""
    stored = json.loads((ROOT / "data" / "doctor_gallery.json").read_text())
    score = stored["held_out_figures"]
    assert score["faults_named"] == score["faults_planted"] == 27
    assert score["named_first"] >= score["first_required"] - 1
    assert score["false_alarms"] == 0 and score["healthy_runs"] == 24
    again = doctor_gallery.run_gallery(doctor_gallery.HELD_OUT, seeds=(0,))
    assert [(r["case"], r["codes"]) for r in again] == \
        [(r["case"], r["codes"]) for r in stored["held_out"] if r["seed"] == 0]
