"""The exercises of 02_vanishing_exploding_gradients: every grader accepts the solutions
notebook's own code, and the capstone graders (exercise 4: the reader's per-layer gradient
norms and clipping by the global norm, inside section 5's exploding network through
train(clip=...)) accept every correct form and name the typical wrong ones.

The wrong answers below are written as a reader would write them, independently of the
graders' own lists of mistakes, so the test checks that a mistake is recognised by what it
does in the run, not by the code that produced it."""

import pathlib
import re
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from notebook_code import run_code_cells, stored_outputs  # noqa: E402

ROOT = pathlib.Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "02_vanishing_exploding_gradients_solutions.ipynb"
NOTEBOOK = ROOT / "notebooks" / "02_vanishing_exploding_gradients.ipynb"


@pytest.fixture(scope="module")
def solutions():
    """What the solutions notebook's code cells define, run as the notebook runs them."""
    return run_code_cells(SOLUTIONS)


# ---------------------------------------------------------------- the solutions notebook


@pytest.mark.parametrize("grader,name", [
    ("sigmoid_chain_bound", "chain_bound"), ("global_norm", "global_norm"),
    ("clip_by_norm", "clip_by_norm"), ("layer_norms_in_run", "layer_gradient_norms"),
    ("clipping_in_run", "clip_by_global_norm"), ("clipping_in_run", "clip_tensorflow_style"),
    ("clipping_in_run", "clip_pytorch_style")])
def test_the_solutions_notebook_passes_every_grader(solutions, grader, name):
    feedback = getattr(cu.checks, grader)(solutions[name])
    assert feedback.passed, str(feedback)


def test_the_solutions_notebook_stores_passing_verdicts_and_the_rescue():
    texts = [text for _, text in stored_outputs(SOLUTIONS)]
    verdicts = [text for text in texts if "checks passed" in text or "not yet" in text]
    assert len(verdicts) >= 6 and all("not yet" not in text for text in verdicts)
    whole = next(text for text in texts if "no clipping" in text and "ClipNorm(5)" in text)
    assert re.search(r"no clipping\s+diverged", whole)
    assert re.search(r"your clip_by_global_norm, 5\s+learned", whole)


def test_the_topic_notebook_stores_the_stubs_not_the_answers():
    stored = {source: text for source, text in stored_outputs(NOTEBOOK)}
    norms = next(t for s, t in stored.items() if "layer_norms_in_run(layer_gradient_norms)" in s)
    clipping = next(t for s, t in stored.items() if "clipping_in_run(clip_by_global_norm)" in s)
    assert "not yet" in norms and "not yet" in clipping
    whole = next(t for s, t in stored.items() if "if clipping_check:" in s)
    assert "Once your clipping passes" in whole
    assert not any("<details>" in cell.source
                   for cell in nbformat.read(NOTEBOOK, as_version=4).cells)


# ---------------------------------------------------------------- layer norms: right and wrong


def norms_right(grads):
    L = len(grads) // 2
    return np.array([np.sqrt(np.sum(grads[f"dW{l}"] ** 2) + np.sum(grads[f"db{l}"] ** 2))
                     for l in range(1, L + 1)])


def norms_as_dict(grads):
    layers = sorted({int(re.sub(r"\D", "", key)) for key in grads})
    return {l: np.linalg.norm(np.concatenate([grads[f"dW{l}"].ravel(), grads[f"db{l}"].ravel()]))
            for l in layers}


def norms_as_list(grads):
    L = len(grads) // 2
    return [float(np.linalg.norm(np.hstack([grads[f"dW{l}"], grads[f"db{l}"]])))
            for l in range(1, L + 1)]


def norms_squared(grads):
    return norms_right(grads) ** 2


def norms_weights_only(grads):
    return np.array([np.linalg.norm(g) for k, g in grads.items() if k.startswith("dW")])


def norms_per_array(grads):
    return np.array([np.linalg.norm(g) for g in grads.values()])


def norms_output_first(grads):
    return norms_right(grads)[::-1]


def norms_added(grads):
    L = len(grads) // 2
    return np.array([np.linalg.norm(grads[f"dW{l}"]) + np.linalg.norm(grads[f"db{l}"])
                     for l in range(1, L + 1)])


