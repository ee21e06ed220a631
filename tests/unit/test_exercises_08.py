"""The exercises of 08_gradient_checking: every grader accepts the solutions notebook's own
code, and the capstone graders (step 1: the reader's gradient checker; step 2: that checker
run on the reader's batch norm, which then trains a network) accept every correct form and
name the typical wrong ones.

The wrong answers below are written as a reader would write them, independently of the
graders' own lists of mistakes."""

import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from notebook_code import run_code_cells  # noqa: E402
from course_utils.checks import gradcheck as graders  # noqa: E402

ROOT = pathlib.Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "08_gradient_checking_solutions.ipynb"
NOTEBOOK = ROOT / "notebooks" / "08_gradient_checking.ipynb"


@pytest.fixture(scope="module")
def solutions():
    """What the solutions notebook's code cells define, run as the notebook runs them."""
    return run_code_cells(SOLUTIONS)


@pytest.fixture(scope="module")
def paste_zone():
    """The topic notebook's YOUR BATCH NORM cell as stored: the planted backward."""
    namespace = {"cu": cu, "np": np}
    cell = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells
                if c.cell_type == "code" and "YOUR BATCH NORM" in c.source)
    exec(cell.source, namespace)
    return namespace


def checker(solutions):
    return solutions["numerical_gradient"], solutions["relative_error"], solutions["EPS"]


def step2(solutions, forward, backward):
    return cu.checks.batchnorm_in_training(forward, backward, *checker(solutions))


# ---------------------------------------------------------------- the solutions notebook


def test_the_solutions_notebook_passes_every_grader(solutions):
    assert cu.checks.two_sided_difference(solutions["two_sided"]).passed
    assert cu.checks.which_block(solutions["mystery_block"]).passed
    assert cu.checks.fixed_backward(solutions["backward"]).passed
    assert cu.checks.gradient_checker(*checker(solutions)).passed
    feedback = step2(solutions, solutions["my_batchnorm_forward"],
                     solutions["my_batchnorm_backward"])
    assert feedback.passed, str(feedback)
    assert set(feedback.traces) == {"yours", "library"}


def test_the_solutions_notebook_stores_passing_verdicts():
    cells = nbformat.read(SOLUTIONS, as_version=4).cells
    texts = ["".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                     for o in cell.outputs) for cell in cells if cell.cell_type == "code"]
    verdicts = [text for text in texts if "all checks passed" in text or "not yet" in text]
    assert len(verdicts) == 5 and all("all checks passed" in text for text in verdicts)


def test_the_topic_notebook_stores_stubs_not_answers():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    source = "\n".join(c.source for c in cells)
    assert "<details><summary>Solutions" not in source  # moved to solutions/
    outputs = "".join(o.get("data", {}).get("text/plain", "") for c in cells
                      if c.cell_type == "code" for o in c.outputs)
    assert "all checks passed" not in outputs
    assert "Capstone, step 1: your gradient checker: not yet" in outputs
    assert "your checker does not pass step 1 yet" in outputs


# ---------------------------------------------------------------- step 1: correct checkers


