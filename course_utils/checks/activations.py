"""Graders for the exercises of 04_activation_functions."""

from __future__ import annotations

import traceback
import warnings
from dataclasses import replace

import numpy as np

from .. import activations
from .. import gradcheck as _gradcheck
from ..datasets import load_moons
from ..network import Spec, init_params
from ..optimizers import sgd
from ..training import train
from ._core import Mistake, array_case, choice_case, grade, known_mistake, number_case, past
from ._runs import RunMistake, first_parting, plot_runs, run_case

__all__ = ["elu", "derivative_bound", "dead_fraction", "selu_in_training", "plot_selu_run"]

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


# ---------------------------------------------------------------- capstone: your SELU, trained

# The run: the moons, a (2, 16, 16, 16, 1) SELU network from LeCun-normal weights (rng 0),
# 200 steps of gradient descent at rate 0.1: the cost falls smoothly from 0.59 to 0.25, and
# the run is not chaotic (written with np.exp(z) - 1 instead of np.expm1, or with the scale
# applied inside np.where, SELU gives costs within 1e-12 of the library's at every step).
SELU_RUN_SIZES = (2, 16, 16, 16, 1)
SELU_RUN_STEPS, SELU_RUN_LR, SELU_RUN_SEED = 200, 0.1, 0
_GRADED = "_graded_selu"  # the name a graded activation is registered under, during its run
_LAMBDA, _ALPHA = activations.SELU_SCALE, activations.SELU_ALPHA
# Where the derivative is checked: both sides, near 0, far out, and z = 0 itself.
SELU_DF_POINTS = np.array([-30.0, -5.0, -1.0, -0.1, -1e-3, 0.0, 1e-3, 0.1, 1.0, 5.0, 30.0])
DF_RTOL = 1e-6  # a derivative within this (relative) of the numerical one is right
_STEP = 1e-7    # the numerical derivative's step (central differences, one-sided at 0)
SELU_HOW = ("build it from your two functions: my_selu = cu.activations.Activation("
            "\"my_selu\", f=selu, df=selu_derivative, formula=\"SELU\")")


def _negative_exp(z):
    """e^z for z <= 0, e^0 = 1 elsewhere: the exponential SELU needs, without overflow."""
    return np.exp(np.minimum(z, 0))


def _selu_variant(name, f=None, df=None):
    """The library's SELU with a wrong f or df in place of its own."""
    selu = activations.get("selu")
    return activations.Activation(name, f or selu.f, df or selu.df, "a wrong SELU")


