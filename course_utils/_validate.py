"""Argument checks shared by the library: each error names the argument and what was expected."""

from __future__ import annotations

import numbers

import numpy as np


def as_rng(rng, name: str = "rng", purpose: str | None = None) -> np.random.Generator:
    """A numpy Generator from a Generator or an int seed.

    None is an error, not fresh entropy: every random draw in the course comes from an rng
    the caller chose, so every run can be repeated. Call this only where something is drawn;
    `purpose` says what, in the error ("to shuffle the minibatches").
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if rng is None:
        why = f" {purpose}" if purpose else ""
        raise TypeError(f"{name} is required{why}: pass an int seed (e.g. {name}=0) "
                        "or a numpy Generator")
    raise TypeError(f"{name} must be a numpy Generator or an int seed, got {type(rng).__name__}")


def positive_number(value, name: str, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with allow_zero)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and ok):
        expected = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {expected}, got {value}")
    return value


def fraction(value, name: str, low: float, high: float, closed_low=False, closed_high=True) -> float:
    """A number in an interval, e.g. keep_prob in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    above = value >= low if closed_low else value > low
    below = value <= high if closed_high else value < high
    if not (above and below):
        interval = ("[" if closed_low else "(") + f"{low:g}, {high:g}" + ("]" if closed_high else ")")
        raise ValueError(f"{name} must be in {interval}, got {value:g}")
    return value


def positive_int(value, name: str, minimum: int = 1) -> int:
    """An int >= minimum (a bool or a float such as 2.5 or 3.0 is a TypeError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def finite_array(X, name: str, ndim: int = 2) -> np.ndarray:
    """A finite float array with `ndim` dimensions (column layout: features x examples)."""
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(X).__name__}")
    if X.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) and X.dtype != bool:
        raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be finite: it holds NaN or inf")
    return X


def one_of(value, name: str, choices) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; known: {', '.join(map(repr, choices))}")
    return value


def from_registry(registry: dict, what: str, name, hyper: dict, passthrough: type):
    """Look `name` up in a registry of factories and call it with `hyper`.

    `what` names the kind ("activation", "initializer") in error messages; an instance of
    `passthrough` is returned unchanged.
    """
    import inspect

    if isinstance(name, passthrough):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a name (str), got {type(name).__name__}")
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(registry)}")
    factory = registry[name]
    allowed = inspect.signature(factory).parameters
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise TypeError(f"{what} {name!r} has no hyperparameter {', '.join(unknown)}; "
                        f"it takes: {', '.join(allowed) or 'none'}")
    return factory(**hyper)
