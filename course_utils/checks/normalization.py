"""Graders for the exercises of 01_input_normalization."""

from __future__ import annotations

import re

import numpy as np

from .. import datasets, network, optimizers, training
from ..lessons import normalization as lesson
from ._core import (Mistake, array_case, as_number, describe_difference, form_problem, fresh,
                    grade, known_mistake, matches, number_case, unchanged)
from ._runs import RunMistake, relative_difference, run_case, traced

__all__ = ["standardize_with_train_stats", "condition_number_prediction",
           "max_stable_learning_rate", "standardization_in_run", "plot_standardization_run"]

# ---------------------------------------------------------------- standardize with train statistics


def _scales_case(m_train: int, m_test: int, seed: int):
    """Three features on very different scales and offsets, column layout (3, m)."""
    rng = np.random.default_rng(seed)
    scale = np.array([[0.01], [1.0], [500.0]])
    shift = np.array([[0.2], [-3.0], [1000.0]])
    X_train = rng.standard_normal((3, m_train)) * scale + shift
    X_test = rng.standard_normal((3, m_test)) * scale * 1.5 + shift + scale  # shifted on purpose
    return X_train, X_test


def _standardized(X_train, X_test):
    """The right answer: both sets through the training set's mean and std (as StandardScaler)."""
    scaler = lesson.fit_scaler(X_train)
    return lesson.standardize(X_train, scaler), lesson.standardize(X_test, scaler)


def _standardized_sample_std(X_train, X_test):
    """The same with the sample std (ddof=1): another convention, also right."""
    mean, std = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, ddof=1, keepdims=True)
    return (X_train - mean) / std, (X_test - mean) / std


def _wrong_versions(X_train, X_test) -> list[Mistake]:
    """What typical mistakes return on these sets: Mistake(what the reader did, the pair
    (X_train_std, X_test_std) it gives, the hint)."""
    mean, std = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    overall_mean, overall_std = X_train.mean(), X_train.std()  # one number each, all features
    both = np.hstack([X_train, X_test])
    both_mean, both_std = both.mean(axis=1, keepdims=True), both.std(axis=1, keepdims=True)

    def by_example(X):
        return (X - X.mean(axis=0, keepdims=True)) / X.std(axis=0, keepdims=True)

    def by_own_statistics(X):
        return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)

    return [
        Mistake("standardized each example (column) instead of each feature (row)",
                (by_example(X_train), by_example(X_test)),
                "in column layout a feature is a row: take the mean and std over the examples, "
                "axis=1, keepdims=True"),
        Mistake("standardized the test set with its own mean and std",
                ((X_train - mean) / std, by_own_statistics(X_test)),
                "the test set must go through the training set's numbers: a new example has no "
                "statistics of its own (try one single example)"),
        Mistake("left the test set as it was", ((X_train - mean) / std, X_test),
                "the model only ever saw standardized inputs: transform the test set too, with "
                "the training set's mean and std"),
        Mistake("divided by the variance instead of the standard deviation",
                ((X_train - mean) / std ** 2, (X_test - mean) / std ** 2),
                "divide by the standard deviation, np.std (the square root of the variance)"),
        Mistake("only subtracted the mean", (X_train - mean, X_test - mean),
                "also divide by each feature's standard deviation"),
        Mistake("only divided by the standard deviation", (X_train / std, X_test / std),
                "also subtract each feature's mean first"),
        Mistake("used one mean and one std for all the features together",
                ((X_train - overall_mean) / overall_std, (X_test - overall_mean) / overall_std),
                "each feature (row) needs its own mean and std, over the examples: axis=1, "
                "keepdims=True"),
        Mistake("standardized with the statistics of training and test sets together",
                ((X_train - both_mean) / both_std, (X_test - both_mean) / both_std),
                "the test set stands for data you have not seen: compute the mean and std on "
                "X_train only"),
    ]


# scikit-learn's message when an array's columns do not match what the scaler was fitted on,
# e.g. "X has 20 features, but StandardScaler is expecting 50 features as input."
_SKLEARN_FEATURE_COUNT = re.compile(r"X has \d+ features?, but \w+ is expecting \d+ features?")
_PER_EXAMPLE = ("a mean or std with one entry per training example cannot be applied to the "
                "test set: in column layout a feature is a row, so take them over the examples, "
                "axis=1, keepdims=True (shape (n_x, 1))")
_TRANSPOSE_IN = ("StandardScaler reads rows as examples; here examples are columns. Fit it on "
                 "X_train.T, transform X_test.T, and transpose both results back: "
                 "scaler.transform(X_test.T).T")
# What to do, not the code: the solution is at the end of the notebook.
_WHAT_TO_DO = ("every feature (row) of both sets: subtract the training set's mean of that "
               "feature and divide by its standard deviation (ddof=0), both taken over the "
               "training examples only")


