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
    (_with_ddof, "ddof=0"),
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
    ("0.0089", True, "right"),
    ([0.1], False, "expected a number"),
])
def test_max_stable_learning_rate(answer, ok, words):
    feedback = cu.checks.max_stable_learning_rate(answer)
    assert feedback.passed == ok
    assert words in str(feedback), str(feedback)


def test_exercise_answers_match_the_library():
    """The graders' truths are what cu.scaling computes for such features."""
    H = np.diag(np.square(cu.checks.normalization.EXERCISE_STDS))
    assert cu.checks.condition_number_prediction(cu.scaling.condition_number(H)).passed
    assert cu.checks.max_stable_learning_rate(cu.scaling.max_stable_learning_rate(H)).passed


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