def nditer_gradient(f, x, eps):
    """CS231n's eval_numerical_gradient, with the entry restored by assignment."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
        it.iternext()
    return grad


def copy_gradient(f, x, eps):
    """Never touches x: each nudge on a fresh copy (x + eps * e_i)."""
    grad = np.empty(x.shape)
    for flat in range(x.size):
        e = np.zeros(x.size)
        e[flat] = eps
        e = e.reshape(x.shape)
        grad.flat[flat] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def max_form(a, b):
    denominator = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if denominator == 0 else np.linalg.norm(a - b) / denominator


def guarded(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-300)


@pytest.mark.parametrize("gradient", [nditer_gradient, copy_gradient])
@pytest.mark.parametrize("error", [max_form, guarded])
@pytest.mark.parametrize("eps", [1e-4, 1e-5, 1e-6, 1e-7])
def test_step1_accepts_every_correct_checker(gradient, error, eps):
    feedback = cu.checks.gradient_checker(gradient, error, eps)
    assert feedback.passed, str(feedback)


# ---------------------------------------------------------------- step 1: wrong checkers


def one_sided(f, x, eps):
    grad, base = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - base) / eps
        x[i] = old
    return grad


def not_put_back(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        grad[i] = (plus - f(x)) / (2 * eps)
    return grad


def put_back_by_arithmetic(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        plus = f(x)
        x[i] -= 2 * eps
        minus = f(x)
        x[i] += eps
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def all_at_once(f, x, eps):
    return np.ones_like(x) * (f(x + eps) - f(x - eps)) / (2 * eps)


def on_a_flattened_copy(f, x, eps):
    flat, grad = x.flatten(), np.zeros(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def absolute(a, b):
    return np.linalg.norm(a - b)


def over_a(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(a)


def unguarded(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


def spectral(a, b):
    return np.linalg.norm(a - b, 2) / (np.linalg.norm(a, 2) + np.linalg.norm(b, 2))


@pytest.mark.parametrize("gradient,error,eps,message,hint", [
    (one_sided, guarded, 1e-6, "the one-sided difference", "off by O(eps)"),
    (not_put_back, guarded, 1e-6, "x changed after the call", "put x[i] back"),
    (put_back_by_arithmetic, guarded, 1e-6, "a rounding leftover", "assign that saved value"),
    (all_at_once, guarded, 1e-6, "every entry nudged at once", "one entry at a time"),
    (on_a_flattened_copy, guarded, 1e-6, "all zeros", "f never saw the nudge"),
    (nditer_gradient, absolute, 1e-6, "the absolute error", "grows with the scale"),
    (nditer_gradient, over_a, 1e-6, "the denominator ||a|| alone", "divides by zero when a is 0"),
    (nditer_gradient, unguarded, 1e-6, "relative_error(0, 0) is nan", "return 0.0"),
    (nditer_gradient, spectral, 1e-6, "largest singular value", "Frobenius"),
    (nditer_gradient, guarded, 1e-2, "eps 0.01 is too large: truncation", "section 3's V"),
    (nditer_gradient, guarded, 1e-12, "eps 1e-12 is too small: round-off", "section 3's V"),
    (nditer_gradient, guarded, None, "EPS should be a small positive number", "set EPS"),
])
def test_step1_names_each_typical_mistake(gradient, error, eps, message, hint):
    feedback = cu.checks.gradient_checker(gradient, error, eps)
    assert not feedback.passed
    assert message in str(feedback), str(feedback)
    assert hint in feedback.hint, feedback.hint


def test_step1_stub_says_what_to_do():
    feedback = cu.checks.gradient_checker(lambda f, x, eps: None, lambda a, b: None, None)
    assert "should be a numpy array, got NoneType" in str(feedback)
    assert "return an array of x's shape" in feedback.hint


def test_one_sided_flags_a_correct_batchnorm_at_eps_1e6():
    """Why the one-sided difference is a mistake here, measured on the grader's own layer."""
    point = graders.layer_point(**graders.LAYER_POINTS[0])
    errors = graders.checker_errors(one_sided, guarded, 1e-6, graders._library_forward,
                                    cu.layers.batchnorm_backward, point)
    assert errors["dZ"] > 3e-7  # above the 1e-7 line; two-sided stays far below it
    assert max(graders.checker_errors(nditer_gradient, guarded, 1e-6, graders._library_forward,
                                      cu.layers.batchnorm_backward, point).values()) < 1e-8


# ---------------------------------------------------------------- step 2: your batch norm


def library_forward(Z, gamma, beta, train=True, running_mean=None, running_var=None):
    return cu.layers.batchnorm_forward(Z, gamma, beta, train, running_mean, running_var)


def factored(dout, cache):
    """Correct, written as CS231n's batchnorm_backward_alt: the same value, other roundings."""
    m = dout.shape[1]
    dbeta = np.sum(dout, axis=1, keepdims=True)
    dgamma = np.sum(cache.Z_hat * dout, axis=1, keepdims=True)
    dZ = (1.0 / m) * cache.gamma * cache.inv_std * (m * dout - dbeta - cache.Z_hat * dgamma)
    return dZ, dgamma, dbeta


