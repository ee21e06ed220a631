"""The exercises of 01_input_normalization: every grader accepts the solutions notebook's own
code, and the capstone grader (exercise 4: the reader's standardization feeding section 4's
network) accepts every correct form and names the typical wrong ones.

The wrong answers below are written as a reader would write them, independently of the
grader's own list of mistakes, so the test checks that a mistake is recognised by the run
and the test inputs it produces, not by the code that produced it."""

import pathlib
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
SOLUTIONS = ROOT / "solutions" / "01_input_normalization_solutions.ipynb"
NOTEBOOK = ROOT / "notebooks" / "01_input_normalization.ipynb"


@pytest.fixture(scope="module")
def solutions():
    """What the solutions notebook's code cells define, run as the notebook runs them."""
    return run_code_cells(SOLUTIONS)


# ---------------------------------------------------------------- the solutions notebook


@pytest.mark.parametrize("grader,name", [
    ("standardize_with_train_stats", "standardize_train_test"),
    ("condition_number_prediction", "kappa"), ("max_stable_learning_rate", "largest_rate"),
    ("standardization_in_run", "prepare"), ("standardization_in_run", "prepare_with_sklearn"),
    ("standardization_in_run", "prepare_sample_std")])
def test_the_solutions_notebook_passes_every_grader(solutions, grader, name):
    feedback = getattr(cu.checks, grader)(solutions[name])
    assert feedback.passed, str(feedback)


def test_the_solutions_notebook_stores_passing_verdicts():
    verdicts = [text for _, text in stored_outputs(SOLUTIONS) if "checks passed" in text or
                "not yet" in text]
    assert len(verdicts) >= 5
    assert all("not yet" not in text for text in verdicts)


def test_the_topic_notebook_stores_the_stub_not_the_answer():
    stored = {source: text for source, text in stored_outputs(NOTEBOOK)}
    capstone = next(text for source, text in stored.items()
                    if "standardization_in_run(prepare)" in source)
    assert "not yet" in capstone and "expected the pair" in capstone
    assert "axis=1" not in "".join(source for source in stored if "def prepare" in source)
    assert not any("<details>" in cell.source
                   for cell in nbformat.read(NOTEBOOK, as_version=4).cells)


# ---------------------------------------------------------------- correct forms


def _statistics(X, ddof=0):
    return X.mean(axis=1, keepdims=True), X.std(axis=1, ddof=ddof, keepdims=True)


