"""Graders for the exercises of 03_initialization."""

from __future__ import annotations

import numpy as np

from ..lessons import theory
from . import _core
from ._core import Mistake, array_case, grade, grade_number, known_mistake, on_inputs
from ._runs import Trace, plot_runs

__all__ = ["he_init", "layer5_std", "xavier_uniform_bound", "initializer_in_training",
           "plot_initializer_run"]

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
        Mistake("2 / sqrt(fan_in), the 2 outside the square root: LeCun's std doubled, "
                "variance 4 / fan_in", 2 / np.sqrt(fan_in),
                "He doubles LeCun's variance, not its std: std = sqrt(2 / fan_in) = "
                "sqrt(2) / sqrt(fan_in), so the 2 goes under the square root"),
        Mistake("He's std doubled, 2 * sqrt(2 / fan_in): variance 8 / fan_in",
                2 * np.sqrt(2 / fan_in),
                "the factor 2 of He is already inside sqrt(2 / fan_in), on the variance: "
                "multiply the standard normal draws by sqrt(2 / fan_in) alone"),
        Mistake("std 1: the standard normal draws, unscaled", 1.0,
                "multiply the standard normal draws by sqrt(2 / fan_in)"),
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
    ratio = f"{std / target:.3f} times He's sqrt(2 / fan_in) = {target:.4f}"
    if mistake is not None:
        return (False, f"std {std:.4f}, {ratio}: that looks like {mistake.what}", mistake.hint)
    return (False, f"std {std:.4f}, {ratio}",
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


# ---------------------------------------------------------------- capstone: your initializer, trained

# The exercise: my_init(fan_in, fan_out, rng) -> W (fan_out, fan_in) with He's variance,
# 2 / fan_in, for a 10-layer ReLU network. Correct methods draw differently (rng.normal(0, s,
# shape), rng.standard_normal(shape) * s, a transposed square draw, a uniform or a truncated
# normal with the right variance), so the grader compares statistics, not bits:
#   - the weights' std, pooled over INIT_SEEDS draws of (fan_in, fan_out) = INIT_FANS, within
#     INIT_STD_RTOL of sqrt(2 / fan_in), and their mean near 0;
#   - the spread of z at every layer of the capstone network, the geometric mean over
#     INIT_SEEDS draws, within LAYER_BAND of the formula's prediction;
#   - a short training run from INIT_TRAIN_SEEDS draws: the median cost over the last
#     INIT_TAIL steps below INIT_TRAIN_CEILING (a start whose signal fades stays at ln 2).
INIT_SIZES = (2,) + (32,) * 10 + (1,)  # the circles, 10 hidden ReLU layers of 32 units
INIT_FANS = ((200, 300), (50, 500))
INIT_SEEDS = (0, 1, 2)
INIT_STD_RTOL = 0.03  # the pooled std of 3 x 60,000 draws scatters by 0.3% (25,000: 0.5%)
# Measured over 1,800 sets of 3 draws each of He normal, truncated normal and random signs
# (and 300 of uniform and a transposed draw): the geometric mean stayed within 0.23-2.6 of
# the prediction at every layer, while a band of 1/3 to 3 refused 7 sets of 6,000 (a
# correct method that draws differently fails or passes on the grader's fixed seeds). At
# 1/5 to 5 none failed; by layer 10, 300 sets of 3 Xavier draws all fell below 0.022, and
# of LeCun's below 0.063: both refused every time.
LAYER_BAND = (1 / 5, 5.0)
INIT_TRAIN_SEEDS = (0, 1, 2)
INIT_TRAIN_STEPS, INIT_TRAIN_LR, INIT_TAIL = 300, 0.03, 50
# Measured on 160 draws of He normal and 60 each of He uniform, truncated, transposed and
# random signs: the last-50 median of a single run reached 0.674 (8 of 160 He normal runs
# above 0.64, so the median of 3 draws passed 0.64 about once in 200 sets); of 160 LeCun
# and 60 Xavier runs, all but one LeCun run (0.656) ended at 0.67 or above. At 0.66 the
# median of 3 refuses about 1 set of He draws in 4,000 and accepts LeCun's about never.
INIT_TRAIN_CEILING = 0.66
INIT_NAME = "my_init"


def _init_std_mistakes(fan_in: int, fan_out: int) -> list[Mistake]:
    """Known wrong standard deviations, as a ratio to He's std at fans (fan_in, fan_out). A
    mistake is named only when the measured ratio matches its ratio at every fan pair tried
    (INIT_FANS), within INIT_STD_RTOL: a std 0.9 of He's is 0.894 of it like Xavier's std
    times sqrt(2) at (200, 300), but not at (50, 500), where that one is 0.43."""
    return [
        Mistake("Xavier's sqrt(2 / (fan_in + fan_out))", np.sqrt(fan_in / (fan_in + fan_out)),
                "that is Xavier's rule, made for tanh; for ReLU, He's variance is 2 / fan_in: "
                "ReLU zeroes half of z, and the factor 2 gives it back"),
        Mistake("LeCun's sqrt(1 / fan_in)", np.sqrt(1 / 2),
                "the factor 2 is missing: ReLU halves E[a^2], so He's variance is 2 / fan_in"),
        Mistake("sqrt(2 / fan_out)", np.sqrt(fan_in / fan_out),
                "He's variance divides by fan_in, the number of inputs each unit sums"),
        Mistake("the variance 2 / fan_in used as the std", np.sqrt(2 / fan_in),
                "2 / fan_in is the variance; the std is its square root, sqrt(2 / fan_in)"),
        Mistake("Xavier's std times sqrt(2), sqrt(4 / (fan_in + fan_out))",
                np.sqrt(2 * fan_in / (fan_in + fan_out)),
                "He's variance divides by fan_in alone, not by the mean of fan_in and "
                "fan_out: 2 / fan_in"),
        Mistake("2 / sqrt(fan_in), the 2 outside the square root: LeCun's std doubled, "
                "variance 4 / fan_in", np.sqrt(2),
                "He doubles LeCun's variance, not its std: std = sqrt(2 / fan_in) = "
                "sqrt(2) / sqrt(fan_in), so the 2 goes under the square root"),
        Mistake("He's std doubled, 2 * sqrt(2 / fan_in): variance 8 / fan_in", 2.0,
                "the factor 2 of He is already inside sqrt(2 / fan_in), on the variance: "
                "multiply the standard normal draws by sqrt(2 / fan_in) alone"),
        Mistake("a uniform on [-s, s] with s = sqrt(2 / fan_in)", 1 / np.sqrt(3),
                "a uniform on [-a, a] has variance a^2 / 3: for He's variance the bound is "
                "a = sqrt(6 / fan_in)"),
        Mistake("a normal truncated at 2 std without rescaling", 0.87962566,
                "cutting off the tails lowers the std to 0.88 of the normal's: divide the "
                "truncated draws by 0.8796 (as Keras does), or draw a plain normal"),
        Mistake("a standard normal (std 1)", 1 / np.sqrt(2 / fan_in),
                "multiply the standard normal draws by sqrt(2 / fan_in)"),
    ]


# Mistakes named by their ratio and by the shape of the draws: a truncated normal has nothing
# beyond 2 of its (untruncated) std, a uniform nothing beyond its bound; another draw with
# the same ratio (Xavier x sqrt(2) is 0.894 of He's, a truncated normal 0.880) is not
# named by them.
_BOUNDED = {"a uniform on [-s, s] with s = sqrt(2 / fan_in)": 1.0,
            "a normal truncated at 2 std without rescaling": 2.0}


def _has_the_shape_of(mistake, W, target) -> bool:
    """Whether W's largest weight fits the mistake's distribution (bounded ones)."""
    bound = _BOUNDED.get(mistake.what)
    return bound is None or float(np.max(np.abs(W))) <= bound * target * (1 + 1e-9)


def _init_draw(fn, fan_in, fan_out, seed):
    return fn(fan_in, fan_out, np.random.default_rng(seed))


def _init_shape(fn):
    """The shape is (fan_out, fan_in) on non-square fans; the values are finite reals."""
    fan_in, fan_out = INIT_FANS[0]
    W = _init_draw(fn, fan_in, fan_out, 0)
    if not isinstance(W, np.ndarray):
        return (False, f"{INIT_NAME}({fan_in}, {fan_out}, rng) should return a numpy array, "
                f"got {type(W).__name__}", "draw the weights with the rng argument "
                "(rng.standard_normal or rng.uniform) and scale them for He's variance")
    if W.shape == (fan_in, fan_out):
        return (False, f"{INIT_NAME}(fan_in={fan_in}, fan_out={fan_out}, rng) returned shape "
                f"{W.shape}: transposed", "W maps fan_in inputs to fan_out units, so its shape "
                "is (fan_out, fan_in), the seed's (n_l, n_{l-1}); a (fan_in, fan_out) draw is "
                "fine if you transpose it (.T)")
    if W.shape != (fan_out, fan_in):
        return (False, f"{INIT_NAME}({fan_in}, {fan_out}, rng) returned shape {W.shape}, "
                f"expected (fan_out, fan_in) = {(fan_out, fan_in)}",
                "the shape is (fan_out, fan_in)")
    if W.dtype.kind not in "iuf" or not np.all(np.isfinite(W)):
        return (False, f"{INIT_NAME} returned {W.dtype} values that are not all finite numbers",
                "return a float array of finite weights")
    return True, "W has shape (fan_out, fan_in)", None


def _init_uses_rng(fn):
    """Same seed, same weights; another seed, other weights; not a constant."""
    fan_in, fan_out = INIT_FANS[0]
    a, b = _init_draw(fn, fan_in, fan_out, 1), _init_draw(fn, fan_in, fan_out, 1)
    c = _init_draw(fn, fan_in, fan_out, 2)
    if np.ptp(a) == 0:
        return (False, f"every weight is {a.flat[0]:.3g}: a constant start, whose units stay "
                "copies of each other (section 3)", "draw random weights from the rng: "
                "rng.standard_normal((fan_out, fan_in)) * std")
    if not np.array_equal(a, b):
        return (False, "two calls with the same rng seed gave different weights",
                "draw from the rng argument (rng.standard_normal, rng.uniform), not from "
                "np.random: init_params passes its rng so that every run can be repeated")
    if np.array_equal(a, c):
        return (False, "different rng seeds gave the same weights",
                "draw the weights from the rng argument")
    return True, "the weights come from the rng you pass", None


def _init_spread(fn):
    """The pooled std over INIT_SEEDS draws, at both INIT_FANS, against sqrt(2 / fan_in).
    A wrong std is said as its ratio to He's; it is named as a known mistake only when its
    ratios at both fans match that mistake's (within INIT_STD_RTOL) and the draws have the
    mistake's shape (`_has_the_shape_of`)."""
    measured = []  # (fan_in, fan_out, W, He's std) at each fan pair
    for fan_in, fan_out in INIT_FANS:
        W = np.concatenate([np.ravel(_init_draw(fn, fan_in, fan_out, 10 + seed))
                            for seed in INIT_SEEDS]).astype(float)
        target = np.sqrt(2 / fan_in)
        if abs(W.mean()) > 0.05 * target:
            return (False, f"the weights have mean {W.mean():.3g}, expected about 0 (He's std "
                    f"is {target:.3g})", "use a zero-mean distribution: rng.standard_normal, "
                    "or rng.uniform(-a, a)")
        measured.append((fan_in, fan_out, W, target))
    ratios = [W.std() / target for _, _, W, target in measured]
    wrong = [k for k, ratio in enumerate(ratios) if abs(ratio - 1) > INIT_STD_RTOL]
    if not wrong:
        return (True, f"the weights' std is within {INIT_STD_RTOL:.0%} of He's sqrt(2 / fan_in) "
                f"at both fans tried ({len(INIT_SEEDS)} draws each), mean about 0", None)
    k = wrong[0]
    fan_in, fan_out, W, target = measured[k]
    said = (f"for fan_in={fan_in}, fan_out={fan_out} your weights' std is {W.std():.4f}, "
            f"{ratios[k]:.3f} times He's sqrt(2 / fan_in) = {target:.4f}")
    said += "".join(f" ({ratios[j]:.3f} times at fan_in={measured[j][0]}, "
                    f"fan_out={measured[j][1]})" for j in range(len(measured)) if j != k)
    mistake = _named_std_mistake(measured, ratios)
    if mistake is not None:
        return False, f"{said}: that is {mistake.what}", mistake.hint
    if np.allclose(ratios, ratios[k], rtol=INIT_STD_RTOL, atol=0.0):  # He's form, another c
        return (False, f"{said}: the same factor at both fans, so your variance is c / fan_in "
                f"with c = {2 * ratios[k] ** 2:.3g}, where He's is 2 / fan_in",
                "He: Var(w) = 2 / fan_in, so std = sqrt(2 / fan_in) (for a uniform U(-a, a): "
                "a = sqrt(6 / fan_in))")
    return (False, f"{said}: not the same factor at both fans, so your std does not follow "
            "sqrt(2 / fan_in) as the fans change", "He's variance divides by fan_in alone, the "
            "number of inputs each unit sums: std = sqrt(2 / fan_in)")


def _named_std_mistake(measured, ratios):
    """The known mistake whose ratio to He's std matches the measured one at every fan pair
    (within INIT_STD_RTOL) and whose shape the draws have, or None. The bounded mistakes
    are tried first: their shape is the more specific evidence."""
    per_fans = [_init_std_mistakes(fan_in, fan_out) for fan_in, fan_out, _, _ in measured]
    for index in sorted(range(len(per_fans[0])),
                        key=lambda i: per_fans[0][i].what not in _BOUNDED):
        if all(np.isclose(ratio, mistakes[index].wrong, rtol=INIT_STD_RTOL, atol=0.0)
               and _has_the_shape_of(mistakes[index], W, target)
               for ratio, mistakes, (_, _, W, target) in zip(ratios, per_fans, measured)):
            return per_fans[0][index]
    return None


def _layer_spread(spec, init, X):
    """The std of z at every hidden layer, the geometric mean over INIT_SEEDS draws."""
    from .. import network
    logs = []
    for seed in INIT_SEEDS:
        params = network.init_params(spec, init, rng=seed)
        Zs, _ = network.hidden_activations(spec, params, X)
        with np.errstate(divide="ignore"):
            logs.append(np.log([Z.std() for Z in Zs]))
    return np.exp(np.mean(logs, axis=0))


def _init_training_runs(spec, init, X, Y):
    """Short runs from INIT_TRAIN_SEEDS draws: (the median cost over the last INIT_TAIL
    steps of each run, the first run's History)."""
    from .. import network, optimizers, training
    tails, first = [], None
    for seed in INIT_TRAIN_SEEDS:
        with np.errstate(all="ignore"):
            history = training.train(spec, network.init_params(spec, init, rng=seed), X, Y,
                                     optimizers.sgd(INIT_TRAIN_LR), steps=INIT_TRAIN_STEPS,
                                     progress=False)
        costs = np.asarray(history.costs, dtype=float)
        tails.append(np.median(costs[-INIT_TAIL:]) if np.all(np.isfinite(costs)) else np.inf)
        first = history if first is None else first
    return np.array(tails), first


_LIBRARY = {}  # the library's He-normal measurements, computed once (they never change)


def _library_runs(spec, X, Y):
    if "tails" not in _LIBRARY:
        _LIBRARY["spread"] = _layer_spread(spec, "he_normal", X)
        _LIBRARY["tails"], _LIBRARY["history"] = _init_training_runs(spec, "he_normal", X, Y)
    return _LIBRARY


def _capstone_data():
    from .. import datasets, network
    X, Y, *_ = datasets.load_circles()
    return network.Spec(INIT_SIZES, activation="relu"), X, Y


def _init_layers_case(measured: dict):
    """The spread of z at every layer of the capstone network against the prediction."""
    def case(fn):
        spec, X, Y = _capstone_data()
        yours = measured["yours"] = _layer_spread(spec, fn, X)
        measured["library"] = _library_runs(spec, X, Y)["spread"]
        predicted = measured["predicted"] = theory.preactivation_std(
            INIT_SIZES, "relu", "he_normal", input_second_moment=float(np.mean(X ** 2)))
        ratio = yours / predicted
        outside = np.flatnonzero(~((ratio >= LAYER_BAND[0]) & (ratio <= LAYER_BAND[1])))
        if outside.size:
            l = int(outside[0]) + 1
            trend = "fades" if ratio[outside[0]] < 1 else "grows"
            return (False, f"in the 10-layer ReLU network the spread of z {trend}: at layer {l} "
                    f"its std is {ratio[outside[0]]:.2g} times He's prediction (layer 10: "
                    f"{ratio[-1]:.2g}; accepted: {LAYER_BAND[0]:.2g} to {LAYER_BAND[1]:g}, "
                    f"the geometric mean over {len(INIT_SEEDS)} draws)",
                    "each layer multiplies Var(z) by fan_in Var(w) / 2: only Var(w) = 2 / fan_in "
                    "keeps it flat over 10 layers")
        return (True, f"the spread of z stays within {LAYER_BAND[0]:.2g} to {LAYER_BAND[1]:g} "
                f"times He's prediction at all 10 layers (layer 10: {ratio[-1]:.2f}; the "
                f"library's He: {measured['library'][-1] / predicted[-1]:.2f})", None)
    return case


def _training_hint(measured: dict) -> str:
    """Why the runs did not learn, from the spread of z the layer case measured: a spread
    that fades (or grows) layer by layer scales the gradient of every layer's weights, the
    first's as much as the last's. A weight gradient is dZ_l a_(l-1)^T: its input a_(l-1) has
    faded through the l - 1 layers before, dZ_l through the layers after, on its way back;
    together about the same factor for every layer (measured: He x 0.5 scales every layer's
    gradient by 5e-4 to 6e-4, layer 10's spread by 1e-3)."""
    fix = "fix the weights' std first: Var(w) = 2 / fan_in, std = sqrt(2 / fan_in)"
    if "yours" not in measured:
        return fix
    ratio = measured["yours"] / measured["predicted"]
    if np.all((ratio >= LAYER_BAND[0]) & (ratio <= LAYER_BAND[1])):
        return (f"the spread of z stays within {LAYER_BAND[0]:.2g} to {LAYER_BAND[1]:g} times "
                "He's prediction at every layer, yet the runs barely learned: look at the draws "
                "themselves, independent and zero-mean, one per weight (the same row for every "
                "unit keeps the units copies of each other)")
    last = float(ratio[-1])
    how, size = ("fades", "small") if last < 1 else ("grows", "large")
    at_10 = ("z is 0 for every example" if last == 0 else
             "z overflows to inf or NaN" if not np.isfinite(last) else
             f"its std is {last:.2g} times He's prediction")
    return (f"the spread of z {how} layer by layer (at layer 10 {at_10}), and every layer's "
            "weight gradient with it, the first layer's as much as the last's: a weight "
            "gradient is the error flowing back (dZ, scaled by the layers above) times the "
            "layer's input (a, scaled by the layers below), so every layer's steps are far "
            f"too {size}; {fix}")


def _init_training_case(traces: dict, measured: dict):
    """Short runs from INIT_TRAIN_SEEDS draws: the cost must fall like He's. The hint says
    why they did not, from the layer spreads measured by `_init_layers_case` (`measured`)."""
    def case(fn):
        spec, X, Y = _capstone_data()
        library = _library_runs(spec, X, Y)
        tails, history = _init_training_runs(spec, fn, X, Y)
        traces["yours"] = Trace(history, [])
        traces["library"] = Trace(library["history"], [])
        yours, theirs = float(np.median(tails)), float(np.median(library["tails"]))
        said = (f"after {INIT_TRAIN_STEPS} steps (rate {INIT_TRAIN_LR:g}) your runs' cost is "
                f"{yours:.2f} (the median over {len(INIT_TRAIN_SEEDS)} draws of the last "
                f"{INIT_TAIL} steps), the library's He {theirs:.2f}")
        if yours <= INIT_TRAIN_CEILING:
            return True, f"{said}: comparable (at most {INIT_TRAIN_CEILING:g})", None
        return (False, f"{said}; a cost above {INIT_TRAIN_CEILING:g} means the network barely "
                f"learned (ln 2 = 0.69 is a coin toss)", _training_hint(measured))
    return case


def _gated(title, gate, cases, answer):
    """grade(title, [gate, *cases], answer), every case run (not only up to the first
    failure), unless the gate fails: then only the gate's verdict is given."""
    if not _core._grade(title, [gate], answer, True).passed:
        return grade(title, [gate], answer)
    return grade(title, [gate, *cases], answer, stop_at_first_failure=False)


def initializer_in_training(my_init):
    """Grade the capstone of 03: my_init(fan_in, fan_out, rng) -> W, shape (fan_out, fan_in),
    with He's variance 2 / fan_in, plugged into cu.init_params for a 10-layer ReLU network
    (INIT_SIZES) on the circles. Any correct draw is accepted (normal, uniform, truncated
    and rescaled, a transposed square draw): the checks are statistics, not bits.

    - W's shape (fan_out, fan_in) on non-square fans (a gate: nothing else runs without it);
    - the rng: the same seed gives the same W, another seed another W; not a constant;
    - the std of W pooled over 3 draws within 3% of sqrt(2 / fan_in) at fans (200, 300) and
      (50, 500), its mean near 0; a known mistake is named when its ratio to He's std
      matches at both fans, any other std is said as its ratio;
    - the std of z at each of the 10 layers, the geometric mean over 3 draws, within 1/5 to
      5 times the prediction (1,800 sets of 3 He draws stayed within 0.23-2.6; Xavier's
      falls to about 0.006 by layer 10);
    - training 300 steps of gradient descent (rate 0.03) from 3 draws: the median of the
      last 50 costs, the median over draws, at most 0.66 (single He runs ended at up to
      0.674, 1 in 20 above 0.64; Xavier's and LeCun's at 0.67 to ln 2 = 0.69 but one).
    The Feedback carries the layer spreads and the first run (`plot_initializer_run`)."""
    measured, traces = {}, {}
    feedback = _gated("Your initializer in a 10-layer ReLU network", _init_shape,
                      [_init_uses_rng, _init_spread, _init_layers_case(measured),
                       _init_training_case(traces, measured)], my_init)
    feedback.layer_spread = measured
    feedback.traces = traces
    return feedback


def plot_initializer_run(feedback):
    """The capstone's figures: the std of z by layer, yours beside the library's He and the
    prediction; then your run's cost curve beside the library's, and your decision boundary.
    Returns the axes of the second figure."""
    import matplotlib.pyplot as plt

    from .. import plotting
    spread = getattr(feedback, "layer_spread", {})
    if "yours" in spread:
        _, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
        plotting.plot_layer_stats(spread["library"], ax=ax, label="library's He",
                                  color=plotting.COLOURS["reference"], lw=3, alpha=0.5)
        yours, _ = plotting.plot_layer_stats(spread["yours"], ax=ax, label="yours",
                                             color=plotting.COLOURS["yours"], ylabel="std of z")
        yours.set(linestyle="--", marker="s")  # told apart by shape too, not by colour alone
        ax.plot(np.arange(1, len(spread["predicted"]) + 1), spread["predicted"], ":",
                color="0.4", label="predicted (He)")
        ax.set_title(f"spread of z by layer (geometric mean of {len(INIT_SEEDS)} draws)")
        ax.legend(fontsize=8)
    boundary = _capstone_data() if "yours" in feedback.traces else None  # (spec, X, Y)
    return plot_runs(feedback, boundary=boundary)