@pytest.mark.parametrize("fn", [norms_right, norms_as_dict, norms_as_list])
def test_every_correct_form_of_the_layer_norms_passes(fn):
    feedback = cu.checks.layer_norms_in_run(fn)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("fn, message, hint", [
    (norms_squared, "the squared norms (no square root)", "square root"),
    (norms_weights_only, "dW alone, without db", "dW and db together"),
    (norms_per_array, "one per array (dW1, db1, dW2, ...), not one per layer", "one number per layer"),
    (norms_output_first, "output layer first", "layer 1 first"),
    (norms_added, "the blocks' norms added", "norms do not add up"),
    (lambda grads: None, "returned NoneType", "one norm per layer"),
])
def test_a_wrong_layer_norm_gets_its_own_message(fn, message, hint):
    feedback = cu.checks.layer_norms_in_run(fn)
    assert not feedback.passed
    assert message in str(feedback) and "at step 0" in str(feedback)
    assert hint in feedback.hint


# ---------------------------------------------------------------- clipping: right and wrong


def _global(grads):
    return np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))


def clip_right(grads, max_norm):
    norm = _global(grads)
    return grads if norm <= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_in_place(grads, max_norm):  # harmless inside train: nobody reads the gradients after
    norm = _global(grads)
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads


def clip_divide_first(grads, max_norm):
    norm = _global(grads)
    return {k: g / norm * max_norm if norm > max_norm else g for k, g in grads.items()}


def clip_each_array(grads, max_norm):
    out = {}
    for k, g in grads.items():
        norm = np.linalg.norm(g)
        out[k] = g * max_norm / norm if norm > max_norm else g
    return out


def clip_always(grads, max_norm):
    return {k: g * max_norm / _global(grads) for k, g in grads.items()}


def clip_without_biases(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for k, g in grads.items() if k.startswith("dW")))
    return grads if norm <= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_squared_norm(grads, max_norm):
    norm = sum(np.sum(g ** 2) for g in grads.values())
    return grads if norm <= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_reversed(grads, max_norm):
    norm = _global(grads)
    return grads if norm >= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_by_value(grads, max_norm):
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}


@pytest.mark.parametrize("fn", [clip_right, clip_in_place, clip_divide_first])
def test_every_correct_form_of_the_clipping_passes(fn):
    feedback = cu.checks.clipping_in_run(fn)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("fn, message, hint", [
    (clip_each_array, "clipped by its own norm, not by the global norm", "one vector"),
    (clip_always, "gradients below max_norm were scaled up to max_norm", "only ever shrinks"),
    (clip_without_biases, "left out the biases' gradients", "db included"),
    (clip_squared_norm, "squared global norm", "square root"),
    (clip_reversed, "diverged at step 6, as the run without clipping does", "direction of your comparison"),
    (clip_by_value, "clip by value", "keeps its direction"),
    (lambda grads, max_norm: None, "returned NoneType, expected a dict", "same keys"),
])
def test_a_wrong_clipping_gets_its_own_message(fn, message, hint):
    feedback = cu.checks.clipping_in_run(fn)
    assert not feedback.passed
    assert message in str(feedback)
    assert hint in feedback.hint


def test_the_run_parting_names_the_step_and_the_parameter():
    said = str(cu.checks.clipping_in_run(clip_without_biases))
    assert re.search(r"parts from the library's at step \d+: .*b\d differs most", said)


def test_scaling_up_is_caught_at_he_scale_where_the_gradient_is_small():
    said = str(cu.checks.clipping_in_run(clip_always))
    assert "✓ exploding run (2 x He)" in said and "at He's scale" in said


# ---------------------------------------------------------------- speed and figures


def test_the_graders_take_seconds():
    start = time.perf_counter()
    cu.checks.layer_norms_in_run(norms_right)
    cu.checks.clipping_in_run(clip_right)
    cu.checks.clipping_in_run(clip_each_array)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("fn", [clip_right, clip_reversed, lambda grads, max_norm: None])
def test_the_clipping_figure_draws_any_feedback(fn):
    ax = cu.checks.plot_clipping_run(cu.checks.clipping_in_run(fn))
    assert ax.get_title().startswith("your clipping")
    plt.close("all")


@pytest.mark.parametrize("fn", [norms_right, norms_squared, lambda grads: None])
def test_the_norms_figure_draws_any_feedback(fn):
    cu.checks.plot_layer_norms(cu.checks.layer_norms_in_run(fn))
    plt.close("all")