def _known_value_error(error: ValueError, label: str):
    """(False, message, hint) for a ValueError a known mistake raises, else None."""
    # StandardScaler given column-layout arrays: it fits one "feature" per example, and the
    # test set (another number of examples) cannot go through it.
    if _SKLEARN_FEATURE_COUNT.search(str(error)):
        return (False, f"{label}: scikit-learn raised ValueError: {error} (the scaler was "
                "given examples as columns, so it took them for features)", _TRANSPOSE_IN)
    # Statistics over axis 0 have one entry per training example: they cannot be broadcast
    # against a test set of another size.
    if "could not be broadcast" in str(error):
        return False, f"{label}: your code raised ValueError: {error}", _PER_EXAMPLE
    return None


def _transposed_back_forgotten(out, expected):
    """The names of the returned arrays that are the right values in scikit-learn's layout
    (rows as examples), i.e. the .T back to columns was forgotten; None if out is not that."""
    names = []
    for name, got, want in zip(("X_train_std", "X_test_std"), out, expected):
        if matches(got, want):
            continue
        if not matches(got, want.T):
            return None
        names.append(f"{name} has shape {np.shape(got)}")
    return names or None


def _standardize_case(m_train, m_test, seed, label):
    def case(fn):
        X_train, X_test = _scales_case(m_train, m_test, seed)
        originals = X_train.copy(), X_test.copy()
        try:
            out = fn(X_train, X_test)
        except ValueError as error:
            verdict = _known_value_error(error, label)
            if verdict is None:
                raise
            return verdict
        if not isinstance(out, (tuple, list)) or len(out) != 2:  # a list of two is fine too
            return (False, f"{label}: expected a tuple (X_train_std, X_test_std), got "
                    f"{type(out).__name__}",
                    "return both arrays: return X_train_std, X_test_std")
        if not unchanged((X_train, X_test), originals):
            return (False, f"{label}: your function changed X_train or X_test in place",
                    "compute new arrays (X - mean) / std; do not use -= or /= on the inputs")
        expected = _standardized(*originals)
        if matches(out, expected):
            return True, f"{label}: both sets standardized with the training set's statistics", None
        if matches(out, _standardized_sample_std(*originals)):  # as right, by another convention
            m = originals[0].shape[1]
            return (True, f"{label}: both sets standardized with the training set's statistics, "
                    f"with the sample std (ddof=1); StandardScaler divides by m (ddof=0), a "
                    f"factor {np.sqrt(m / (m - 1)):.3f} apart here, which changes nothing that "
                    "matters (the capstone accepts both too)", None)
        transposed = _transposed_back_forgotten(out, expected)
        if transposed:
            return (False, f"{label}: the values are right, but {' and '.join(transposed)}: "
                    f"rows as examples, scikit-learn's layout, not the course's (n_x, m)",
                    "transpose the results back to one example per column: "
                    "scaler.transform(X_test.T).T")
        values = array_case(("X_train_std", "X_test_std"), expected,
                            mistakes=_wrong_versions(*originals),
                            say_mistake=f"{label}: you {{what}}",
                            say_wrong=f"{label}: {{difference}}", otherwise=_WHAT_TO_DO)
        return values(lambda: out)
    return case


def standardize_with_train_stats(fn):
    """Grade fn(X_train, X_test) -> (X_train_std, X_test_std), column layout (n_x, m):
    every feature standardized with the training set's mean and std (as StandardScaler)."""
    cases = [_standardize_case(50, 20, 0, "3 features, 50 training and 20 test examples"),
             _standardize_case(200, 1, 1, "a test set of one single example")]
    return grade("Standardize with the training set's statistics", cases, fn)


# ---------------------------------------------------------------- numbers, exact or measured

# The exercise: linear regression J(w) = 1/(2m) ||w X - y||^2 on two centered, uncorrelated
# features with standard deviations 3 and 15. Exercises 2 and 3 ask for the exact values
# these standard deviations give. A reader who measures them on features drawn from a random
# generator gets a value near, not at, the exact one (the sample's standard deviations and
# chance correlation are not exactly 3, 15 and 0: with m = 200, kappa scatters by about 15%,
# so 27.5 is an ordinary sample). Such a reader passes the features too (X=...) and is graded
# against the sample's own value.
EXERCISE_STDS = (3.0, 15.0)
LAMBDA_MIN, LAMBDA_MAX = np.square(EXERCISE_STDS)  # the Hessian's eigenvalues, 9 and 225
RTOL = 0.01        # an answer within 1% of the exact value is right
NEAR = (0.6, 1.7)  # a value within these factors of the exact one looks like a measurement
PASS_X = ("if you measured it on features you drew, pass them too, e.g. "
          "{name}(your_answer, X=X) with X of shape (2, m), and it is checked against "
          "their own value; otherwise work it out from the two standard deviations alone")


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


def _measured_as(value, sample, measure):
    """Which of the sample's Hessians gives `value` as measure(H) (within RTOL), or None."""
    return next((how for how, H in _sample_hessians(sample).items()
                 if np.isclose(value, measure(H), rtol=RTOL, atol=0)), None)


