"""The graders' builders in checks/_core.py: each recurring answer shape, on small made-up
exercises (the notebooks' graders are tested in the other test_checks_*.py files)."""

import numpy as np
import pytest

import course_utils as cu

from course_utils.checks._core import (Mistake, apart, array_case, fresh, grade,
                                       leaves_inputs_unchanged, matches, number_case, on_inputs,
                                       past, unchanged)

DOUBLE = Mistake("the double", np.array([2.0, 4.0]), "divide by 2")


def test_matches_compares_dicts_of_arrays_key_by_key():
    grads = {"dW1": np.ones((2, 3)), "db1": np.zeros((2, 1))}
    assert matches({"dW1": np.ones((2, 3)) + 1e-12, "db1": np.zeros((2, 1))}, grads)
    assert not matches({"dW1": np.ones((2, 3))}, grads)              # a key missing
    assert not matches((np.ones((2, 3)), np.zeros((2, 1))), grads)   # a tuple is no dict
    assert not matches({"dW1": np.ones((3, 2)), "db1": np.zeros((2, 1))}, grads)


def test_array_case_checks_type_then_shape_then_values_then_mistakes():
    case = array_case("f(x)", np.array([1.0, 2.0]), mistakes=[DOUBLE], otherwise="halve it",
                      how_to_answer="return an array")
    assert case(lambda: np.array([1.0, 2.0])) == (True, "f(x) is right", None)
    assert case(lambda: None) == (False, "f(x) should be a numpy array, got NoneType",
                                  "return an array")
    assert case(lambda: np.zeros(3))[1] == "f(x) has shape (3,), expected (2,)"
    assert case(lambda: np.array([2.0, 4.0]))[2] == "divide by 2"
    ok, message, hint = case(lambda: np.array([1.0, 5.0]))
    assert not ok and message.startswith("f(x) differs: at (1,)") and hint == "halve it"
    # a list with a known mistake's values: the type is said, the mistake's hint given
    assert case(lambda: [2.0, 4.0]) == (False, "f(x) should be a numpy array, got list",
                                        "divide by 2")


def test_array_case_says_the_first_part_that_differs_with_the_templates():
    case = array_case(("v", "W"), (np.zeros(2), np.ones(2)), otherwise="hint",
                      say_wrong="step 1: {difference}", say_mistake="step 1: looks like {what}",
                      mistakes=[Mistake("the swap", (np.ones(2), np.zeros(2)), "swap back")])
    assert case(lambda: (np.zeros(2), np.ones(2)))[0]
    assert case(lambda: (np.ones(2) * 3, np.ones(2) * 3))[1].startswith("step 1: v differs")
    assert case(lambda: (np.ones(2), np.zeros(2)))[1:] == ("step 1: looks like the swap",
                                                          "swap back")
    assert case(lambda: np.zeros(2))[1] == "step 1: expected 2 values (v, W), got ndarray"


def test_number_case_templates_name_the_value_the_truth_and_the_mistake():
    case = number_case(0.5, rtol=1e-9, mistakes=[Mistake("the double", 1.0, "halve it")],
                       not_a_number="f(1) returned {type}, expected a number",
                       how_to_answer="return one number",
                       say_mistake="f(1) = {value:g} looks like {what}; expected {truth:g}",
                       say_wrong="f(1) = {value:g}, expected {truth:g}", otherwise="look again")
    assert case(lambda: 0.5)[0]
    assert case(lambda: None) == (False, "f(1) returned NoneType, expected a number",
                                  "return one number")
    assert case(lambda: 1.0) == (False, "f(1) = 1 looks like the double; expected 0.5",
                                 "halve it")
    assert case(lambda: 0.7) == (False, "f(1) = 0.7, expected 0.5", "look again")