def steps_forward(Z, gamma, beta, train=True, running_mean=None, running_var=None):
    return cu.layers.batchnorm_forward_steps(Z, gamma, beta)


@pytest.mark.parametrize("forward,backward", [
    (library_forward, factored), (steps_forward, cu.layers.batchnorm_backward_steps)])
def test_step2_accepts_every_correct_backward(solutions, forward, backward):
    feedback = step2(solutions, forward, backward)
    assert feedback.passed, str(feedback)


def own_forward(Z, gamma, beta, train=True, running_mean=None, running_var=None):
    """A reader's own forward from 06, returning its own cache."""
    mu = Z.mean(axis=1, keepdims=True)
    var = ((Z - mu) ** 2).mean(axis=1, keepdims=True)
    Z_hat = (Z - mu) / np.sqrt(var + 1e-5)
    return gamma * Z_hat + beta, (Z_hat, gamma, 1 / np.sqrt(var + 1e-5))


def own_backward(dout, cache):
    Z_hat, gamma, inv_std = cache
    m = dout.shape[1]
    dZ_hat = dout * gamma
    dZ = inv_std / m * (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                        - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True))
    return dZ, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def test_step2_accepts_a_readers_own_forward_and_cache(solutions):
    feedback = step2(solutions, own_forward, own_backward)
    assert feedback.passed, str(feedback)


def test_step2_finds_the_planted_mistake_in_dZ_alone(solutions, paste_zone):
    feedback = step2(solutions, paste_zone["my_batchnorm_forward"],
                     paste_zone["my_batchnorm_backward"])
    text = str(feedback)
    assert not feedback.passed
    assert "your checker on your batch norm (point 1): dZ" in text
    assert "dgamma ok, dbeta ok (cu.gradcheck agrees)" in text
    assert "your run parts from the library's at step 0" in text
    assert "the mistake is in dZ's own line" in feedback.hint
    assert "dgamma / m" not in text + feedback.hint  # the hint points at the line, not the fix
    ours = feedback.traces["yours"].costs
    assert ours[-1] > 5 * feedback.traces["library"].costs[-1]  # its run stalls


def variance_forgotten(dout, cache):
    m = dout.shape[1]
    return (cache.gamma * cache.inv_std * (dout - dout.mean(axis=1, keepdims=True)),
            (dout * cache.Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True))


def dbeta_mean(dout, cache):
    dZ, dgamma, _ = cu.layers.batchnorm_backward(dout, cache)
    return dZ, dgamma, np.mean(dout, axis=1, keepdims=True)


def dgamma_doubled(dout, cache):
    dZ, dgamma, dbeta = cu.layers.batchnorm_backward(dout, cache)
    return dZ, 2 * dgamma, dbeta


def transposed_shapes(dout, cache):
    dZ, dgamma, dbeta = cu.layers.batchnorm_backward(dout, cache)
    return dZ, dgamma.T, dbeta


@pytest.mark.parametrize("forward,backward,message,hint", [
    (library_forward, variance_forgotten, "dZ without the variance's path",
     "through the batch variance too"),
    (library_forward, dbeta_mean, "dbeta averaged over the batch", "summed over the examples"),
    (library_forward, dgamma_doubled, "dgamma", "dgamma is 2 times the true gradient"),
    (library_forward, transposed_shapes, "dgamma has shape (1, 3), expected (3, 1)",
     "like cu.layers.batchnorm_backward"),
    (lambda Z, gamma, beta, eps=1e-5: cu.layers.batchnorm_forward(Z, gamma, beta, True, eps=eps),
     cu.layers.batchnorm_backward, "your forward differs from cu.layers.batchnorm_forward",
     "4th argument is eps"),
])
def test_step2_names_each_typical_mistake(solutions, forward, backward, message, hint):
    feedback = step2(solutions, forward, backward)
    assert not feedback.passed
    assert message in str(feedback), str(feedback)
    assert hint in feedback.hint, feedback.hint