def _grade_measurable(title: str, answer, X, case, from_sample):
    """Grade one number with `case` (a number_case on the exact value). When the reader
    passed X, the features they measured on, their sample has the first word:
    from_sample(value, sample) -> (ok, message, hint), or None to go on to `case`."""
    if X is None:
        return grade(title, [case], lambda: answer)

    def sample_first(given):
        value, problem, _ = as_number(given)
        if problem:
            return case(given)  # which says what is wrong with the number
        sample, problem = _sample(X)
        if problem:
            return False, problem, "draw two centered features with standard deviations 3 and 15"
        return from_sample(value, sample) or case(given)

    return grade(title, [sample_first], lambda: answer)


def _last_word(X, truth: float, measure, *, exact: str, grader: str, hint: str):
    """number_case's `accept`, its last word before "not right". With the reader's features
    X: the answer is neither the exact {exact} nor their sample's, measure(X X^T / m).
    Without them: an answer near the exact value may be a measurement, so ask for X."""
    def accept(value):
        if X is None:
            if NEAR[0] * truth < value < NEAR[1] * truth:
                return (False, f"{value:,.4g} is near the exact value but not within 1% of it",
                        PASS_X.format(name=f"cu.checks.{grader}"))
            return None
        measured = measure(_sample_hessians(_sample(X)[0])["X X^T / m"])
        return (False, f"{value:,.4g} is neither the exact {exact} nor your sample's "
                f"({measured:,.4g}, from X X^T / m)", hint)
    return accept


# ---------------------------------------------------------------- predict the condition number

KAPPA = LAMBDA_MAX / LAMBDA_MIN
KAPPA_MISTAKES = [
    Mistake("the ratio of the standard deviations", EXERCISE_STDS[1] / EXERCISE_STDS[0],
            "the curvature along w_i is the feature's second moment, E[x_i^2] = std^2 for a "
            "centered feature: square the ratio"),
    Mistake("lambda_max alone", LAMBDA_MAX,
            "divide by lambda_min: kappa = lambda_max / lambda_min"),
    Mistake("lambda_min / lambda_max", LAMBDA_MIN / LAMBDA_MAX,
            "the condition number is the larger curvature over the smaller one: kappa >= 1"),
    Mistake("a standard deviation over a variance", EXERCISE_STDS[1] / LAMBDA_MIN,
            "both curvatures are variances: take the ratio of the two"),
]


def _kappa_from_sample(value, sample):
    """Pass the sample's own condition number."""
    how = _measured_as(value, sample, lesson.condition_number)
    if how is None:
        return None
    return (True, f"{value:,.4g} is your sample's condition number, from {how}: right. The "
            f"exact value for standard deviations 3 and 15 is {KAPPA:,.0f}; a sample's differs "
            f"because its standard deviations and correlation are not exactly 3, 15 and 0", None)


def condition_number_prediction(answer, X=None):
    """Grade a number: the condition number of the Hessian for the exercise's features.

    Without X: the exact value for standard deviations 3 and 15 (within 1%). With X, the
    (2, m) features the reader drew and measured: their own condition number also passes."""
    case = number_case(KAPPA, right=f"condition number {KAPPA:,.0f}: right", rtol=RTOL,
                       mistakes=KAPPA_MISTAKES,
                       how_to_answer="work it out from the two standard deviations and pass "
                                     "the number",
                       accept=_last_word(X, KAPPA, lesson.condition_number,
                                         exact="condition number",
                                         grader="condition_number_prediction",
                                         hint="kappa = lambda_max / lambda_min of H = X X^T / m"),
                       otherwise="H = X X^T / m is diagonal for uncorrelated centered features, "
                                 "with the variances on the diagonal; kappa = largest / smallest")
    return _grade_measurable("Predict the condition number", answer, X, case, _kappa_from_sample)


# ---------------------------------------------------------------- the largest stable learning rate

LIMIT = 2 / LAMBDA_MAX
BEST_RATE_HINT = ("that is the fastest rate; the question asks for the limit above which the "
                  "run diverges")
ALONG_EACH_AXIS = ("along w_i a step multiplies the error by (1 - lr * lambda_i); it must stay "
                   "between -1 and 1 for every i")


def _limit_mistakes(with_sample: bool) -> list[Mistake]:
    """The known wrong limits. Without the reader's features, the best rate's hint adds that
    a sampled 2 / lambda_max can land there too (the two are 4% apart)."""
    best_rate_hint = BEST_RATE_HINT if with_sample else (
        BEST_RATE_HINT + "; " + PASS_X.format(name="cu.checks.max_stable_learning_rate"))
    return [
        Mistake("within 1% of 1 / lambda_max", 1 / LAMBDA_MAX,
                "a step of lr * lambda_max overshoots the minimum along w_2 but still shrinks "
                "the error until lr * lambda_max = 2"),
        Mistake("within 1% of the best rate, 2 / (lambda_min + lambda_max)",
                2 / (LAMBDA_MIN + LAMBDA_MAX), best_rate_hint),
        Mistake("within 1% of 2 / lambda_min", 2 / LAMBDA_MIN,
                "the steepest direction sets the limit: use the largest curvature"),
        Mistake("within 1% of 2 / std", 2 / EXERCISE_STDS[1],
                "the curvature is the variance, std^2, not the std"),
    ]


