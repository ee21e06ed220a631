"""The exercises of 04_activation_functions: every grader accepts the solutions notebook's
own code, and the capstone grader (exercise 4: the reader's SELU, as an Activation, training
the real network step by step beside the library's) accepts every correct form and names the
typical wrong ones. Also the extension point it uses: `cu.activations.register`, validated,
and a network with a registered activation passes the gradient check.

The wrong answers below are written as a reader would write them, independently of the
grader's own list of mistakes, so the test checks that a mistake is recognised by the run
it produces, not by the code that produced it."""

import pathlib
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from notebook_code import run_code_cells, stored_outputs  # noqa: E402
from course_utils import activations  # noqa: E402

ROOT = pathlib.Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "04_activation_functions_solutions.ipynb"
NOTEBOOK = ROOT / "notebooks" / "04_activation_functions.ipynb"
LAMBDA, ALPHA = activations.SELU_SCALE, activations.SELU_ALPHA


@pytest.fixture(scope="module")
def solutions():
    """What the solutions notebook's code cells define, run as the notebook runs them (it
    registers "my_selu": removed afterwards)."""
    try:
        return run_code_cells(SOLUTIONS)
    finally:
        if "my_selu" in activations.NAMES:
            activations.unregister("my_selu")


def mine(f, df, name="my_selu"):
    return activations.Activation(name, f, df, "a reader's SELU")


# ---------------------------------------------------------------- the solutions notebook


def test_the_solutions_notebook_passes_every_grader(solutions):
    assert cu.checks.elu(solutions["elu"], solutions["elu_derivative"]).passed
    assert cu.checks.derivative_bound(solutions["answer"]).passed
    assert cu.checks.dead_fraction(solutions["dead_fraction"]).passed
    feedback = cu.checks.selu_in_training(solutions["my_selu"])
    assert feedback.passed, str(feedback)


def test_the_solutions_notebook_stores_passing_verdicts():
    outputs = stored_outputs(SOLUTIONS)
    verdicts = [text for _, text in outputs if "checks passed" in text or "not yet" in text]
    assert len(verdicts) == 4
    assert all("not yet" not in text for text in verdicts)
    assert any("test accuracy" in text for _, text in outputs)  # the registered SELU trained


def test_the_topic_notebook_stores_the_stub_not_the_answer():
    stored = {source: text for source, text in stored_outputs(NOTEBOOK)}
    capstone = next(text for source, text in stored.items()
                    if "selu_in_training(my_selu)" in source)
    assert "not yet" in capstone and "should return a numpy array, got NoneType" in capstone
    stub = next(source for source in stored if "def selu(" in source)
    assert "np.where" not in stub and "return None" in stub
    assert not any("<details>" in cell.source
                   for cell in nbformat.read(NOTEBOOK, as_version=4).cells)


# ---------------------------------------------------------------- correct forms


def f_library_like(z):
    return LAMBDA * np.where(z > 0, z, ALPHA * np.expm1(np.minimum(z, 0)))


def df_library_like(z):
    return LAMBDA * np.where(z > 0, 1.0, ALPHA * np.exp(np.minimum(z, 0)))


def f_exp_minus_one(z):
    return np.where(z > 0, LAMBDA * z, LAMBDA * ALPHA * (np.exp(np.minimum(z, 0)) - 1))


def df_right_slope_at_zero(z):  # lambda at exactly 0: the right-hand slope, also accepted
    return np.where(z >= 0, LAMBDA, LAMBDA * ALPHA * np.exp(np.minimum(z, 0)))


def df_mid_slope_at_zero(z):  # any value between the one-sided slopes is a subgradient
    slope = np.where(z > 0, LAMBDA, LAMBDA * ALPHA * np.exp(np.minimum(z, 0)))
    return np.where(z == 0, (LAMBDA + LAMBDA * ALPHA) / 2, slope)


def f_from_elu(z):  # SELU is lambda times ELU with alpha = 1.6733
    return LAMBDA * cu.activations.get("elu", alpha=ALPHA).forward(z)


def df_masks(z):
    negative = np.minimum(z, 0)
    return LAMBDA * ((z > 0) + (z <= 0) * ALPHA * np.exp(negative))


def f_piecewise(z):
    return np.piecewise(z, [z > 0, z <= 0], [lambda x: LAMBDA * x,
                                             lambda x: LAMBDA * ALPHA * np.expm1(x)])


