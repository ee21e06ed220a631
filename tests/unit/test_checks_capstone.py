"""The graders of 11_capstone: the right causes pass with the doctor's evidence, wrong ones
get a hint, and a missing answer is told how to answer without being given it."""

import pytest

import course_utils as cu


@pytest.mark.parametrize("grader, answers", [
    (cu.checks.mystery_run_a, ["dead relus", "Dead ReLUs", "dying relu", "learning rate too high"]),
    (cu.checks.mystery_run_b, ["learning rate too small", "lr too low", "Learning-rate too small"]),
    (cu.checks.mystery_run_c, ["saturation", "saturated units", "initialization too large"]),
])
def test_right_answers_pass_with_the_evidence(grader, answers):
    for answer in answers:
        feedback = grader(answer)
        assert feedback.passed, (answer, str(feedback))
        assert "the doctor:" in str(feedback)


@pytest.mark.parametrize("grader, wrong", [
    (cu.checks.mystery_run_a, "vanishing gradients"),
    (cu.checks.mystery_run_b, "dead relus"),
    (cu.checks.mystery_run_c, "unnormalized inputs"),
])
def test_wrong_answers_get_a_hint(grader, wrong):
    feedback = grader(wrong)
    assert not feedback.passed and feedback.hint


def test_no_answer_is_told_how_to_answer_not_what():
    feedback = cu.checks.mystery_run_a(None)
    assert not feedback.passed
    assert "dead" not in str(feedback).lower()
    feedback = cu.checks.mystery_run_b("banana")
    assert "not one of the possible answers" in str(feedback)