def test_the_two_graded_runs_are_what_the_messages_say():
    """The exploding run's gradient is above 5 at each of the 10 graded steps (so clipping
    acts at every one), and the run at He's scale stays below 5 at each (so only a
    clipping that scales up changes it); without clipping the exploding run diverges at 6."""
    from course_utils.checks import gradients as graders
    for gain, above in ((2.0, True), (1.0, False)):
        norms = []

        def spy(grads):
            norms.append(cu.optimizers.global_norm(grads))
            return cu.optimizers.clip_by_norm(grads, graders.MAX_NORM)

        graders._deep_run(gain, graders.CLIP_STEPS, spy)
        assert len(norms) == graders.CLIP_STEPS
        assert all((n > graders.MAX_NORM) == above for n in norms), (gain, norms)
    with np.errstate(all="ignore"):
        assert graders._deep_run(2.0, graders.CLIP_STEPS, None).diverged_at == 6


# ---------------------------------------------------------------- found in review


def norms_float32(grads):  # right, in single precision: about 1e-7 from the library's
    L = len(grads) // 2
    return np.array([np.sqrt(np.sum(grads[f"dW{l}"].astype(np.float32) ** 2)
                             + np.sum(grads[f"db{l}"].astype(np.float32) ** 2))
                     for l in range(1, L + 1)])


def norms_hypot_tuple(grads):
    L = len(grads) // 2
    return tuple(float(np.hypot(np.linalg.norm(grads[f"dW{l}"]), np.linalg.norm(grads[f"db{l}"])))
                 for l in range(1, L + 1))


def norms_as_dict_from_zero(grads):
    return dict(enumerate(norms_right(grads)))


@pytest.mark.parametrize("fn", [norms_float32, norms_hypot_tuple, norms_as_dict_from_zero])
def test_more_correct_forms_of_the_layer_norms_pass(fn):
    feedback = cu.checks.layer_norms_in_run(fn)
    assert feedback.passed, str(feedback)


def norms_spectral(grads):
    L = len(grads) // 2
    return np.array([np.sqrt(np.linalg.norm(grads[f"dW{l}"], 2) ** 2
                             + np.linalg.norm(grads[f"db{l}"], 2) ** 2) for l in range(1, L + 1)])


def test_the_spectral_norm_is_named():
    feedback = cu.checks.layer_norms_in_run(norms_spectral)
    assert not feedback.passed and "the spectral norm of dW" in str(feedback)
    assert "np.sqrt(np.sum(dW ** 2))" in feedback.hint


def clip_min_one(grads, max_norm):
    scale = min(1.0, max_norm / _global(grads))
    return {k: g * scale for k, g in grads.items()}


def clip_float32_scale(grads, max_norm):
    scale = np.float32(min(1.0, max_norm / _global(grads)))
    return {k: g * scale for k, g in grads.items()}


def clip_strict_comparison(grads, max_norm):
    norm = np.sqrt(sum(np.vdot(g, g) for g in grads.values()))
    return grads if norm < max_norm else {k: max_norm * g / norm for k, g in grads.items()}


@pytest.mark.parametrize("fn", [clip_min_one, clip_float32_scale, clip_strict_comparison])
def test_more_correct_forms_of_the_clipping_pass(fn):
    feedback = cu.checks.clipping_in_run(fn)
    assert feedback.passed, str(feedback)


def _layer_norms(grads):
    return norms_right(grads)


def clip_sum_of_layer_norms(grads, max_norm):
    norm = np.sum(_layer_norms(grads))
    return grads if norm <= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_largest_layer_norm(grads, max_norm):
    norm = np.max(_layer_norms(grads))
    return grads if norm <= max_norm else {k: g * (max_norm / norm) for k, g in grads.items()}


def clip_each_layer(grads, max_norm):
    norms = _layer_norms(grads)
    return {k: g * min(1.0, max_norm / norms[int(k[2:]) - 1]) for k, g in grads.items()}


def clip_upside_down(grads, max_norm):
    norm = _global(grads)
    return grads if norm <= max_norm else {k: g * (norm / max_norm) for k, g in grads.items()}


def clip_to_lists(grads, max_norm):
    return {k: v.tolist() for k, v in clip_right(grads, max_norm).items()}


@pytest.mark.parametrize("fn, message, hint", [
    (clip_sum_of_layer_norms, "the layer norms were added up", "np.linalg.norm(layer_norms)"),
    (clip_largest_layer_norm, "the largest layer norm", "np.linalg.norm(layer_norms)"),
    (clip_each_layer, "each layer was clipped by its own norm", "layers one by one"),
    (clip_upside_down, "the ratio upside down", "a factor below 1"),
    (clip_to_lists, "dW1 is a list, expected a numpy array", "without .tolist()"),
])
def test_more_wrong_clippings_get_their_own_message(fn, message, hint):
    feedback = cu.checks.clipping_in_run(fn)
    assert not feedback.passed
    assert message in str(feedback), str(feedback)
    assert hint in feedback.hint