def _limit_from_sample(value, sample):
    """Pass the sample's own 2 / lambda_max; name its best rate, which may lie near 2 / 225."""
    how = _measured_as(value, sample, lesson.max_stable_learning_rate)
    if how is not None:
        return (True, f"{value:.4g} is 2 / lambda_max of your sample, from {how}: right. The "
                f"exact value for standard deviations 3 and 15 is 2 / {LAMBDA_MAX:,.0f} = "
                f"{LIMIT:.3g}", None)
    how = _measured_as(value, sample, lesson.best_learning_rate)
    if how is not None:
        return (False, f"{value:.4g} is your sample's best rate, 2 / (lambda_min + lambda_max), "
                f"from {how}", BEST_RATE_HINT + ": 2 / lambda_max")
    return None


def max_stable_learning_rate(answer, X=None):
    """Grade a number: the largest stable learning rate for the exercise's raw features.

    Without X: the exact value for standard deviations 3 and 15 (within 1%). With X, the
    (2, m) features the reader drew and measured: their own 2 / lambda_max also passes, and
    their own best rate 2 / (lambda_min + lambda_max) is named as such."""
    case = number_case(LIMIT, right=f"2 / lambda_max = 2 / {LAMBDA_MAX:,.0f} = {LIMIT:.3g}: right",
                       rtol=RTOL, mistakes=_limit_mistakes(with_sample=X is not None),
                       how_to_answer="work it out from the curvatures and pass the number",
                       accept=_last_word(X, LIMIT, lesson.max_stable_learning_rate,
                                         exact="limit", grader="max_stable_learning_rate",
                                         hint=ALONG_EACH_AXIS),
                       otherwise=ALONG_EACH_AXIS)
    return _grade_measurable("The largest stable learning rate", answer, X, case,
                             _limit_from_sample)


# ---------------------------------------------------------------- capstone: your standardization in training
#
# The reader's prepare(X_train, X_test) -> (X_train_std, X_test_std) feeds section 4's network
# [30, 16, 1] (ReLU, He, rng 0) on the breast-cancer set: the grader trains it on the reader's
# training inputs for 50 full-batch steps of plain gradient descent at rate 1 and evaluates it
# on the reader's test inputs, and does the same through the library's pipeline
# (lesson.standardize_train_test: StandardScaler, ddof=0).
#
# Other divisors: the library, like StandardScaler, divides by m (ddof=0); the sample std
# (ddof=1, the default of pandas) is also a standardization, and so is sigma with a small
# guard epsilon, (X - mu) / (sigma + 1e-8) or / sqrt(var + 1e-8). Each gives the library's
# inputs with every feature (row) multiplied by its own factor a_i slightly below 1 (ddof=1:
# sqrt(425/426) = 0.9988 for all; an epsilon: sigma_i / (sigma_i + eps), furthest from 1 on
# the feature of the smallest spread, 0.0023) and the mean still 0. Such inputs are
# recognised by that form (`_divisor_factors`) and accepted when the run stays within
# SCALED_COST_RTOL of the library's at every step (ddof=1: 0.15%; eps = 1e-5: 0.06%; eps =
# 1e-3, a factor 0.70 on the smallest feature, is 3.8% off and refused); the test inputs must
# then go through the same factors.

RUN_LR, RUN_STEPS = 1.0, 50
SCALED_COST_RTOL = 0.01
# The reader's test inputs against the library's: the same to rounding, as a whole array
# (||yours - library|| / ||library||, like the run's parameters): float32 arithmetic, also
# right, is 3e-7 from float64 here, and every known mistake is 1e-2 or more.
TEST_RTOL = 1e-6
TEST_ATOL = 1e-5  # entry by entry, to recognise a known mistake computed in float32 too
SAME_FORM_RTOL = 1e-6  # how closely inputs must follow a_i * (the library's) to be of that form
_DATA = {}


def _capstone_data():
    """(X_train, Y_train, X_test, Y_test, spec, params): the breast-cancer set, section 4's
    network and its start (He, rng 0)."""
    if not _DATA:
        X_train, Y_train, X_test, Y_test = datasets.load_breast_cancer()
        spec = network.Spec((30, 16, 1), activation="relu")
        _DATA["all"] = (X_train, Y_train, X_test, Y_test, spec,
                        network.init_params(spec, "he_normal", rng=0))
    return _DATA["all"]


def _pipeline(fit):
    """A prepare(X_train, X_test) that fits (centre, scale) = fit(statistics' source) and
    applies them to both sets; fit gets (X_train, X_test) and returns the two (n_x, 1) arrays."""
    def prepare(X_train, X_test):
        centre, scale = fit(X_train, X_test)
        return (X_train - centre) / scale, (X_test - centre) / scale
    return prepare


def _mean_std(X, ddof=0):
    return X.mean(axis=1, keepdims=True), X.std(axis=1, ddof=ddof, keepdims=True)


def library_prepare(X_train, X_test):
    """The library's pipeline: both sets through the training set's StandardScaler."""
    X_train_std, X_test_std, _ = lesson.standardize_train_test(X_train, X_test)
    return X_train_std, X_test_std


def _per_example(X_train, X_test):
    def by_example(X):
        return (X - X.mean(axis=0, keepdims=True)) / X.std(axis=0, keepdims=True)
    return by_example(X_train), by_example(X_test)


