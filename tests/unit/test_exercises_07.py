"""The capstone grader of 07 (cu.checks.regularization_in_network): the solutions notebook's
code passes, other correct ways of drawing masks pass, and each typical wrong answer gets
its own message."""

import pathlib

import nbformat
import numpy as np
import pytest

import course_utils as cu
from course_utils.checks import regularization as R

SOLUTIONS = pathlib.Path(__file__).parents[2] / "solutions" / "07_regularization_solutions.ipynb"


@pytest.fixture(scope="module")
def solution():
    """The functions the solutions notebook defines (its code cells, run in order)."""
    namespace = {}
    for cell in nbformat.read(SOLUTIONS, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source.replace("cu.checks.plot_runs(", "(lambda *a, **k: None)("), namespace)
    return namespace


def grade(solution, **replaced):
    pieces = {"dropout_forward": solution["dropout_forward"],
              "dropout_backward": solution["dropout_backward"],
              "l2_penalty": solution["l2_penalty"], **replaced}
    return cu.checks.regularization_in_network(pieces["dropout_forward"],
                                               pieces["dropout_backward"], pieces["l2_penalty"])


def test_the_solutions_notebook_passes(solution):
    feedback = grade(solution)
    assert feedback.passed, feedback
    assert set(feedback.traces) == {"yours", "library"}
    assert cu.checks.l2_penalty(solution["l2_penalty"]).passed
    assert cu.checks.inverted_dropout(solution["inverted_dropout"]).passed


def _forward_drawing(draw):
    def forward(A, keep_prob, train, rng=None, mask=None):
        if not train:
            return A, None
        if mask is None:
            mask = draw(rng, keep_prob, A.shape)
        return A * mask / keep_prob, {"mask": mask, "keep_prob": keep_prob}
    return forward


def _backward_from_dict(dout, cache):
    return dout * cache["mask"] / cache["keep_prob"]


@pytest.mark.parametrize("draw", [
    lambda rng, p, shape: rng.binomial(1, p, shape),
    lambda rng, p, shape: rng.uniform(size=shape) < p,
    lambda rng, p, shape: (rng.random(shape) <= p).astype(float),
    lambda rng, p, shape: rng.random(shape) > 1 - p,
])
def test_every_correct_way_of_drawing_masks_passes(solution, draw):
    feedback = grade(solution, dropout_forward=_forward_drawing(draw),
                     dropout_backward=_backward_from_dict)
    assert feedback.passed, feedback


def _not_inverted(A, keep_prob, train, rng=None, mask=None):
    if not train:
        return A, None
    mask = rng.random(A.shape) < keep_prob if mask is None else mask
    return A * mask, (mask, 1.0)


def _dropout_at_evaluation(A, keep_prob, train, rng=None, mask=None):
    mask = rng.random(A.shape) < keep_prob if mask is None else mask
    return A * mask / keep_prob, (mask, keep_prob)


def _keeps_the_dropped(A, keep_prob, train, rng=None, mask=None):
    if not train:
        return A, None
    mask = rng.random(A.shape) >= keep_prob if mask is None else mask
    return A * mask / keep_prob, (mask, keep_prob)


@pytest.mark.parametrize("replaced, words", [
    ({"dropout_forward": _not_inverted}, ["step 0", "not inverted", "divides the kept units by keep_prob"]),
    ({"dropout_forward": _dropout_at_evaluation}, ["evaluation mode", "dropout applied at evaluation", "if not train"]),
    ({"dropout_backward": lambda dout, cache: dout / cache[1]}, ["does not reuse the forward's mask", "keep it in the cache"]),
    ({"dropout_backward": lambda dout, cache: dout}, ["passes the gradient through unchanged"]),
    ({"dropout_backward": lambda dout, cache: dout * cache[0]}, ["forgets the 1 / keep_prob"]),
    ({"l2_penalty": R._l2_variant("no m")}, ["W3 differs most", "lambda * W, without the 1 / m"]),
    ({"l2_penalty": R._l2_variant("biases")}, ["includes the biases", "weights W only"]),
    ({"l2_penalty": R._l2_variant("factor 2")}, ["factor 2", "the 2 of the square cancels"]),
    ({"dropout_forward": _keeps_the_dropped}, ["keeps the units that should be dropped"]),
])
def test_typical_mistakes_get_their_message(solution, replaced, words):
    feedback = grade(solution, **replaced)
    assert not feedback.passed
    for word in words:
        assert word in str(feedback), str(feedback)


