"""Weight initializers: `init = get(name, **hyper)`, then `W = init(fan_in, fan_out, rng)`.

W has shape (fan_out, fan_in), the seed's (n_l, n_{l-1}). Each initializer knows the
standard deviation it draws with, `init.std(fan_in, fan_out)`, so a notebook can predict
what a layer will do before running it. `gain` multiplies that standard deviation.

Your own initializer is a plain function `my_init(fan_in, fan_out, rng) -> W`: pass it
wherever a name goes (`cu.init_params(spec, my_init, rng=0)`); `from_function` wraps it
and checks every W it draws (an array of shape (fan_out, fan_in), finite).

Why these scales (derived in 03_initialization): for z = sum_j w_j x_j with independent,
zero-mean weights, Var(z) = fan_in Var(w) E[x^2].
  - keep Var(z) = E[x^2] going forward:  Var(w) = 1 / fan_in            (LeCun)
  - after ReLU, E[a^2] = Var(z) / 2:     Var(w) = 2 / fan_in            (He)
  - forward and backward together:       Var(w) = 2 / (fan_in + fan_out) (Glorot/Xavier)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validate import from_registry, as_rng, positive_int, positive_number


@dataclass(frozen=True)
class Initializer:
    """A weight distribution: `std(fan_in, fan_out)` and the shape of the draw (normal,
    uniform, or a constant). Call it: init(fan_in, fan_out, rng, gain=1.0) -> W."""

    name: str
    std: Callable[[int, int], float]
    kind: str  # "normal", "uniform", "constant" or "function" (see from_function)
    formula: str
    hyper: dict = field(default_factory=dict)
    draw: Callable | None = None  # kind "function": draw(fan_in, fan_out, rng) -> W

    def __call__(self, fan_in: int, fan_out: int, rng=None, gain: float = 1.0) -> np.ndarray:
        positive_int(fan_in, "fan_in")
        positive_int(fan_out, "fan_out")
        positive_number(gain, "gain", allow_zero=True)
        if self.kind == "constant":
            return np.full((fan_out, fan_in), gain * self.hyper["value"], dtype=float)
        rng = as_rng(rng, purpose="to draw the initial weights")
        if self.kind == "function":
            return gain * _checked_draw(self.draw(fan_in, fan_out, rng), self.name, fan_in, fan_out)
        std = gain * self.std(fan_in, fan_out)
        if self.kind == "normal":
            return rng.standard_normal((fan_out, fan_in)) * std
        # A uniform on [-a, a] has variance a^2 / 3, so a = sqrt(3) * std.
        bound = np.sqrt(3.0) * std
        return rng.uniform(-bound, bound, size=(fan_out, fan_in))


def _checked_draw(W, name: str, fan_in: int, fan_out: int) -> np.ndarray:
    """What a function initializer returned, checked: a finite real array (fan_out, fan_in)."""
    if not isinstance(W, np.ndarray):
        raise TypeError(f"initializer {name!r} must return a numpy array, got {type(W).__name__}")
    if W.dtype.kind not in "iuf":
        raise TypeError(f"initializer {name!r} must return real numbers, got dtype {W.dtype}")
    if W.shape != (fan_out, fan_in):
        transposed = " (transposed)" if W.shape == (fan_in, fan_out) else ""
        raise ValueError(f"initializer {name!r} returned shape {W.shape}{transposed} for "
                         f"fan_in={fan_in}, fan_out={fan_out}; W must have shape "
                         f"(fan_out, fan_in) = {(fan_out, fan_in)}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"initializer {name!r} returned NaN or inf")
    return W.astype(float)


def _unknown_std(name: str):
    def std(fan_in, fan_out):
        raise ValueError(f"initializer {name!r} is a plain function: its standard deviation is "
                         "not known in advance; measure it on a draw (W.std())")
    return std


def from_function(draw: Callable, name: str | None = None) -> Initializer:
    """A plain function draw(fan_in, fan_out, rng) -> W, shape (fan_out, fan_in), as an
    Initializer (kind "function"), named `name` or after the function. It draws from the rng
    it is given (init_params passes one Generator to every layer); every W is checked when
    drawn, and `gain` multiplies it. Its std is not known in advance (init.std raises)."""
    import inspect

    if isinstance(draw, Initializer) or not callable(draw):
        raise TypeError(f"draw must be a function draw(fan_in, fan_out, rng), got "
                        f"{type(draw).__name__}")
    try:
        inspect.signature(draw).bind(1, 1, None)
    except TypeError:
        raise TypeError("draw must take three arguments, draw(fan_in, fan_out, rng); "
                        f"{getattr(draw, '__name__', 'it')} cannot be called that way") from None
    except ValueError:  # no signature to inspect (a builtin): found out when it is called
        pass
    if name is None:
        name = getattr(draw, "__name__", "function")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    return Initializer(name, _unknown_std(name), "function", f"{name}(fan_in, fan_out, rng)",
                       draw=draw)


def _zeros():
    return Initializer("zeros", lambda fan_in, fan_out: 0.0, "constant", "W = 0", {"value": 0.0})


def _constant(value: float = 0.5):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value must be a number, got {type(value).__name__}")
    return Initializer("constant", lambda fan_in, fan_out: 0.0, "constant",
                       f"W = {value:g} everywhere", {"value": float(value)})


def _normal(scale: float = 0.01):
    positive_number(scale, "scale")
    return Initializer("normal", lambda fan_in, fan_out: scale, "normal",
                       f"N(0, {scale:g}^2)", {"scale": scale})


def _standard_uniform():
    # U(-1/sqrt(fan_in), 1/sqrt(fan_in)): Var(w) = 1 / (3 fan_in).
    return Initializer("standard_uniform", lambda fan_in, fan_out: np.sqrt(1.0 / (3 * fan_in)),
                       "uniform", "U(-1/sqrt(fan_in), 1/sqrt(fan_in)), Var = 1/(3 fan_in)")


def _xavier_uniform():
    # Bound sqrt(6 / (fan_in + fan_out)): Var(w) = 2 / (fan_in + fan_out).
    return Initializer("xavier_uniform", lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
                       "uniform", "U(-a, a), a = sqrt(6/(fan_in+fan_out)), Var = 2/(fan_in+fan_out)")


def _xavier_normal():
    return Initializer("xavier_normal", lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
                       "normal", "N(0, 2/(fan_in+fan_out))")


def _he_normal():
    return Initializer("he_normal", lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
                       "normal", "N(0, 2/fan_in)")


def _he_uniform():
    return Initializer("he_uniform", lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
                       "uniform", "U(-a, a), a = sqrt(6/fan_in), Var = 2/fan_in")


def _lecun_normal():
    return Initializer("lecun_normal", lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),
                       "normal", "N(0, 1/fan_in)")


_REGISTRY = {
    "zeros": _zeros,
    "constant": _constant,
    "normal": _normal,
    "standard_uniform": _standard_uniform,
    "xavier_uniform": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "lecun_normal": _lecun_normal,
}

NAMES = tuple(_REGISTRY)


def get(name, **hyper) -> Initializer:
    """The initializer called `name` (one of NAMES); `normal` takes scale=, `constant`
    takes value=. An Initializer passes through unchanged; a plain function
    draw(fan_in, fan_out, rng) -> W becomes one (`from_function`)."""
    if callable(name) and not isinstance(name, Initializer):
        if hyper:
            raise TypeError(f"a function initializer takes no hyperparameters, got "
                            f"{', '.join(sorted(hyper))}")
        return from_function(name)
    return from_registry(_REGISTRY, "initializer", name, hyper, Initializer)
