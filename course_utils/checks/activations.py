"""Graders for the exercises of 04_activation_functions."""

from __future__ import annotations

import warnings

import numpy as np

from .. import activations
from .. import gradcheck as _gradcheck
from ._core import Mistake, array_case, choice_case, grade, known_mistake, number_case

__all__ = ["elu", "derivative_bound", "dead_fraction"]

# ---------------------------------------------------------------- ELU and its derivative

_Z = np.array([-6.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 2.0, 7.0])
# Wrong arrays are recognised with np.allclose's default tolerances.
_RTOL, _ATOL = 1e-5, 1e-8


def _call(fn, Z, alpha=1.0):
    """fn(Z, alpha), or fn(Z) when alpha is 1 and fn takes no alpha."""
    try:
        return fn(Z.copy(), alpha)
    except TypeError:
        if alpha != 1.0:
            raise
        return fn(Z.copy())


def _takes_alpha(fn, name):
    """A failed case when fn(z, alpha) cannot be called, else None."""
    try:
        fn(np.zeros(2), 0.5)
    except TypeError as error:
        if "argument" in str(error):
            return (False, f"{name}(z, 0.5) raised TypeError: {error}",
                    f"give {name} a second argument with a default: def {name}(z, alpha=1.0)")
    return None


def _values_case(name: str, alpha: float, values):
    """A case: the reader's name(z, alpha) on _Z, judged by `values` (an array_case)."""
    def case(fn):
        if alpha != 1.0 and (failed := _takes_alpha(fn, name)):
            return failed
        return values(lambda: _call(fn, _Z, alpha))
    return case


def _elu_mistakes(alpha: float) -> list[Mistake]:
    """Common wrong ELUs, as the values they give on _Z."""
    Z = _Z
    mistakes = [
        Mistake("alpha (e^z - 1) on both sides", alpha * np.expm1(Z),
                "for z > 0, ELU is z itself; only the negative side is alpha (e^z - 1)"),
        Mistake("ReLU", np.maximum(Z, 0),
                "that is ReLU: on the negative side ELU is alpha (e^z - 1), not 0"),
        Mistake("alpha e^z for z <= 0", np.where(Z > 0, Z, alpha * np.exp(Z)),
                "subtract 1: alpha (e^z - 1) is 0 at z = 0 and tends to -alpha"),
    ]
    if alpha != 1.0:  # for alpha = 1 this is the right answer
        mistakes.append(Mistake("e^z - 1 for z <= 0, without alpha",
                                np.where(Z > 0, Z, np.expm1(Z)), "multiply the negative side by alpha"))
    return mistakes


def _elu_other_hint(got) -> str:
    """The hint for a wrong ELU that is no known mistake: what its values look like."""
    positive = _Z > 0
    if not np.allclose(np.asarray(got, dtype=float)[positive], _Z[positive]):
        return "for z > 0, ELU returns z unchanged"
    return "ELU(z) = z for z > 0 and alpha (e^z - 1) for z <= 0: np.where(z > 0, z, ...)"


def _elu_case(alpha):
    expected = activations.get("elu", alpha=alpha).forward(_Z)
    values = array_case(f"elu(z, alpha={alpha:g})", expected, mistakes=_elu_mistakes(alpha),
                        mistake_rtol=_RTOL, mistake_atol=_ATOL, otherwise=_elu_other_hint,
                        # the stub's None: say what to do, not the answer
                        how_to_answer="write the body of elu: it should return a numpy array "
                                      "with z's shape")
    return _values_case("elu", alpha, values)


def _elu_shape(f):
    Z = np.linspace(-2, 2, 12).reshape(3, 4)
    values = array_case("elu on a (3, 4) array", activations.get("elu").forward(Z),
                        otherwise="work elementwise with numpy (np.where, np.exp), not with a "
                                  "Python loop or max()")
    return values(lambda: _call(f, Z))