def _unstandardized(X_train, X_test):
    return X_train, X_test


_LEAK_HINT = ("the test set stands for patients you have not seen: fit mu and sigma on X_train "
              "only. Statistics that saw the test set leak it into training, and the test "
              "accuracy no longer measures how the model does on new data")
RUN_MISTAKES = (
    RunMistake("you standardized each example (column) instead of each feature (row)",
               _per_example, "in column layout a feature is a row: mean and std over the "
                             "examples, axis=1, keepdims=True (shape (30, 1))"),
    RunMistake("you divided by the variance instead of the standard deviation",
               _pipeline(lambda tr, te: (tr.mean(axis=1, keepdims=True),
                                         tr.var(axis=1, keepdims=True))),
               "divide by the standard deviation, np.std (the square root of the variance)"),
    RunMistake("the statistics were fitted on the test set (test-set leakage)",
               _pipeline(lambda tr, te: _mean_std(te)), _LEAK_HINT),
    RunMistake("the statistics were fitted on the training and test sets together "
               "(test-set leakage)", _pipeline(lambda tr, te: _mean_std(np.hstack([tr, te]))),
               _LEAK_HINT),
    RunMistake("you scaled each feature to [0, 1] (min-max scaling), not standardized it",
               _pipeline(lambda tr, te: (tr.min(axis=1, keepdims=True),
                                         np.ptp(tr, axis=1, keepdims=True))),
               "min-max scaled features are all positive, with a common offset, like section "
               "4's 'scaled only' ones, whose steep offset axis capped the learning rate "
               "(centred too, the best rate was 100 times larger). Subtract the mean and "
               "divide by the standard deviation"),
    RunMistake("you only subtracted the mean", _pipeline(lambda tr, te: (
        tr.mean(axis=1, keepdims=True), 1.0)), "also divide by each feature's standard deviation"),
    RunMistake("you only divided by the standard deviation", _pipeline(lambda tr, te: (
        0.0, tr.std(axis=1, keepdims=True))), "also subtract each feature's mean first"),
    RunMistake("you used one mean and one std for all the features together",
               _pipeline(lambda tr, te: (tr.mean(), tr.std())),
               "each feature (row) needs its own mean and std: axis=1, keepdims=True"),
    RunMistake("the training set was not standardized: the network saw the raw features",
               _unstandardized, "return the standardized arrays, not the ones you were given"),
)


_OWN_STATISTICS = Mistake(
    "your test set went through its own mean and std, not the training set's", None,
    "a new patient has no statistics of their own: put every example through the mu and sigma "
    "fitted on X_train, stored with the model")


def _own_statistics(X_test_std, expected) -> bool:
    """True when every feature of the reader's test inputs has mean 0 (the test set was
    centred on its own mean, whatever it was divided by) and the right inputs' do not."""
    try:
        means = np.asarray(X_test_std, dtype=float).mean(axis=1)
    except (TypeError, ValueError):
        return False
    return (np.max(np.abs(means)) < SAME_FORM_RTOL
            and np.max(np.abs(np.asarray(expected).mean(axis=1))) > 1e3 * SAME_FORM_RTOL)


def _test_mistakes(X_test):
    """The known wrong test inputs (with the right training inputs) other than the test
    set's own statistics (`_own_statistics`)."""
    return [
        Mistake("your test set was not standardized", X_test,
                "the network only ever saw standardized inputs: transform the test set with "
                "the training set's mu and sigma"),
    ]


def _run(piece, callback):
    """Train section 4's network on piece(X_train, X_test)[0], short and full batch."""
    X_train, Y_train, X_test, _, spec, params = _capstone_data()
    X_prepared = piece(fresh(X_train), fresh(X_test))[0]
    return training.train(spec, params, X_prepared, Y_train, optimizers.sgd(RUN_LR),
                          steps=RUN_STEPS, callback=callback, callback_every=1, progress=False)


def _accuracy(params, X, Y) -> float:
    spec = _capstone_data()[4]
    with np.errstate(all="ignore"):
        return float(network.accuracy(spec, params, X, Y))


_NO_KEEPDIMS = ("mu and sigma need shape (n_x, 1), one per feature (row), to broadcast over "
                "the examples: X.mean(axis=1, keepdims=True); without keepdims they have "
                "shape (n_x,) and numpy lines them up with the columns")


def _prepare_error(error: ValueError, n_x: int):
    """(False, message, hint) for a ValueError a known mistake of prepare raises, else None."""
    said = str(error)
    if _SKLEARN_FEATURE_COUNT.search(said):
        return (False, f"your code raised ValueError: {said} (the scaler was given examples as "
                "columns, so it took them for features)", _TRANSPOSE_IN)
    if "could not be broadcast" in said:
        hint = _NO_KEEPDIMS if f"({n_x},)" in said else _PER_EXAMPLE
        return False, f"your code raised ValueError: {said}", hint
    return None