def f_boolean_indexing(z):  # a new array filled by masks
    out = np.empty_like(z)
    positive = z > 0
    out[positive] = LAMBDA * z[positive]
    out[~positive] = LAMBDA * ALPHA * np.expm1(z[~positive])
    return out


def f_on_a_copy(z):  # in place, but on a copy of z
    out = z.copy()
    negative = out <= 0
    out[negative] = ALPHA * np.expm1(out[negative])
    out *= LAMBDA
    return out


def df_from_f(z):  # exercise 1's identity: on the left, f'(z) = f(z) + lambda alpha
    return np.where(z > 0, LAMBDA, f_library_like(z) + LAMBDA * ALPHA)


def f_overflow_silenced(z):  # e^1000 is inf, thrown away by np.where, and numpy told so
    with np.errstate(over="ignore"):
        return np.where(z > 0, LAMBDA * z, LAMBDA * ALPHA * (np.exp(z) - 1))


def df_in_place(z):  # writes into z: harmless, the network no longer needs it
    negative = z <= 0
    z[negative] = LAMBDA * ALPHA * np.exp(z[negative])
    z[~negative] = LAMBDA
    return z


LAMBDA_TYPED, ALPHA_TYPED = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def f_typed_constants(z):  # the paper's constants typed in full
    return LAMBDA_TYPED * np.where(z > 0, z, ALPHA_TYPED * np.expm1(np.minimum(z, 0)))


_scalar_selu = np.vectorize(lambda x: LAMBDA * x if x > 0 else LAMBDA * ALPHA * np.expm1(x),
                            otypes=[float])


@pytest.mark.parametrize("f, df", [(f_library_like, df_library_like),
                                   (f_exp_minus_one, df_right_slope_at_zero),
                                   (f_from_elu, df_mid_slope_at_zero),
                                   (f_library_like, df_masks),
                                   (f_piecewise, df_from_f),
                                   (f_boolean_indexing, df_in_place),
                                   (f_on_a_copy, df_library_like),
                                   (f_overflow_silenced, df_library_like),
                                   (f_typed_constants, df_library_like),
                                   (_scalar_selu, df_library_like)])
def test_every_correct_form_matches_the_library_run(f, df):
    feedback = cu.checks.selu_in_training(mine(f, df))
    assert feedback.passed, str(feedback)
    assert "matches the library's SELU at every step (200 steps" in str(feedback)
    assert "lies between the one-sided slopes" in str(feedback)


def test_a_registered_name_is_graded_too():
    activations.register(mine(f_library_like, df_library_like, "my_test_selu"))
    try:
        assert cu.checks.selu_in_training("my_test_selu").passed
    finally:
        activations.unregister("my_test_selu")


def test_the_figure_shows_the_run_and_the_boundary():
    axes = cu.checks.plot_selu_run(cu.checks.selu_in_training(mine(f_library_like, df_library_like)))
    assert len(axes) == 2 and axes[1].get_title() == "your run's decision boundary"
    plt.close("all")


# ---------------------------------------------------------------- wrong answers, named


def df_zero_on_the_left(z):
    return np.where(z > 0, LAMBDA, 0.0)


def df_selu_itself_on_the_left(z):  # f(z) where e^z is needed
    return np.where(z > 0, LAMBDA, f_library_like(z))


def df_alpha_exp_minus_one(z):  # ELU's alpha e^z - 1 style
    return LAMBDA * np.where(z > 0, 1.0, ALPHA * np.exp(np.minimum(z, 0)) - 1)


def f_without_scale(z):
    return np.where(z > 0, z, ALPHA * np.expm1(np.minimum(z, 0)))


def df_without_scale(z):
    return np.where(z > 0, 1.0, ALPHA * np.exp(np.minimum(z, 0)))


def f_overflows(z):
    return LAMBDA * np.where(z > 0, z, ALPHA * (np.exp(z) - 1))


def df_overflows(z):
    return LAMBDA * np.where(z > 0, 1.0, ALPHA * np.exp(z))


def df_zero_at_zero(z):
    return np.where(z == 0, 0.0, df_library_like(z))


def df_slightly_off(z):
    return 1.02 * df_library_like(z)


def f_writes_into_z(z):
    negative = z <= 0
    z[negative] = ALPHA * np.expm1(z[negative])
    z *= LAMBDA
    return z