def _elu_no_overflow(f):
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        got = np.asarray(_call(f, np.array([1000.0, -1000.0])), dtype=float)
    overflow = [w for w in caught if "overflow" in str(w.message)]
    if overflow or not np.allclose(got, [1000.0, -1.0]):
        return (False, "elu(1000) computes e^1000, which overflows (numpy warns) even though "
                "np.where then throws it away",
                "np.where evaluates both branches for every z: take the exponential of "
                "np.minimum(z, 0), which is never large")
    return True, "no overflow for large z (elu(1000) = 1000, elu(-1000) = -1)", None


_DF_HINT = "ELU'(z) = 1 for z > 0 and alpha e^z for z <= 0 (which is also ELU(z) + alpha)"


def _df_mistakes(Z: np.ndarray, alpha: float) -> list[Mistake]:
    """Common wrong ELU derivatives, as the values they give on Z."""
    mistakes = [
        Mistake("ReLU's slope", np.where(Z > 0, 1.0, 0.0),
                "that is ReLU's derivative; ELU's slope on the negative side is alpha e^z"),
        Mistake("ELU itself for z <= 0", np.where(Z > 0, 1.0, alpha * np.expm1(Z)),
                "that is ELU itself on the negative side; its slope is alpha e^z"),
    ]
    if alpha != 1.0:  # for alpha = 1 this is the right answer
        mistakes.insert(1, Mistake(
            "e^z for z <= 0, without alpha", np.where(Z > 0, 1.0, np.exp(Z)),
            f"alpha is missing: for z <= 0 you return e^z, the slope for alpha = 1 only; "
            f"with alpha = {alpha:g} the slope there is alpha e^z (use the alpha argument)"))
    return mistakes


def _df_other_hint(got, Z) -> str:
    """The hint for a wrong derivative on Z that is no known mistake."""
    if not np.allclose(np.asarray(got, dtype=float)[Z > 0], 1):
        return "for z > 0, ELU(z) = z, so its slope is 1"
    return _DF_HINT


def _df_hint(got, Z, alpha) -> str:
    """The hint for a wrong derivative on Z: a known mistake's, else what its values look like."""
    mistake = known_mistake(got, _df_mistakes(Z, alpha), _RTOL, _ATOL)
    if mistake is not None:
        return mistake.hint
    return _df_other_hint(got, Z)


# Where the derivative is gradient-checked: both sides, but not within eps of 0, where a
# two-sided difference would straddle the kink that ELU has for alpha != 1.
_Z_CHECK = np.array([[-4.0, -2.0, -1.0, -0.5, -0.1], [0.1, 0.5, 1.0, 2.0, 5.0]])
# The checked cost is sum(weights * ELU(z)): unequal weights, so that every entry counts.
_CHECK_WEIGHTS = np.random.default_rng(0).uniform(0.5, 1.5, _Z_CHECK.shape)


def _df_gradcheck_case(alpha):
    """Gradient-check elu_derivative (course_utils.gradcheck): the cost
    J(z) = sum(weights * ELU(z)) has dJ/dz = weights * ELU'(z), and the reader's ELU'(z) must
    match two-sided differences of ELU to a relative error < 1e-7. The message says, in
    words, whether it does and gives the relative error as an order of magnitude; the hint
    names the likely mistake (a forgotten alpha, ReLU's slope, ELU itself)."""
    reference = activations.get("elu", alpha=alpha)
    where = f"elu_derivative(z, alpha={alpha:g})"

    def case(df):
        if alpha != 1.0 and (failed := _takes_alpha(df, "elu_derivative")):
            return failed
        got = _call(df, _Z_CHECK, alpha)
        if not isinstance(got, (np.ndarray, float, int, np.floating)):
            return (False, f"{where} should be a numpy array, got {type(got).__name__}", _DF_HINT)
        if np.shape(got) != _Z_CHECK.shape:
            return (False, f"elu_derivative on a {_Z_CHECK.shape} array returned shape "
                    f"{np.shape(got)}", "work elementwise with numpy (np.where, np.exp)")
        slope = np.asarray(got, dtype=float)
        cost = lambda p: float(np.sum(_CHECK_WEIGHTS * reference.forward(p["z"])))  # noqa: E731
        numerical = _gradcheck.numerical_gradient(cost, {"z": _Z_CHECK.copy()}, 1e-6)
        report = _gradcheck.compare({"dz": _CHECK_WEIGHTS * slope}, numerical, 1e-6)
        if report.passed:
            return (True, f"gradient check of {where}: it matches two-sided differences of ELU "
                    f"(relative error {report.max_error:.0e}, below 1e-7)", None)
        error = report.max_error
        size = f"{error:.0e}" if np.isfinite(error) else "not a number"
        return (False, f"gradient check of {where}: it does not match two-sided differences of "
                f"ELU (relative error {size}; a right derivative gives below 1e-7)",
                _df_hint(got, _Z_CHECK, alpha))
    return case