def _prepared_form(context):
    def case(fn):
        X_train, _, X_test, _, _, _ = _capstone_data()
        given = fresh((X_train, X_test))
        try:
            with np.errstate(all="ignore"):  # a 0/0 of a wrong formula is said in words below
                out = fn(*given)
        except ValueError as error:
            verdict = _prepare_error(error, X_train.shape[0])
            if verdict is None:
                raise
            return verdict
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return (False, f"prepare returned {type(out).__name__}, expected the pair "
                    "(X_train_std, X_test_std)", "return X_train_std, X_test_std")
        try:
            shapes = tuple(np.shape(got) for got in out)
        except ValueError:  # a ragged list: form_problem says what it is below
            shapes = None
        if shapes == (X_test.shape, X_train.shape):
            return (False, f"prepare returned arrays of shapes {shapes[0]} and {shapes[1]}: the "
                    "test set first", "return them in the order (X_train_std, X_test_std)")
        if shapes == (X_train.shape, X_train.shape):
            return (False, f"both arrays prepare returned have the training set's shape "
                    f"{X_train.shape}; X_test_std should have {X_test.shape}",
                    "the second array is the test set, standardized with the training set's "
                    "mu and sigma")
        for name, got, want in zip(("X_train_std", "X_test_std"), out, (X_train, X_test)):
            problem = form_problem(name, got, want)
            if problem:
                return (False, problem, "both arrays keep the course's layout (30 features, one "
                        "example per column); with StandardScaler, transpose in and out")
            if not np.all(np.isfinite(got)):
                return (False, f"{name} holds NaN or inf", "a standard deviation of 0 comes "
                        "from statistics over the wrong axis or over a single example")
        if not unchanged(given, (X_train, X_test)):
            return (False, "prepare changed X_train or X_test in place",
                    "compute new arrays (X - mu) / sigma; do not use -= or /= on the inputs")
        context["out"] = out
        return True, "returns (X_train_std, X_test_std) in the course's layout", None
    return case


def _divisor_factors(X_train_std, library):
    """The per-feature factors a (shape (n_x, 1)) when the reader's training inputs are the
    library's with every feature multiplied by a_i in (0, 1.05] and still of mean 0 (a
    guard epsilon, ddof=1: another divisor at or above the std), else None. a = 1 (to
    SAME_FORM_RTOL) is the library's own standardization."""
    yours = np.asarray(X_train_std, dtype=float)
    factors = np.mean(yours * library, axis=1, keepdims=True) / np.mean(library ** 2, axis=1,
                                                                         keepdims=True)
    scale = np.linalg.norm(library)
    if (np.linalg.norm(yours - factors * library) > SAME_FORM_RTOL * scale
            or np.max(np.abs(yours.mean(axis=1))) > SAME_FORM_RTOL
            or not np.all((factors > 0) & (factors <= 1.05))):
        return None
    return factors


def _scaled_pipeline(factors):
    """The library's pipeline with every feature multiplied by its factor."""
    def prepare(X_train, X_test):
        return tuple(factors * A for A in library_prepare(X_train, X_test))
    return prepare


def _what_divisor(factors, m: int) -> str:
    """The reader's divisor in words, from its factors."""
    ddof1 = np.sqrt((m - 1) / m)
    if np.allclose(factors, ddof1, rtol=SAME_FORM_RTOL, atol=0):
        return (f"you divided by the sample std (ddof=1); the library, like StandardScaler, "
                f"uses ddof=0, but with {m} examples the two differ by a factor {ddof1:.4f}")
    import sklearn.datasets  # the features' names, as section 4 prints them
    names = sklearn.datasets.load_breast_cancer().feature_names
    worst = int(np.argmin(factors[:, 0]))
    if np.min(factors) < 1 / 1.05:  # far more than an epsilon or a ddof does (the range, say)
        return (f"each feature was divided by {_times_std(1 / factors)} (ddof=0), not by "
                f"the std; most on {names[worst]}")
    return (f"each feature was divided by a number up to {_percent(1 / factors[worst, 0] - 1)} "
            f"larger than its std (ddof=0), as an epsilon added to sigma makes it; most on "
            f"{names[worst]}, whose std is {_capstone_data()[0][worst].std():.2g}")


def _percent(fraction: float) -> str:
    """0.0416 -> '4.2%', 4.3e-6 -> '0.00043%', 43.3 -> '4,333%'."""
    return f"{100 * fraction:.2g}%" if fraction < 1 else f"{100 * fraction:,.0f}%"


