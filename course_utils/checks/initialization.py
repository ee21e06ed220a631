"""Graders for the exercises of 03_initialization."""

from __future__ import annotations

import numpy as np

from ._core import Mistake, array_case, grade, grade_number, known_mistake, on_inputs

# ---------------------------------------------------------------- He initialization


def _he_shape(fn):
    W = fn(50, 30, np.random.default_rng(0))
    if not isinstance(W, np.ndarray):
        return (False, f"he_init(50, 30, rng) should return a numpy array, got {type(W).__name__}",
                "start from rng.standard_normal(...) and multiply by the right standard deviation")
    if W.shape == (50, 30):
        return (False, "he_init(fan_in=50, fan_out=30, rng) returned shape (50, 30): transposed",
                "W maps the previous layer's fan_in units to fan_out units, so its shape is "
                "(fan_out, fan_in), the seed's (n_l, n_{l-1})")
    if W.shape != (30, 50):
        return (False, f"he_init(50, 30, rng) returned shape {W.shape}, expected (30, 50)",
                "the shape is (fan_out, fan_in)")
    return True, "the shape is (fan_out, fan_in)", None


def _he_uses_rng(fn):
    a = fn(40, 20, np.random.default_rng(1))
    b = fn(40, 20, np.random.default_rng(1))
    c = fn(40, 20, np.random.default_rng(2))
    if not np.array_equal(a, b):
        return (False, "two calls with the same rng seed gave different weights",
                "draw from the rng argument (rng.standard_normal), not from np.random")
    if np.array_equal(a, c):
        return (False, "different rng seeds gave the same weights",
                "draw the weights from the rng argument")
    return True, "the weights come from the rng you pass", None


def _he_std_mistakes(fan_in, fan_out):
    """The known wrong standard deviations for He's weights, each with a hint."""
    return [
        Mistake("sqrt(1 / fan_in) (LeCun)", np.sqrt(1 / fan_in),
                "that keeps Var(z) for a linear layer; ReLU zeroes half of z, so He doubles the "
                "variance: Var(w) = 2 / fan_in"),
        Mistake("sqrt(2 / (fan_in + fan_out)) (Xavier)", np.sqrt(2 / (fan_in + fan_out)),
                "that is Xavier's compromise for tanh; He uses fan_in alone: Var(w) = 2 / fan_in"),
        Mistake("sqrt(2 / fan_out)", np.sqrt(2 / fan_out),
                "He's variance divides by fan_in, the number of inputs each unit sums"),
        Mistake("2 / fan_in (the variance, not the std)", 2 / fan_in,
                "2 / fan_in is the variance; multiply the standard normal draws by its square root"),
        Mistake("1", 1.0, "multiply the standard normal draws by sqrt(2 / fan_in)"),
    ]


SPREAD_RTOL = 0.02  # a std within 2% of a rule's is that rule (the draws' scatter is ~0.5%)


def _he_spread(fn):
    fan_in, fan_out = 400, 300  # 120,000 draws: the sample std is within ~0.5% of the truth
    W = np.asarray(fn(fan_in, fan_out, np.random.default_rng(3)), dtype=float)
    std = W.std()
    target = np.sqrt(2 / fan_in)
    if abs(W.mean()) > 0.05 * target:
        return (False, f"the weights have mean {W.mean():.3g}, expected about 0",
                "use a zero-mean distribution: rng.standard_normal gives mean 0")
    if abs(std / target - 1) < SPREAD_RTOL:
        return _he_is_normal(W, std, target)
    mistake = known_mistake(std, _he_std_mistakes(fan_in, fan_out), rtol=SPREAD_RTOL, atol=0.0)
    if mistake is not None:
        return (False, f"std {std:.4f} looks like {mistake.what}, expected sqrt(2 / fan_in) = "
                f"{target:.4f}", mistake.hint)
    return (False, f"std {std:.4f}, expected sqrt(2 / fan_in) = {target:.4f}",
            "He: W = rng.standard_normal((fan_out, fan_in)) * sqrt(2 / fan_in)")