def reader_right(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_reciprocal(X_train, X_test):
    mu = np.sum(X_train, axis=1, keepdims=True) / X_train.shape[1]
    inverse = 1 / np.sqrt(np.var(X_train, axis=1, keepdims=True))
    return [(X_train - mu) * inverse, (X_test - mu) * inverse]  # a list of two is fine


def reader_sklearn(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T).T, scaler.transform(X_test.T).T


def reader_sample_std(X_train, X_test):
    mu, sigma = _statistics(X_train, ddof=1)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


@pytest.mark.parametrize("prepare", [reader_right, reader_reciprocal, reader_sklearn])
def test_every_correct_form_matches_the_library_run(prepare):
    feedback = cu.checks.standardization_in_run(prepare)
    assert feedback.passed, str(feedback)
    assert "matches the library's at every one of 50 steps" in str(feedback)


def test_the_sample_std_is_accepted_and_its_distance_is_said():
    feedback = cu.checks.standardization_in_run(reader_sample_std)
    assert feedback.passed, str(feedback)
    assert "sample std (ddof=1)" in str(feedback) and "accepted within 1%" in str(feedback)


# ---------------------------------------------------------------- wrong answers, named


def reader_per_example(X_train, X_test):
    def scale(X):
        return (X - np.mean(X, axis=0)) / np.std(X, axis=0)
    return scale(X_train), scale(X_test)


def reader_variance(X_train, X_test):
    mu, var = X_train.mean(axis=1, keepdims=True), X_train.var(axis=1, keepdims=True)
    return (X_train - mu) / var, (X_test - mu) / var


def reader_leaks(X_train, X_test):
    mu, sigma = _statistics(np.concatenate([X_train, X_test], axis=1))
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_fits_the_test_set(X_train, X_test):
    mu, sigma = _statistics(X_test)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_own_statistics(X_train, X_test):
    def standardize(X):
        mu, sigma = _statistics(X)
        return (X - mu) / sigma
    return standardize(X_train), standardize(X_test)


def reader_forgets_the_test_set(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, X_test


def reader_min_max(X_train, X_test):
    low, high = X_train.min(axis=1, keepdims=True), X_train.max(axis=1, keepdims=True)
    return (X_train - low) / (high - low), (X_test - low) / (high - low)


def reader_in_place(X_train, X_test):
    mu, sigma = _statistics(X_train)
    X_train -= mu
    X_train /= sigma
    return X_train, (X_test - mu) / sigma


def reader_transposed(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T), scaler.transform(X_test.T)


def reader_off_by_one(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma + 1, (X_test - mu) / sigma + 1


@pytest.mark.parametrize("prepare, message, hint", [
    (reader_per_example, "each example (column) instead of each feature (row)", "axis=1"),
    (reader_variance, "divided by the variance instead of the standard deviation", "np.std"),
    (reader_leaks, "training and test sets together (test-set leakage)", "X_train only"),
    (reader_fits_the_test_set, "fitted on the test set (test-set leakage)", "X_train only"),
    (reader_own_statistics, "its own mean and std", "a new patient has no statistics"),
    (reader_forgets_the_test_set, "your test set was not standardized", "transform the test"),
    (reader_min_max, "min-max scaling", "Subtract the mean"),
    (reader_in_place, "changed X_train or X_test in place", "do not use -="),
    (reader_transposed, "X_train_std has shape (426, 30), expected (30, 426)", "transpose"),
    (lambda X_train, X_test: None, "expected the pair", "return X_train_std, X_test_std"),
    (reader_off_by_one, "parts from the library's at step 0", "subtract the training set's"),
])
def test_a_wrong_answer_gets_its_own_message(prepare, message, hint):
    feedback = cu.checks.standardization_in_run(prepare)
    assert not feedback.passed
    assert message in str(feedback)
    assert hint in feedback.hint


def test_the_run_parting_names_the_step_and_the_cost():
    said = str(cu.checks.standardization_in_run(reader_leaks))
    assert "parts from the library's at step 0: cost" in said


def test_own_statistics_show_on_the_batch_of_the_largest_tumours():
    feedback = cu.checks.standardization_in_run(reader_own_statistics)
    assert feedback.accuracy["yours, 20 largest"] < 0.5 < feedback.accuracy["library, 20 largest"]
    assert "20 largest tumours" in str(feedback)


# ---------------------------------------------------------------- speed and figures


def test_the_grader_takes_seconds():
    start = time.perf_counter()
    cu.checks.standardization_in_run(reader_right)
    cu.checks.standardization_in_run(reader_min_max)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("prepare", [reader_right, reader_min_max, lambda a, b: None])
def test_the_figure_draws_any_feedback(prepare):
    axes = cu.checks.plot_standardization_run(cu.checks.standardization_in_run(prepare))
    assert len(axes) == 2
    plt.close("all")


# ---------------------------------------------------------------- other divisors, other idioms
# (found in review: a guard epsilon and float32 arithmetic are right, and were refused)


def reader_epsilon(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / (sigma + 1e-8), (X_test - mu) / (sigma + 1e-8)


def reader_epsilon_in_the_root(X_train, X_test):
    mu, var = X_train.mean(axis=1, keepdims=True), X_train.var(axis=1, keepdims=True)
    return (X_train - mu) / np.sqrt(var + 1e-8), (X_test - mu) / np.sqrt(var + 1e-8)


def reader_float32(X_train, X_test):
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_flat_statistics(X_train, X_test):
    mu, sigma = X_train.mean(axis=1), X_train.std(axis=1)  # shape (30,), lined up by hand
    return (X_train - mu[:, None]) / sigma[:, None], (X_test - mu[:, None]) / sigma[:, None]


def reader_float32_sample_std(X_train, X_test):
    mu, sigma = _statistics(X_train, ddof=1)
    return [np.float32((X_train - mu) / sigma), np.float32((X_test - mu) / sigma)]


@pytest.mark.parametrize("prepare", [reader_epsilon, reader_epsilon_in_the_root, reader_float32,
                                     reader_flat_statistics, reader_float32_sample_std])
def test_other_correct_divisors_and_idioms_pass(prepare):
    feedback = cu.checks.standardization_in_run(prepare)
    assert feedback.passed, str(feedback)


def test_an_epsilon_is_named_and_its_distance_said():
    said = str(cu.checks.standardization_in_run(reader_epsilon_in_the_root))
    assert "larger than its std (ddof=0), as an epsilon added to sigma makes it" in said
    assert "fractal dimension error" in said and "accepted within 1%" in said
    assert "sample std (ddof=1)" in str(cu.checks.standardization_in_run(reader_float32_sample_std))


def reader_large_epsilon(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / (sigma + 1e-3), (X_test - mu) / (sigma + 1e-3)


def reader_no_keepdims(X_train, X_test):
    mu, sigma = X_train.mean(axis=1), X_train.std(axis=1)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_per_example_statistics_applied_to_the_test_set(X_train, X_test):
    mu, sigma = X_train.mean(axis=0, keepdims=True), X_train.std(axis=0, keepdims=True)
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def reader_sklearn_without_transpose(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test)


def reader_swapped(X_train, X_test):
    return reader_right(X_train, X_test)[::-1]


def reader_training_set_twice(X_train, X_test):
    X_train_std = reader_right(X_train, X_test)[0]
    return X_train_std, X_train_std


def reader_sample_std_own_test_statistics(X_train, X_test):
    return reader_sample_std(X_train, X_test)[0], reader_sample_std(X_test, X_test)[1]


def reader_epsilon_own_test_statistics(X_train, X_test):
    return reader_epsilon(X_train, X_test)[0], reader_epsilon(X_test, X_test)[1]


def reader_epsilon_for_training_only(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / (sigma + 1e-8), (X_test - mu) / sigma


def reader_sample_std_for_training_only(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / X_train.std(axis=1, ddof=1, keepdims=True), (X_test - mu) / sigma


def reader_epsilon_for_the_test_set_only(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, (X_test - mu) / (sigma + 1e-8)


def reader_centred_then_range(X_train, X_test):
    mu = X_train.mean(axis=1, keepdims=True)
    spread = np.ptp(X_train, axis=1, keepdims=True)
    return (X_train - mu) / spread, (X_test - mu) / spread


def reader_test_set_own_std(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, (X_test - mu) / X_test.std(axis=1, keepdims=True)


@pytest.mark.parametrize("prepare, message, hint", [
    # found in review: centring then dividing by the range was said to be "as an epsilon
    # added to sigma makes it"; and the divisor message below must not take other mistakes
    (reader_centred_then_range, "divided by 4.341 to 11.544 times the std (ddof=0), not by the "
     "std", "divide by the std itself"),
    (reader_test_set_own_std, "X_test_std differs", "the ones fitted on X_train"),
    # found in review: these were refused as "X_test_std differs", with a hint about mu and
    # sigma fitted on X_train, which they were
    (reader_epsilon_for_training_only, "the training set by 1 to 1.0000043 times the std, the "
     "test set by the std itself", "the same ddof, the same epsilon"),
    (reader_sample_std_for_training_only, "the training set by 1.0012 times the std, the test "
     "set by the std itself", "the same ddof, the same epsilon"),
    (reader_epsilon_for_the_test_set_only, "the training set by the std itself, the test set "
     "by 1 to 1.0000043 times the std", "the same ddof, the same epsilon"),
    (reader_large_epsilon, "up to 3.8% from the library's, more than the 1% accepted",
     "far below the smallest std"),
    (reader_no_keepdims, "could not be broadcast", "keepdims"),
    (reader_per_example_statistics_applied_to_the_test_set, "could not be broadcast",
     "one entry per training example"),
    (reader_sklearn_without_transpose, "took them for features", "X_train.T"),
    (reader_swapped, "the test set first", "(X_train_std, X_test_std)"),
    (reader_training_set_twice, "both arrays prepare returned have the training set's shape",
     "the second array is the test set"),
    (reader_sample_std_own_test_statistics, "its own mean and std", "no statistics of their own"),
    (reader_epsilon_own_test_statistics, "its own mean and std", "no statistics of their own"),
])
def test_more_wrong_answers_get_their_own_message(prepare, message, hint):
    feedback = cu.checks.standardization_in_run(prepare)
    assert not feedback.passed
    assert message in str(feedback), str(feedback)
    assert hint in feedback.hint, feedback.hint


# ---------------------------------------------------------------- found in review: marks and words agree


def reader_rounds_the_test_set(X_train, X_test):
    mu, sigma = _statistics(X_train)
    return (X_train - mu) / sigma, np.round((X_test - mu) / sigma, 5)


def test_test_inputs_close_but_not_the_same_are_not_called_right():
    """Test inputs within 1e-5 of the library's entry by entry but more than 1e-6 from them
    as a whole (here rounded to 5 decimals) were refused with "✗ X_test_std is right": a
    cross beside words that say it is right. The line now says what is wrong."""
    feedback = cu.checks.standardization_in_run(reader_rounds_the_test_set)
    assert not feedback.passed
    failed = [message for ok, message in feedback.results if not ok]
    assert len(failed) == 1, str(feedback)
    assert "is right" not in failed[0], str(feedback)
    assert failed[0].startswith("X_test_std is close to the library's but not the same"), failed[0]
    assert "more than the 1e-06 accepted" in failed[0]
    assert "unrounded" in feedback.hint
