"""The graders' common machinery: `grade` and the builders every exercise is made of.

A grader runs the reader's function on a few cases and returns a `Feedback`: what is right,
what differs (with the numbers), and a hint for the first mistake. It never raises on a
wrong answer and never uses a bare assert: a reader's mistake is a message, not a traceback.

    def he_init(fn):
        return grade("He initialization", [case_1, case_2, ...], fn)

where each case is a function fn -> (ok, message, hint). The recurring answer shapes are
built here, each exercise's known mistakes given as data (`Mistake`: the wrong answer it
produces, what it is, a hint), so that an exercise reads as a short table:

- a number within a tolerance: `number_case` (and `grade_number` for a whole exercise);
- a choice among names: `choice_case`;
- an array, checked for type, shape, then values: `describe_difference`;
- a known mistake recognised by what it returns: `known_mistake`.
"""

from __future__ import annotations

import html
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

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


# ---------------------------------------------------------------- known mistakes as data


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: `wrong` is what it gives (a number, an array, a tuple of them),
    `what` says what it is ("the variance, not the std"), `hint` how to fix it."""

    what: str
    wrong: Any
    hint: str


def matches(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when `got` equals `expected` within the tolerances: numbers, arrays, or tuples
    and lists of them compared entry by entry; False (never an error) when the shapes or
    types cannot be compared."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(matches(g, e, rtol, atol) for g, e in zip(got, expected)))
    try:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def known_mistake(got, mistakes, rtol: float = 1e-6, atol: float = 1e-9) -> Mistake | None:
    """The first of `mistakes` whose wrong answer `got` matches, or None."""
    return next((m for m in mistakes if matches(got, m.wrong, rtol, atol)), None)


# ---------------------------------------------------------------- a number within a tolerance


NUMBER_HINT = "work the number out and pass it (one number, not a list or an array)"


def as_number(value, how_to_answer: str = NUMBER_HINT) -> tuple[float | None, str | None, str | None]:
    """(the answer as a float, None, None), or (None, what is wrong with it, a hint): a
    string, a list, an array of several values are no number (the hint for these is
    `how_to_answer`, e.g. where the number comes from). A function is called first (a
    grader may be given `lambda: answer`)."""
    if callable(value):
        value = value()
    if isinstance(value, str):
        return (None, f"expected a number, got the string {value!r}",
                "pass a number, not text: remove the quotes")
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(())
    if not is_real_number(value):
        return None, f"expected a number, got {type(value).__name__}", how_to_answer
    return float(value), None, None


def number_case(truth: float, *, right: str, otherwise: str, rtol: float = 0.01,
                mistakes=(), accept: Callable | None = None,
                how_to_answer: str = NUMBER_HINT) -> Callable:
    """A case for an answer that is one number.

    truth: the right value, accepted within `rtol` (relative); right: the message when it
    is (it may use {value}); mistakes: `Mistake`s with numbers as their wrong answers,
    matched within the same `rtol`, said as "{value} is {what}"; accept(value) -> (ok,
    message, hint) or None: a last word before the general "not right", e.g. to accept a
    measurement within its spread; otherwise: the hint when nothing else matched;
    how_to_answer: the hint when the answer is no number (the stub's None, a list).
    """
    def case(answer):
        value, problem, hint = as_number(answer, how_to_answer)
        if problem:
            return False, problem, hint
        if np.isclose(value, truth, rtol=rtol, atol=0.0):
            return True, right.format(value=value), None
        mistake = known_mistake(value, mistakes, rtol=rtol, atol=0.0)
        if mistake is not None:
            return False, f"{value:.4g} is {mistake.what}", mistake.hint
        verdict = accept(value) if accept is not None else None
        if verdict is not None:
            return verdict
        return False, f"{value:.4g} is not right (expected within {rtol * 100:g}% of the answer)", otherwise
    return case


def grade_number(title: str, answer, truth: float, **options) -> Feedback:
    """Grade an answer that is one number: `grade(title, [number_case(truth, ...)])`."""
    return grade(title, [number_case(truth, **options)], lambda: answer)


# ---------------------------------------------------------------- a choice among names


def normalize_name(value: str, aliases: dict | None = None) -> str:
    """'Leaky ReLU' -> 'leaky_relu': lower case, spaces and dashes as underscores, then any
    alias replaced by its name."""
    name = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    aliases = {" ".join(k.lower().replace("_", " ").split()): v for k, v in (aliases or {}).items()}
    return aliases.get(name, name.replace(" ", "_"))


def choice_case(right: dict, wrong: dict, *, otherwise: str, aliases: dict | None = None,
                expected: str = "a name (a string)",
                how_to_answer: str = 'answer with the name in quotes, e.g. answer = "relu"'
                ) -> Callable:
    """A case for an answer that is one name out of several.

    right: name -> the message when chosen (several names may be right); wrong: name ->
    the hint saying why not; aliases: other spellings -> name; otherwise: the hint for a name
    that is neither; how_to_answer: the hint when the answer is no string (it must not give
    the right answer away).
    """
    def case(answer):
        if callable(answer):
            answer = answer()
        if not isinstance(answer, str):
            return (False, f"expected {expected}, got {type(answer).__name__}",
                    how_to_answer)
        name = normalize_name(answer, aliases)
        if name in right:
            return True, right[name], None
        if name in wrong:
            return False, f"{answer!r} is not right", wrong[name]
        return False, f"{answer!r} is not one of the possible answers", otherwise
    return case
