"""Graders for the exercises of 10_shattered_gradients: the lag-1 correlation of a signal,
and how far white noise's lag-1 correlation strays from 0."""

from __future__ import annotations

import numpy as np

from ..lessons import deeper
from ._core import Mistake, grade, grade_number, number_case, on_inputs

__all__ = ["lag1_correlation", "white_noise_spread"]

# ---------------------------------------------------------------- the lag-1 correlation

# The checker's signals: stationary AR(1) sequences g_i = phi g_{i-1} + noise of N_SIGNAL
# values (the notebook's grid), each with its own mean and standard deviation, so that a
# formula that leaves the mean in or divides by the wrong spread gives a different number.
# (phi, mean, std) of each: smooth, alternating, white.
N_SIGNAL = 256
SIGNALS = ((0.8, 3.0, 2.0), (-0.6, -1.0, 3.0), (0.0, 2.0, 0.5))

# Accepted: anything within LAG1_TOLERANCE of the sample autocorrelation
# (deeper.lag1_correlation: the whole signal's mean and variance). The common conventions
# differ from it by O(1/n): np.corrcoef(g[:-1], g[1:]) (each half with its own mean and
# spread) by the end terms of the sums, the "adjusted" estimator (the mean of the n - 1
# products over the variance, statsmodels' acf(adjusted=True)) by the factor n / (n - 1),
# that is |r| / 256 <= 0.004. On the three signals they all lie within 0.0035 of each other
# (tests/unit/test_checks_shattered.py measures it); 0.01, about 2.5 / n, holds them with a
# margin, and every named mistake lands at least 0.05 away on the first signal. (A random
# walk, whose ends wander far from its mean, would spread the conventions by 0.02 and bring
# the mistakes close: the signals are stationary for that reason.)
LAG1_TOLERANCE = 0.01


