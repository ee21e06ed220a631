"""The graders of 01_input_normalization accept a right answer and reject typical wrong ones
with the right hint."""

import numpy as np
import pytest

import course_utils as cu


def right_standardize(X_train, X_test):
    mean = X_train.mean(axis=1, keepdims=True)
    std = X_train.std(axis=1, keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std


def _by_example(X):
    return (X - X.mean(axis=0, keepdims=True)) / X.std(axis=0, keepdims=True)


def _own(X):
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def _in_place(X_train, X_test):
    mean = X_train.mean(axis=1, keepdims=True)
    std = X_train.std(axis=1, keepdims=True)
    X_train -= mean
    X_train /= std
    return X_train, (X_test - mean) / std


def _with_ddof(X_train, X_test):
    mean = X_train.mean(axis=1, keepdims=True)
    std = X_train.std(axis=1, ddof=1, keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std


def _together(X_train, X_test):
    both = np.hstack([X_train, X_test])
    mean, std = both.mean(axis=1, keepdims=True), both.std(axis=1, keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std


def _sklearn_right(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T).T, scaler.transform(X_test.T).T


def _sklearn_no_transpose_in(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train)  # columns taken for features
    return scaler.transform(X_train), scaler.transform(X_test)


def _sklearn_test_not_transposed(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T).T, scaler.transform(X_test)


def _sklearn_no_transpose_back(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T), scaler.transform(X_test.T)


def _sklearn_test_not_transposed_back(X_train, X_test):
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(X_train.T)
    return scaler.transform(X_train.T).T, scaler.transform(X_test.T)


STANDARDIZE_WRONG = [
    # the two scikit-learn mistakes: no transpose into StandardScaler, none back out
    (_sklearn_no_transpose_in, "Fit it on X_train.T, transform X_test.T"),
    (_sklearn_test_not_transposed, "Fit it on X_train.T, transform X_test.T"),
    (_sklearn_no_transpose_back, "X_train_std has shape (50, 3) and X_test_std has shape (20, 3)"),
    (_sklearn_no_transpose_back, "transpose the results back"),
    (_sklearn_test_not_transposed_back, "the values are right, but X_test_std has shape (20, 3)"),
    (lambda a, b: None, "return both arrays"),
    (lambda a, b: (_by_example(a), _by_example(b)), "axis=1"),
    (lambda a, b: (_own(a), _own(b)), "training set's numbers"),
    (lambda a, b: (right_standardize(a, b)[0], b), "transform the test set too"),
    (_in_place, "do not use -= or /="),
    (_together, "compute the mean and std on X_train only"),
    (lambda a, b: (a - a.mean(axis=1, keepdims=True), b - a.mean(axis=1, keepdims=True)),
     "also divide"),
    (lambda a, b: (a / a.std(axis=1, keepdims=True), b / a.std(axis=1, keepdims=True)),
     "subtract each feature's mean"),
    (lambda a, b: tuple(x / a.std(axis=1, keepdims=True) ** 2 for x in
                        (a - a.mean(axis=1, keepdims=True), b - a.mean(axis=1, keepdims=True))),
     "np.std (the square root"),
    (lambda a, b: (right_standardize(a, b)[0], right_standardize(a, b)[1] + 1), "X_test_std differs"),
    (lambda a, b: 1 / 0, "raised ZeroDivisionError"),
]


@pytest.mark.parametrize("fn", [right_standardize, _sklearn_right])
def test_standardize_accepts_right_answers(fn):
    feedback = cu.checks.standardize_with_train_stats(fn)
    assert feedback.passed, str(feedback)
    assert "all checks passed" in str(feedback)


@pytest.mark.parametrize("wrong,words", STANDARDIZE_WRONG)
def test_standardize_rejects_with_a_hint(wrong, words):
    feedback = cu.checks.standardize_with_train_stats(wrong)
    assert not feedback.passed
    assert words in str(feedback), str(feedback)


def test_standardize_needs_a_function():
    feedback = cu.checks.standardize_with_train_stats(None)
    assert not feedback.passed and "without calling it" in str(feedback)


@pytest.mark.parametrize("answer,ok,words", [
    (25, True, "right"),
    (25.1, True, "right"),
    (lambda: 25.0, False, "expected a number, got function"),
    (5, False, "square the ratio"),
    (225, False, "divide by lambda_min"),
    (1 / 25, False, "kappa >= 1"),
    (15 / 9, False, "both curvatures are variances"),
    (3, False, "largest / smallest"),
    (None, False, "expected a number"),
])
def test_condition_number_prediction(answer, ok, words):
    feedback = cu.checks.condition_number_prediction(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


@pytest.mark.parametrize("answer,ok,words", [
    (2 / 225, True, "right"),
    (0.0089, True, "right"),
    (1 / 225, False, "still shrinks the error"),
    (2 / 234, False, "the best rate"),
    (2 / 9, False, "largest curvature"),
    (2 / 15, False, "std^2"),
    (0.5, False, "between -1 and 1"),
    ("0.0089", False, "remove the quotes"),  # as every number grader: a number, not text
    ([0.1], False, "expected a number"),
])
def test_max_stable_learning_rate(answer, ok, words):
    feedback = cu.checks.max_stable_learning_rate(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def test_exercise_answers_match_the_library():
    """The graders' truths are what cu.lessons.normalization computes for such features."""
    H = np.diag(np.square(cu.checks.normalization.EXERCISE_STDS))
    assert cu.checks.condition_number_prediction(cu.lessons.normalization.condition_number(H)).passed
    assert cu.checks.max_stable_learning_rate(cu.lessons.normalization.max_stable_learning_rate(H)).passed


def test_feedback_renders_html():
    html = cu.checks.standardize_with_train_stats(lambda a, b: None)._repr_html_()
    assert "Hint" in html and "not yet" in html


def test_sklearn_mistakes_name_the_layout_not_a_deep_traceback():
    """Forgetting the transpose into StandardScaler is a ValueError deep inside sklearn: the
    grader says what it means (examples taken for features) with the specific hint, and not
    the generic "run your function by itself" one."""
    text = str(cu.checks.standardize_with_train_stats(_sklearn_no_transpose_in))
    assert "scikit-learn raised ValueError" in text and "took them for features" in text
    assert "run your function by itself" not in text
    text = str(cu.checks.standardize_with_train_stats(_sklearn_no_transpose_back))
    assert "rows as examples" in text and "scaler.transform(X_test.T).T" in text


def test_other_value_errors_are_still_reported_as_the_readers_error():
    def broken(X_train, X_test):
        raise ValueError("something else")
    text = str(cu.checks.standardize_with_train_stats(broken))
    assert "your code raised ValueError: something else" in text


# ---------------------------------------------------------------- answers measured on a sample
# Issue 14: answers computed correctly from sampled features (a condition number of 27.5, or
# a 2 / lambda_max a few percent from 2 / 225) were rejected or misdiagnosed, and a sampled
# 2 / lambda_max within 1% of 2 / 234 was praised as "the best rate".


def _sample(seed, m=200):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0, 3, m), rng.normal(0, 15, m)])


def _sample_with(seed_range, predicate):
    """The first drawn sample whose Hessian X X^T / m satisfies predicate(H)."""
    for seed in seed_range:
        X = _sample(seed)
        if predicate(X @ X.T / X.shape[1]):
            return X
    raise AssertionError("no such sample in the range")


@pytest.mark.parametrize("seed", range(5))
def test_a_sampled_condition_number_passes_with_its_features(seed):
    X = _sample(seed)
    kappa = cu.lessons.normalization.condition_number(X @ X.T / X.shape[1])
    assert not np.isclose(kappa, 25, rtol=0.01)
    feedback = cu.checks.condition_number_prediction(kappa, X=X)
    assert feedback.passed, str(feedback)
    assert "your sample's condition number" in str(feedback)
    centred = X - X.mean(axis=1, keepdims=True)   # np.cov's way: centred, ddof=1
    assert cu.checks.condition_number_prediction(np.linalg.cond(np.cov(centred)), X=X).passed
    assert cu.checks.condition_number_prediction(25, X=X).passed  # the prediction too


def test_27_5_from_a_sample_is_not_called_wrong_but_asked_for_its_features():
    feedback = cu.checks.condition_number_prediction(27.5)
    assert not feedback.passed
    assert "near the exact value" in str(feedback) and "X=X" in str(feedback)
    assert "not the condition number" not in str(feedback)


@pytest.mark.parametrize("seed", range(5))
def test_a_sampled_stability_limit_passes_with_its_features(seed):
    X = _sample(seed)
    H = X @ X.T / X.shape[1]
    feedback = cu.checks.max_stable_learning_rate(cu.lessons.normalization.max_stable_learning_rate(H), X=X)
    assert feedback.passed and "2 / lambda_max of your sample" in str(feedback), str(feedback)
    wrong = cu.checks.max_stable_learning_rate(cu.lessons.normalization.best_learning_rate(H), X=X)
    assert not wrong.passed and "your sample's best rate" in str(wrong), str(wrong)


def test_a_sampled_limit_near_2_over_234_is_not_praised_as_the_best_rate():
    """A sample whose 2 / lambda_max falls within 1% of 2 / 234 (the exact best rate):
    with its features it passes; without them the message says it may be a sample's."""
    X = _sample_with(range(500), lambda H: np.isclose(cu.lessons.normalization.max_stable_learning_rate(H),
                                                       2 / 234, rtol=0.01))
    limit = cu.lessons.normalization.max_stable_learning_rate(X @ X.T / X.shape[1])
    with_x = cu.checks.max_stable_learning_rate(limit, X=X)
    assert with_x.passed and "best rate" not in str(with_x).split("right")[0], str(with_x)
    without = cu.checks.max_stable_learning_rate(limit)
    assert not without.passed and "X=X" in str(without)
    assert "praised" not in str(without) and "✓" not in str(without)


def test_a_sampled_best_rate_near_2_over_225_is_named_as_the_best_rate():
    """Given the features, the sample's own best rate is named even when it lies within 1%
    of the exact limit 2 / 225."""
    X = _sample_with(range(500), lambda H: np.isclose(cu.lessons.normalization.best_learning_rate(H),
                                                       2 / 225, rtol=0.01))
    best = cu.lessons.normalization.best_learning_rate(X @ X.T / X.shape[1])
    feedback = cu.checks.max_stable_learning_rate(best, X=X)
    assert not feedback.passed and "your sample's best rate" in str(feedback)


@pytest.mark.parametrize("X,words", [
    (np.ones((3, 10)), "shape (2, m)"),
    (np.ones((10, 2)), "pass X.T"),
    (np.vstack([np.random.default_rng(0).normal(0, 9, 200),
                np.random.default_rng(1).normal(0, 225, 200)]), "variances 9 and 225"),
    ([[np.nan, 1, 2], [1, 2, 3]], "NaN"),
])
def test_bad_sampled_features_are_named(X, words):
    for checker in (cu.checks.condition_number_prediction, cu.checks.max_stable_learning_rate):
        feedback = checker(1.0, X=X)
        assert not feedback.passed and words in str(feedback), str(feedback)


def test_stub_feedback_does_not_print_the_solution():
    """The stored outputs of the stubs (None) say what to do, never the answer."""
    for feedback in (cu.checks.condition_number_prediction(None),
                     cu.checks.max_stable_learning_rate(None),
                     cu.checks.standardize_with_train_stats(lambda a, b: None)):
        text = str(feedback)
        for answer in ("25", "225", "0.00889", "2 / 225", "(15/3)", "mean(axis=1"):
            assert answer not in text, (answer, text)


# ---------------------------------------------------------------- review of issue 14's fixes
# Correct methods that were rejected, and likely mistakes that got a generic message (or a
# hint that printed the whole solution).


def _as_list(X_train, X_test):
    return list(right_standardize(X_train, X_test))


def _mean_over_axis_0(X_train, X_test):
    mean, std = X_train.mean(axis=0, keepdims=True), X_train.std(axis=0, keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std  # (1, 50) against (3, 20): raises


def _one_mean_for_all(X_train, X_test):
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std


def test_a_list_of_the_two_arrays_is_accepted():
    feedback = cu.checks.standardize_with_train_stats(_as_list)
    assert feedback.passed, str(feedback)


@pytest.mark.parametrize("wrong,words", [
    (_mean_over_axis_0, "one entry per training example"),
    (_mean_over_axis_0, "axis=1"),
    (_one_mean_for_all, "one mean and one std for all the features together"),
])
def test_likely_mistakes_are_named(wrong, words):
    feedback = cu.checks.standardize_with_train_stats(wrong)
    assert not feedback.passed and words in str(feedback), str(feedback)


def test_an_unrecognised_mistake_gets_a_hint_not_the_solution():
    feedback = str(cu.checks.standardize_with_train_stats(
        lambda a, b: (right_standardize(a, b)[0], right_standardize(a, b)[1] + 1)))
    assert "X_test_std differs" in feedback
    assert "return (X_train - mean) / std" not in feedback and "keepdims=True)" not in feedback


def test_a_one_element_array_is_a_number():
    """e.g. kappa = eigenvalues[-1:] / eigenvalues[:1]: an array of shape (1,)."""
    eigenvalues = np.linalg.eigvalsh(np.diag([9.0, 225.0]))
    assert cu.checks.condition_number_prediction(eigenvalues[-1:] / eigenvalues[:1]).passed
    assert cu.checks.max_stable_learning_rate(2 / eigenvalues[-1:]).passed


@pytest.mark.parametrize("seed", range(10))
def test_a_small_honest_sample_is_graded_on_its_own_value(seed):
    """With m = 20 a sample's standard deviations scatter by about 16%: a draw 25% off is
    still an honest draw of std 3 and 15, graded against its own value."""
    X = _sample(seed, m=20)
    kappa = cu.lessons.normalization.condition_number(X @ X.T / X.shape[1])
    feedback = cu.checks.condition_number_prediction(kappa, X=X)
    assert feedback.passed, str(feedback)
    limit = cu.lessons.normalization.max_stable_learning_rate(X @ X.T / X.shape[1])
    assert cu.checks.max_stable_learning_rate(limit, X=X).passed


def test_the_sample_std_is_accepted_as_another_convention():
    """ddof=1 standardizes as well as ddof=0 (the capstone accepts both): it passes, and the
    message says which convention StandardScaler uses."""
    feedback = cu.checks.standardize_with_train_stats(_with_ddof)
    assert feedback.passed
    assert "ddof=1" in str(feedback) and "ddof=0" in str(feedback)
