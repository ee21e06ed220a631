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
- an array (or a tuple of arrays), checked for type, shape, values, then known mistakes:
  `array_case` (`describe_difference` says the difference in words);
- the reader's function run on several inputs, each result judged by its own case:
  `on_inputs`;
- "your function changed the arrays it was given": `leaves_inputs_unchanged` (and
  `fresh`, `unchanged` for a check inside a case);
- a known mistake recognised by what it returns: `known_mistake`.

A value case (`number_case`, `array_case`) is called with a function of no arguments that
returns the value to judge: `lambda: answer` for an exercise whose answer is a value,
`lambda: fn(x)` for what the reader's function returns on x.
"""

from __future__ import annotations

import html
import pathlib
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..plotting import colour_of


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
        good, bad = colour_of("good"), colour_of("bad")  # the course's palette
        colour = good if self.passed else bad
        items = "".join(
            f"<li style='color:{good if ok else bad}'>{'✓' if ok else '✗'} "
            f"{html.escape(message)}</li>" for ok, message in self.results)
        hint = (f"<p><b>Hint:</b> {html.escape(self.hint)}</p>"
                if self.hint and not self.passed else "")
        verdict = "all checks passed" if self.passed else "not yet"
        return (f"<div><b>{html.escape(self.title)}</b>: "
                f"<span style='color:{colour}'>{verdict}</span><ul>{items}</ul>{hint}</div>")


# Every grade of this kernel session, in order: (title, passed). An explicit record kept
# by `grade` and read by `progress()`; nothing is stored anywhere else.
RECORD: list = []


def grade(title: str, cases, answer, stop_at_first_failure: bool = True) -> Feedback:
    """Run each case on `answer`; a case is fn(answer) -> (ok, message, hint or None).

    An exception raised by the reader's code becomes a failed case that names it. The
    verdict is appended to RECORD (see `progress`).
    """
    feedback = _grade(title, cases, answer, stop_at_first_failure)
    RECORD.append((title, feedback.passed))
    return feedback


_LIBRARY = str(pathlib.Path(__file__).resolve().parents[1])  # course_utils/


def _readers_frame(error: Exception):
    """The frame to show for an error: the deepest one in the reader's own code (a notebook
    cell, a file of theirs), not inside course_utils, numpy or Python; else the last."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames
           if not frame.filename.startswith(_LIBRARY) and "site-packages" not in frame.filename
           and "/lib/python" not in frame.filename]
    return (own or frames)[-1]


def _grade(title, cases, answer, stop_at_first_failure):
    feedback = Feedback(title)
    if not callable(answer):
        feedback.results.append((False, f"expected a function, got {type(answer).__name__}"))
        feedback.hint = "pass the function itself, without calling it: checker(my_function)"
        return feedback
    for case in cases:
        try:
            ok, message, hint = case(answer)
        except Exception as error:  # the reader's code failed: report it, don't raise
            last = _readers_frame(error)
            where = f" (line {last.lineno}: {last.line.strip()})" if last.line else ""
            ok, message = False, f"your code raised {type(error).__name__}: {error}{where}"
            hint = "run your function by itself on a small input and read the error"
        feedback.results.append((ok, message))
        if not ok:
            feedback.hint = feedback.hint or hint
            if stop_at_first_failure:
                break
    return feedback


def past(value: float, *limits: float) -> str:
    """`value` in scientific notation with the digits that keep it from reading as one of
    `limits`: a relative difference of 1.04e-6 refused at 1e-6 is '1.04e-06', not '1.0e-06'
    (which reads as the limit itself, as if it had passed)."""
    for digits in range(1, 16):
        text = f"{value:.{digits}e}"
        if all(float(text) != limit for limit in limits):
            return text
    return repr(value)


def apart(a: float, b: float) -> tuple[str, str]:
    """Two numbers that differ, each with the significant digits (6 at least) that show
    they differ: (0.69314701, 0.69314704) -> ('0.69314701', '0.69314704'), not '0.693147'
    twice."""
    for digits in range(6, 17):
        first, second = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if first != second or a == b:
            return first, second
    return repr(a), repr(b)


