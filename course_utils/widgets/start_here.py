"""The one small control of 00_start_here: a learning-rate slider and the cost curve it gives."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, training
from ._base import Dashboard
from .panels import COLOURS, CostPanel, accuracies

__all__ = ["LearningRateDemo", "learning_rate_demo"]

# The status line's colour for each of History.verdict's words: only "learned" is good.
LEVELS = {"learned": "good", "at chance": "warn", "stalled": "warn", "got worse": "warn",
          "blew up": "bad", "diverged": "bad", "not trained": "info"}

# The slider starts where something visibly happens: at 0.2 the cost falls from 1.39 to
# about 0.43 in 300 steps (train accuracy about 0.97), and a notch either way changes the
# curve (0.16: stops near 0.56; 0.25: falls further, then wobbles). At 0.1 the curve barely
# leaves chance.
DEFAULT_LR = 0.2
# The cost axis: tight enough that a notch of the slider visibly moves the curve; costs
# outside it are drawn at its edge (and the panel's note says how high they went).
COST_LIMITS = (0.1, 10.0)


@dataclass
class Result:
    """What one learning rate gave: enough to redraw it without training again."""

    costs: np.ndarray  # (steps,) the cost at each step, up to a divergence
    status: str
    level: str


class LearningRateDemo(Dashboard):
    """Train the seed's network (with leaky ReLU, which can truly diverge) on the circles for
    `steps` steps at the chosen learning rate, and say how the run ended (History.verdict)."""

    title = "Learning-rate demo"

    def __init__(self, lr: float = DEFAULT_LR, steps: int = 300):
        super().__init__(figsize=(6, 3), dpi=80)
        self.X, self.Y, _, _ = datasets.load_circles()
        self.spec = network.Spec((2, 10, 5, 1), activation="leaky_relu")
        self.params = network.init_params(self.spec, "he_normal", rng=0)
        self.steps = steps
        self.chance = training.chance_cost(self.Y)
        self.controls = {"lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=2, step=0.1,
                                                      description="learning rate",
                                                      continuous_update=False,
                                                      readout_format=".3g",
                                                      style={"description_width": "initial"},
                                                      layout=widgets.Layout(width="420px"))}
        self._watch_controls()
        self._layout([[self.controls["lr"]]],
                     "Release the slider to train; the status line says what happened.")
        ax = self.figure.subplots()
        # drawn first, so that the panel's legend lists it first
        ax.axhline(self.chance, color="0.5", ls=":", lw=1,
                   label=f"chance: ln 2 = {self.chance:.3f}")
        self.cost = CostPanel(self.view, ax, length=steps, limits=COST_LIMITS,
                              lines={"cost": (COLOURS["cost"], "cost")},
                              title="cost while training (log scale)", legend_loc="lower left")
        self.figure.tight_layout()
        self.update()

    def compute(self) -> Result:
        lr = self.controls["lr"].value
        hist = training.train(self.spec, self.params, self.X, self.Y, optimizers.sgd(lr),
                              steps=self.steps, progress=False)
        result = Result(np.asarray(hist.costs), self.describe(hist, lr), LEVELS[hist.verdict])
        self.show(result)
        return result

    def show(self, result: Result) -> None:
        self.cost.show(result.costs)
        self.frame(result.status, result.level)

    def describe(self, hist: training.History, lr: float) -> str:
        """The status line: History.status(), then the learning rate and, for a finite run,
        the training accuracy (a run at chance gets about half the points right)."""
        text = f"{hist.status()}."
        if hist.diverged:
            return text + f" Learning rate {lr:.3g} is too large: try a smaller one."
        if hist.verdict != "got worse" and hist.final_cost > hist.costs[0]:
            text += " The cost ended above where it started."
        accuracy = accuracies(self.spec, hist.params, {"train": (self.X, self.Y)})["train"]
        return text + f" Learning rate {lr:.3g}, train accuracy {accuracy:.2f}."


def learning_rate_demo(**options) -> LearningRateDemo:
    """The demo of 00_start_here; see LearningRateDemo for the options."""
    return LearningRateDemo(**options)
