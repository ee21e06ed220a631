"""Graders for the exercises of 03_initialization."""

from __future__ import annotations

import numpy as np

from ._core import describe_difference, grade, is_real_number

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


def _he_spread(fn):
    fan_in, fan_out = 400, 300  # 120,000 draws: the sample std is within ~0.5% of the truth
    W = np.asarray(fn(fan_in, fan_out, np.random.default_rng(3)), dtype=float)
    std = W.std()
    target = np.sqrt(2 / fan_in)
    if abs(W.mean()) > 0.05 * target:
        return (False, f"the weights have mean {W.mean():.3g}, expected about 0",
                "use a zero-mean distribution: rng.standard_normal gives mean 0")
    if abs(std / target - 1) < 0.02:
        return _he_is_normal(W, std, target)
    guesses = {
        "sqrt(1 / fan_in) (LeCun)": np.sqrt(1 / fan_in),
        "sqrt(2 / (fan_in + fan_out)) (Xavier)": np.sqrt(2 / (fan_in + fan_out)),
        "sqrt(2 / fan_out)": np.sqrt(2 / fan_out),
        "2 / fan_in (the variance, not the std)": 2 / fan_in,
        "1": 1.0,
    }
    hints = {
        "sqrt(1 / fan_in) (LeCun)": "that keeps Var(z) for a linear layer; ReLU zeroes half of z, "
                                    "so He doubles the variance: Var(w) = 2 / fan_in",
        "sqrt(2 / (fan_in + fan_out)) (Xavier)": "that is Xavier's compromise for tanh; He uses "
                                                "fan_in alone: Var(w) = 2 / fan_in",
        "sqrt(2 / fan_out)": "He's variance divides by fan_in, the number of inputs each unit sums",
        "2 / fan_in (the variance, not the std)": "2 / fan_in is the variance; multiply the "
                                                 "standard normal draws by its square root",
        "1": "multiply the standard normal draws by sqrt(2 / fan_in)",
    }
    for name, value in guesses.items():
        if abs(std / value - 1) < 0.02:
            return (False, f"std {std:.4f} looks like {name}, expected sqrt(2 / fan_in) = {target:.4f}",
                    hints[name])
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
# 100 units, every weight drawn from N(0, 0.2^2), zero biases. What is the std of z_5?
EXERCISE_LAYER, EXERCISE_WIDTH, EXERCISE_WEIGHT_STD = 5, 100, 0.2


def _layer_std(layer, width, weight_std, halves="after_first", variance=False):
    """Var(z_1) = n Var(w) E[x^2] with E[x^2] = 1; each later layer multiplies by n Var(w) / 2.
    halves: where ReLU's 1/2 is applied ("after_first", the truth; "none"; "all")."""
    gain = width * weight_std ** 2
    var = gain * (0.5 if halves == "all" else 1.0)
    for _ in range(layer - 1):
        var = gain * var * (1.0 if halves == "none" else 0.5)
    return var if variance else np.sqrt(var)


def layer5_std(answer):
    """Grade a number: the predicted std of z_5 in the exercise's ReLU network."""
    def case(value):
        if callable(value):
            value = value()
        try:
            value = float(value)
        except (TypeError, ValueError):
            return (False, f"expected a number, got {type(value).__name__}",
                    "compute it with the formula and pass the number")
        truth = _layer_std(EXERCISE_LAYER, EXERCISE_WIDTH, EXERCISE_WEIGHT_STD)
        if np.isclose(value, truth, rtol=0.01):
            return True, f"std of z_5 = {truth:.4g}: right", None
        wrong = {
            "without ReLU's 1/2": (_layer_std(5, 100, 0.2, halves="none"),
                                   "after a ReLU, E[a^2] = Var(z) / 2: half the Gaussian is cut off"),
            "the variance instead of the std": (_layer_std(5, 100, 0.2, variance=True),
                                                "that is Var(z_5); take its square root"),
            "with a 1/2 at layer 1 too": (_layer_std(5, 100, 0.2, halves="all"),
                                          "layer 1 sees the inputs x directly, not a ReLU "
                                          "output: no 1/2 there"),
        }
        for name, (wrong_value, hint) in wrong.items():
            if np.isclose(value, wrong_value, rtol=0.01):
                return False, f"{value:.4g} is what you get {name}", hint
        return (False, f"{value:.4g} is not the predicted std of z_5",
                "Var(z_1) = n Var(w) E[x^2]; then each layer multiplies by n Var(w) / 2")
    return grade("Predict the spread of layer 5", [case], lambda: answer)


# ---------------------------------------------------------------- Xavier's uniform bound


def _xavier_cases():
    def case(fn):
        for fan_in, fan_out in ((2, 10), (100, 100), (784, 256)):
            value = fn(fan_in, fan_out)
            expected = np.sqrt(6 / (fan_in + fan_out))
            ok, message = describe_difference(f"bound for fan_in={fan_in}, fan_out={fan_out}",
                                              value, expected)
            if not ok:
                if not is_real_number(value):
                    return (False, message, "return a single number, e.g. "
                            "np.sqrt(6 / (fan_in + fan_out))")
                if np.isclose(float(value), np.sqrt(2 / (fan_in + fan_out))):
                    return (False, message, "sqrt(2 / (fan_in + fan_out)) is the standard "
                            "deviation; a uniform on [-a, a] has variance a^2 / 3, so a = sqrt(3) * std")
                return False, message, "a = sqrt(6 / (fan_in + fan_out))"
        return True, "the bound is sqrt(6 / (fan_in + fan_out)) for every case", None
    return [case]


def xavier_uniform_bound(fn):
    """Grade bound(fan_in, fan_out) -> a, the half-width of Xavier's uniform distribution."""
    return grade("Xavier's uniform bound", _xavier_cases(), fn)
