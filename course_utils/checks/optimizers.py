"""Graders for the exercises of 05_optimizers: one momentum step, Adam's bias correction,
and AdaGrad's step size under a constant gradient."""

from __future__ import annotations

import numpy as np

from ._core import (Mistake, array_case, grade, grade_number, leaves_inputs_unchanged,
                    on_inputs)

__all__ = ["momentum_step", "bias_correction", "adagrad_step_size"]


def _is_pair(out):
    return isinstance(out, (tuple, list)) and len(out) == 2


# ---------------------------------------------------------------- one momentum step

# A parameter, its velocity and two gradients (the second step checks that v carries over).
_W = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
_V = np.array([[0.2, -0.1, 0.0], [0.05, 0.3, -0.2]])
_G1 = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
_G2 = np.array([[-0.5, 1.0, 0.25], [2.0, -1.0, 0.5]])
_LR, _BETA = 0.1, 0.9


def _momentum_reference(W, v, dW, lr, beta):
    v = beta * v + (1 - beta) * dW
    return W - lr * v, v


# Seed 001's "movement = last movement - gradient" (section 3 of the notebook): the same
# method, written with u = -lr v (and PyTorch's rate lr' = lr (1 - beta)).
_HEAVY_BALL_HINT = ("that is the same method written another way (section 3): with u = -lr v, "
                    "the seed's form at rate lr (1 - beta) follows the course's at rate lr. "
                    "Here v is the course's average of the gradients: "
                    "v = beta * v + (1 - beta) * dW, then W = W - lr * v")


def _momentum_mistakes(W, v, dW, lr, beta) -> list[Mistake]:
    """The known wrong steps from (W, v) with gradient dW: each Mistake's wrong answer is
    the pair (v_new, W_new) it gives, in the order they are computed (and compared)."""
    v_right = beta * v + (1 - beta) * dW
    v_pytorch = beta * v + dW
    v_swapped = (1 - beta) * v + beta * dW
    u_seed = beta * v - lr * dW  # the heavy ball's movement u, from v read as u
    u_seed_averaged = beta * v - lr * (1 - beta) * dW
    return [
        Mistake("PyTorch's form v = beta v + g (no 1 - beta)", (v_pytorch, W - lr * v_pytorch),
                "the course averages the gradients: v = beta * v + (1 - beta) * dW"),
        Mistake("the step uses the gradient, not the velocity", (v_right, W - lr * dW),
                "the whole point: move by the velocity, W - lr * v, with the new v"),
        Mistake("the step uses the old velocity", (v_right, W - lr * v),
                "update v first, then take the step with the new v"),
        Mistake("the step goes uphill (W + lr * v)", (v_right, W + lr * v_right),
                "move against the gradient: W - lr * v"),
        Mistake("beta and 1 - beta swapped", (v_swapped, W - lr * v_swapped),
                "beta (0.9) weighs the past velocity, 1 - beta (0.1) the new gradient"),
        Mistake("seed 001's heavy-ball form u = beta u - lr dW, W = W + u",
                (u_seed, W + u_seed), _HEAVY_BALL_HINT),
        Mistake("the heavy-ball form with (1 - beta): u = beta u - lr (1 - beta) dW, W = W + u",
                (u_seed_averaged, W + u_seed_averaged), _HEAVY_BALL_HINT),
    ]


def _momentum_returns_pair(fn):
    out = fn(_W.copy(), _V.copy(), _G1.copy(), _LR, _BETA)
    if not _is_pair(out):
        return (False, f"momentum_step should return a pair (W, v), got {type(out).__name__}",
                "end with: return W_new, v_new")
    W_new, v_new = out
    for name, value in (("W", W_new), ("v", v_new)):
        try:  # any array-like of the parameter's shape will do (a list from .tolist() too)
            shape = np.asarray(value, dtype=float).shape
        except (TypeError, ValueError):
            shape = type(value).__name__
        if shape != _W.shape:
            return (False, f"the returned {name} should be an array of shape {_W.shape}, got {shape}",
                    "work on whole arrays: no loops needed")
    return True, "returns (W, v), both of the parameter's shape", None


def _momentum_steps():
    """Two steps in a row, (step, W, v, dW), each from the right (W, v) of the step before."""
    steps, W, v = [], _W, _V
    for step, dW in ((1, _G1), (2, _G2)):
        steps.append((step, W, v, dW))
        W, v = _momentum_reference(W, v, dW, _LR, _BETA)
    return steps


def _momentum_step_at(step, W, v, dW):
    """The case for one step from (W, v): the new (v, W), v first (W is made from it)."""
    want_W, want_v = _momentum_reference(W, v, dW, _LR, _BETA)
    return array_case((f"v after step {step}", f"W after step {step}"), (want_v, want_W),
                      mistakes=_momentum_mistakes(W, v, dW, _LR, _BETA),
                      mistake_rtol=1e-5, mistake_atol=1e-8,
                      say_mistake=f"step {step}: looks like {{what}}",
                      say_wrong=f"step {step}: {{difference}}",
                      otherwise="v = beta * v + (1 - beta) * dW, then W = W - lr * v")