def is_real_number(value) -> bool:
    """True for a real number of any kind: Python int or float, numpy int64, float32, ...,
    or a 0-d numeric array. False for bools, complex numbers, strings, None, lists."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, (int, float, np.integer, np.floating))


def form_problem(name: str, got, expected) -> str | None:
    """What is wrong with the type or the shape of `got`, in words, or None when it has the
    type and shape of `expected`. Where a single number is expected (a 0-d `expected`), any
    real number is accepted (Python or numpy, e.g. np.int64); otherwise a numpy array (or a
    number, which then fails on its shape)."""
    if np.ndim(expected) == 0:
        if not is_real_number(got):
            return f"{name} should be a number, got {type(got).__name__}"
    elif not isinstance(got, (np.ndarray, float, int, np.floating)):
        return f"{name} should be a numpy array, got {type(got).__name__}"
    if np.shape(got) != np.shape(expected):
        return f"{name} has shape {np.shape(got)}, expected {np.shape(expected)}"
    return None


def describe_difference(name: str, got, expected, rtol: float = 1e-6, atol: float = 1e-9):
    """(ok, message) comparing what the reader computed with the expected value:
    the type, then the shape (`form_problem`), then the values (the largest difference and
    where)."""
    problem = form_problem(name, got, expected)
    if problem:
        return False, problem
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return True, f"{name} is right"
    if got.ndim == 0:
        return False, f"{name}: you have {float(got):.6g}, expected {float(expected):.6g}"
    diff = np.abs(got - expected)
    where = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
    return False, (f"{name} differs: at {tuple(int(i) for i in where)} you have "
                   f"{got[where]:.6g}, expected {expected[where]:.6g}")


@dataclass
class Progress:
    """Which exercises of this kernel session have passed: one row per exercise graded,
    with the number of attempts and whether the last one passed."""

    rows: list  # (title, attempts, passed at the last attempt)

    def __str__(self) -> str:
        if not self.rows:
            return "No exercise graded yet in this session."
        passed = sum(ok for _, _, ok in self.rows)
        lines = [f"{passed} of {len(self.rows)} exercises graded in this session have passed:"]
        lines += [f"  {'✓' if ok else '✗'} {title} ({attempts} attempt{'s' * (attempts > 1)})"
                  for title, attempts, ok in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def progress() -> Progress:
    """The exercises graded in this kernel session (from RECORD), in the order first tried:
    how many attempts each, and whether the last attempt passed. A restarted kernel starts
    a new record."""
    attempts, last = {}, {}
    for title, passed in RECORD:
        attempts[title] = attempts.get(title, 0) + 1
        last[title] = passed
    return Progress([(title, attempts[title], last[title]) for title in attempts])


# ---------------------------------------------------------------- known mistakes as data


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: `wrong` is what it gives (a number, an array, a tuple of them),
    `what` says what it is ("the variance, not the std"), `hint` how to fix it."""

    what: str
    wrong: Any
    hint: str


