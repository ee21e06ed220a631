"""The Shattered-gradients dashboard (10_shattered_gradients): choose the depth, residual
connections on or off, batch norm on or off and the initialization scale (a factor on He's
standard deviation); see dy/dx of a freshly initialized 1-input, 1-output rectifier net
along the 256 inputs of the grid in [-2, 2], and its autocorrelation against distance
beside brown and white noise; the status line gives the lag-1 correlation.

The nets are 32 units wide (the notebook's are 200, as reported for the paper's figure) so
that a 50-layer setting is computed within the course's move-time targets (at 64 units a new
50-layer setting took 2 to 4 times longer); the lag-1 correlations of the settings the
notebook suggests are of the same kind at both widths. rng 0 draws every setting.
dy/dx through batch norm uses the grid's statistics, differentiated through ("batch", as
autograd gives in training mode). Each curve is divided by its root mean square so that
one scale fits every setting (the status line gives the size).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..lessons import deeper, shattered
from ._base import Dashboard
from .panels import corner_note

__all__ = ["ShatteredDashboard", "shattered_dashboard"]

MAX_LAG = 64  # the autocorrelation is drawn up to this lag (distance 1.0 on the grid)
Y_LIMIT = 4.0  # dy/dx / rms is drawn in [-Y_LIMIT, Y_LIMIT]
N_REFERENCE = 20  # noise draws averaged into each reference autocorrelation


FEW_PIECES = 8  # dy/dx with this few constant pieces is a step function, not a random walk


@dataclass
class Result:
    """One setting: dy/dx along the grid (scaled to rms 1), its autocorrelation, lag 1."""

    gradient: np.ndarray  # (256,) dy/dx / rms
    acf: np.ndarray       # (MAX_LAG,)
    lag1: float
    rms: float

    @property
    def pieces(self) -> int:
        """How many constant pieces dy/dx has along the grid (1 + the places it changes)."""
        return 1 + int(np.count_nonzero(np.abs(np.diff(self.gradient)) > 1e-9))


class ShatteredDashboard(Dashboard):
    title = "Shattered-gradients dashboard"

    def __init__(self, depth: int = 24, residual: bool = False, batch_norm: bool = True,
                 gain: float = 1.0, width: int = 32, seed: int = 0, cache_size: int = 64):
        super().__init__(figsize=(11, 3.4), dpi=80, cache_size=cache_size)
        self.width, self.seed = width, seed
        self.x = shattered.grid()
        self.distance = np.arange(1, MAX_LAG + 1) * (self.x[0, 1] - self.x[0, 0])
        self.controls = {
            "depth": widgets.IntSlider(value=depth, min=1, max=50, description="depth",
                                       continuous_update=False),
            "residual": widgets.Checkbox(value=residual, description="residual", indent=False),
            "batch_norm": widgets.Checkbox(value=batch_norm, description="batch norm",
                                           indent=False),
            "gain": widgets.FloatSlider(value=gain, min=0.5, max=2.0, step=0.05,
                                        description="init scale", continuous_update=False,
                                        readout_format=".2f"),
        }
        self._watch_controls()
        c = self.controls
        self._layout([[c["depth"], c["gain"]], [c["residual"], c["batch_norm"]]],
                     f"A fresh net of `depth` hidden layers ({width} rectifiers each, He weights "
                     "times the init scale, biases 0). Try first: depth 1 then 24 (plain, batch "
                     "norm: brown noise turns white), then residual on, then batch norm off.")
        self._build_figure()
        self.update()

    def _build_figure(self):
        ax_grad, ax_acf = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        (self.grad_line,) = ax_grad.plot(self.x[0], np.zeros(self.x.shape[1]), color="C0", lw=0.9)
        ax_grad.set(xlim=(-2, 2), ylim=(-Y_LIMIT, Y_LIMIT), xlabel="input x",
                    ylabel="dy/dx / its rms", title="dy/dx along the grid")
        rng = np.random.default_rng(1)
        for name, draw, colour in (("brown noise", shattered.brown_noise, "0.45"),
                                   ("white noise", shattered.white_noise, "0.7")):
            acf = np.mean([deeper.autocorrelation(draw(rng=rng), MAX_LAG)
                           for _ in range(N_REFERENCE)], axis=0)
            ax_acf.plot(self.distance, acf, color=colour, ls="--", lw=1.2, label=name)
        (self.acf_line,) = ax_acf.plot(self.distance, np.zeros(MAX_LAG), color="C0", lw=1.8,
                                       label="this net")
        ax_acf.axhline(0, color="0.8", lw=0.8)
        ax_acf.set(xlim=(0, self.distance[-1]), ylim=(-0.5, 1.05), xlabel="distance along the grid",
                   ylabel="autocorrelation", title="autocorrelation of dy/dx")
        ax_acf.legend(loc="upper right", fontsize=8)
        self.note = corner_note(self.view, ax_grad, where="upper left")
        self.view.animate(self.grad_line, self.acf_line)
        self.figure.tight_layout()

    def compute(self) -> Result:
        c = self.controls
        spec = shattered.net_spec(c["depth"].value, residual=c["residual"].value,
                                  batch_norm=c["batch_norm"].value, width=self.width)
        params = shattered.init_net(spec, self.seed, gain=c["gain"].value)
        with np.errstate(over="ignore", invalid="ignore"):
            g = shattered.gradient_along_grid(spec, params, self.x)
            rms = float(np.sqrt(np.mean(g ** 2)))
        if not np.isfinite(rms) or rms == 0 or np.ptp(g) == 0:
            result = Result(np.zeros_like(g), np.full(MAX_LAG, np.nan), np.nan, rms)
        else:
            result = Result(g / rms, deeper.autocorrelation(g, MAX_LAG), deeper.lag1_correlation(g), rms)
        self.show(result)
        return result

    def show(self, result: Result) -> None:
        self.grad_line.set_ydata(np.clip(result.gradient, -Y_LIMIT, Y_LIMIT))
        self.acf_line.set_ydata(result.acf)
        if not np.isfinite(result.rms):
            self.note.set_text("dy/dx overflowed")
            self.frame("dy/dx overflowed (inf or NaN): try a smaller init scale or fewer layers.",
                       "bad")
            return
        if np.isnan(result.lag1):
            self.note.set_text("dy/dx is constant")
            self.frame(f"dy/dx is the same at every input (rms {result.rms:.2g}): the net is "
                       "linear on the grid, so it has no autocorrelation to measure."
                       + self._scale_note(), "warn")
            return
        self.note.set_text("")
        if result.pieces <= FEW_PIECES:
            self.frame(f"Lag-1 correlation {result.lag1:.2f}, but dy/dx takes only "
                       f"{result.pieces} constant pieces along the grid: it is high because "
                       "dy/dx rarely changes (the net has almost no kinks here), not because it "
                       f"wanders like brown noise. dy/dx has rms {result.rms:.2g} along the grid."
                       + self._scale_note(), "warn")
            return
        if result.lag1 > 0.8:
            kind, level = "close to brown noise (a random walk, about 0.99)", "good"
        elif result.lag1 > 0.3:
            kind, level = "between brown and white noise", "warn"
        else:
            kind, level = "shattered: close to white noise (about 0)", "bad"
        self.frame(f"Lag-1 correlation {result.lag1:.2f}, {kind}. dy/dx has rms "
                   f"{result.rms:.2g} along the grid.{self._scale_note()}", level)

    def _scale_note(self) -> str:
        """Why the init scale leaves the picture alone in a plain net without batch norm:
        rectifiers with zero biases are scale-free, so a factor c on every weight multiplies
        dy/dx by c^(depth+1) and changes nothing else (tests/claims/test_10_...)."""
        c = self.controls
        if c["residual"].value or c["batch_norm"].value:
            return ""
        return (" (In a plain net without batch norm the init scale changes only this size, "
                "not the curve: rectifiers with zero biases are scale-free.)")


def shattered_dashboard(**options) -> ShatteredDashboard:
    """The dashboard of 10_shattered_gradients; see ShatteredDashboard for the options."""
    return ShatteredDashboard(**options)