def _training_run(context):
    def case(fn):
        X_train, _, X_test, _, _, _ = _capstone_data()
        library_inputs = library_prepare(X_train, X_test)[0]
        factors = _divisor_factors(context["out"][0], library_inputs)
        exact = factors is None or np.allclose(factors, 1, rtol=0, atol=SAME_FORM_RTOL)
        context["factors"] = np.ones((X_train.shape[0], 1)) if exact else factors
        reference = library_prepare if exact else _scaled_pipeline(factors)
        check = run_case(_run, reference, mistakes=RUN_MISTAKES, otherwise=_WHAT_TO_DO,
                         yours="your run (trained on your X_train_std)",
                         right="trained on your X_train_std, the network's run matches the "
                               "library's at every one of {steps} steps (costs and parameters "
                               "within {rtol:g})")
        ok, message, hint = check(lambda: fn)
        context["traces"] = dict(check.traces)
        if not ok or exact:
            return ok, message, hint
        library = traced(_run, library_prepare)  # the library's own run, ddof=0
        context["traces"]["library"] = library
        yours = check.traces["yours"].costs
        apart = float(np.max(np.abs(yours - library.costs) / library.costs))
        said = _what_divisor(factors, X_train.shape[1])
        if apart > SCALED_COST_RTOL:
            return (False, f"{said}; your run is up to {_percent(apart)} from the library's, "
                    f"more than the {SCALED_COST_RTOL:.0%} accepted",
                    "divide by the std itself, np.std's default ddof=0 as StandardScaler does; "
                    "an epsilon guarding against sigma = 0 must be far below the smallest std "
                    "(1e-8, say), or np.where(sigma == 0, 1, sigma)")
        return (True, f"{said}, and every cost of the run is within {_percent(apart)} of the "
                f"library's (accepted within {SCALED_COST_RTOL:.0%})", None)
    return case


def _largest_tumours(X_test, count=20):
    """The columns of the `count` largest mean radii: a batch from a specialist clinic."""
    return np.argsort(-X_test[0])[:count]


def _same_inputs(got, expected) -> bool:
    """The same array to rounding (TEST_RTOL, as a whole); never an error."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return relative_difference(got, expected) <= TEST_RTOL


def _test_inputs(context):
    def case(fn):
        X_train, _, X_test, Y_test, _, _ = _capstone_data()
        factors = context["factors"]
        expected = factors * library_prepare(X_train, X_test)[1]
        yours = context["traces"]["yours"].history.params
        library = context["traces"]["library"].history.params
        largest = _largest_tumours(X_test)
        with np.errstate(all="ignore"):
            batch = fn(fresh(X_train), X_test[:, largest].copy())[1]
        accuracy = {"library": _accuracy(library, library_prepare(X_train, X_test)[1], Y_test),
                    "yours": _accuracy(yours, context["out"][1], Y_test),
                    "library, 20 largest": _accuracy(library, expected[:, largest],
                                                     Y_test[:, largest]),
                    "yours, 20 largest": _accuracy(yours, np.asarray(batch, dtype=float),
                                                   Y_test[:, largest])}
        context["accuracy"] = accuracy
        scores = (f"test accuracy after {RUN_STEPS} steps {accuracy['yours']:.2f} (the "
                  f"library's {accuracy['library']:.2f}); on a batch of the 20 largest tumours "
                  f"alone {accuracy['yours, 20 largest']:.2f} (the library's "
                  f"{accuracy['library, 20 largest']:.2f})")
        test_ok = _same_inputs(context["out"][1], expected)
        batch_ok = _same_inputs(batch, expected[:, largest])
        if test_ok and batch_ok:
            return True, f"the test set went through the training set's numbers: {scores}", None
        if test_ok:
            return (False, f"the whole test set is right, but a batch of the 20 largest tumours "
                    f"is not: {scores}", "a batch must go through the training set's mu and "
                    "sigma like any other example: never compute statistics on it")
        mistake = (_OWN_STATISTICS if _own_statistics(context["out"][1], expected) else
                   known_mistake(context["out"][1], _test_mistakes(X_test), rtol=TEST_RTOL,
                                 atol=TEST_ATOL))
        if mistake is not None:
            return False, f"{mistake.what}: {scores}", mistake.hint
        other_divisor = _other_test_divisor(context["out"][1], expected, factors)
        if other_divisor is not None:
            return (False, f"{other_divisor}: {scores}", "divide the test set by the very "
                    "number you divided the training set by: the same ddof, the same epsilon")
        entrywise, difference = describe_difference("X_test_std", context["out"][1], expected,
                                                    rtol=TEST_RTOL, atol=TEST_ATOL)
        if entrywise:  # every entry within TEST_ATOL, yet as a whole more than TEST_RTOL off
            return (False, _close_not_same(context["out"][1], expected) + f": {scores}",
                    "close is not enough here: put the test set through the very same mu and "
                    "sigma as the training set, unrounded, with the same divisor (the same "
                    "ddof, the same epsilon, if any)")
        return (False, f"{difference}: {scores}", "the test set goes through the same mu and "
                "sigma as the training set, the ones fitted on X_train")
    return case


def _other_test_divisor(got, expected, factors):
    """Words for test inputs that are the right ones with each feature multiplied by its own
    factor (to SAME_FORM_RTOL): the test set divided by another number than the training
    set (e.g. sigma for the test set, sigma + 1e-8 for the training set). None otherwise."""
    try:
        got = np.asarray(got, dtype=float)
        ratio = np.sum(got * expected, axis=1, keepdims=True) / np.sum(expected ** 2, axis=1,
                                                                      keepdims=True)
    except (TypeError, ValueError):
        return None
    if (got.shape != expected.shape or not np.all(np.isfinite(ratio) & (ratio > 0))
            or np.linalg.norm(got - ratio * expected) > SAME_FORM_RTOL * np.linalg.norm(expected)
            or np.allclose(ratio, 1, rtol=0, atol=SAME_FORM_RTOL)):
        return None
    train_divisor = 1 / factors  # the training set's divisor, per feature, in units of the std
    test_divisor = train_divisor / ratio
    # Only what an epsilon or a ddof makes: each divisor at or a little above the std. Any
    # other rescaling (the test set's own std, a pooled std, no division) is another mistake.
    for divisor in (train_divisor, test_divisor):
        if not np.all((divisor > 1 - SAME_FORM_RTOL) & (divisor < 1.05)):
            return None
    return ("your test set was divided by another number than your training set: the "
            f"training set by {_times_std(train_divisor)}, the test set by "
            f"{_times_std(test_divisor)}")


def _times_std(divisors) -> str:
    """Per-feature divisors, in units of each feature's std (ddof=0), in words, with enough
    digits to tell them from 1: 'the std itself', '1.0012 times the std', '1 to 1.0000043
    times the std'."""
    low, high = float(np.min(divisors)), float(np.max(divisors))
    digits = max(3, int(np.ceil(-np.log10(max(abs(high - 1), abs(low - 1), 1e-12)))) + 1)

    def show(x):
        return f"{x:.{digits}f}".rstrip("0").rstrip(".")

    if show(low) == show(high):
        return "the std itself" if show(low) == "1" else f"{show(low)} times the std"
    return f"{show(low)} to {show(high)} times the std"


