"""Graders for the exercises of 01_input_normalization."""

from __future__ import annotations

import re

import numpy as np

from ..lessons import normalization as lesson
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
        "used one mean and one std for all the features together":
            (((X_train - X_train.mean()) / X_train.std(), (X_test - X_train.mean()) / X_train.std()),
             "each feature (row) needs its own mean and std, over the examples: axis=1, "
             "keepdims=True"),
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
_PER_EXAMPLE = ("a mean or std with one entry per training example cannot be applied to the "
                "test set: in column layout a feature is a row, so take them over the examples, "
                "axis=1, keepdims=True (shape (n_x, 1))")
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
            # Statistics over axis 0 have one entry per training example: they cannot be
            # broadcast against a test set of another size.
            if "could not be broadcast" in str(error):
                return (False, f"{label}: your code raised ValueError: {error}",
                        _PER_EXAMPLE)
            raise
        if not isinstance(out, (tuple, list)) or len(out) != 2:  # a list of two is fine too
            return (False, f"{label}: expected a tuple (X_train_std, X_test_std), got "
                    f"{type(out).__name__}",
                    "return both arrays: return X_train_std, X_test_std")
        if not (np.array_equal(X_train, originals[0]) and np.array_equal(X_test, originals[1])):
            return (False, f"{label}: your function changed X_train or X_test in place",
                    "compute new arrays (X - mean) / std; do not use -= or /= on the inputs")
        scaler = lesson.fit_scaler(originals[0])
        expected = (lesson.standardize(originals[0], scaler), lesson.standardize(originals[1], scaler))
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
                # What to do, not the code: the solution is at the end of the notebook.
                return (False, f"{label}: {message}",
                        "every feature (row) of both sets: subtract the training set's mean of "
                        "that feature and divide by its standard deviation (ddof=0), both "
                        "taken over the training examples only")
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
# features with standard deviations 3 and 15. Exercises 2 and 3 ask for the exact values
# these standard deviations give. A reader who measures them on features drawn from a random
# generator gets a value near, not at, the exact one (the sample's standard deviations and
# chance correlation are not exactly 3, 15 and 0: with m = 200, kappa scatters by about 15%,
# so 27.5 is an ordinary sample). Such a reader passes the features too (X=...) and is graded
# against the sample's own value.
EXERCISE_STDS = (3.0, 15.0)
RTOL = 0.01        # an answer within 1% of the exact value is right
NEAR = (0.6, 1.7)  # a value within these factors of the exact one looks like a measurement
PASS_X = ("if you measured it on features you drew, pass them too, e.g. "
          "{name}(your_answer, X=X) with X of shape (2, m), and it is checked against "
          "their own value; otherwise work it out from the two standard deviations alone")


def _number(value):
    if callable(value):
        value = value()
    if isinstance(value, np.ndarray) and value.size == 1:  # e.g. ev[-1:] / ev[:1]
        value = value.item()
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"expected a number, got {type(value).__name__}"


