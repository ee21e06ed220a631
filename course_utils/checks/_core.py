"""The graders' common machinery.

A grader runs the reader's function on a few cases and returns a `Feedback`: what is right,
what differs (with the numbers), and a hint for the first mistake. It never raises on a
wrong answer and never uses a bare assert: a reader's mistake is a message, not a traceback.

    def he_init(fn):
        return grade("He initialization", [case_1, case_2, ...], fn)

where each case is a function fn -> (ok, message, hint).
"""

from __future__ import annotations

import html
import traceback
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Feedback:
    """The result of grading one exercise. Truthy when every case passed."""

    title: str
    results: list = field(default_factory=list)  # (ok, message)
    hint: str | None = None

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(ok for ok, _ in self.results)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{self.title}: {'all checks passed' if self.passed else 'not yet'}"
        lines = [head] + [f"  {'✓' if ok else '✗'} {message}" for ok, message in self.results]
        if self.hint and not self.passed:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.passed else "#c62828"
        items = "".join(
            f"<li style='color:{'#2e7d32' if ok else '#c62828'}'>{'✓' if ok else '✗'} "
            f"{html.escape(message)}</li>" for ok, message in self.results)
        hint = (f"<p><b>Hint:</b> {html.escape(self.hint)}</p>"
                if self.hint and not self.passed else "")
        verdict = "all checks passed" if self.passed else "not yet"
        return (f"<div><b>{html.escape(self.title)}</b>: "
                f"<span style='color:{colour}'>{verdict}</span><ul>{items}</ul>{hint}</div>")


def grade(title: str, cases, answer, stop_at_first_failure: bool = True) -> Feedback:
    """Run each case on `answer`; a case is fn(answer) -> (ok, message, hint or None).

    An exception raised by the reader's code becomes a failed case that names it.
    """
    feedback = Feedback(title)
    if not callable(answer):
        feedback.results.append((False, f"expected a function, got {type(answer).__name__}"))
        feedback.hint = "pass the function itself, without calling it: checker(my_function)"
        return feedback
    for case in cases:
        try:
            ok, message, hint = case(answer)
        except Exception as error:  # the reader's code failed: report it, don't raise
            last = traceback.extract_tb(error.__traceback__)[-1]
            where = f" (line {last.lineno}: {last.line.strip()})" if last.line else ""
            ok, message = False, f"your code raised {type(error).__name__}: {error}{where}"
            hint = "run your function by itself on a small input and read the error"
        feedback.results.append((ok, message))
        if not ok:
            feedback.hint = feedback.hint or hint
            if stop_at_first_failure:
                break
    return feedback


def is_real_number(value) -> bool:
    """True for a real number of any kind: Python int or float, numpy int64, float32, ...,
    or a 0-d numeric array. False for bools, complex numbers, strings, None, lists."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, np.integer, np.floating))


def describe_difference(name: str, got, expected, rtol: float = 1e-6, atol: float = 1e-9):
    """(ok, message) comparing what the reader computed with the expected value:
    the type, then the shape, then the values (the largest difference and where).

    Where a single number is expected (a 0-d `expected`), any real number is accepted
    (Python or numpy, e.g. np.int64); otherwise a numpy array (or a number, which then
    fails on its shape)."""
    if np.ndim(expected) == 0:
        if not is_real_number(got):
            return False, f"{name} should be a number, got {type(got).__name__}"
    elif not isinstance(got, (np.ndarray, float, int, np.floating)):
        return False, f"{name} should be a numpy array, got {type(got).__name__}"
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return False, f"{name} has shape {got.shape}, expected {expected.shape}"
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return True, f"{name} is right"
    if got.ndim == 0:
        return False, f"{name}: you have {float(got):.6g}, expected {float(expected):.6g}"
    diff = np.abs(got - expected)
    where = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
    return False, (f"{name} differs: at {tuple(int(i) for i in where)} you have "
                   f"{got[where]:.6g}, expected {expected[where]:.6g}")
