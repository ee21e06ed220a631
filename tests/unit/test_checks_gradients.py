"""The graders of 02_vanishing_exploding_gradients accept a right answer and reject typical
wrong ones with the right hint."""

import numpy as np
import pytest

import course_utils as cu

# ---------------------------------------------------------------- sigmoid chain bound


def test_chain_bound_accepts_the_right_answer():
    feedback = cu.checks.sigmoid_chain_bound(lambda L, w: (abs(w) / 4) ** L)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("right", [
    lambda L, w: float(np.prod([abs(w) * 0.25] * L)),          # a product of L factors
    lambda L, w: np.array([(abs(w) / 4) ** L]),                 # a one-element array (was a TypeError)
    lambda L, w: np.array([[(abs(w) / 4) ** L]]),
    lambda L, w: np.exp(L * np.log(abs(w) / 4)),
])
def test_chain_bound_accepts_every_correct_method(right):
    feedback = cu.checks.sigmoid_chain_bound(right)
    assert feedback.passed, str(feedback)


def test_global_norm_accepts_a_one_element_array():
    def one_element(grads):
        return np.array([np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))])
    feedback = cu.checks.global_norm(one_element)
    assert feedback.passed, str(feedback)


def test_chain_bound_stub_feedback_does_not_give_the_answer_away():
    text = str(cu.checks.sigmoid_chain_bound(lambda L, w: None))
    assert "not yet" in text and "/ 4" not in text and "abs(w)" not in text