def f_with_if(z):
    return LAMBDA * z if z > 0 else LAMBDA * ALPHA * (np.exp(z) - 1)


def f_with_math_exp(z):
    import math
    return np.where(z > 0, LAMBDA * z, LAMBDA * ALPHA * (math.exp(z) - 1))


def f_rounded(z):  # the constants as the notebook's prose shows them, to 4 decimals
    return 1.0507 * np.where(z > 0, z, 1.6733 * np.expm1(np.minimum(z, 0)))


def df_rounded(z):
    return 1.0507 * np.where(z > 0, 1.0, 1.6733 * np.exp(np.minimum(z, 0)))


def df_by_differences(z, h=1e-6):
    return (f_library_like(z + h) - f_library_like(z - h)) / (2 * h)


def f_swapped(z):
    return ALPHA * np.where(z > 0, z, LAMBDA * np.expm1(np.minimum(z, 0)))


def df_swapped(z):
    return ALPHA * np.where(z > 0, 1.0, LAMBDA * np.exp(np.minimum(z, 0)))


def f_without_minus_one(z):
    return LAMBDA * np.where(z > 0, z, ALPHA * np.exp(np.minimum(z, 0)))


@pytest.mark.parametrize("f, df, message, hint", [
    (f_writes_into_z, df_library_like, "changes the array z it is given (in place)",
     "build a new array instead of writing into z"),
    (f_with_if, df_library_like, "raised ValueError on a (3, 4) array", "np.where(z > 0"),
    (f_with_math_exp, df_library_like, "raised TypeError on a (3, 4) array", "use np.exp"),
    (lambda z: UNDEFINED_SCALE * z, df_library_like,  # noqa: F821 - the reader's NameError
     "raised NameError on a (3, 4) array: name 'UNDEFINED_SCALE' is not defined (line",
     "run selu on np.linspace(-2, 2, 12).reshape(3, 4) by itself"),
    (f_library_like, lambda z: LAMBDA if z > 0 else 0.0, "df (your selu_derivative) raised "
     "ValueError", "np.where(z > 0"),
    (f_rounded, df_rounded, "your constants are rounded (lambda in f 1.0507,",
     "cu.activations.SELU_SCALE and cu.activations.SELU_ALPHA"),
    (f_library_like, df_by_differences, "stays close to the library's but not within 1e-6",
     "a derivative by differences"),
    (f_swapped, df_swapped, "lambda and alpha swapped", "only the exponential side"),
    (f_without_minus_one, df_library_like, "the - 1 is missing", "np.expm1"),
    (f_library_like, df_zero_on_the_left, "your derivative is 0 for z <= 0",
     "for z <= 0 its slope is lambda alpha e^z"),
    (f_library_like, df_selu_itself_on_the_left, "SELU itself, not its slope", "the -1 goes away"),
    (f_library_like, df_alpha_exp_minus_one, "lambda (alpha e^z - 1) for z <= 0",
     "the constant -1 has slope 0"),
    (f_without_scale, df_without_scale, "the scale lambda = 1.0507 is missing",
     "both sides carry lambda"),
    (f_library_like, df_without_scale, "your derivative leaves out lambda",
     "its slope is too"),
    (f_overflows, df_overflows, "your code makes numpy warn (overflow encountered in exp)",
     "np.minimum(z, 0)"),
    (f_library_like, df_zero_at_zero, "at z = 0 your derivative is 0, outside the kink's",
     "any value between its two one-sided slopes"),
    (f_library_like, df_slightly_off, "your run parts from the library's at step 0",
     "compare your f and df with SELU's formula"),
    (lambda z: None, lambda z: None, "f (your selu) should return a numpy array, got NoneType",
     "write the body of selu"),
])
def test_a_wrong_answer_gets_its_own_message(f, df, message, hint):
    feedback = cu.checks.selu_in_training(mine(f, df))
    assert not feedback.passed
    assert message in str(feedback)
    assert hint in feedback.hint


def test_the_parting_says_where():
    said = str(cu.checks.selu_in_training(mine(f_without_scale, df_without_scale)))
    assert "parts from the library's at step 0: cost 0.593" in said
    said = str(cu.checks.selu_in_training(mine(f_library_like, df_zero_on_the_left)))
    assert "at step 0: b2 differs most" in said