def _close_not_same(got, expected) -> str:
    """The test inputs are within TEST_ATOL of the right ones entry by entry, but more than
    TEST_RTOL from them as a whole (rounded, or through a slightly other divisor): say so,
    with the largest difference."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    diff = np.abs(got - expected)
    where = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
    at = tuple(int(i) for i in where)
    return (f"X_test_std is close to the library's but not the same: every entry is within about "
            f"{TEST_ATOL:g} of it, yet as a whole it is {relative_difference(got, expected):.2g} "
            f"away (relative), more than the {TEST_RTOL:g} accepted; the largest difference is "
            f"at {at}: you have {got[where]:.8g}, expected {expected[where]:.8g}")


def standardization_in_run(prepare):
    """Grade prepare(X_train, X_test) -> (X_train_std, X_test_std) in a training run.

    Section 4's network [30, 16, 1] (ReLU, He, rng 0) trains on your X_train_std for 50
    full-batch steps at rate 1 and is compared step by step with the library's pipeline
    (costs and parameters within 1e-6); then your X_test_std, and a batch of the 20 largest
    tumours prepared alone, must equal the library's (relative 1e-6, TEST_RTOL), and the test
    accuracies are reported. Another divisor close to the std, the sample std (ddof=1) or
    sigma with a small guard epsilon, is accepted when its run stays within 1% of the
    library's (ddof=0) at every step, and its test inputs go through the same divisor."""
    context = {}
    feedback = grade("Your standardization in a training run",
                     [_prepared_form(context), _training_run(context), _test_inputs(context)],
                     prepare)
    feedback.traces = context.get("traces", {})
    feedback.accuracy = context.get("accuracy", {})
    return feedback


def plot_standardization_run(feedback):
    """Your run's cost beside the library's (left) and the test accuracies (right): the
    whole test set, and a batch of the 20 largest tumours prepared alone. Returns the axes."""
    import matplotlib.pyplot as plt

    from ..plotting import COLOURS
    _, axes = plt.subplots(1, 2, figsize=(11, 3.4), layout="constrained",
                           gridspec_kw={"width_ratios": [1.2, 1]})
    traces, accuracy = getattr(feedback, "traces", {}), getattr(feedback, "accuracy", {})
    styles = {"library": ("the library's pipeline", dict(color=COLOURS["reference"], lw=3,
                                                         alpha=0.5)),
              "yours": ("yours", dict(color=COLOURS["yours"], lw=1.3, ls="--"))}
    for name, (label, style) in styles.items():
        if name in traces:
            axes[0].semilogy(traces[name].costs, label=label, **style)
    axes[0].set(xlabel="step", ylabel="cost", title=f"training on your inputs (rate {RUN_LR:g})")
    if traces:
        axes[0].legend(fontsize=8)
    else:
        axes[0].text(0.5, 0.5, "no run to show: the grader stopped before training",
                     transform=axes[0].transAxes, ha="center")
    if accuracy:
        names = list(accuracy)
        colours = [COLOURS["yours"] if n.startswith("yours") else COLOURS["reference"]
                   for n in names]
        bars = axes[1].barh(range(len(names)), [accuracy[n] for n in names], color=colours,
                            hatch=["//" if n.startswith("yours") else "" for n in names])
        axes[1].bar_label(bars, fmt="%.2f", fontsize=8)
        shown = {"library": "library's, test set", "yours": "yours, test set",
                 "library, 20 largest": "library's, 20 largest", "yours, 20 largest":
                 "yours, 20 largest"}
        axes[1].set_yticks(range(len(names)), [shown.get(n, n) for n in names], fontsize=8)
        axes[1].invert_yaxis()
    axes[1].set(xlim=(0, 1.15), xlabel="test accuracy", title=f"after {RUN_STEPS} steps")
    return axes