def _selu_run_mistakes():
    """Wrong SELUs (f or df), each recognised by the run it produces."""
    lam, alpha = _LAMBDA, _ALPHA
    return [
        RunMistake("your f looks like ELU with alpha = 1.6733: the scale lambda = 1.0507 is "
                   "missing", _selu_variant(
                       "no_scale", f=lambda z: np.where(z > 0, z, alpha * (_negative_exp(z) - 1)),
                       df=lambda z: np.where(z > 0, 1.0, alpha * _negative_exp(z))),
                   "SELU(z) = lambda z for z > 0 and lambda alpha (e^z - 1) for z <= 0: both "
                   "sides carry lambda (cu.activations.SELU_SCALE), in f and in its derivative"),
        RunMistake("your f has lambda (e^z - 1) on the negative side: alpha is missing",
                   _selu_variant("no_alpha", f=lambda z: lam * np.where(
                       z > 0, z, np.expm1(np.minimum(z, 0))), df=lambda z: lam * np.where(
                       z > 0, 1.0, _negative_exp(z))),
                   "the negative side is lambda alpha (e^z - 1), with alpha = "
                   "cu.activations.SELU_ALPHA = 1.6733"),
        RunMistake("your f has lambda and alpha swapped (alpha z for z > 0)", _selu_variant(
            "swapped", f=lambda z: alpha * np.where(z > 0, z, lam * np.expm1(np.minimum(z, 0))),
            df=lambda z: alpha * np.where(z > 0, 1.0, lam * _negative_exp(z))),
                   "lambda = 1.0507 (SELU_SCALE) multiplies both sides; alpha = 1.6733 "
                   "(SELU_ALPHA) only the exponential side: lambda z, lambda alpha (e^z - 1)"),
        RunMistake("your f returns lambda alpha e^z for z <= 0: the - 1 is missing", _selu_variant(
            "no_minus_one", f=lambda z: lam * np.where(z > 0, z, alpha * _negative_exp(z))),
                   "the negative side is lambda alpha (e^z - 1): 0 at z = 0, tending to "
                   "-lambda alpha = -1.7581 (np.expm1 computes e^z - 1)"),
        RunMistake("your derivative is 0 for z <= 0 (ReLU's slope, scaled)",
                   _selu_variant("zero_left", df=lambda z: lam * (z > 0)),
                   "SELU is not flat on the left: for z <= 0 its slope is lambda alpha e^z"),
        RunMistake("your derivative returns lambda alpha (e^z - 1) for z <= 0: SELU itself, "
                   "not its slope", _selu_variant(
                       "f_as_slope", df=lambda z: lam * np.where(
                           z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0)))),
                   "the derivative of lambda alpha (e^z - 1) is lambda alpha e^z: the -1 goes "
                   "away"),
        RunMistake("your derivative returns lambda (alpha e^z - 1) for z <= 0", _selu_variant(
            "minus_one", df=lambda z: lam * np.where(z > 0, 1.0, alpha * _negative_exp(z) - 1)),
                   "differentiate lambda alpha (e^z - 1): the constant -1 has slope 0, so the "
                   "slope is lambda alpha e^z"),
        RunMistake("your derivative leaves out lambda (1 for z > 0, alpha e^z for z <= 0)",
                   _selu_variant("df_no_scale", df=lambda z: np.where(
                       z > 0, 1.0, alpha * _negative_exp(z))),
                   "f is multiplied by lambda on both sides, so its slope is too: lambda for "
                   "z > 0, lambda alpha e^z for z <= 0"),
        RunMistake("your derivative is 1 for z > 0: lambda is missing on the positive side",
                   _selu_variant("df_one_right", df=lambda z: np.where(
                       z > 0, 1.0, lam * alpha * _negative_exp(z))),
                   "for z > 0, SELU(z) = lambda z, so its slope there is lambda = 1.0507"),
    ]


def _selu_run(piece, callback):
    """Train the capstone's network with `piece` (an Activation), registered for the run
    under a private name and removed after it. The History carries the Spec it ran with."""
    activations.register(replace(piece, name=_GRADED))
    try:
        spec = Spec(SELU_RUN_SIZES, activation=_GRADED)
        X, Y, *_ = load_moons()
        params = init_params(spec, "lecun_normal", rng=SELU_RUN_SEED)
        history = train(spec, params, X, Y, sgd(SELU_RUN_LR), steps=SELU_RUN_STEPS,
                        callback=callback, callback_every=1, progress=False)
    finally:
        activations.unregister(_GRADED)
    history.spec = spec
    return history


def _as_activation(answer):
    """(the Activation, None) or (None, what is wrong with the answer, a hint). A name of a
    registered activation is looked up."""
    if isinstance(answer, str):
        if answer in activations.BUILT_IN:
            return None, f"{answer!r} is the library's own activation, not yours", SELU_HOW
        if answer in activations.NAMES:
            return activations.get(answer), None, None
        return None, f"no activation is registered as {answer!r}", SELU_HOW
    if isinstance(answer, activations.Activation):
        if getattr(answer.f, "__module__", None) == activations.__name__:
            return (None, f"this is the library's own {answer.name!r} (from "
                    "cu.activations.get), not yours", SELU_HOW)
        return answer, None, None
    if callable(answer):
        return (None, "expected an Activation (your f and df together), got a function "
                "alone", SELU_HOW)
    return None, f"expected an Activation, got {type(answer).__name__}", SELU_HOW