def test_on_inputs_stops_at_the_first_wrong_input():
    def case_at(x):
        return number_case(x * x, right="ok", otherwise="square it",
                           say_wrong=f"square({x}) = {{value:g}}, expected {{truth:g}}")
    case = on_inputs([(1.0,), (2.0,), (3.0,)], case_at, right="every square is right")
    assert grade("squares", [case], lambda x: x ** 2).passed
    feedback = grade("squares", [case], lambda x: 2 * x)  # right at 2 only
    assert feedback.results == [(False, "square(1.0) = 2, expected 1")]
    assert feedback.hint == "square it"


def test_on_inputs_gives_the_readers_function_fresh_copies():
    data = np.array([1.0, 2.0])

    def doubles_in_place(x):
        x *= 2
        return x
    case = on_inputs([(data,)], lambda x: array_case("f", 2 * data, otherwise="-"), right="ok")
    assert case(doubles_in_place)[0] and np.array_equal(data, [1.0, 2.0])


def test_leaves_inputs_unchanged_sees_arrays_changed_in_place_in_dicts_too():
    grads = {"dW": np.ones((2, 2)), "db": np.ones((2, 1))}
    case = leaves_inputs_unchanged(lambda fn, g: fn(g), (grads,), hint="build new arrays")

    def scales_in_place(g):
        g["dW"] *= 0.5
        return g
    assert case(lambda g: {k: 0.5 * v for k, v in g.items()}) == (
        True, "the inputs are left unchanged", None)
    assert case(scales_in_place) == (False, "your function changed the arrays it was given",
                                     "build new arrays")
    assert np.array_equal(grads["dW"], np.ones((2, 2)))  # the grader's own data is untouched


def test_fresh_and_unchanged():
    value = {"a": np.zeros(2), "b": (np.ones(1), 3)}
    copy = fresh(value)
    assert copy["a"] is not value["a"] and unchanged(copy, value)
    copy["b"][0][0] = 5.0
    assert not unchanged(copy, value)


def test_an_error_is_shown_at_the_readers_line_not_inside_the_library():
    """The reader's function hands the library something wrong; the error is raised inside
    course_utils, but the message quotes the reader's own line that called it."""
    def readers_function(X):
        return cu.network.predict_proba(cu.Spec((2, 3, 1)), {"W1": X}, X)  # params incomplete

    feedback = cu.checks.grade("t", [lambda fn: (fn(np.ones((2, 4))), "", None)], readers_function)
    assert not feedback.passed
    assert "cu.network.predict_proba(cu.Spec((2, 3, 1))" in str(feedback), str(feedback)


# ------------------------------------------------- numbers beside a limit (found in review)


@pytest.mark.parametrize("value, limits, text", [
    (1.04e-6, (1e-6,), "1.04e-06"),         # refused at 1e-6: it must not read "1.0e-06"
    (1.0000001e-6, (1e-6,), "1.0000001e-06"),
    (9.99e-4, (1e-7, 1e-3), "9.99e-04"),    # "look closer", not the bug bound 1.0e-03
    (3.1e-1, (1e-7, 1e-3), "3.1e-01"),      # far from every limit: two digits
])
def test_a_number_past_a_limit_never_reads_as_the_limit(value, limits, text):
    assert past(value, *limits) == text


def test_two_costs_that_differ_are_printed_apart():
    assert apart(0.69314701, 0.69314704) == ("0.69314701", "0.69314704")  # not 0.693147 twice
    assert apart(0.25, 0.75) == ("0.25", "0.75")


def test_a_parting_run_says_its_numbers_apart_from_each_other_and_the_limit():
    """Found in review: a parameter 1.04e-6 off (refused at 1e-6) read "relative difference
    1.0e-06", and two costs 3e-8 apart both read 0.693147."""
    from course_utils.checks._runs import describe_parting
    said = describe_parting({"step": 4, "cost": None, "param": ("W2", 1.04e-6),
                             "diverged": False, "param_rtol": 1e-6})
    assert said.endswith("W2 differs most (relative difference 1.04e-06)"), said
    said = describe_parting({"step": 4, "cost": (0.69314701, 0.69314704), "param": None,
                             "diverged": False})
    assert "cost 0.69314701 where the library's is 0.69314704" in said, said
