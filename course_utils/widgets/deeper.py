"""The Deeper-networks dashboard (09_deeper_networks): choose the depth (2 to 64 hidden
layers), residual connections on or off, the normalization (none, batch, layer), the
weights' scale sigma_w^2 and the warmup steps; watch the cost, the gradient that reaches
each layer at the start, and where the setting sits on 09's map of what trains.

Every setting trains a ReLU network of hidden layers of 16 units on 64 of the digits
(one full batch) with Adam at lr 0.02 for 20 steps, the rate warmed up linearly over the
warmup steps: small enough that a 64-layer setting trains in about 0.3 s on a quiet core
(benchmarks/bench_dashboard_deeper.py); every result is remembered. The
map beside it is 09's (data/deeper_map.json: ReLU, 32 units, the whole training set, SGD
at each cell's best rate), so it shows where a setting lies, not this short run's result.
Residual blocks here scale their branch by 1/sqrt(depth), as on the map.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import datasets, network, optimizers, training
from ..lessons import deeper
from ._base import Dashboard
from .panels import COLOURS, CostPanel, LayerPanel, corner_note

__all__ = ["DeeperDashboard", "deeper_dashboard"]

DEPTHS = (2, 4, 8, 16, 32, 64)
NORMS = ("none", "batch", "layer")
COST_LIMITS = (1e-2, 1e2)
GRAD_LIMITS = (1e-8, 1e4)
WIDTH, N_EXAMPLES, STEPS, LR = 16, 64, 20, 0.02
FAR_YET = 0.8  # a run that learned, with a training accuracy below this, is "not far yet"


@dataclass
class Result:
    costs: np.ndarray
    grad_start: np.ndarray  # ||dW_l|| at the start, (L,)
    status: str
    level: str


def load_map(kind: str = "plain", activation: str = "relu"):
    """09's stored map as (sigma_w2 (S,), depths (D,), accuracy (D, S)) (see
    lessons.deeper.map_grid); None when the sweep is not stored."""
    try:
        sweep = datasets.load_sweep("deeper_map")
    except (FileNotFoundError, ValueError):
        return None
    return deeper.map_grid(sweep, kind, activation)


class DeeperDashboard(Dashboard):
    title = "Deeper networks dashboard"

    def __init__(self, depth: int = 16, residual: bool = False, norm: str = "none",
                 sigma_w2: float = 2.0, warmup: int = 1, seed: int = 0, steps: int = STEPS,
                 cache_size: int = 64):
        super().__init__(figsize=(12, 3.6), dpi=80, cache_size=cache_size)
        X, Y, _, _ = datasets.load_digits()
        self.X, self.Y = X[:, :N_EXAMPLES], Y[:, :N_EXAMPLES]
        # the accuracy of always answering the most frequent class of these examples
        self.guess_accuracy = float(np.max(np.mean(self.Y, axis=1)))
        self.seed, self.steps = seed, steps
        self.maps = {kind: load_map(kind) for kind in ("plain", "residual")}
        self._build_controls(depth, residual, norm, sigma_w2, warmup)
        self._build_figure()
        self.update()

    def _build_controls(self, depth, residual, norm, sigma_w2, warmup):
        self.controls = {
            "depth": widgets.SelectionSlider(options=DEPTHS, value=depth, description="depth",
                                             continuous_update=False),
            "residual": widgets.Checkbox(value=residual, description="residual", indent=False),
            "norm": widgets.ToggleButtons(options=NORMS, value=norm, description="norm",
                                          style={"button_width": "60px"}),
            "sigma_w2": widgets.FloatLogSlider(value=sigma_w2, base=2, min=-1, max=4, step=0.5,
                                               description="σ_w²", continuous_update=False,
                                               readout_format=".3g"),
            "warmup": widgets.IntSlider(value=warmup, min=1, max=20, step=1,
                                        description="warmup", continuous_update=False),
        }
        self._watch_controls()
        c = self.controls
        self._layout([[c["depth"], c["sigma_w2"], c["residual"]], [c["norm"], c["warmup"]]],
                     f"Each setting trains a ReLU net of 16-unit hidden layers on {N_EXAMPLES} "
                     f"digits for {self.steps} Adam steps (lr {LR:g}, warmed up over the warmup "
                     "steps; 1 = none). σ_w² = 2 is He's scale. Try first: depth 64 with "
                     "σ_w² = 4 (plain), then residual on, then layer norm.")

    def _build_figure(self):
        ax_cost, ax_grad, ax_map = self.figure.subplots(1, 3)
        self.cost = CostPanel(self.view, ax_cost, length=self.steps, limits=COST_LIMITS,
                              title="training cost (log scale)")
        self.grads = LayerPanel(self.view, ax_grad, limits=GRAD_LIMITS, layers=max(DEPTHS) + 1,
                                lines={"start": ("o-", COLOURS["train"], None)},
                                styles={"start": {"ms": 2}}, xlabel="layer (last = output)",
                                ylabel="‖dW_l‖ at the start",
                                title="the gradient reaching each layer")
        ax_grad.set_xticks([1, 16, 32, 48, 65])
        self.grad_note = corner_note(self.view, ax_grad, colour="black", where="upper left")
        self.ax_map = ax_map
        self.map_image = None
        shown = self.maps["plain"]
        if shown is not None:
            sigmas, depths, acc = shown
            self.map_image = ax_map.imshow(acc, origin="lower", aspect="auto", cmap="viridis",
                                           vmin=0.1, vmax=1.0, extent=(-0.5, len(sigmas) - 0.5,
                                                                       -0.5, len(depths) - 0.5))
            ax_map.set_xticks(range(len(sigmas)), [f"{s:g}" for s in sigmas], fontsize=8)
            ax_map.set_yticks(range(len(depths)), [str(d) for d in depths])
            self.figure.colorbar(self.map_image, ax=ax_map, label="training accuracy")
            self.view.animate(self.map_image)
        ax_map.set(xlabel="σ_w²", ylabel="hidden layers", title="09's map (ReLU)")
        (self.marker,) = ax_map.plot([], [], "o", ms=12, mfc="none", mec=COLOURS["bad"], mew=2)
        self.map_note = corner_note(self.view, ax_map, colour="white", where="lower left", fontsize=8)
        self.view.animate(self.marker)
        self.figure.tight_layout()

    def spec(self) -> network.Spec:
        c = self.controls
        depth, norm = c["depth"].value, c["norm"].value
        return network.Spec((64,) + (WIDTH,) * depth + (10,), "relu", output="softmax",
                            residual=c["residual"].value,
                            branch_scale=1 / np.sqrt(depth) if c["residual"].value else 1.0,
                            batch_norm=norm == "batch", layer_norm=norm == "layer")

    def _place_marker(self):
        c = self.controls
        kind = "residual" if c["residual"].value else "plain"
        shown = self.maps[kind]
        if shown is None or self.map_image is None:
            self.marker.set_data([], [])
            self.map_note.set_text("map not stored")
            return
        sigmas, depths, acc = shown
        self.map_image.set_data(acc)
        x = float(np.interp(np.log(c["sigma_w2"].value), np.log(sigmas), np.arange(len(sigmas))))
        self.marker.set_data([x], [DEPTHS.index(c["depth"].value)])
        note = f"{kind} ReLU map" + ("" if c["norm"].value == "none" else "; no norm on the map")
        self.map_note.set_text(note)

    def compute(self) -> Result:
        c = self.controls
        spec = self.spec()
        params = deeper.init_mean_field(spec, c["sigma_w2"].value, 0.0, np.random.default_rng(self.seed))
        sizes = deeper.layer_sizes_at_init(spec, params, self.X, self.Y)
        partial = Result(np.array([]), sizes.dW_norm, "Training...", "info")
        self.show(partial)
        optimizer = optimizers.adam(optimizers.linear_warmup(LR, c["warmup"].value))
        start = time.perf_counter()
        hist = training.train(spec, params, self.X, self.Y, optimizer, steps=self.steps,
                              progress=False)
        seconds = time.perf_counter() - start
        result = Result(hist.costs, sizes.dW_norm, *self._verdict(hist, sizes, seconds))
        self.show(result)
        return result

    def _verdict(self, hist, sizes, seconds):
        """The run in words (History.status, the course's one rule), its training accuracy
        beside a constant guess's, and the gradient's flow at the start. A run that learned
        but is still far from fitting its 64 examples (accuracy below FAR_YET) is said so, in
        the warning colour, not as a plain success; so is one whose cost fell while its
        answers are no better than always guessing the commonest class."""
        g = sizes.dW_norm
        ratio = g[0] / g[-1] if np.all(np.isfinite(g)) and g[-1] > 0 else np.nan
        if not np.isfinite(ratio):
            flow = "the first pass overflowed"
        else:
            flow = f"at the start layer 1's gradient is {ratio:.1e} times the output layer's"
        text = hist.status()
        learned = hist.verdict == "learned"
        level = "good" if learned else "bad"
        if not hist.diverged:
            acc = round(self._training_accuracy(hist), 2)  # judged as it is printed
            guess = round(self.guess_accuracy, 2)
            text += f"; training accuracy {acc:.2f} (a constant guess: {guess:.2f})"
            if learned and acc <= guess:
                text, level = text + ": the cost fell, the answers are no better yet", "warn"
            elif learned and acc < FAR_YET:
                text, level = text + f", not far yet in {hist.steps} steps", "warn"
            elif hist.at_chance and acc > guess:
                text += (": more answers are right than a guess's, but the cost says the "
                         "wrong ones are confidently wrong")
        return f"{text}; {flow} ({seconds:.1f} s).", level

    def _training_accuracy(self, hist) -> float:
        """The accuracy on the 64 examples as the cost was measured: one batch, with batch
        norm's own statistics (the running averages still hold 12% of their start after 20
        steps at momentum 0.1). Without batch norm the two modes are the same."""
        spec = self.spec()
        with np.errstate(over="ignore", invalid="ignore"):
            logits, _ = network.forward(spec, hist.params, self.X, hist.state, train=True)
            return float(network.accuracy_from_logits(spec, logits, self.Y))

    def show(self, result: Result) -> None:
        self.cost.show(result.costs)
        self.grads.show({"start": result.grad_start})
        self.grad_note.set_text(f"{self.grads.clipped} beyond the scale" if self.grads.clipped else "")
        self._place_marker()
        self.frame(result.status, result.level)


def deeper_dashboard(**options) -> DeeperDashboard:
    """The dashboard of 09_deeper_networks; see DeeperDashboard for the options."""
    return DeeperDashboard(**options)