def signal(phi: float, mean: float, std: float, seed: int, n: int = N_SIGNAL) -> np.ndarray:
    """A stationary AR(1) sequence of n values with lag-1 correlation phi, the given mean and
    standard deviation (in expectation): (n,)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(n)
    g = np.empty(n)
    g[0] = noise[0] / np.sqrt(1 - phi ** 2)  # started in its stationary distribution
    for i in range(1, n):
        g[i] = phi * g[i - 1] + noise[i]
    return mean + std * np.sqrt(1 - phi ** 2) * g


def _lag1_mistakes(g: np.ndarray) -> list:
    """The known wrong answers on signal g, each with what it is and a hint."""
    centred = g - g.mean()
    products = centred[:-1] * centred[1:]
    raw = g[:-1] * g[1:]
    no_mean = "subtract the signal's mean first: the correlation is about how the values vary around it"
    return [
        Mistake("the lag-0 correlation (the signal against itself)", 1.0,
                "pair each value with its neighbour: g[:-1] against g[1:], not g against g"),
        Mistake("what you get without subtracting the mean", raw.sum() / (g @ g), no_mean),
        Mistake("what you get without subtracting the mean",
                raw.sum() / np.sqrt((g[:-1] @ g[:-1]) * (g[1:] @ g[1:])), no_mean),
        Mistake("the products centred, but divided by the mean square instead of the variance "
                "(the mean left in the denominator)", products.sum() / (g @ g),
                "divide by the sum of the squared deviations from the mean, (g - mean) @ (g - mean)"),
        Mistake("the autocovariance divided by the standard deviation, not the variance",
                products.mean() / g.std(),
                "a correlation divides the covariance by the variance (std squared), so that it "
                "lies in [-1, 1] whatever the signal's scale"),
        Mistake("the autocovariance: not divided by the variance", products.mean(),
                "divide by the variance of the signal, so that the answer lies in [-1, 1] "
                "whatever the signal's scale"),
        Mistake("the autocovariance: not divided by the variance", products.sum() / g.size,
                "divide by the variance of the signal, so that the answer lies in [-1, 1] "
                "whatever the signal's scale"),
    ]


LAG1_HOW = ("return one number: the correlation between each value g[i] and its neighbour "
            "g[i + 1], over the whole signal")


def _lag1_at(g: np.ndarray):
    """The case for fn(g): one number within LAG1_TOLERANCE of the sample autocorrelation."""
    truth = deeper.lag1_correlation(g)
    numbers = number_case(
        truth, rtol=0.0, atol=LAG1_TOLERANCE, mistakes=_lag1_mistakes(g), mistake_rtol=1e-6,
        right="{value:.4f} is right",
        say_mistake="{value:.4g} is {what}",
        say_wrong=("{value:.4g} is not right: the lag-1 correlation of this signal is "
                   "{truth:.4f} (any common convention lands within 0.01 of it)"),
        how_to_answer=LAG1_HOW,
        otherwise="centre the signal (c = g - g.mean()), then divide the sum of the "
                  "neighbours' products, c[:-1] @ c[1:], by the sum of squares c @ c")

    def case(answer):
        got = answer()
        if isinstance(got, np.ndarray) and got.shape == (2, 2):
            return (False, "you returned a 2 x 2 correlation matrix",
                    "np.corrcoef(a, b) gives the matrix [[1, r], [r, 1]]: return the entry [0, 1]")
        return numbers(lambda: got)
    return case


def lag1_correlation(fn):
    """Grade fn(g) -> the lag-1 correlation of the 1-D signal g (n,), one number. Accepted
    within LAG1_TOLERANCE of deeper.lag1_correlation, so that np.corrcoef(g[:-1], g[1:]), the
    normalized autocovariance and its n / (n - 1) adjusted form all pass; known mistakes named."""
    inputs = [(signal(*setting, seed=seed),) for seed, setting in enumerate(SIGNALS)]
    return grade("The lag-1 correlation", [on_inputs(
        inputs, _lag1_at,
        right="your lag-1 correlation is right on a smooth, an alternating and a white signal "
              "(within 0.01 of the sample autocorrelation, which holds np.corrcoef's "
              "convention and the normalized autocovariance's)")], fn)


# ---------------------------------------------------------------- white noise's lag-1 spread

# The exercise: over many draws of N_WHITE independent standard-normal values, what is the
# standard deviation of their lag-1 correlation? About 1 / sqrt(n) (Bartlett's formula for
# an independent sequence); 20,000 draws measure 0.0312 against 1 / sqrt(1024) = 0.03125
# (tests/unit/test_checks_shattered.py). A measurement over k draws scatters by about
# 1 / sqrt(2k) of itself: 20 measurements of 200 draws each gave 0.0287-0.0346, so within
# WHITE_RTOL = 10% a measurement of 2,000 draws (about 1.6%) passes every time.
N_WHITE = 1024
WHITE_RTOL = 0.10


def _white_mistakes() -> list:
    n = N_WHITE
    return [
        Mistake("the variance of the lag-1 correlation (1/n), not its standard deviation",
                1 / n, "take the square root"),
        Mistake("the mean of the lag-1 correlation (about -1/n), not its spread",
                -1 / n, "the question asks how far one draw typically lands from that mean: "
                        "the standard deviation over draws"),
        Mistake("the mean of the lag-1 correlation (close to 0), not its spread", 0.0,
                "the question asks how far one draw typically lands from that mean: "
                "the standard deviation over draws"),
        Mistake("the spread for 256 values, the grid of section 2 (or two standard deviations "
                "for 1,024)", 1 / np.sqrt(256),
                f"the spread shrinks as the signal gets longer: here n = {n:,}"),
    ]


def _white_near(value: float):
    """Values near the answer but outside the tolerance: a measurement with too few draws,
    or a negative spread."""
    truth = 1 / np.sqrt(N_WHITE)
    if value < 0 and abs(-value - truth) <= WHITE_RTOL * truth:
        return (False, f"{value:.4g} is negative", "a standard deviation is positive: drop the sign")
    if abs(value - truth) <= 0.3 * truth:
        return (False, f"{value:.4g} is close, but not within {WHITE_RTOL:.0%} of the answer",
                "if you measured it, use more draws (with k draws the measured standard "
                "deviation itself scatters by about 1 / sqrt(2k) of its value); or work it out "
                "from how the white-noise band of section 2 depends on n")
    return None


def white_noise_spread(answer):
    """Grade a number: the standard deviation, over draws, of the lag-1 correlation of
    N_WHITE white-noise values, 1 / sqrt(N_WHITE), within WHITE_RTOL (so a measurement of a
    few thousand draws passes)."""
    truth = 1 / np.sqrt(N_WHITE)
    return grade_number(
        "White noise's lag-1 spread", answer, truth, rtol=WHITE_RTOL,
        mistakes=_white_mistakes(), mistake_rtol=0.05, accept=_white_near,
        right="{value:.3g} is right: about 1 / sqrt(n), so four times the values halve the "
              "white-noise band",
        how_to_answer=f"answer with one number: the standard deviation, over many draws, of "
                      f"the lag-1 correlation of {N_WHITE:,} white-noise values",
        otherwise="section 2 gives the white-noise band for 256 values; how does it scale "
                  "with n? Or measure it: your lag1 on a few thousand draws of "
                  f"rng.standard_normal({N_WHITE}), then np.std")