def _selu_form(answer):
    """f and df are functions that work elementwise on arrays (a (3, 4) test array)."""
    activation, problem, hint = _as_activation(answer())
    if problem:
        return False, problem, hint
    Z = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
    for what, label in (("f", "selu"), ("df", "selu_derivative")):
        fn = getattr(activation, what)
        if not callable(fn):
            return (False, f"the activation's {what} should be a function, got "
                    f"{type(fn).__name__}", SELU_HOW)
        given = Z.copy()
        try:
            with np.errstate(all="ignore"):
                got = fn(given)
        except Exception as error:  # noqa: BLE001 - the reader's code: said, not raised
            return _not_elementwise(error, what, label)
        if not isinstance(got, np.ndarray):
            return (False, f"{what} (your {label}) should return a numpy array, got "
                    f"{type(got).__name__}", f"write the body of {label}: it returns an array "
                    "of z's shape, computed elementwise (np.where, np.exp)")
        if got.shape != Z.shape:
            return (False, f"{what} (your {label}) returned shape {got.shape} for a (3, 4) array",
                    "work elementwise with numpy (np.where, np.exp), not with a Python loop or "
                    "max()")
        if not np.all(np.isfinite(got)):
            return (False, f"{what} (your {label}) returned NaN or inf for z in [-2, 2]",
                    f"run {label} on a few values by itself and read what it returns")
        if what == "f" and not np.array_equal(given, Z):
            # the network keeps z for the backward pass, where df reads it
            return (False, "f (your selu) changes the array z it is given (in place): the "
                    "network keeps z for the backward pass, where your derivative reads it",
                    "build a new array instead of writing into z: np.where(z > 0, ..., ...) "
                    "returns one (or start from z.copy())")
    return True, "f and df work elementwise on arrays", None


def _not_elementwise(error, what: str, label: str):
    """A failed case for f or df raising on a (3, 4) array: a Python `if` or math.exp,
    which work on one number only, are named."""
    said = f"{what} (your {label}) raised {type(error).__name__} on a (3, 4) array: {error}"
    last = traceback.extract_tb(error.__traceback__)[-1]
    if last.line:
        said += f" (line {last.lineno}: {last.line.strip()})"
    text = str(error)
    if "truth value of an array" in text:
        return (False, said, "an `if z > 0:` looks at one number, but z is a whole array: "
                "choose elementwise with np.where(z > 0, ..., ...)")
    if "arrays can be converted to Python scalars" in text:
        return (False, said, "math.exp works on one number: use np.exp, which works on "
                "every entry of an array")
    return (False, said, f"run {label} on np.linspace(-2, 2, 12).reshape(3, 4) by itself "
            "and read the error")


def _numerical_slopes(f, Z):
    """f's slopes at each z by differences: (left, right, central) =
    ((f(z) - f(z - h)) / h, (f(z + h) - f(z)) / h, (f(z + h) - f(z - h)) / 2h). Where f is
    smooth the three agree with f'(z); at a kink, left and right are its one-sided slopes."""
    below, at, above = (np.asarray(f(Z + shift), dtype=float) for shift in (-_STEP, 0.0, _STEP))
    return (at - below) / _STEP, (above - at) / _STEP, (above - below) / (2 * _STEP)