def _df_case(alpha):
    """The values on _Z, z = 0 included: the gradient check cannot see the kink's side."""
    expected = activations.get("elu", alpha=alpha).derivative(_Z)
    away_from_zero = _Z != 0

    def hint(got):
        if np.allclose(np.asarray(got, dtype=float)[away_from_zero], expected[away_from_zero]):
            return ("only z = 0 differs: there ELU has a kink when alpha != 1, and the "
                    "exercise's formula takes the z <= 0 side, alpha e^0 = alpha")
        return _df_other_hint(got, _Z)
    values = array_case(f"elu_derivative(z, alpha={alpha:g})", expected,
                        mistakes=_df_mistakes(_Z, alpha), mistake_rtol=_RTOL,
                        mistake_atol=_ATOL, otherwise=hint, how_to_answer=_DF_HINT)
    return _values_case("elu_derivative", alpha, values)


def elu(f, df):
    """Grade elu(z, alpha=1.0) and elu_derivative(z, alpha=1.0), both elementwise on arrays.
    The derivative is gradient-checked against two-sided differences of ELU (the course's
    gradient-check report: relative error per block), then compared at z = 0."""
    def df_callable(_):
        if not callable(df):
            return (False, f"elu_derivative should be a function, got {type(df).__name__}",
                    "pass both functions themselves: cu.checks.elu(elu, elu_derivative)")
        return True, "elu_derivative is a function", None

    def on_df(case):
        return lambda _: case(df)

    cases = [_elu_case(1.0), _elu_case(0.5), _elu_shape, _elu_no_overflow, df_callable,
             on_df(_df_gradcheck_case(1.0)), on_df(_df_gradcheck_case(0.5)),
             on_df(_df_case(1.0)), on_df(_df_case(0.5))]
    return grade("ELU and its derivative", cases, f)


# ---------------------------------------------------------------- which derivative is bounded by 1/4

_BOUNDED = {
    "sigmoid": "the sigmoid: sigma'(z) = sigma(z) (1 - sigma(z)) <= 1/4, with equality at z = 0. "
               "That bounds the slope's factor only: on its way back the gradient is also "
               "multiplied by the weights (W^T dZ), and weights 4 times larger pay for the 1/4 "
               "(section 1 measures it). What no weights can absorb is the sigmoid's mean of "
               "1/2 (02)",
    # sigma(z) - 1/2 has the sigmoid's slope, so its bound
    "sigmoid_centered": "the centred sigmoid sigma(z) - 1/2 (section 6): it has the sigmoid's "
                        "slope, sigma(z) (1 - sigma(z)) <= 1/4, so the same bound. The seed's "
                        "own activation with that bound is the plain sigmoid; what differs "
                        "between the two is the mean (1/2 against 0), not the slope",
}
_ABOVE_ONE_QUARTER = {  # name -> why its derivative goes above 1/4
    "tanh": "tanh'(0) = 1. (tanh(z) = 2 sigmoid(2z) - 1: stretched twice in each direction, "
            "so its slope is 4 times the sigmoid's)",
    "relu": "ReLU's slope is 1 for every z > 0",
    "leaky_relu": "leaky ReLU's slope is 1 for z > 0",
    "prelu": "PReLU's slope is 1 for z > 0",
    "rrelu": "RReLU's slope is 1 for z > 0",
    "elu": "ELU's slope is 1 for z > 0",
    "selu": "SELU's slope is 1.05 for z > 0 and up to 1.76 just below 0",
    "softplus": "softplus' derivative is the sigmoid itself, which tends to 1",
    "linear": "the identity has slope 1 everywhere",
}
_BOUND_ALIASES = {"logistic": "sigmoid", "logistic sigmoid": "sigmoid", "sigma": "sigmoid",
                  "leaky": "leaky_relu", "centred sigmoid": "sigmoid_centered",
                  "centered sigmoid": "sigmoid_centered", "sigmoid centred": "sigmoid_centered"}


