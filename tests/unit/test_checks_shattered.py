"""The graders of 10_shattered_gradients: a right answer passes (every correct method and
convention), the stub is told what to do without the answer, and each known mistake is named."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.checks import shattered
from course_utils.lessons import deeper

# ---------------------------------------------------------------- the lag-1 correlation: right


def lag1_corrcoef(g):
    return np.corrcoef(g[:-1], g[1:])[0, 1]


def lag1_autocovariance(g):
    c = g - g.mean()
    return (c[:-1] @ c[1:]) / (c @ c)


def lag1_adjusted(g):  # the mean of the n - 1 products over the variance (statsmodels' adjusted)
    c = g - g.mean()
    return np.mean(c[:-1] * c[1:]) / np.var(g)


def lag1_halves_centred(g):  # each half centred on its own mean, the whole signal's variance
    a, b = g[:-1] - g[:-1].mean(), g[1:] - g[1:].mean()
    return (a @ b) / np.sum((g - g.mean()) ** 2)


def lag1_np_correlate(g):
    c = g - g.mean()
    full = np.correlate(c, c, mode="full")
    return full[c.size] / full[c.size - 1]


def lag1_in_place(g):  # changes its argument: the grader hands it a copy
    g -= g.mean()
    return float(g[:-1] @ g[1:] / (g @ g))


def lag1_as_array(g):  # a 1-element array, as deeper.autocorrelation(g, 1) returns
    return deeper.autocorrelation(g, 1)


@pytest.mark.parametrize("fn", [lag1_corrcoef, lag1_autocovariance, lag1_adjusted,
                                lag1_halves_centred, lag1_np_correlate, lag1_in_place,
                                lag1_as_array, deeper.lag1_correlation])
def test_lag1_accepts_every_correct_method(fn):
    feedback = cu.checks.lag1_correlation(fn)
    assert feedback, str(feedback)


def test_the_conventions_lie_well_within_the_tolerance_and_the_mistakes_outside_it():
    """The tolerance's justification, measured: on the checker's signals the accepted
    conventions differ from the truth by less than 0.004, and on the first signal every named
    mistake lies more than 0.05 away from the truth (and from the other conventions)."""
    signals = [shattered.signal(*setting, seed=seed)
               for seed, setting in enumerate(shattered.SIGNALS)]
    for g in signals:
        truth = deeper.lag1_correlation(g)
        for fn in (lag1_corrcoef, lag1_adjusted, lag1_halves_centred):
            assert abs(fn(g) - truth) < 0.004 < shattered.LAG1_TOLERANCE
    g = signals[0]
    truth = deeper.lag1_correlation(g)
    for mistake in shattered._lag1_mistakes(g):
        assert abs(mistake.wrong - truth) > 0.05, mistake.what
    # the first signal's values are what its recipe asks for (a smooth signal around 3, std 2)
    assert 0.7 < truth < 0.9 and 2.5 < g.mean() < 3.5 and 1.5 < g.std() < 2.5


# ---------------------------------------------------------------- the lag-1 correlation: mistakes


def lag0(g):
    return np.corrcoef(g, g)[0, 1]


def uncentred(g):
    return (g[:-1] @ g[1:]) / (g @ g)


def uncentred_cosine(g):
    return (g[:-1] @ g[1:]) / np.sqrt((g[:-1] @ g[:-1]) * (g[1:] @ g[1:]))


def mean_square_denominator(g):
    c = g - g.mean()
    return (c[:-1] @ c[1:]) / (g @ g)


def divided_by_std(g):
    c = g - g.mean()
    return np.mean(c[:-1] * c[1:]) / np.std(g)


def autocovariance(g):
    c = g - g.mean()
    return np.mean(c[:-1] * c[1:])


def autocovariance_np_cov(g):
    return np.cov(g[:-1], g[1:], ddof=0)[0, 1]


@pytest.mark.parametrize("fn,what", [
    (lag0, "lag-0"),
    (uncentred, "without subtracting the mean"),
    (uncentred_cosine, "without subtracting the mean"),
    (mean_square_denominator, "mean square instead of the variance"),
    (divided_by_std, "standard deviation, not the variance"),
    (autocovariance, "not divided by the variance"),
    (autocovariance_np_cov, "not divided by the variance"),
])
def test_lag1_names_each_known_mistake(fn, what):
    feedback = cu.checks.lag1_correlation(fn)
    assert not feedback
    assert what in str(feedback), str(feedback)
    assert "hint:" in str(feedback)


def test_lag1_says_what_to_do_with_the_matrix_of_np_corrcoef():
    feedback = cu.checks.lag1_correlation(lambda g: np.corrcoef(g[:-1], g[1:]))
    assert not feedback and "2 x 2" in str(feedback) and "[0, 1]" in str(feedback)


def test_lag1_rejects_an_unknown_wrong_answer_with_the_recipe():
    feedback = cu.checks.lag1_correlation(lambda g: np.corrcoef(g[:-2], g[2:])[0, 1])  # lag 2
    text = str(feedback)
    assert not feedback and "is not right" in text and "c[:-1] @ c[1:]" in text


def test_lag1_stub_is_told_what_to_do_not_the_answer():
    def stub(g):
        return None
    text = str(cu.checks.lag1_correlation(stub))
    assert "expected a number, got NoneType" in text
    assert "return one number" in text and "neighbour" in text
    assert "@" not in text and "corrcoef" not in text and "mean()" not in text


def test_lag1_reports_an_error_in_the_readers_code():
    def raises(g):
        raise NotImplementedError("write me")
    feedback = cu.checks.lag1_correlation(raises)
    assert not feedback and "NotImplementedError" in str(feedback)


# ---------------------------------------------------------------- white noise's lag-1 spread


def test_white_noise_spread_truth_is_what_draws_measure():
    """1 / sqrt(n) is the measured std of white noise's lag-1 correlation: 4,000 draws of
    1,024 values land within 5% of it (the measurement's own scatter is about 1.1%)."""
    rng = np.random.default_rng(0)
    draws = [deeper.lag1_correlation(rng.standard_normal(shattered.N_WHITE)) for _ in range(4000)]
    assert np.std(draws) == pytest.approx(1 / np.sqrt(shattered.N_WHITE), rel=0.05)
    assert cu.checks.white_noise_spread(float(np.std(draws)))


@pytest.mark.parametrize("answer", [1 / 32, 0.03125, np.float32(0.031), 1 / np.sqrt(1023), 0.033])
def test_white_noise_spread_accepts_the_prediction_and_a_measurement(answer):
    assert cu.checks.white_noise_spread(answer)


@pytest.mark.parametrize("answer,what", [
    (1 / 1024, "the variance"),
    (-1 / 1024, "mean"),
    (0, "mean"),
    (1 / 16, "256 values"),
])
def test_white_noise_spread_names_each_known_mistake(answer, what):
    feedback = cu.checks.white_noise_spread(answer)
    assert not feedback and what in str(feedback), str(feedback)


def test_white_noise_spread_near_misses_and_signs():
    feedback = cu.checks.white_noise_spread(0.037)  # 18% high: a measurement with few draws
    assert not feedback and "more draws" in str(feedback)
    feedback = cu.checks.white_noise_spread(-1 / 32)
    assert not feedback and "negative" in str(feedback)
    feedback = cu.checks.white_noise_spread(0.5)
    assert not feedback and "not right" in str(feedback)


def test_white_noise_spread_stub_is_told_what_to_do_not_the_answer():
    for stub in (None, "0.03", [0.03]):
        feedback = cu.checks.white_noise_spread(stub)
        text = str(feedback)
        assert not feedback
        assert "0.031" not in text and "sqrt" not in text
    assert "one number" in str(cu.checks.white_noise_spread(None))


def test_the_notebooks_solutions_pass():
    """The solutions printed in notebook 10 (its <details> block) pass both checkers, the
    measured spread included."""
    import json
    import pathlib
    import re
    path = pathlib.Path(__file__).parents[2] / "notebooks" / "10_shattered_gradients.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    block = next("".join(c["source"]) for c in cells
                 if c["cell_type"] == "markdown" and "<summary>Solutions" in "".join(c["source"]))
    code = re.search(r"```python\n(.*?)```", block, flags=re.S).group(1)
    namespace = {"np": np}
    exec(code, namespace)
    assert cu.checks.lag1_correlation(namespace["lag1"])
    assert cu.checks.white_noise_spread(namespace["white_noise_spread"])
    assert cu.checks.white_noise_spread(namespace["measured"])
