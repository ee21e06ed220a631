"""The capstone's dashboard (11_capstone): switch each of the five fixes of the broken
digits setting on or off and see the cost curve, the training doctor's findings and the
run's verdict and test accuracy in words.

Every one of the 32 settings was trained once by scripts/sweep_capstone.py (rng seed 0,
400 steps, the notebook's training: course_utils.lessons.capstone.run) and stored in
data/capstone_runs.json: a 20-layer setting takes over a second to train, too slow for a
click, so the dashboard draws the stored runs (tests/claims/test_11_capstone.py retrains a
sample of them).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import datasets
from ..lessons import capstone
from ._base import Dashboard
from .panels import COLOURS, CostPanel, DoctorPanel

__all__ = ["CapstoneDashboard", "capstone_dashboard"]

COST_LIMITS = (3e-3, 30.0)


class CapstoneDashboard(Dashboard):
    title = "Capstone dashboard"

    def __init__(self, fixes=(), cache_size: int = 40):
        super().__init__(figsize=(12, 3.8), dpi=80, cache_size=cache_size)
        stored = datasets.load_sweep("capstone_runs")
        self.settings = stored["settings"]
        self.runs = {frozenset(run["fixes"]): run for run in stored["combos"]}
        self._build_controls(tuple(fixes))
        self._build_figure()
        self.update()

    def _build_controls(self, fixes):
        unknown = [f for f in fixes if f not in capstone.FIX_NAMES]
        if unknown:
            raise ValueError(f"fixes must be names from {capstone.FIX_NAMES}, got {unknown}")
        self.controls = {
            fix.name: widgets.Checkbox(value=fix.name in fixes, indent=False,
                                       description=f"{fix.label} ({fix.notebook[:2]})",
                                       layout=widgets.Layout(width="auto"))
            for fix in capstone.FIXES}
        self._watch_controls()
        boxes = list(self.controls.values())
        self._layout([boxes[:3], boxes[3:]],
                     "Each box switches one fix on (the number is the notebook that teaches "
                     "it). All off is the broken setting: raw pixels 0-16, 20 sigmoid layers "
                     "of 32, weights from U(-1, 1), SGD at learning rate 1; every setting "
                     f"trains {self.settings['steps']} steps from rng seed 0. Try first: switch "
                     "the fixes on in the doctor's order (inputs, initialization, ReLU, "
                     "learning rate, depth), then switch only '2 hidden layers' on.")

    def _build_figure(self):
        ax_cost, ax_doctor = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        window = self.settings["cost_window"]
        self.cost = CostPanel(self.view, ax_cost, length=self.settings["steps"],
                              limits=COST_LIMITS, legend_loc="lower left",
                              lines={"train": (COLOURS["train"],
                                               f"training cost (mean of {window} steps)"),
                                     "val": (COLOURS["val"], "validation cost")},
                              title="cost (log scale)")
        self.chance = ax_cost.axhline(np.log(10), color="0.5", ls=":", lw=1)
        ax_cost.text(self.settings["steps"], np.log(10) * 1.15, "chance (ln 10) ", ha="right",
                     va="bottom", fontsize=8, color="0.4")
        self.doctor = DoctorPanel(self.view, ax_doctor)
        self.figure.tight_layout()

    def key(self) -> tuple:
        return tuple(bool(c.value) for c in self.controls.values())

    def fixes(self) -> tuple:
        """The names of the fixes switched on."""
        return tuple(name for name, c in self.controls.items() if c.value)

    def compute(self) -> dict:
        run = self.runs[frozenset(self.fixes())]
        self.show(run)
        return run

    def show(self, run: dict) -> None:
        costs = np.array([np.nan if c is None else c for c in run["costs"]], dtype=float)
        self.cost.show(costs, np.asarray(run["cost_steps"]), line="train")
        if run["diverged_at"] is not None:
            self.cost.note.set_text(f"diverged at step {run['diverged_at']:,}")
        val = np.array([np.nan if c is None else c for c in run["val_costs"]], dtype=float)
        self.cost.show(val, np.asarray(run["val_steps"]), line="val")
        self.doctor.show(run["findings"])
        self.frame(*self.verdict(run))

    @staticmethod
    def verdict(run: dict) -> tuple:
        """The run in words, and the status level: History.status() first (a run that
        diverged or stayed at chance is said so), then the test accuracy and the doctor."""
        faults = [f["title"] for f in run["findings"] if f["severity"] == "fault"]
        doctor = (f"the doctor finds {len(faults)} fault{'s' * (len(faults) > 1)}, first: "
                  f"{faults[0]}" if faults else "the doctor finds no fault")
        if run["verdict"] in ("diverged", "blew up", "at chance", "stalled"):
            return f"{run['status']}; {doctor}.", "bad"
        accuracy = f"test accuracy {run['test_acc']:.2f}"
        if run["test_acc"] < 0.9:
            return (f"{run['status']}: {accuracy}, far below the 0.95 or more a good setting "
                    f"reaches; {doctor}.", "warn")
        return f"{run['status']}: {accuracy}; {doctor}.", "good" if not faults else "warn"


def capstone_dashboard(**options) -> CapstoneDashboard:
    """The dashboard of 11_capstone; see CapstoneDashboard for the options."""
    return CapstoneDashboard(**options)