def _selu_df_case(answer):
    """df against SELU's numerical derivative at SELU_DF_POINTS: central differences away
    from 0 (within DF_RTOL, relative); at z = 0, where SELU has a kink (left slope
    lambda alpha = 1.7581, right slope lambda = 1.0507), any value between the two
    one-sided slopes (a subgradient) is accepted."""
    activation, _, _ = _as_activation(answer())
    Z = SELU_DF_POINTS
    with np.errstate(all="ignore"):
        got = np.asarray(activation.df(Z.copy()), dtype=float)
    if got.shape != Z.shape:
        return False, f"df returned shape {got.shape} for {Z.size} points", SELU_HOW
    reference = activations.get("selu").f
    left, right, central = _numerical_slopes(reference, Z)
    truth = activations.get("selu").df(Z)
    away = Z != 0
    wrong = away & ~np.isclose(got, truth, rtol=DF_RTOL, atol=1e-12)
    if np.any(wrong):
        k = int(np.flatnonzero(wrong)[0])
        side = "z > 0" if Z[k] > 0 else "z < 0"
        off = abs(got[k] - truth[k]) / abs(truth[k])
        return (False, f"your derivative at z = {Z[k]:g} is {got[k]:.10g}; SELU's derivative "
                f"there is {truth[k]:.10g} (relative difference {past(off, DF_RTOL)})",
                f"check the {side} branch: the slope is lambda = 1.0507 for z > 0 and "
                "lambda alpha e^z for z < 0")
    low, high = sorted((left[~away][0], right[~away][0]))
    at_zero = got[~away][0]
    if not (low - 1e-6 <= at_zero <= high + 1e-6):
        return (False, f"at z = 0 your derivative is {at_zero:.6g}, outside the kink's one-sided "
                f"slopes, {low:.4f} (right) to {high:.4f} (left)",
                "SELU has a kink at 0: any value between its two one-sided slopes is "
                "accepted there; np.where(z > 0, ..., ...) gives the left one, lambda alpha")
    return (True, f"the derivative matches SELU's numerical derivative at {int(away.sum())} "
            f"points on both sides (relative error below {DF_RTOL:g}); at the kink z = 0 "
            f"your {at_zero:.4f} lies between the one-sided slopes {low:.4f} and {high:.4f}",
            None)


def _selu_overflow_case(answer):
    """f and df at z = +-1000 without a warning (np.where computes both branches for every
    z, so e^1000 overflows unless the exponential sees min(z, 0))."""
    activation, _, _ = _as_activation(answer())
    Z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    # numpy's own default: e^-1000 rounding to 0 (underflow) is silent, and right
    with warnings.catch_warnings(record=True) as caught, np.errstate(
            over="warn", invalid="warn", divide="warn", under="ignore"):
        warnings.simplefilter("always")
        f_values = np.asarray(activation.f(Z.copy()), dtype=float)
        df_values = np.asarray(activation.df(Z.copy()), dtype=float)
    warned = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if warned:
        return (False, f"at z = 1000 your code makes numpy warn ({warned[0]}): np.where "
                "computes both branches for every z, so e^1000 is computed and overflows, "
                "even where the result is thrown away",
                "take the exponential of np.minimum(z, 0), which is never large "
                "(np.expm1(np.minimum(z, 0)) is exact near 0 too)")
    f_truth = activations.get("selu").f(Z)
    df_truth = activations.get("selu").df(Z)
    if not np.allclose(f_values, f_truth):
        return (False, f"far out your f is wrong: f(1000) should be {f_truth[4]:.10g} and "
                f"f(-1000) {f_truth[0]:.10g}; yours gives {f_values[4]:.10g} and "
                f"{f_values[0]:.10g}",
                "check both branches of f for very large and very negative z")
    far = [0, 1, 3, 4]  # z = 0 is the kink's business (the derivative check)
    if not np.allclose(df_values[far], df_truth[far]):
        return (False, f"far out your derivative is wrong: df(1000) should be "
                f"{df_truth[4]:.10g} and df(-1000) 0; yours gives {df_values[4]:.10g} and "
                f"{df_values[0]:.10g}", "check both branches of df for very large and very "
                "negative z")
    return True, "no overflow and no warning at z = +-1000, right values there", None


_RUN_OTHERWISE = ("compare your f and df with SELU's formula branch by branch, on a few "
                  "values of z of each sign")


def _constants_of(activation) -> dict:
    """SELU's two constants as the reader's f and df give them: lambda = f(1) = f'(1), and
    lambda alpha = -f(-40) (e^-40 is below double precision next to 1) = f'(0-)."""
    with np.errstate(all="ignore"):
        f = np.asarray(activation.f(np.array([1.0, -40.0])), dtype=float)
        df = np.asarray(activation.df(np.array([1.0, -1e-12])), dtype=float)
    return {"lambda in f": f[0], "lambda alpha in f": -f[1], "lambda in df": df[0],
            "lambda alpha in df": df[1]}