def matches(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when `got` equals `expected` within the tolerances: numbers, arrays, tuples
    and lists of them compared entry by entry, dicts of them key by key (the same keys);
    False (never an error) when the shapes or types cannot be compared."""
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(matches(got[k], expected[k], rtol, atol) for k in expected))
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


# ---------------------------------------------------------------- inputs left as they were


def fresh(value):
    """A copy of every array in `value` (an array, or a dict, tuple or list of them), so that
    what the reader's function does to its arguments cannot change the grader's data.
    Anything else is returned as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {key: fresh(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(fresh(item) for item in value)
    return value


def unchanged(value, original) -> bool:
    """True when every array in `value` is exactly (bit for bit) as in `original`: arrays,
    or dicts, tuples and lists of them."""
    if isinstance(original, dict):
        return set(value) == set(original) and all(unchanged(value[k], original[k])
                                                   for k in original)
    if isinstance(original, (tuple, list)):
        return all(unchanged(v, o) for v, o in zip(value, original))
    return np.array_equal(value, original)


def leaves_inputs_unchanged(call: Callable, inputs: tuple, *, hint: str,
                            right: str = "the inputs are left unchanged",
                            wrong: str = "your function changed the arrays it was given"
                            ) -> Callable:
    """A case: call(fn, *inputs) on fresh copies of `inputs` (arrays, dicts of arrays) must
    leave them as they were, as the course's own functions do. right, wrong: the messages;
    hint: how to do without changing them (new arrays instead of -=, *=, ...)."""
    def case(fn):
        copies = fresh(inputs)
        with np.errstate(all="ignore"):  # a wrong formula's inf is another case's business
            call(fn, *copies)
        if unchanged(copies, inputs):
            return True, right, None
        return False, wrong, hint
    return case


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


def number_case(truth: float, *, otherwise: str, right: str = "{value:.6g} is right",
                rtol: float = 0.01, atol: float = 0.0, mistakes=(),
                mistake_rtol: float | None = None, accept: Callable | None = None,
                how_to_answer: str = NUMBER_HINT, not_a_number: str | None = None,
                say_mistake: str = "{value:.4g} is {what}",
                say_wrong: str = "{value:.4g} is not right (expected within {percent:g}% of "
                                 "the answer)") -> Callable:
    """A value case for an answer that is one number.

    truth: the right value, accepted within `rtol` (relative) and `atol`; mistakes:
    `Mistake`s with numbers as their wrong answers, matched within `mistake_rtol` (default
    `rtol`) and `atol`; accept(value) -> (ok, message, hint) or None: a last word before the
    general "not right", e.g. to accept a measurement within its spread; otherwise: the hint
    when nothing else matched; how_to_answer: the hint when the answer is no number (the
    stub's None, a list).
    The messages are templates: right, say_mistake (a known mistake), say_wrong (anything
    else) and not_a_number (default: what `as_number` says) may use {value}, {truth},
    {what} (the mistake's), {type} (of the answer) and {percent} (rtol in %).
    """
    def say(template, value, answer=None, what=""):
        return template.format(value=value, truth=truth, what=what, percent=rtol * 100,
                               type=type(answer).__name__)

    def case(answer):
        given = answer() if callable(answer) else answer
        value, problem, hint = as_number(lambda: given, how_to_answer)  # called once only
        if problem:
            if not_a_number is not None:
                return False, say(not_a_number, None, given), how_to_answer
            return False, problem, hint
        if np.isclose(value, truth, rtol=rtol, atol=atol):
            return True, say(right, value), None
        mistake_rtol_ = rtol if mistake_rtol is None else mistake_rtol
        mistake = known_mistake(value, mistakes, rtol=mistake_rtol_, atol=atol)
        if mistake is not None:
            return False, say(say_mistake, value, what=mistake.what), mistake.hint
        verdict = accept(value) if accept is not None else None
        if verdict is not None:
            return verdict
        return False, say(say_wrong, value), otherwise
    return case


def grade_number(title: str, answer, truth: float, **options) -> Feedback:
    """Grade an answer that is one number: `grade(title, [number_case(truth, ...)])`."""
    return grade(title, [number_case(truth, **options)], lambda: answer)


# ---------------------------------------------------------------- an array, a function on inputs


def _hint_for(hint, got) -> str:
    """A hint given as a string, or as a function of the answer (got) -> string."""
    return hint(got) if callable(hint) else hint


def array_case(name, expected, *, otherwise, right: str | None = None,
               how_to_answer=None, mistakes=(), say_mistake: str = "{difference}",
               say_wrong: str = "{difference}", rtol: float = 1e-6, atol: float = 1e-9,
               mistake_rtol: float | None = None, mistake_atol: float | None = None
               ) -> Callable:
    """A value case for an answer that is an array (or a number): its type, then its shape,
    then its values (`describe_difference`), then the known mistakes.

    name, expected: what the answer is called in the messages, and its right value. For an
    answer of several parts (e.g. the pair (m_hat, v_hat)) both are tuples: the parts are
    compared in this order and the first that differs is said (so list first what the
    others are computed from); the mistakes' wrong answers are then tuples in that order.
    right: the message when it is right (default: "<name> is right").
    how_to_answer: the hint for a wrong type or shape (default: `otherwise`; a list with a
    known mistake's values gets that mistake's hint).
    mistakes: `Mistake`s, matched within mistake_rtol and mistake_atol (default: rtol and
    atol); said as `say_mistake`, a template with {what} (the mistake's) and {difference}.
    otherwise: the hint when the values differ and no mistake matches.
    say_wrong: the message for any other difference, a template with {difference}.
    Hints may be strings or functions of the answer -> string.
    """
    several = isinstance(expected, tuple)
    names, parts_expected = (name, expected) if several else ((name,), (expected,))
    mistake_rtol = rtol if mistake_rtol is None else mistake_rtol
    mistake_atol = atol if mistake_atol is None else mistake_atol

    def case(answer):
        got = answer()
        parts = got if several else (got,)
        if several and not (isinstance(got, (tuple, list)) and len(got) == len(expected)):
            problem = (f"expected {len(expected)} values ({', '.join(names)}), "
                       f"got {type(got).__name__}")
        else:
            problem = next(filter(None, map(form_problem, names, parts, parts_expected)), None)
        mistake = known_mistake(got, mistakes, mistake_rtol, mistake_atol)
        if problem:  # said first; a list with a known mistake's values gets its hint
            return (False, say_wrong.format(difference=problem),
                    mistake.hint if mistake else _hint_for(how_to_answer or otherwise, got))
        differences = [describe_difference(n, g, e, rtol, atol)
                       for n, g, e in zip(names, parts, parts_expected)]
        if all(ok for ok, _ in differences):
            return True, right or " and ".join(message for _, message in differences), None
        difference = next(message for ok, message in differences if not ok)
        if mistake is not None:
            return (False, say_mistake.format(what=mistake.what, difference=difference),
                    mistake.hint)
        return False, say_wrong.format(difference=difference), _hint_for(otherwise, got)
    return case


def on_inputs(inputs, case_at: Callable, *, right: str,
              call: Callable | None = None) -> Callable:
    """A case that runs the reader's function on each of `inputs` and judges each result.

    inputs: tuples of arguments; case_at(*arguments) -> the value case that judges what the
    function returns there (a `number_case` or an `array_case` with that input's truth and
    known mistakes); call(fn, *arguments) -> what to judge (default: fn on fresh copies of
    the arguments). The first input whose result is wrong gives the verdict; when none
    is, (True, right, None).
    """
    def run(fn, *arguments):
        return fn(*fresh(arguments))

    call = call or run

    def case(fn):
        for arguments in inputs:
            ok, message, hint = case_at(*arguments)(lambda: call(fn, *arguments))
            if not ok:
                return False, message, hint
        return True, right, None
    return case


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