def test_step2_with_the_stub_checker_asks_for_step1_and_still_trains(paste_zone):
    feedback = cu.checks.batchnorm_in_training(
        paste_zone["my_batchnorm_forward"], paste_zone["my_batchnorm_backward"],
        lambda f, x, eps: None, lambda a, b: None, None)
    assert "your checker does not pass step 1 yet" in str(feedback)
    assert "finish step 1 first" in feedback.hint
    assert feedback.traces["yours"].costs.size == graders.RUN_STEPS


def test_step2_draws_the_readers_run(solutions):
    feedback = step2(solutions, library_forward, factored)
    axes = cu.checks.plot_runs(feedback, boundary=graders.run_network())
    assert len(axes) == 2 and len(axes[0].lines) == 2
    plt.close("all")


# ---------------------------------------------------------------- the training loop and the timing


def test_the_plugged_run_is_cu_train_with_the_librarys_layer():
    """Step 2 trains the reader's layer through cu.train with Spec(functions=...) (a wrapper
    that keeps the reader's cache and the batch statistics): with the library's layer it
    must be the library's training, bit for bit."""
    mine = graders.train_with_layer(library_forward, cu.layers.batchnorm_backward)
    spec, X, Y = graders.run_network()
    params = cu.init_params(spec, "he_normal", rng=0)
    theirs = cu.train(spec, params, X, Y, cu.optimizers.adam(graders.RUN_LR),
                      steps=graders.RUN_STEPS, progress=False)
    np.testing.assert_array_equal(mine.costs, theirs.costs)
    for key in theirs.params:
        np.testing.assert_array_equal(mine.params[key], theirs.params[key])
    for key in theirs.state:
        np.testing.assert_array_equal(mine.state[key], theirs.state[key])


def test_the_graders_run_in_seconds(solutions, paste_zone):
    start = time.perf_counter()
    cu.checks.gradient_checker(*checker(solutions))
    step2(solutions, paste_zone["my_batchnorm_forward"], paste_zone["my_batchnorm_backward"])
    assert time.perf_counter() - start < 10


def test_step2_stub_backward_says_what_to_return(solutions):
    feedback = step2(solutions, library_forward, lambda dout, cache: None)
    assert "should return three arrays, dZ, dgamma, dbeta; got NoneType" in str(feedback)
    assert "your code raised" not in str(feedback).split("\n")[2]


# ---------------------------------------------------------------- found in review