@pytest.mark.parametrize("wrong,words", [
    (lambda L, w: 0.25 ** L, "weight left out"),
    (lambda L, w: (w / 4) ** L, "use |w|"),
    (lambda L, w: (abs(w) / 4) ** (L - 1), "(L-1)"),
    (lambda L, w: (abs(w) / 4) ** (L + 1), "(L+1)"),
    (lambda L, w: 0.5 ** L, "at most 1/4"),
    (lambda L, w: abs(w) ** L / 4, "once per layer, like the weight"),
    (lambda L, w: L * abs(w) / 4, "multiplies"),
    (lambda L, w: (w ** 2 / 16) ** L, "the square of the bound"),
    (lambda L, w: 1.0, "chain rule"),
    (lambda L, w: None, "expected a number"),
    (lambda L, w: [0.25] * L, "expected a number"),
    (lambda L, w: 1 / 0, "raised ZeroDivisionError"),
])
def test_chain_bound_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.sigmoid_chain_bound(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def _true_maximum_by_scanning(L, w):
    """What a learner might compute instead of the bound: the largest |da_L/da_0| over a grid
    of inputs a_0 (the true maximum, below the bound from depth 2 on)."""
    a0 = np.linspace(-10, 10, 20001)
    a, slope = a0, np.ones_like(a0)
    for _ in range(L):
        s = 1 / (1 + np.exp(-w * a))
        slope = slope * abs(w) * s * (1 - s)
        a = s
    return float(np.max(slope))


def test_chain_bound_explains_the_true_maximum_instead_of_calling_it_wrong():
    """Issue 26: the true maximum (e.g. 3.9e-7 at (10, 1), bound 9.5e-7) is a right answer to
    another question; the feedback says so and names the bound asked for."""
    feedback = cu.checks.sigmoid_chain_bound(_true_maximum_by_scanning)
    text = str(feedback)
    assert not feedback.passed
    assert "true maximum" in text and "upper bound" in text and "sigmoid' <= 1/4" in text


def test_chain_true_maximum_is_below_the_bound_from_depth_2():
    from course_utils.checks.gradients import chain_true_maximum
    assert chain_true_maximum(1, 1.0) == pytest.approx(0.25, rel=1e-9)
    assert chain_true_maximum(3, 8.0) == pytest.approx(0.048, rel=0.01)
    assert chain_true_maximum(10, 1.0) == pytest.approx(3.9e-7, rel=0.01)
    assert chain_true_maximum(10, 4.0) < 1e-8
    assert chain_true_maximum(5, -2.0) < (2 / 4) ** 5


def test_chain_bound_stub_hint_asks_for_the_bound_without_the_formula():
    text = str(cu.checks.sigmoid_chain_bound(lambda L, w: None))
    assert "upper bound" in text and "largest possible" not in text


def test_chain_bound_needs_a_function():
    feedback = cu.checks.sigmoid_chain_bound(0.25 ** 10)
    assert not feedback.passed and "without calling it" in str(feedback)


# ---------------------------------------------------------------- global norm


def test_global_norm_accepts_the_right_answer_and_the_library():
    right = lambda grads: np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    assert cu.checks.global_norm(right).passed
    assert cu.checks.global_norm(cu.optimizers.global_norm).passed


@pytest.mark.parametrize("wrong,words", [
    (lambda grads: sum(np.sum(g ** 2) for g in grads.values()), "square root at the end"),
    (lambda grads: sum(np.linalg.norm(g) for g in grads.values()), "norms of blocks do not add"),
    (lambda grads: max(np.linalg.norm(g) for g in grads.values()), "every block counts"),
    (lambda grads: np.sqrt(sum(np.sum(g ** 2) for k, g in grads.items() if k.startswith("dW"))),
     "biases"),
    (lambda grads: sum(np.abs(g).sum() for g in grads.values()), "squares the entries"),
    (lambda grads: [np.linalg.norm(g) for g in grads.values()], "one number"),
    (lambda grads: "norm", "expected a number"),
    (lambda grads: 3.0, "sqrt(sum over every block"),
])
def test_global_norm_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.global_norm(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- clip by norm


def right_clip(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm <= max_norm:
        return grads
    return {k: g * (max_norm / norm) for k, g in grads.items()}


def test_clip_by_norm_accepts_the_right_answer_and_the_library():
    assert cu.checks.clip_by_norm(right_clip).passed, str(cu.checks.clip_by_norm(right_clip))
    assert cu.checks.clip_by_norm(cu.optimizers.clip_by_norm).passed


def _always_scale(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return {k: g * (max_norm / norm) for k, g in grads.items()}


def _in_place(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads


def _wrong_direction(grads, max_norm):
    out = {k: np.abs(g) for k, g in grads.items()}
    return right_clip(out, max_norm)


@pytest.mark.parametrize("wrong,words", [
    (lambda grads, c: {k: np.clip(g, -c, c) for k, g in grads.items()}, "clip by value"),
    (lambda grads, c: {k: g * min(1, c / np.linalg.norm(g)) for k, g in grads.items()},
     "one scale factor"),
    (_always_scale, "only ever shrinks"),
    (_in_place, "instead of scaling in place"),
    (_wrong_direction, "direction changed"),
    (lambda grads, c: {k: g / 2 for k, g in grads.items()}, "expected 2"),
    (lambda grads, c: [g for g in grads.values()], "expected a dict"),
    (lambda grads, c: {"dW1": grads["dW1"]}, "keep every key"),
    (lambda grads, c: {k: g.ravel() for k, g in grads.items()}, "do not reshape"),
])
def test_clip_by_norm_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.clip_by_norm(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


# ---------------------------------------------------------------- stubs never print the answer


def test_clip_stub_feedback_says_what_is_wrong_without_the_formula():
    """The notebook's stub returns grads unchanged: its stored feedback names that, and gives
    no formula (issue 14: stored exercise stubs never print answers)."""
    text = str(cu.checks.clip_by_norm(lambda grads, max_norm: grads))
    assert "came back unchanged" in text
    assert "max_norm / global_norm" not in text and "multiply every block" not in text


def test_global_norm_stub_feedback_gives_no_formula():
    text = str(cu.checks.global_norm(lambda grads: None))
    assert "expected a number" in text
    assert "square root" not in text and "sqrt" not in text and "squares" not in text