# Of a normal distribution's draws, 4.55% lie beyond 2 standard deviations from the mean; of a
# uniform's with the same std, none (its edge is at sqrt(3) = 1.73 std). Over the 120,000
# draws of _he_spread the normal's fraction scatters by about 0.0006, so a fraction outside
# [0.035, 0.056] is no normal distribution.
NORMAL_BEYOND_2_STD = 0.0455


def _he_is_normal(W, std, target):
    beyond = float(np.mean(np.abs(W - W.mean()) > 2 * std))
    if beyond < 0.035:
        uniform = beyond == 0.0 and np.abs(W).max() <= np.sqrt(3) * std * 1.01
        return (False, f"std {std:.4f} is right, but {beyond:.1%} of the weights lie beyond 2 std "
                f"(a normal distribution has {NORMAL_BEYOND_2_STD:.1%})"
                + (": they look uniform" if uniform else ""),
                "the exercise asks for a normal distribution N(0, 2 / fan_in): draw with "
                "rng.standard_normal, not rng.uniform (a uniform with this std is He *uniform*, "
                "another initializer)")
    if beyond > 0.056:
        return (False, f"std {std:.4f} is right, but {beyond:.1%} of the weights lie beyond 2 std "
                f"(a normal distribution has {NORMAL_BEYOND_2_STD:.1%}): the tails are too heavy",
                "draw from a normal distribution: rng.standard_normal((fan_out, fan_in)) "
                "* sqrt(2 / fan_in)")
    return (True, f"std {std:.4f} matches sqrt(2 / fan_in) = {target:.4f}, and the draws "
            "look normal", None)


def he_init(fn):
    """Grade he_init(fan_in, fan_out, rng) -> W of shape (fan_out, fan_in), std sqrt(2/fan_in)."""
    return grade("He initialization", [_he_shape, _he_uses_rng, _he_spread], fn)


# ---------------------------------------------------------------- predicting a layer's spread

# The exercise: a ReLU network whose inputs have E[x^2] = 1, 100 inputs, hidden layers of
# 100 units, every weight drawn from N(0, 0.2^2), zero biases. What std of z_5 does the
# variance formula predict?
EXERCISE_LAYER, EXERCISE_WIDTH, EXERCISE_WEIGHT_STD = 5, 100, 0.2
# One random network scatters around the prediction: measured on 20 draws (rng 0..19, 1,000
# standard-normal inputs), the std of z_5 ranged 6.2-9.5 (median 7.6); see
# tests/unit/test_checks.py. A value within this band, not within 1% of the prediction,
# is most likely such a measurement.
ONE_DRAW_BAND = (6.0, 10.0)


def _layer_std(layer, width, weight_std, halves="after_first", variance=False):
    """Var(z_1) = n Var(w) E[x^2] with E[x^2] = 1; each later layer multiplies by n Var(w) / 2.
    halves: where ReLU's 1/2 is applied ("after_first", the truth; "none"; "all")."""
    gain = width * weight_std ** 2
    var = gain * (0.5 if halves == "all" else 1.0)
    for _ in range(layer - 1):
        var = gain * var * (1.0 if halves == "none" else 0.5)
    return var if variance else np.sqrt(var)


def _one_draw(value):
    """A value within the band one random network gives: accepted as a measurement."""
    if ONE_DRAW_BAND[0] <= value <= ONE_DRAW_BAND[1]:
        truth = _layer_std(EXERCISE_LAYER, EXERCISE_WIDTH, EXERCISE_WEIGHT_STD)
        return (True, f"{value:.4g} is close to the prediction, {truth:.4g}, as a measurement "
                "of one random network should be: a layer sums only 100 random terms, so one "
                "draw scatters around the formula's value (20 draws gave 6.2 to 9.5), and the "
                "scatter compounds layer by layer. The formula predicts the average over draws: "
                f"{truth:.4g}", None)
    return None