def test_the_stub_and_bad_arguments_get_messages_not_tracebacks(solution):
    def stub(*args, **kwargs):
        return None
    assert "returned NoneType, expected two values" in str(grade(solution, dropout_forward=stub))
    assert "expected (value, grads)" in str(grade(solution, l2_penalty=stub))
    assert "must be a function" in str(grade(solution, l2_penalty=0.7))


def test_a_given_mask_must_be_used(solution):
    def ignores_mask(A, keep_prob, train, rng=None, mask=None):
        return solution["dropout_forward"](A, keep_prob, train, rng)
    assert "does not use it" in str(grade(solution, dropout_forward=ignores_mask))


def test_grads_keyed_without_the_d_are_named(solution):
    def l2_penalty(params, lambd, m):
        value, grads = solution["l2_penalty"](params, lambd, m)
        return value, {k[1:]: g for k, g in grads.items()}
    assert "name no parameter" in str(grade(solution, l2_penalty=l2_penalty))


def test_masks_not_drawn_from_rng_are_named(solution):
    global_rng = np.random.default_rng(11)  # stands for np.random's global state

    def forward(A, keep_prob, train, rng=None, mask=None):
        return solution["dropout_forward"](A, keep_prob, train, global_rng, mask)
    assert "does not come from the rng argument" in str(grade(solution, dropout_forward=forward))


# ---- more correct forms and typical mistakes found in review

def _forward_scaled_mask(A, keep_prob, train, rng=None, mask=None):
    """Correct: the cache is the scaled mask D = mask / keep_prob alone."""
    if not train:
        return A, None
    if mask is None:
        mask = rng.random(A.shape) < keep_prob
    D = mask / keep_prob
    return A * D, D


def _forward_in_place(A, keep_prob, train, rng=None, mask=None):
    """Correct: an int mask, A changed in place, a cache even in evaluation."""
    if not train:
        return A, (None, keep_prob)
    if mask is None:
        mask = (rng.random(A.shape) < keep_prob).astype(int)
    A *= mask
    A /= keep_prob
    return A, (mask, keep_prob)


def _forward_choice_where(A, keep_prob, train, rng=None, mask=None):
    """Correct: rng.choice, np.where, a NamedTuple cache that also keeps A, returned as a list."""
    from collections import namedtuple
    Cache = namedtuple("Cache", "A mask keep_prob")
    if not train:
        return [A, None]
    if mask is None:
        mask = rng.choice([False, True], size=A.shape, p=[1 - keep_prob, keep_prob])
    return [np.where(mask, A / keep_prob, 0.0), Cache(A, mask, keep_prob)]


def _l2_norm_with_zero_bias_grads(params, lambd, m):
    """Correct: np.linalg.norm(W) ** 2, and zero gradients for the biases."""
    weights = {k: v for k, v in params.items() if k[0] == "W"}
    value = lambd / (2 * m) * sum(np.linalg.norm(W) ** 2 for W in weights.values())
    grads = {"d" + k: (lambd / m) * W for k, W in weights.items()}
    grads.update({"d" + k: np.zeros_like(v) for k, v in params.items() if k[0] == "b"})
    return value, grads


def _l2_fro_loop(params, lambd, m):
    total, grads = 0.0, {}
    for k in params:
        if cu.losses.is_weight(k):
            total += np.linalg.norm(params[k], "fro") ** 2
            grads["d" + k] = lambd * params[k] / m
    return 0.5 * lambd * total / m, grads


@pytest.mark.parametrize("forward, backward, l2", [
    (_forward_scaled_mask, lambda dout, D: dout * D, _l2_norm_with_zero_bias_grads),
    (_forward_in_place, None, _l2_fro_loop),
    (_forward_choice_where, lambda dout, c: np.where(c.mask, dout / c.keep_prob, 0.0), None),
])
def test_more_correct_forms_pass(solution, forward, backward, l2):
    replaced = {"dropout_forward": forward}
    if backward is not None:
        replaced["dropout_backward"] = backward
    if l2 is not None:
        replaced["l2_penalty"] = l2
    feedback = grade(solution, **replaced)
    assert feedback.passed, feedback