def view_gradient(f, x, eps):
    """Correct: flat indexing through a view (x.reshape(-1) writes through to x)."""
    flat, grad = x.reshape(-1), np.zeros(x.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def copy_written_back_gradient(f, x, eps):
    """Correct: nudges a flat copy and writes it back into x before each evaluation."""
    flat = x.flatten()
    grad = np.zeros_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        x[...] = flat.reshape(x.shape)
        plus = f(x)
        flat[i] = old - eps
        x[...] = flat.reshape(x.shape)
        minus = f(x)
        flat[i] = old
        x[...] = flat.reshape(x.shape)
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def fresh_copies_gradient(f, x, eps):
    """Correct: x + eps e_i and x - eps e_i as two fresh copies, x never touched."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def with_tiny_guard(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-12)


def as_0d_array(a, b):
    numerator = np.sqrt(np.sum((a - b) ** 2))
    denominator = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
    return np.array(0.0) if denominator == 0 else np.array(numerator / denominator)


@pytest.mark.parametrize("gradient, error, eps", [
    (view_gradient, with_tiny_guard, 1e-6),
    (copy_written_back_gradient, as_0d_array, 1e-5),
    (fresh_copies_gradient, with_tiny_guard, 1e-7),
    (view_gradient, as_0d_array, np.float32(1e-6)),
])
def test_step1_accepts_more_correct_checkers(gradient, error, eps):
    feedback = cu.checks.gradient_checker(gradient, error, eps)
    assert feedback.passed, str(feedback)


def entry_by_entry(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def over_the_sum(a, b):
    denominator = np.linalg.norm(a + b)
    return 0.0 if denominator == 0 else np.linalg.norm(a - b) / denominator


def guard_on_entries(a, b):
    if a.all() == 0 and b.all() == 0:
        return 0.0
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


@pytest.mark.parametrize("error, message, hint", [
    (entry_by_entry, "entry-by-entry relative error (CS231n's rel_error)", "one number per block"),
    (over_the_sum, "the norm of the sum in the denominator", "||a + b|| is not ||a|| + ||b||"),
    (guard_on_entries, "is 0 for two arrays that differ", "test that number, not the entries"),
])
def test_step1_names_more_relative_error_mistakes(error, message, hint):
    feedback = cu.checks.gradient_checker(nditer_gradient, error, 1e-6)
    assert not feedback.passed
    assert message in str(feedback), str(feedback)
    assert hint in feedback.hint, feedback.hint


def forward_in_place(Z, gamma, beta, train):
    """Correct in the network: four arguments, Z normalized in place, a dict cache."""
    Z -= Z.mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt((Z ** 2).mean(axis=1, keepdims=True) + 1e-5)
    Z *= inv_std
    return gamma * Z + beta, {"Z_hat": Z, "gamma": gamma, "inv_std": inv_std}


def backward_from_dict(dout, c):
    m = dout.shape[1]
    dgamma = np.sum(dout * c["Z_hat"], 1, keepdims=True)
    dbeta = np.sum(dout, 1, keepdims=True)
    return [c["gamma"] * c["inv_std"] * (dout - dbeta / m - c["Z_hat"] * dgamma / m), dgamma, dbeta]


def test_step2_accepts_a_forward_that_works_in_place(solutions):
    feedback = step2(solutions, forward_in_place, backward_from_dict)
    assert feedback.passed, str(feedback)


def test_step2_does_not_train_gradients_of_the_wrong_shape(solutions):
    def flat(dout, cache):
        dZ, dgamma, dbeta = cu.layers.batchnorm_backward(dout, cache)
        return dZ, dgamma.ravel(), dbeta.ravel()
    feedback = step2(solutions, library_forward, flat)
    assert "not trained: dgamma has shape (3,), expected (3, 1)" in str(feedback)
    assert "your code raised" not in str(feedback)


def dgamma_slightly_off(dout, cache):
    dZ, dgamma, dbeta = cu.layers.batchnorm_backward(dout, cache)
    return dZ, 1.0001 * dgamma, dbeta


def test_step2_a_factor_near_1_is_told_from_1(solutions):
    """A dgamma 1.0001 times the true one was said to be "1 times the true gradient" (.3g)."""
    feedback = step2(solutions, library_forward, dgamma_slightly_off)
    assert not feedback.passed
    assert "dgamma is 1.0001 times the true gradient (0.01% too large)" in feedback.hint, \
        feedback.hint
    assert "is 1 times" not in feedback.hint


def _doubled_dgamma(dout, cache):
    dZ, dgamma, dbeta = cu.layers.batchnorm_backward(dout, cache)
    return dZ, 2 * dgamma, dbeta


def test_step2_under_adam_a_doubled_dgamma_trains_the_same_run_and_only_the_check_sees_it(
        solutions):
    """The capstone's text: Adam divides each step by a running average of its gradient's
    size, so a doubled dgamma stays within 2e-7 of the library's (costs 1.4e-7, parameters
    1.9e-7 measured); only the gradient check refuses it."""
    feedback = step2(solutions, library_forward, _doubled_dgamma)
    text = str(feedback)
    assert not feedback.passed
    assert "✓ your batch norm trains the network as the library's does" in text, text
    yours, library = feedback.traces["yours"].costs, feedback.traces["library"].costs
    assert np.max(np.abs(np.subtract(yours, library)) / np.abs(library)) < 2e-7
    # and the parameters, as the text now says ("stays within 2e-7 of the library's")
    from course_utils.checks._runs import relative_difference
    mine, theirs = feedback.traces["yours"].snapshots, feedback.traces["library"].snapshots
    assert max(relative_difference(a[k], b[k]) for a, b in zip(mine, theirs) for k in b) < 2e-7
    assert "dgamma is 2 times the true gradient" in text + feedback.hint, text
