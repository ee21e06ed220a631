"""The one small control of 00_start_here: a learning-rate slider and the cost curve it gives."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, training
from ._base import Dashboard


class LearningRateDemo(Dashboard):
    """Train the seed's network (with leaky ReLU, which can truly diverge) on the circles for
    `steps` steps at the chosen learning rate."""

    title = "Learning-rate demo"

    def __init__(self, lr: float = 0.1, steps: int = 300):
        super().__init__(figsize=(6, 3), dpi=80)
        self.X, self.Y, _, _ = datasets.load_circles()
        self.spec = network.Spec((2, 10, 5, 1), activation="leaky_relu")
        self.params = network.init_params(self.spec, "he_normal", rng=0)
        self.steps = steps
        self.controls = {"lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=2, step=0.1,
                                                      description="learning rate",
                                                      continuous_update=False,
                                                      readout_format=".3g",
                                                      style={"description_width": "initial"},
                                                      layout=widgets.Layout(width="420px"))}
        self._watch_controls()
        ax = self.figure.subplots()
        (self.line,) = ax.plot([], [])
        self.note = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", color="#c62828")
        ax.set(xlim=(0, steps), ylim=(1e-2, 1e2), yscale="log", xlabel="step", ylabel="cost",
               title="cost while training (log scale)")
        self.figure.tight_layout()
        self.view.animate(self.line, self.note)
        self._layout([[self.controls["lr"]]],
                     "Release the slider to train; the status line says what happened.")
        self.update()

    def update(self) -> None:
        self._start_update()
        lr = self.controls["lr"].value
        hist = training.train(self.spec, self.params, self.X, self.Y, optimizers.sgd(lr),
                              steps=self.steps, progress=False)
        costs = np.asarray(hist.costs)
        finite = np.isfinite(costs)
        self.line.set_data(np.arange(costs.size)[finite], np.clip(costs[finite], 1e-2, 1e2))
        self.note.set_text(f"diverged at step {hist.diverged_at}" if hist.diverged else "")
        level = "bad" if hist.diverged or hist.blew_up_at is not None else "good"
        self.say(f"learning rate {lr:.3g}: {hist.status()}", level)
        self.view.redraw()
        self._frame_shown()
        self._end_update("trained")


def learning_rate_demo(**options) -> LearningRateDemo:
    return LearningRateDemo(**options)