def _forward_mask_shape(shape_of):
    def forward(A, keep_prob, train, rng=None, mask=None):
        if not train:
            return A, None
        if mask is None:
            mask = rng.random(shape_of(A)) < keep_prob
        return A * mask / keep_prob, (mask, keep_prob)
    return forward


def _forward_times_keep_prob(A, keep_prob, train, rng=None, mask=None):
    if not train:
        return A, None
    mask = rng.random(A.shape) < keep_prob if mask is None else mask
    return A * mask * keep_prob, (mask, 1 / keep_prob)


def _backward_new_mask(dout, cache):
    return dout * (np.random.default_rng(0).random(dout.shape) < cache[1]) / cache[1]


def _l2_norm_not_squared(params, lambd, m):
    keys = [k for k in params if k.startswith("W")]
    return (lambd / (2 * m) * sum(np.linalg.norm(params[k]) for k in keys),
            {"d" + k: lambd / m * params[k] for k in keys})


def _l2_sign_gradient(params, lambd, m):
    keys = [k for k in params if k.startswith("W")]
    return (lambd / (2 * m) * sum(np.sum(params[k] ** 2) for k in keys),
            {"d" + k: lambd / m * np.sign(params[k]) for k in keys})


@pytest.mark.parametrize("replaced, words", [
    ({"dropout_forward": _forward_mask_shape(lambda A: (A.shape[0], 1))},
     ["does not vary along the batch", "a unit (row)", "rng.random(A.shape)"]),
    ({"dropout_forward": _forward_mask_shape(lambda A: (1, A.shape[1]))},
     ["shared across the units", "an example (column)", "rng.random(A.shape)"]),
    ({"dropout_forward": _forward_times_keep_prob}, ["step 0", "dropout_forward's out differs"]),
    ({"dropout_backward": _backward_new_mask},
     ["dropout_backward differs", "reuse the forward's mask"]),
    ({"l2_penalty": _l2_norm_not_squared}, ["l2_penalty's value", "np.linalg.norm(W) ** 2"]),
    ({"l2_penalty": _l2_sign_gradient}, ["its dW1 is not lambda / m * W1"]),
])
def test_more_mistakes_get_their_message(solution, replaced, words):
    feedback = grade(solution, **replaced)
    assert not feedback.passed
    for word in words:
        assert word in str(feedback), str(feedback)


# A is (units, batch): a mask shared along axis 1 is one draw per unit for the whole batch;
# along axis 0, one draw per example for all its units (this one was said to "not vary along
# the batch", which it does).
@pytest.mark.parametrize("mask_shape, said, not_said", [
    (lambda A: (A.shape[0], 1), "your mask does not vary along the batch: one draw per unit",
     "shared across the units"),
    (lambda A: (1, A.shape[1]), "your mask is shared across the units: one draw per example",
     "does not vary along the batch"),
    (lambda A: (1, 1), "one draw for the whole layer", "one draw per"),
])
def test_a_mask_shared_along_an_axis_is_said_along_that_axis(solution, mask_shape, said,
                                                              not_said):
    feedback = grade(solution, dropout_forward=_forward_mask_shape(mask_shape))
    assert not feedback.passed
    assert said in str(feedback) and not_said not in str(feedback), str(feedback)
    assert "rng.random(A.shape)" in feedback.hint


def _forward_without_mask(A, keep_prob, train, rng=None, mask=None):
    """A mask drawn but never applied: the forward keeps every unit."""
    if mask is None and train:
        mask = rng.random(A.shape) < keep_prob
    return A, (mask, keep_prob)


def test_the_mask_statistics_say_a_forward_that_drops_nothing_may_not_apply_its_mask():
    """In the grader the run comparison catches an unapplied mask first; the mask statistics
    on their own name it too, not only as a whole-layer draw."""
    from types import SimpleNamespace
    from course_utils.checks.regularization import _mask_statistics
    passed, said, hint = _mask_statistics(lambda: SimpleNamespace(
        dropout_forward=_forward_without_mask))
    assert not passed
    assert "keeps every unit" in said and "not applied" in said, said
    assert "rng.random(A.shape)" in hint