def _new_v_and_W(fn, step, W, v, dW):
    """The reader's step as float arrays (a list from .tolist() will do), v first."""
    W_new, v_new = fn(W.copy(), v.copy(), dW.copy(), _LR, _BETA)
    return np.asarray(v_new, dtype=float), np.asarray(W_new, dtype=float)


_momentum_values = on_inputs(
    _momentum_steps(), _momentum_step_at, call=_new_v_and_W,
    right="two steps in a row match v = beta v + (1 - beta) dW; W = W - lr v")

_momentum_no_mutation = leaves_inputs_unchanged(
    lambda fn, W, v, dW: fn(W, v, dW, _LR, _BETA), (_W, _V, _G1),
    wrong="your function changed the arrays it was given (in-place -= or +=)",
    hint="return new arrays (W_new = W - lr * v_new) instead of changing W or v in place: "
         "the course's optimizers never change their inputs")


def momentum_step(fn):
    """Grade momentum_step(W, v, dW, lr, beta) -> (W_new, v_new), the course's momentum."""
    return grade("One momentum step", [_momentum_returns_pair, _momentum_values,
                                        _momentum_no_mutation], fn)


# ---------------------------------------------------------------- Adam's bias correction

_M = np.array([[0.02, -0.05], [0.1, 0.0]])
_S = np.array([[4e-4, 2.5e-3], [1e-2, 1e-6]])
_CASES = ((1, 0.9, 0.999), (5, 0.9, 0.999), (40, 0.8, 0.99))  # (t, beta1, beta2)
_T_HINT = ("t counts the gradients averaged so far, this one included: the first step has "
           "t = 1, so divide by 1 - beta1 ** t")


def _corrected(m, v, t, beta1, beta2):
    return m / (1 - beta1 ** t), v / (1 - beta2 ** t)


def _correction_mistakes(m, v, t, beta1, beta2) -> list[Mistake]:
    """The known wrong corrections at step t: each Mistake's wrong answer is the pair
    (m_hat, v_hat) it returns. (At t = 1, t - 1 divides by zero: the finiteness check
    names that one.)"""
    off_by_one = [Mistake("t - 1 in the exponent", _corrected(m, v, t - 1, beta1, beta2),
                          _T_HINT)] if t > 1 else []
    return off_by_one + [
        Mistake("t + 1 in the exponent", _corrected(m, v, t + 1, beta1, beta2), _T_HINT),
        Mistake("(1 - beta) ** t instead of 1 - beta ** t",
                (m / (1 - beta1) ** t, v / (1 - beta2) ** t),
                "the power goes on beta alone: 1 - beta1 ** t (Python's ** binds before -); "
                "(1 - beta1) ** t is a tiny number that blows the averages up"),
        Mistake("only m corrected", (m / (1 - beta1 ** t), v),
                "v starts at 0 too: v_hat = v / (1 - beta2 ** t)"),
        Mistake("only v corrected", (m, v / (1 - beta2 ** t)),
                "m starts at 0 too: m_hat = m / (1 - beta1 ** t)"),
        Mistake("the betas swapped", _corrected(m, v, t, beta2, beta1),
                "m, the average of g, goes with beta1; v, the average of g^2, with beta2"),
        Mistake("multiplied instead of divided", (m * (1 - beta1 ** t), v * (1 - beta2 ** t)),
                "the averages are too small early on: divide by 1 - beta ** t (a number "
                "below 1) to scale them up"),
        Mistake("the square root of v's correction",
                (m / (1 - beta1 ** t), v / np.sqrt(1 - beta2 ** t)),
                "correct v itself: v / (1 - beta2 ** t); the square root comes later, in the "
                "update"),
    ]


def _correction_at(t, beta1, beta2):
    """The case for bias_correction(_M, _S, t, beta1, beta2): a pair of finite arrays, then
    their values and the known mistakes."""
    values = array_case((f"m_hat at t={t}", f"v_hat at t={t}"), _corrected(_M, _S, t, beta1, beta2),
                        mistakes=_correction_mistakes(_M, _S, t, beta1, beta2),
                        mistake_rtol=1e-5, mistake_atol=1e-8,
                        say_mistake=f"t={t}: looks like {{what}}",
                        say_wrong=f"t={t}, beta1={beta1}, beta2={beta2}: {{difference}}",
                        otherwise="m_hat = m / (1 - beta1 ** t), v_hat = v / (1 - beta2 ** t)")

    def case(answer):
        out = answer()
        if not _is_pair(out):
            return (False, f"bias_correction should return a pair (m_hat, v_hat), got "
                    f"{type(out).__name__}", "end with: return m_hat, v_hat")
        if not all(np.all(np.isfinite(np.asarray(x, dtype=float))) for x in out):
            return (False, f"t={t}: your m_hat or v_hat is inf or NaN (a division by zero?)",
                    _T_HINT)
        return values(lambda: out)
    return case


