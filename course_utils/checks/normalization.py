"""Graders for the exercises of 01_input_normalization."""

from __future__ import annotations

import re

import numpy as np

from .. import scaling
from ._core import describe_difference, grade

__all__ = ["standardize_with_train_stats", "condition_number_prediction",
           "max_stable_learning_rate"]

# ---------------------------------------------------------------- standardize with train statistics


def _scales_case(m_train: int, m_test: int, seed: int):
    """Three features on very different scales and offsets, column layout (3, m)."""
    rng = np.random.default_rng(seed)
    scale = np.array([[0.01], [1.0], [500.0]])
    shift = np.array([[0.2], [-3.0], [1000.0]])
    X_train = rng.standard_normal((3, m_train)) * scale + shift
    X_test = rng.standard_normal((3, m_test)) * scale * 1.5 + shift + scale  # shifted on purpose
    return X_train, X_test


def _wrong_versions(X_train, X_test):
    """What typical mistakes return, with the hint for each."""
    mean, std = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    def by_example(X):
        return (X - X.mean(axis=0, keepdims=True)) / X.std(axis=0, keepdims=True)
    return {
        "standardized each example (column) instead of each feature (row)":
            ((by_example(X_train), by_example(X_test)),
             "in column layout a feature is a row: take the mean and std over the examples, "
             "axis=1, keepdims=True"),
        "standardized the test set with its own mean and std":
            (((X_train - mean) / std,
              (X_test - X_test.mean(axis=1, keepdims=True)) / X_test.std(axis=1, keepdims=True)),
             "the test set must go through the training set's numbers: a new example has no "
             "statistics of its own (try one single example)"),
        "left the test set as it was":
            (((X_train - mean) / std, X_test),
             "the model only ever saw standardized inputs: transform the test set too, with "
             "the training set's mean and std"),
        "divided by the variance instead of the standard deviation":
            (((X_train - mean) / std ** 2, (X_test - mean) / std ** 2),
             "divide by the standard deviation, np.std (the square root of the variance)"),
        "used the sample std (ddof=1)":
            (((X_train - mean) / X_train.std(axis=1, ddof=1, keepdims=True),
              (X_test - mean) / X_train.std(axis=1, ddof=1, keepdims=True)),
             "StandardScaler divides by m, not m - 1: use np.std's default (ddof=0)"),
        "only subtracted the mean":
            (((X_train - mean), (X_test - mean)),
             "also divide by each feature's standard deviation"),
        "only divided by the standard deviation":
            ((X_train / std, X_test / std), "also subtract each feature's mean first"),
        "standardized with the statistics of training and test sets together":
            ((lambda both: ((X_train - both.mean(axis=1, keepdims=True)) / both.std(axis=1, keepdims=True),
                            (X_test - both.mean(axis=1, keepdims=True)) / both.std(axis=1, keepdims=True)))(
                np.hstack([X_train, X_test])),
             "the test set stands for data you have not seen: compute the mean and std on "
             "X_train only"),
    }


def _matches(got, expected) -> bool:
    try:
        return all(np.asarray(g, dtype=float).shape == e.shape and
                   np.allclose(np.asarray(g, dtype=float), e, rtol=1e-6, atol=1e-9)
                   for g, e in zip(got, expected))
    except (TypeError, ValueError):
        return False


# scikit-learn's message when an array's columns do not match what the scaler was fitted on,
# e.g. "X has 20 features, but StandardScaler is expecting 50 features as input."
_SKLEARN_FEATURE_COUNT = re.compile(r"X has \d+ features?, but \w+ is expecting \d+ features?")
_TRANSPOSE_IN = ("StandardScaler reads rows as examples; here examples are columns. Fit it on "
                 "X_train.T, transform X_test.T, and transpose both results back: "
                 "scaler.transform(X_test.T).T")


def _transposed_back_forgotten(out, expected):
    """The names of the returned arrays that are the right values in scikit-learn's layout
    (rows as examples), i.e. the .T back to columns was forgotten; None if out is not that."""
    names = []
    for name, got, want in zip(("X_train_std", "X_test_std"), out, expected):
        got = np.asarray(got, dtype=float)
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-9):
            continue
        if got.shape == want.T.shape and np.allclose(got, want.T, rtol=1e-6, atol=1e-9):
            names.append(f"{name} has shape {got.shape}")
        else:
            return None
    return names or None