def derivative_bound(answer):
    """Grade the name of the activation whose derivative is never above 1/4."""
    case = choice_case(
        _BOUNDED,
        {name: f"its derivative goes above 1/4: {why}" for name, why in _ABOVE_ONE_QUARTER.items()},
        aliases=_BOUND_ALIASES, expected="a name (a string such as 'relu')",
        how_to_answer='answer with the activation\'s name, e.g. answer = "relu"',
        otherwise="it is not one of the activations of this notebook: look at the dashed "
                  "curves of section 1 (or the table's 'max f'' column)")
    return grade("Which derivative is bounded by 1/4?", [case], lambda: answer)


# ---------------------------------------------------------------- the fraction of dead ReLU units

_DEAD_Z = np.array([[-1.0, -2.0, -0.5, -3.0],   # never active
                    [0.5, -1.0, 2.0, -0.1],     # active on some examples
                    [0.0, -1.0, 0.0, -2.0],     # never above 0: z = 0 gives ReLU(0) = 0
                    [-0.2, -0.3, 1e-3, -4.0],   # active on one example only
                    [-1.0, -1.0, -1.0, -1.0]])  # never active
_DEAD_MISTAKES = [
    Mistake("the fraction of units with z < 0 on every example", 2 / 5,
            "a unit whose z is exactly 0 is inactive too: ReLU(0) = 0 and its slope there "
            "is 0, so use z <= 0"),
    Mistake("the number of dead units", 3.0,
            "divide by the number of units (rows) to get their fraction"),
    Mistake("the fraction of examples (columns) where every unit has z <= 0", 0.5,
            "examples are columns: a unit (row) is dead when it is inactive in every column, "
            "np.all(Z <= 0, axis=1)"),
    Mistake("the fraction of units inactive on some example", 1.0,
            "a unit is dead only if it is inactive on every example (np.all), not on some "
            "(np.any)"),
    Mistake("the fraction of all entries with z <= 0", 17 / 20,
            "a unit is dead only if its whole row is"),
]


def _dead_on_five_units(fn):
    """The exercise's 5 units x 4 examples: 3 dead (one of them only ever at z = 0)."""
    got = fn(_DEAD_Z.copy())
    if isinstance(got, np.ndarray) and got.size > 1:
        return (False, f"dead_fraction returned an array of shape {got.shape}, expected "
                "one number", "count the dead units (rows) and divide by the number of units")
    values = number_case(3 / 5, right="3 of the 5 units are dead: 0.60", mistakes=_DEAD_MISTAKES,
                         not_a_number="dead_fraction should return a number, got {type}",
                         how_to_answer="return the fraction as a float",
                         otherwise="np.all(Z <= 0, axis=1) marks the dead units; take its mean")
    return values(lambda: got)


def _dead_on_fifty_examples(fn):
    """More units and examples, 7 of 10 dead: the answer must not depend on how many
    examples there are (nor be 0.6 whatever Z is)."""
    rng = np.random.default_rng(0)
    Z = np.vstack([-np.abs(rng.standard_normal((7, 50))), rng.standard_normal((3, 50)) + 3])
    values = array_case("dead_fraction on 10 units x 50 examples", 0.7,
                        otherwise="rows are units, columns are examples")
    return values(lambda: fn(Z.copy()))


def dead_fraction(fn):
    """Grade dead_fraction(Z) -> the fraction of units (rows of Z) with z <= 0 on every example."""
    return grade("Fraction of dead ReLU units", [_dead_on_five_units, _dead_on_fifty_examples], fn)
