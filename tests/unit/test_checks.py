"""Each grader accepts a right answer and rejects typical wrong ones with the right hint."""

import numpy as np
import pytest

import course_utils as cu


def right_he(fan_in, fan_out, rng):
    return rng.standard_normal((fan_out, fan_in)) * np.sqrt(2 / fan_in)


HE_WRONG = [
    (lambda fi, fo, rng: rng.standard_normal((fi, fo)) * np.sqrt(2 / fi), "(fan_out, fan_in)"),
    (lambda fi, fo, rng: rng.standard_normal((fo, fi)) * np.sqrt(1 / fi), "ReLU zeroes half"),
    (lambda fi, fo, rng: rng.standard_normal((fo, fi)) * np.sqrt(2 / (fi + fo)), "Xavier"),
    (lambda fi, fo, rng: rng.standard_normal((fo, fi)) * (2 / fi), "the variance"),
    (lambda fi, fo, rng: np.random.standard_normal((fo, fi)) * np.sqrt(2 / fi), "rng"),
    (lambda fi, fo, rng: rng.random((fo, fi)) * np.sqrt(2 / fi), "mean 0"),
    (lambda fi, fo, rng: None, "numpy array"),
    (lambda fi, fo, rng: 1 / 0, "raised ZeroDivisionError"),
]


def test_he_init_accepts_the_right_answer():
    feedback = cu.checks.he_init(right_he)
    assert feedback.passed, str(feedback)
    assert "all checks passed" in str(feedback)


@pytest.mark.parametrize("wrong,words", HE_WRONG)
def test_he_init_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.he_init(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_checker_needs_a_function():
    feedback = cu.checks.he_init(right_he(3, 2, np.random.default_rng(0)))
    assert not feedback.passed and "without calling it" in str(feedback)


@pytest.mark.parametrize("answer,ok,words", [
    (8.0, True, "right"),
    (np.sqrt(4 * 4 ** 4), False, "without ReLU's 1/2"),
    (64.0, False, "variance"),
    (np.sqrt(2 * 2 ** 4), False, "layer 1 sees the inputs"),
    (3.0, False, "Var(z_1) = n Var(w) E[x^2]"),
    (None, False, "expected a number"),
])
def test_layer5_std(answer, ok, words):
    feedback = cu.checks.layer5_std(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


@pytest.mark.parametrize("fn,ok,words", [
    (lambda a, b: np.sqrt(6 / (a + b)), True, "every case"),
    (lambda a, b: np.sqrt(2 / (a + b)), False, "a = sqrt(3) * std"),
    (lambda a, b: np.sqrt(6 / a), False, "sqrt(6 / (fan_in + fan_out))"),
    (lambda a, b: None, False, "numpy array"),
])
def test_xavier_uniform_bound(fn, ok, words):
    feedback = cu.checks.xavier_uniform_bound(fn)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def test_feedback_renders_html():
    html = cu.checks.he_init(lambda fi, fo, rng: None)._repr_html_()
    assert "Hint" in html and "not yet" in html