def _corrections(fn, t, beta1, beta2):
    with np.errstate(all="ignore"):  # a division by 1 - beta ** 0 = 0 is reported by the case
        return fn(_M.copy(), _S.copy(), t, beta1, beta2)


_correction_values = on_inputs(_CASES, _correction_at, call=_corrections,
                               right="m_hat and v_hat are right at t = 1, 5 and 40")


def _correction_first_step(fn):
    """After one gradient g, m = (1 - beta1) g and v = (1 - beta2) g^2: corrected, they are
    g and g^2 exactly."""
    g = np.array([[0.3, -2.0]])
    with np.errstate(all="ignore"):
        m_hat, v_hat = fn(0.1 * g, 0.001 * g * g, 1, 0.9, 0.999)
    if np.allclose(m_hat, g) and np.allclose(v_hat, g * g):
        return True, "after one gradient g the corrected averages are exactly g and g^2", None
    return (False, "after one gradient g the corrected averages should be g and g^2",
            "at t = 1, m = (1 - beta1) g: dividing by 1 - beta1 ** 1 gives g back")


# The same rule as momentum_step's, so m /= (1 - beta1 ** t) (which overwrites Adam's
# running average) is not accepted.
_correction_no_mutation = leaves_inputs_unchanged(
    lambda fn, m, v: fn(m, v, 5, 0.9, 0.999), (_M, _S),
    wrong="your function changed the arrays it was given (in-place /= or *=)",
    hint="return new arrays (m_hat = m / ...) instead of changing m or v in place: m and v "
         "are Adam's running averages, and the next step needs them uncorrected")


def bias_correction(fn):
    """Grade bias_correction(m, v, t, beta1, beta2) -> (m_hat, v_hat)."""
    return grade("Adam's bias correction", [_correction_values, _correction_first_step,
                                            _correction_no_mutation], fn)


# ---------------------------------------------------------------- AdaGrad's step size

# The exercise: AdaGrad with lr 0.1 receives the same gradient g = 2 at every step (one
# parameter, eps negligible). How long is its 100th step?
ADAGRAD_LR, ADAGRAD_GRADIENT, ADAGRAD_STEP = 0.1, 2.0, 100
# The off-by-one answers lie 0.5% from the right one: a tolerance of 0.1% tells them apart.
ADAGRAD_RTOL = 1e-3
_OFF_BY_ONE_HINT = ("the 100th step divides by the root of G after 100 gradients, this one "
                    "included")


def _adagrad_mistakes(lr, g, t) -> list[Mistake]:
    """The known wrong lengths of step t, AdaGrad at rate lr under a constant gradient g."""
    return [
        Mistake("lr / sqrt(G): the step multiplies g too", lr / np.sqrt(t * g * g),
                "the step is lr * g / sqrt(G), with G = t g^2: the gradient appears above "
                "and below"),
        Mistake("the step after 99 gradients, not 100 (off by one)",
                lr * g / np.sqrt((t - 1) * g * g), _OFF_BY_ONE_HINT),
        Mistake("the step after 101 gradients, not 100 (off by one)",
                lr * g / np.sqrt((t + 1) * g * g), _OFF_BY_ONE_HINT),
        Mistake("RMSProp's answer (the step does not shrink)", lr,
                "that is RMSProp's step once its average has settled; AdaGrad sums every "
                "squared gradient, G = t g^2, which only grows"),
        Mistake("lr / t", lr / t, "G grows like t, and the step divides by its square root"),
        Mistake("lr * g / sqrt(t)", lr * g / np.sqrt(t),
                "the step divides g by sqrt(G) = sqrt(t) |g|: the size of g cancels"),
        Mistake("lr * g / t (no square root)", lr * g / t,
                "the step divides by sqrt(G), not G"),
    ]


def _not_the_step(value):
    """The last word on a number that is neither right nor a known mistake."""
    return (False, f"{value:.4g} is not the length of the 100th step",
            "after t steps G = t g^2; the step is lr * g / sqrt(G)")


def adagrad_step_size(answer):
    """Grade a number: the length of AdaGrad's 100th step under a constant gradient."""
    lr, g, t = ADAGRAD_LR, ADAGRAD_GRADIENT, ADAGRAD_STEP
    truth = lr * g / np.sqrt(t * g * g)  # G = t g^2 after t steps
    return grade_number(
        "AdaGrad's 100th step", answer, truth, rtol=ADAGRAD_RTOL,
        right="{value:.4g}: right", mistakes=_adagrad_mistakes(lr, g, t),
        accept=_not_the_step, how_to_answer="work it out and pass the number", otherwise="after t steps G = t g^2; the step is lr * g / sqrt(G)")