def _near_miss(activation, traces) -> tuple | None:
    """(what, hint) for a run that parts from the library's although the reader's SELU
    agrees with it to 3 digits or more: rounded constants (named with their values), or an
    approximation elsewhere (a derivative by differences), or None."""
    try:
        mine = _constants_of(activation)
    except Exception:  # noqa: BLE001 - the other cases report the reader's errors
        return None
    truth = {"lambda in f": _LAMBDA, "lambda alpha in f": _LAMBDA * _ALPHA,
             "lambda in df": _LAMBDA, "lambda alpha in df": _LAMBDA * _ALPHA}
    off = {k: abs(mine[k] - truth[k]) / truth[k] if np.isfinite(mine[k]) else np.inf
           for k in truth}
    if all(v < 1e-3 for v in off.values()) and any(v > 1e-9 for v in off.values()):
        rounded = [k for k, v in off.items() if v > 1e-9]
        said = ", ".join(f"{k} {mine[k]:.10g}" for k in rounded)
        return (f"your constants are rounded ({said}; SELU's lambda is {_LAMBDA:.10g} and "
                f"lambda alpha {_LAMBDA * _ALPHA:.10g})",
                "use the library's constants, cu.activations.SELU_SCALE and "
                "cu.activations.SELU_ALPHA, not rounded values: the runs are compared to 1e-6")
    if not traces or "yours" not in traces:
        return None
    parting = first_parting(traces["yours"], traces["library"])
    if parting is None or parting["diverged"] or parting.get("nonfinite"):
        return None
    sizes = []
    if parting["cost"] is not None:
        a, b = parting["cost"]
        sizes.append(abs(a - b) / abs(b))
    if parting["param"] is not None:
        sizes.append(parting["param"][1])
    if sizes and max(sizes) < 1e-3:
        return ("your run stays close to the library's but not within 1e-6: your f or df "
                "approximates SELU somewhere",
                "write both from the formula, exactly: a derivative by differences "
                "((f(z + h) - f(z - h)) / 2h) or a rounded constant is close, not equal")
    return None


def selu_in_training(activation):
    """Grade the capstone of 04: your SELU (an Activation made of your f and df) trains the
    network of SELU_RUN_SIZES on the moons for 200 steps (LeCun-normal start, rng 0, rate
    0.1) beside the library's SELU, step by step: every cost and every parameter within
    1e-6 (relative) of the library's. Then your df is checked against SELU's numerical
    derivative at 11 points on both sides of 0 (within 1e-6; at the kink z = 0 any value
    between the one-sided slopes 1.0507 and 1.7581 is accepted), and f and df must run at
    z = +-1000 without a warning. Known mistakes are named by the run they produce. The
    Feedback carries the runs (`plot_selu_run`)."""
    title = "Your SELU in a training run"
    form = _selu_form(lambda: activation)
    if not form[0]:
        feedback = grade(title, [lambda _: form], lambda: activation)
        feedback.traces = {}
        return feedback
    piece, _, _ = _as_activation(activation)
    case = run_case(_selu_run, activations.get("selu"), mistakes=_selu_run_mistakes(),
                    otherwise=_RUN_OTHERWISE,
                    right="your run matches the library's SELU at every step ({steps} steps, "
                          "costs and parameters within {rtol:g})")

    def run_then_near_miss(answer):
        ok, message, hint = case(answer)
        if not ok and hint == _RUN_OTHERWISE and (near := _near_miss(answer(), case.traces)):
            return False, f"{message}: {near[0]}", near[1]
        return ok, message, hint

    feedback = grade(title, [run_then_near_miss, _selu_df_case, _selu_overflow_case],
                     lambda: piece, stop_at_first_failure=False)
    feedback.traces = dict(case.traces)
    return feedback


def plot_selu_run(feedback):
    """The run of `selu_in_training`: your cost curve beside the library's, and the decision
    boundary your run ends with. Returns the axes."""
    traces = getattr(feedback, "traces", {})
    boundary = None
    if "yours" in traces:
        X, Y, *_ = load_moons()
        boundary = (traces["yours"].history.spec, X, Y)
    return plot_runs(feedback, boundary=boundary)