def test_not_an_activation_is_said():
    feedback = cu.checks.selu_in_training(f_library_like)
    assert "got a function alone" in str(feedback) and "Activation(" in feedback.hint
    assert "no activation is registered as 'nope'" in str(cu.checks.selu_in_training("nope"))
    assert "the library's own activation" in str(cu.checks.selu_in_training("selu"))
    library = str(cu.checks.selu_in_training(activations.get("selu")))
    assert "the library's own 'selu'" in library and "not yet" in library


def test_the_grader_leaves_the_registry_as_it_was():
    before = activations.NAMES
    cu.checks.selu_in_training(mine(f_library_like, df_zero_on_the_left))
    assert activations.NAMES == before


def test_the_registry_is_restored_when_the_readers_code_fails_during_the_run():
    def fails_on_the_data(z):  # works on the (3, 4) test array, fails on a layer's Z
        if z.shape[1] > 100:
            raise RuntimeError("boom")
        return f_library_like(z)
    before = activations.NAMES
    feedback = cu.checks.selu_in_training(mine(fails_on_the_data, df_library_like))
    assert not feedback.passed and "your code raised RuntimeError: boom" in str(feedback)
    assert activations.NAMES == before


def test_the_readers_own_registration_survives_grading_and_the_dashboard_is_unchanged():
    from course_utils.widgets import activations as dashboard
    selu = mine(f_library_like, df_library_like, "my_kept_selu")
    activations.register(selu)
    try:
        assert cu.checks.selu_in_training("my_kept_selu").passed
        assert not cu.checks.selu_in_training(mine(f_library_like, df_zero_on_the_left)).passed
        assert activations.get("my_kept_selu") is selu
        assert "my_kept_selu" not in dashboard.ACTIVATIONS  # the dashboard's fixed choices
    finally:
        activations.unregister("my_kept_selu")


def test_a_correct_answer_runs_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cu.checks.selu_in_training(mine(f_library_like, df_library_like)).passed


# ---------------------------------------------------------------- the extension point


def test_register_makes_a_name_a_spec_can_use_and_unregister_removes_it():
    selu = mine(f_library_like, df_library_like, "my_registered_selu")
    assert activations.register(selu) == "my_registered_selu"
    try:
        spec = cu.Spec((2, 3, 1), activation="my_registered_selu")
        assert spec.activation_fns[0] is selu
        assert activations.get("my_registered_selu") is selu
        activations.register(selu)  # a second time (a cell run twice) replaces it
    finally:
        activations.unregister("my_registered_selu")
    assert "my_registered_selu" not in activations.NAMES
    with pytest.raises(ValueError, match="unknown activation"):
        cu.Spec((2, 3, 1), activation="my_registered_selu")


@pytest.mark.parametrize("activation, error, match", [
    (activations.get("selu"), ValueError, "'selu' is a built-in activation"),
    (mine(np.tanh, np.tanh, "prelu"), ValueError, "'prelu' is a built-in activation"),
    (mine(np.tanh, np.tanh, "my selu"), ValueError, "letters, digits, underscores"),
    (mine(np.tanh, lambda z: None, "bad_df"), ValueError, r"df\(Z\) must return an array"),
    (mine(lambda z: z[0], np.tanh, "bad_f"), ValueError, r"f\(Z\) must return an array"),
    (mine(lambda z: z / 0, np.tanh, "inf_f"), ValueError, "NaN or inf"),
    (mine(np.tanh, 3, "not_callable"), TypeError, "must be a function of Z"),
    (np.tanh, TypeError, "must be an Activation"),
])
def test_register_rejects_what_a_network_cannot_use(activation, error, match):
    with np.errstate(all="ignore"), pytest.raises(error, match=match):
        activations.register(activation)


def test_unregister_refuses_built_in_and_unknown_names():
    with pytest.raises(ValueError, match="built-in"):
        activations.unregister("relu")
    with pytest.raises(ValueError, match="no registered activation"):
        activations.unregister("never_registered")


def test_a_network_with_a_registered_activation_passes_the_gradient_check():
    activations.register(mine(f_library_like, df_library_like, "my_checked_selu"))
    try:
        spec = cu.Spec((2, 5, 4, 1), activation="my_checked_selu")
        params = cu.init_params(spec, "lecun_normal", rng=0)
        X, Y, *_ = cu.datasets.load_moons()
        report = cu.gradcheck.check_network(spec, params, X[:, :20], Y[:, :20])
        assert max(report.errors().values()) < 1e-7
    finally:
        activations.unregister("my_checked_selu")