_ONE_DRAW_NOTE = (f" (if you measured one random network: a draw of 100-unit layers scatters "
                  f"around the prediction, from about {ONE_DRAW_BAND[0]:g} to "
                  f"{ONE_DRAW_BAND[1]:g})")


def _layer5_mistakes():
    """The known wrong predictions, each with what it is and a hint. Those that land near
    the band of one random draw say so too."""
    def mistake(what, wrong, hint):
        near_band = ONE_DRAW_BAND[0] - 0.5 <= wrong <= ONE_DRAW_BAND[1] + 1.5
        return Mistake(f"what you get {what}" + (_ONE_DRAW_NOTE if near_band else ""), wrong, hint)
    return [
        mistake("if you leave out ReLU's 1/2", _layer_std(5, 100, 0.2, halves="none"),
                "after a ReLU, E[a^2] = Var(z) / 2: half of the Gaussian is cut off"),
        mistake("if you give the variance instead of the std",
                _layer_std(5, 100, 0.2, variance=True), "that is Var(z_5); take its square root"),
        mistake("with one layer too few (z_4), or with ReLU's 1/2 applied at layer 1 too",
                _layer_std(4, 100, 0.2),
                "count the multiplications: layer 1 sees the inputs x directly (no 1/2 there), "
                "and layers 2, 3, 4 and 5 each receive a ReLU output"),
        mistake("with one layer too many (z_6)", _layer_std(6, 100, 0.2),
                "z_5 is hidden layer 5's pre-activation: four ReLU layers lie between it and x"),
    ]


def layer5_std(answer):
    """Grade a number: the predicted std of z_5 in the exercise's ReLU network. The
    prediction (within 1%) is right; a value within the band one random draw gives is
    accepted as a measurement, with a note on draw-to-draw spread; known mistakes are
    named. A string is rejected with a request for a number."""
    truth = _layer_std(EXERCISE_LAYER, EXERCISE_WIDTH, EXERCISE_WEIGHT_STD)
    return grade_number(
        "Predict the spread of layer 5", answer, truth,
        right=f"std of z_5 = {truth:.4g}: right, the formula's prediction",
        mistakes=_layer5_mistakes(), accept=_one_draw,
        how_to_answer="compute the prediction with the formula of section 4 and pass the number",
        otherwise="Var(z_1) = n Var(w) E[x^2]; then each layer multiplies by n Var(w) / 2")


# ---------------------------------------------------------------- Xavier's uniform bound


XAVIER_FANS = ((2, 10), (100, 100), (784, 256))  # (fan_in, fan_out) of each case
XAVIER_HINT = "U(-a, a) has variance a^2 / 3: set it equal to 2 / (fan_in + fan_out) and solve for a"


def _xavier_mistakes(fan_in, fan_out):
    """The known wrong bounds, each with a hint."""
    return [Mistake("the standard deviation", np.sqrt(2 / (fan_in + fan_out)),
                    "sqrt(2 / (fan_in + fan_out)) is the standard deviation; a uniform on "
                    "[-a, a] has variance a^2 / 3, so a = sqrt(3) * std")]


def _xavier_at(fan_in, fan_out):
    """The case for bound(fan_in, fan_out): sqrt(6 / (fan_in + fan_out))."""
    return array_case(f"bound for fan_in={fan_in}, fan_out={fan_out}",
                      np.sqrt(6 / (fan_in + fan_out)), mistakes=_xavier_mistakes(fan_in, fan_out),
                      how_to_answer="return a single number: the half-width a of the interval "
                                    "[-a, a]",
                      otherwise=XAVIER_HINT)


def xavier_uniform_bound(fn):
    """Grade bound(fan_in, fan_out) -> a, the half-width of Xavier's uniform distribution."""
    case = on_inputs(XAVIER_FANS, _xavier_at,
                     right="the bound is sqrt(6 / (fan_in + fan_out)) for every case")
    return grade("Xavier's uniform bound", [case], fn)