def _standardize_case(m_train, m_test, seed, label):
    def case(fn):
        X_train, X_test = _scales_case(m_train, m_test, seed)
        originals = X_train.copy(), X_test.copy()
        try:
            out = fn(X_train, X_test)
        except ValueError as error:
            # StandardScaler given column-layout arrays: it fits one "feature" per example,
            # and the test set (another number of examples) cannot go through it.
            if _SKLEARN_FEATURE_COUNT.search(str(error)):
                return (False, f"{label}: scikit-learn raised ValueError: {error} (the "
                        "scaler was given examples as columns, so it took them for features)",
                        _TRANSPOSE_IN)
            raise
        if not isinstance(out, tuple) or len(out) != 2:
            return (False, f"{label}: expected a tuple (X_train_std, X_test_std), got "
                    f"{type(out).__name__}",
                    "return both arrays: return X_train_std, X_test_std")
        if not (np.array_equal(X_train, originals[0]) and np.array_equal(X_test, originals[1])):
            return (False, f"{label}: your function changed X_train or X_test in place",
                    "compute new arrays (X - mean) / std; do not use -= or /= on the inputs")
        scaler = scaling.fit_scaler(originals[0])
        expected = (scaling.standardize(originals[0], scaler), scaling.standardize(originals[1], scaler))
        if _matches(out, expected):
            return True, f"{label}: both sets standardized with the training set's statistics", None
        try:
            transposed = _transposed_back_forgotten(out, expected)
        except (TypeError, ValueError):
            transposed = None
        if transposed:
            return (False, f"{label}: the values are right, but {' and '.join(transposed)}: "
                    f"rows as examples, scikit-learn's layout, not the course's (n_x, m)",
                    "transpose the results back to one example per column: "
                    "scaler.transform(X_test.T).T")
        for mistake, (wrong, hint) in _wrong_versions(*originals).items():
            if _matches(out, wrong):
                return False, f"{label}: you {mistake}", hint
        for name, got, want in (("X_train_std", out[0], expected[0]), ("X_test_std", out[1], expected[1])):
            ok, message = describe_difference(name, got, want)
            if not ok:
                return (False, f"{label}: {message}",
                        "mean = X_train.mean(axis=1, keepdims=True), std = X_train.std(axis=1, "
                        "keepdims=True); return (X_train - mean) / std, (X_test - mean) / std")
        return False, f"{label}: not the expected result", None
    return case


def standardize_with_train_stats(fn):
    """Grade fn(X_train, X_test) -> (X_train_std, X_test_std), column layout (n_x, m):
    every feature standardized with the training set's mean and std (as StandardScaler)."""
    cases = [_standardize_case(50, 20, 0, "3 features, 50 training and 20 test examples"),
             _standardize_case(200, 1, 1, "a test set of one single example")]
    return grade("Standardize with the training set's statistics", cases, fn)


# ---------------------------------------------------------------- predict the condition number

# The exercise: linear regression J(w) = 1/(2m) ||w X - y||^2 on two centered, uncorrelated
# features with standard deviations 3 and 15.
EXERCISE_STDS = (3.0, 15.0)


def _number(value):
    if callable(value):
        value = value()
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"expected a number, got {type(value).__name__}"


def condition_number_prediction(answer):
    """Grade a number: the condition number of the Hessian for the exercise's features."""
    low, high = EXERCISE_STDS
    truth = (high / low) ** 2

    def case(value):
        value, problem = _number(value)
        if problem:
            return False, problem, "compute it from the two standard deviations and pass the number"
        if np.isclose(value, truth, rtol=0.01):
            return True, f"condition number {truth:,.0f}: right", None
        wrong = {
            high / low: ("the ratio of the standard deviations",
                         "the curvature along w_i is the feature's second moment, E[x_i^2] = "
                         "std^2 for a centered feature: square the ratio"),
            high ** 2: ("lambda_max alone", "divide by lambda_min: kappa = lambda_max / lambda_min"),
            low ** 2 / high ** 2: ("lambda_min / lambda_max", "the condition number is the "
                                   "larger curvature over the smaller one: kappa >= 1"),
            high / low ** 2: ("a standard deviation over a variance", "both curvatures are variances: "
                              "(15^2) / (3^2)"),
        }
        for wrong_value, (name, hint) in wrong.items():
            if np.isclose(value, wrong_value, rtol=0.01):
                return False, f"{value:,.4g} is {name}", hint
        return (False, f"{value:,.4g} is not the condition number",
                "H = X X^T / m is diagonal for uncorrelated centered features, with the "
                "variances on the diagonal; kappa = largest / smallest")
    return grade("Predict the condition number", [case], lambda: answer)


def max_stable_learning_rate(answer):
    """Grade a number: the largest stable learning rate for the exercise's raw features."""
    low, high = EXERCISE_STDS
    lam_min, lam_max = low ** 2, high ** 2
    truth = 2 / lam_max

    def case(value):
        value, problem = _number(value)
        if problem:
            return False, problem, "compute it from the curvatures and pass the number"
        if np.isclose(value, truth, rtol=0.01):
            return True, f"2 / lambda_max = 2 / {lam_max:,.0f} = {truth:.3g}: right", None
        wrong = {
            1 / lam_max: ("1 / lambda_max", "a step of lr * lambda_max overshoots the minimum "
                          "along w_2 but still shrinks the error until lr * lambda_max = 2"),
            2 / (lam_min + lam_max): ("the best rate, 2 / (lambda_min + lambda_max)",
                                      "that is the fastest rate; the question asks for the limit "
                                      "above which the run diverges"),
            2 / lam_min: ("2 / lambda_min", "the steepest direction sets the limit: use the "
                          "largest curvature"),
            2 / high: ("2 / std", "the curvature is the variance, std^2, not the std"),
        }
        for wrong_value, (name, hint) in wrong.items():
            if np.isclose(value, wrong_value, rtol=0.01):
                return False, f"{value:.4g} is {name}", hint
        return (False, f"{value:.4g} is not the largest stable learning rate",
                "along w_i a step multiplies the error by (1 - lr * lambda_i); it must stay "
                "between -1 and 1 for every i")
    return grade("The largest stable learning rate", [case], lambda: answer)