def _sample(X):
    """The reader's sampled features as a float (2, m) array, or (None, what is wrong)."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None, f"X must be an array of shape (2, m), got {type(X).__name__}"
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] < 3:
        hint = " (examples are columns here: pass X.T)" if X.ndim == 2 and X.shape[1] == 2 else ""
        return None, f"X must have shape (2, m), one example per column, got {X.shape}{hint}"
    if not np.all(np.isfinite(X)):
        return None, "X contains NaN or inf"
    stds = X.std(axis=1)
    # The log of a sample's std scatters by about 1/sqrt(2m): allow 5 such spreads (at least
    # a factor 1.25), so that an honest draw passes while, from m = 20 on, the variances
    # (3 and 15 times too large) do not.
    factor = max(1.25, float(np.exp(5 / np.sqrt(2 * X.shape[1]))))
    def near(got, want):
        return want / factor < got < want * factor
    if not all(near(got, want) for got, want in zip(stds, EXERCISE_STDS)):
        variances = all(near(got, want ** 2) for got, want in zip(stds, EXERCISE_STDS))
        return None, (f"your X's features have standard deviations {stds[0]:.3g} and "
                      f"{stds[1]:.3g}, not about 3 and 15" +
                      (" (you passed the variances 9 and 225 where the generator wants "
                       "standard deviations)" if variances else ""))
    return X, None


def _sample_hessians(X):
    """The Hessians a correct measurement may use: X X^T / m as in section 2, and the
    covariance (centred; divided by m or m - 1)."""
    m = X.shape[1]
    centred = X - X.mean(axis=1, keepdims=True)
    return {"X X^T / m": X @ X.T / m, "the covariance (ddof=0)": centred @ centred.T / m,
            "the covariance (ddof=1)": centred @ centred.T / (m - 1)}


def _close(value, truth, rtol=RTOL) -> bool:
    return bool(np.isclose(value, truth, rtol=rtol, atol=0))


def condition_number_prediction(answer, X=None):
    """Grade a number: the condition number of the Hessian for the exercise's features.

    Without X: the exact value for standard deviations 3 and 15 (within 1%). With X, the
    (2, m) features the reader drew and measured: their own condition number also passes."""
    low, high = EXERCISE_STDS
    truth = (high / low) ** 2
    name = "cu.checks.condition_number_prediction"

    def case(value):
        value, problem = _number(value)
        if problem:
            return False, problem, "work it out from the two standard deviations and pass the number"
        if X is not None:
            sample, problem = _sample(X)
            if problem:
                return False, problem, "draw two centered features with standard deviations 3 and 15"
            for how, H in _sample_hessians(sample).items():
                measured = lesson.condition_number(H)
                if _close(value, measured):
                    return (True, f"{value:,.4g} is your sample's condition number, from {how}: "
                            f"right. The exact value for standard deviations 3 and 15 is "
                            f"{truth:,.0f}; a sample's differs because its standard deviations "
                            f"and correlation are not exactly 3, 15 and 0", None)
        if _close(value, truth):
            return True, f"condition number {truth:,.0f}: right", None
        wrong = {
            high / low: ("the ratio of the standard deviations",
                         "the curvature along w_i is the feature's second moment, E[x_i^2] = "
                         "std^2 for a centered feature: square the ratio"),
            high ** 2: ("lambda_max alone", "divide by lambda_min: kappa = lambda_max / lambda_min"),
            low ** 2 / high ** 2: ("lambda_min / lambda_max", "the condition number is the "
                                   "larger curvature over the smaller one: kappa >= 1"),
            high / low ** 2: ("a standard deviation over a variance", "both curvatures are variances: "
                              "take the ratio of the two"),
        }
        for wrong_value, (what, hint) in wrong.items():
            if _close(value, wrong_value):
                return False, f"{value:,.4g} is {what}", hint
        if X is not None:
            measured = lesson.condition_number(_sample_hessians(sample)["X X^T / m"])
            return (False, f"{value:,.4g} is neither the exact condition number nor your "
                    f"sample's ({measured:,.4g}, from X X^T / m)",
                    "kappa = lambda_max / lambda_min of H = X X^T / m")
        if NEAR[0] * truth < value < NEAR[1] * truth:
            return (False, f"{value:,.4g} is near the exact value but not within 1% of it",
                    PASS_X.format(name=name))
        return (False, f"{value:,.4g} is not the condition number",
                "H = X X^T / m is diagonal for uncorrelated centered features, with the "
                "variances on the diagonal; kappa = largest / smallest")
    return grade("Predict the condition number", [case], lambda: answer)


def max_stable_learning_rate(answer, X=None):
    """Grade a number: the largest stable learning rate for the exercise's raw features.

    Without X: the exact value for standard deviations 3 and 15 (within 1%). With X, the
    (2, m) features the reader drew and measured: their own 2 / lambda_max also passes, and
    their own best rate 2 / (lambda_min + lambda_max) is named as such."""
    low, high = EXERCISE_STDS
    lam_min, lam_max = low ** 2, high ** 2
    truth = 2 / lam_max
    name = "cu.checks.max_stable_learning_rate"

    def case(value):
        value, problem = _number(value)
        if problem:
            return False, problem, "work it out from the curvatures and pass the number"
        if X is not None:  # the sample's own values first: its best rate may lie near 2 / 225
            sample, problem = _sample(X)
            if problem:
                return False, problem, "draw two centered features with standard deviations 3 and 15"
            hessians = _sample_hessians(sample)
            for how, H in hessians.items():
                limit = lesson.max_stable_learning_rate(H)
                if _close(value, limit):
                    return (True, f"{value:.4g} is 2 / lambda_max of your sample, from {how}: "
                            f"right. The exact value for standard deviations 3 and 15 is "
                            f"2 / {lam_max:,.0f} = {truth:.3g}", None)
            for how, H in hessians.items():
                if _close(value, lesson.best_learning_rate(H)):
                    return (False, f"{value:.4g} is your sample's best rate, 2 / (lambda_min + "
                            f"lambda_max), from {how}",
                            "that is the fastest rate; the question asks for the limit above "
                            "which the run diverges: 2 / lambda_max")
        if _close(value, truth):
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
        for wrong_value, (what, hint) in wrong.items():
            if _close(value, wrong_value):
                if X is None and wrong_value == 2 / (lam_min + lam_max):
                    # A sampled 2 / lambda_max can land here too (the two are 4% apart).
                    hint += "; " + PASS_X.format(name=name)
                return False, f"{value:.4g} is within 1% of {what}", hint
        if X is not None:
            limit = lesson.max_stable_learning_rate(hessians["X X^T / m"])
            return (False, f"{value:.4g} is neither the exact limit nor your sample's "
                    f"({limit:.4g}, from X X^T / m)",
                    "along w_i a step multiplies the error by (1 - lr * lambda_i); it must "
                    "stay between -1 and 1 for every i")
        if NEAR[0] * truth < value < NEAR[1] * truth:
            return (False, f"{value:.4g} is near the exact limit but not within 1% of it",
                    PASS_X.format(name=name))
        return (False, f"{value:.4g} is not the largest stable learning rate",
                "along w_i a step multiplies the error by (1 - lr * lambda_i); it must stay "
                "between -1 and 1 for every i")
    return grade("The largest stable learning rate", [case], lambda: answer)
