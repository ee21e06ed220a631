"""Graders for 11_capstone: name the cause of three recorded failing runs.

Each run is stored in data/capstone_runs.json ("mystery", written by
scripts/sweep_capstone.py from course_utils.lessons.capstone.MYSTERY); the grader answers
with the training doctor's evidence on that run, whether the answer is right or not.
"""

from __future__ import annotations

from .. import datasets
from ._core import choice_case, grade

__all__ = ["mystery_run_a", "mystery_run_b", "mystery_run_c"]

# The names a reader may answer with (any spelling normalize_name accepts).
CAUSES = ("unnormalized inputs", "initialization too large", "saturation",
          "vanishing gradients", "exploding gradients", "dead relus",
          "learning rate too high", "learning rate too small", "overfitting")
ALIASES = {"unnormalized": "unnormalized_inputs", "saturated units": "saturation",
           "saturated": "saturation", "dead units": "dead_relus", "dead relu": "dead_relus",
           "dying relus": "dead_relus", "dying relu": "dead_relus",
           "lr too high": "learning_rate_too_high", "lr too small": "learning_rate_too_small",
           "learning rate too low": "learning_rate_too_small", "lr too low":
           "learning_rate_too_small", "updates too small": "learning_rate_too_small",
           "init too large": "initialization_too_large", "weights too large":
           "initialization_too_large", "initialisation too large": "initialization_too_large",
           "unnormalised inputs": "unnormalized_inputs"}
OTHERWISE = "answer with one of: " + ", ".join(f'"{c}"' for c in CAUSES)
HOW = 'answer with the cause in quotes, e.g. answer = "overfitting"'

# Per run: the causes accepted (the fault and what caused it), and why the others are not.
WHY_NOT = {
    "unnormalized_inputs": "these runs use standardized pixels (each pixel mean 0, std 1)",
    "overfitting": "overfitting needs a network that fits its training set; look at the cost",
    "vanishing_gradients": "compare the first and last layers' gradient norms: are they "
                           "orders of magnitude apart?",
    "exploding_gradients": "are the gradient norms large (tens or more)?",
}
RUNS = {
    "A": {"right": ("dead_relus", "learning_rate_too_high"),
          "hint": "look at the fraction of units never active in each layer, and at what the "
                  "cost did in the first steps"},
    "B": {"right": ("learning_rate_too_small",),
          "hint": "the gradients are of ordinary size: how much does each step change the "
                  "weights (update / weight ratio)?"},
    "C": {"right": ("saturation", "initialization_too_large"),
          "hint": "look at the fraction of tanh pre-activations beyond |z| = 2"},
}


def _evidence(name: str) -> str:
    """The doctor's first finding on the stored run, as evidence."""
    run = next(r for r in datasets.load_sweep("capstone_runs")["mystery"] if r["name"] == name)
    first = next(f for f in run["findings"] if f["severity"] == "fault")
    return f"the doctor: {first['title'].lower()}, {first['measured']}; cause: {first['cause']}"


def _grade_run(name: str, answer):
    spec = RUNS[name]
    evidence = _evidence(name)
    right = {c: f"right: {evidence}" for c in spec["right"]}
    names = {c.replace(" ", "_") for c in CAUSES}
    wrong = {c: f"{WHY_NOT.get(c, 'not what the numbers show')}; {spec['hint']}"
             for c in names - set(right)}
    case = choice_case(right, wrong, otherwise=OTHERWISE, aliases=ALIASES, how_to_answer=HOW)
    return grade(f"Recorded run {name}: its cause", [case], lambda: answer)


def mystery_run_a(answer):
    """Run A's cause: a name from CAUSES (a string)."""
    return _grade_run("A", answer)


def mystery_run_b(answer):
    """Run B's cause: a name from CAUSES (a string)."""
    return _grade_run("B", answer)


def mystery_run_c(answer):
    """Run C's cause: a name from CAUSES (a string)."""
    return _grade_run("C", answer)
