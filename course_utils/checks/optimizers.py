"""Graders for the exercises of 05_optimizers: one momentum step, Adam's bias correction,
and AdaGrad's step size under a constant gradient."""

from __future__ import annotations

import numpy as np

from ._core import describe_difference, grade

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

_MOMENTUM_MISTAKES = {
    "PyTorch's form v = beta v + g (no 1 - beta)":
        (lambda W, v, g, lr, b: (W - lr * (b * v + g), b * v + g),
         "the course averages the gradients: v = beta * v + (1 - beta) * dW"),
    "the step uses the gradient, not the velocity":
        (lambda W, v, g, lr, b: (W - lr * g, b * v + (1 - b) * g),
         "the whole point: move by the velocity, W - lr * v, with the new v"),
    "the step uses the old velocity":
        (lambda W, v, g, lr, b: (W - lr * v, b * v + (1 - b) * g),
         "update v first, then take the step with the new v"),
    "the step goes uphill (W + lr * v)":
        (lambda W, v, g, lr, b: (W + lr * (b * v + (1 - b) * g), b * v + (1 - b) * g),
         "move against the gradient: W - lr * v"),
    "beta and 1 - beta swapped":
        (lambda W, v, g, lr, b: (W - lr * ((1 - b) * v + b * g), (1 - b) * v + b * g),
         "beta (0.9) weighs the past velocity, 1 - beta (0.1) the new gradient"),
    "seed 001's heavy-ball form u = beta u - lr dW, W = W + u":
        (lambda W, v, g, lr, b: (W + (b * v - lr * g), b * v - lr * g), _HEAVY_BALL_HINT),
    "the heavy-ball form with (1 - beta): u = beta u - lr (1 - beta) dW, W = W + u":
        (lambda W, v, g, lr, b: (W + (b * v - lr * (1 - b) * g), b * v - lr * (1 - b) * g),
         _HEAVY_BALL_HINT),
}


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


def _momentum_values(fn):
    W, v = _W.copy(), _V.copy()
    for step, g in ((1, _G1), (2, _G2)):
        got_W, got_v = (np.asarray(x, dtype=float) for x in fn(W.copy(), v.copy(), g.copy(), _LR, _BETA))
        want_W, want_v = _momentum_reference(W, v, g, _LR, _BETA)
        ok_v, message_v = describe_difference(f"v after step {step}", got_v, want_v)
        ok_W, message_W = describe_difference(f"W after step {step}", got_W, want_W)
        if not (ok_v and ok_W):
            for mistake, (wrong, hint) in _MOMENTUM_MISTAKES.items():
                wrong_W, wrong_v = wrong(W, v, g, _LR, _BETA)
                if np.allclose(got_W, wrong_W) and np.allclose(got_v, wrong_v):
                    return False, f"step {step}: looks like {mistake}", hint
            message = message_v if not ok_v else message_W
            return (False, f"step {step}: {message}",
                    "v = beta * v + (1 - beta) * dW, then W = W - lr * v")
        W, v = want_W, want_v
    return True, "two steps in a row match v = beta v + (1 - beta) dW; W = W - lr v", None


def _momentum_no_mutation(fn):
    W, v, g = _W.copy(), _V.copy(), _G1.copy()
    fn(W, v, g, _LR, _BETA)
    if not (np.array_equal(W, _W) and np.array_equal(v, _V) and np.array_equal(g, _G1)):
        return (False, "your function changed the arrays it was given (in-place -= or +=)",
                "return new arrays (W_new = W - lr * v_new) instead of changing W or v in place: "
                "the course's optimizers never change their inputs")
    return True, "the inputs are left unchanged", None


def momentum_step(fn):
    """Grade momentum_step(W, v, dW, lr, beta) -> (W_new, v_new), the course's momentum."""
    return grade("One momentum step", [_momentum_returns_pair, _momentum_values,
                                        _momentum_no_mutation], fn)


# ---------------------------------------------------------------- Adam's bias correction

_M = np.array([[0.02, -0.05], [0.1, 0.0]])
_S = np.array([[4e-4, 2.5e-3], [1e-2, 1e-6]])
_CASES = ((1, 0.9, 0.999), (5, 0.9, 0.999), (40, 0.8, 0.99))
_T_HINT = ("t counts the gradients averaged so far, this one included: the first step has "
           "t = 1, so divide by 1 - beta1 ** t")


def _corrected(m, v, t, beta1, beta2):
    return m / (1 - beta1 ** t), v / (1 - beta2 ** t)


_CORRECTION_MISTAKES = {
    "t - 1 in the exponent": (lambda m, v, t, b1, b2: _corrected(m, v, t - 1, b1, b2) if t > 1
                              else (None, None), _T_HINT),
    "t + 1 in the exponent": (lambda m, v, t, b1, b2: _corrected(m, v, t + 1, b1, b2), _T_HINT),
    "(1 - beta) ** t instead of 1 - beta ** t": (
        lambda m, v, t, b1, b2: (m / (1 - b1) ** t, v / (1 - b2) ** t),
        "the power goes on beta alone: 1 - beta1 ** t (Python's ** binds before -); "
        "(1 - beta1) ** t is a tiny number that blows the averages up"),
    "only m corrected": (lambda m, v, t, b1, b2: (m / (1 - b1 ** t), v),
                         "v starts at 0 too: v_hat = v / (1 - beta2 ** t)"),
    "only v corrected": (lambda m, v, t, b1, b2: (m, v / (1 - b2 ** t)),
                         "m starts at 0 too: m_hat = m / (1 - beta1 ** t)"),
    "the betas swapped": (lambda m, v, t, b1, b2: _corrected(m, v, t, b2, b1),
                          "m, the average of g, goes with beta1; v, the average of g^2, with beta2"),
    "multiplied instead of divided": (lambda m, v, t, b1, b2: (m * (1 - b1 ** t), v * (1 - b2 ** t)),
                                      "the averages are too small early on: divide by "
                                      "1 - beta ** t (a number below 1) to scale them up"),
    "the square root of v's correction": (lambda m, v, t, b1, b2: (m / (1 - b1 ** t),
                                                                  v / np.sqrt(1 - b2 ** t)),
                                          "correct v itself: v / (1 - beta2 ** t); the square "
                                          "root comes later, in the update"),
}


def _correction_values(fn):
    for t, beta1, beta2 in _CASES:
        with np.errstate(all="ignore"):  # a division by 1 - beta ** 0 = 0 is reported below
            out = fn(_M.copy(), _S.copy(), t, beta1, beta2)
        if not _is_pair(out):
            return (False, f"bias_correction should return a pair (m_hat, v_hat), got "
                    f"{type(out).__name__}", "end with: return m_hat, v_hat")
        got_m, got_v = out
        if not all(np.all(np.isfinite(np.asarray(x, dtype=float))) for x in out):
            return (False, f"t={t}: your m_hat or v_hat is inf or NaN (a division by zero?)",
                    _T_HINT)
        want_m, want_v = _corrected(_M, _S, t, beta1, beta2)
        ok_m, message_m = describe_difference(f"m_hat at t={t}", got_m, want_m)
        ok_v, message_v = describe_difference(f"v_hat at t={t}", got_v, want_v)
        if ok_m and ok_v:
            continue
        for mistake, (wrong, hint) in _CORRECTION_MISTAKES.items():
            wrong_m, wrong_v = wrong(_M, _S, t, beta1, beta2)
            if wrong_m is not None and np.allclose(np.asarray(got_m, float), wrong_m) and \
                    np.allclose(np.asarray(got_v, float), wrong_v):
                return False, f"t={t}: looks like {mistake}", hint
        return (False, f"t={t}, beta1={beta1}, beta2={beta2}: "
                f"{message_m if not ok_m else message_v}",
                "m_hat = m / (1 - beta1 ** t), v_hat = v / (1 - beta2 ** t)")
    return True, "m_hat and v_hat are right at t = 1, 5 and 40", None


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


def _correction_no_mutation(fn):
    """The same rule as momentum_step's: the course's optimizers never change their inputs,
    so m /= (1 - beta1 ** t) (which overwrites Adam's running average) is not accepted."""
    m, v = _M.copy(), _S.copy()
    with np.errstate(all="ignore"):
        fn(m, v, 5, 0.9, 0.999)
    if not (np.array_equal(m, _M) and np.array_equal(v, _S)):
        return (False, "your function changed the arrays it was given (in-place /= or *=)",
                "return new arrays (m_hat = m / ...) instead of changing m or v in place: "
                "m and v are Adam's running averages, and the next step needs them uncorrected")
    return True, "the inputs are left unchanged", None


def bias_correction(fn):
    """Grade bias_correction(m, v, t, beta1, beta2) -> (m_hat, v_hat)."""
    return grade("Adam's bias correction", [_correction_values, _correction_first_step,
                                            _correction_no_mutation], fn)


# ---------------------------------------------------------------- AdaGrad's step size

# The exercise: AdaGrad with lr 0.1 receives the same gradient g = 2 at every step (one
# parameter, eps negligible). How long is its 100th step?
ADAGRAD_LR, ADAGRAD_GRADIENT, ADAGRAD_STEP = 0.1, 2.0, 100


def adagrad_step_size(answer):
    """Grade a number: the length of AdaGrad's 100th step under a constant gradient."""
    def case(value):
        if callable(value):
            value = value()
        if isinstance(value, (str, bytes)):
            return (False, f"expected a number, got the string {value!r}",
                    "pass the number itself, without quotes")
        try:
            value = float(value)
        except (TypeError, ValueError):
            return (False, f"expected a number, got {type(value).__name__}",
                    "work it out and pass the number")
        lr, g, t = ADAGRAD_LR, ADAGRAD_GRADIENT, ADAGRAD_STEP
        truth = lr * g / np.sqrt(t * g * g)  # G = t g^2 after t steps
        # Named mistakes first, at a tolerance (0.1%) that separates them from the answer:
        # the off-by-one answers lie 0.5% from it.
        wrong = {
            "lr / sqrt(G): the step multiplies g too": (
                lr / np.sqrt(t * g * g), "the step is lr * g / sqrt(G), with G = t g^2: "
                                         "the gradient appears above and below"),
            "the step after 99 gradients, not 100 (off by one)": (
                lr * g / np.sqrt((t - 1) * g * g), "the 100th step divides by the root of G "
                                                   "after 100 gradients, this one included"),
            "the step after 101 gradients, not 100 (off by one)": (
                lr * g / np.sqrt((t + 1) * g * g), "the 100th step divides by the root of G "
                                                   "after 100 gradients, this one included"),
            "RMSProp's answer (the step does not shrink)": (
                lr, "that is RMSProp's step once its average has settled; AdaGrad sums "
                    "every squared gradient, G = t g^2, which only grows"),
            "lr / t": (lr / t, "G grows like t, and the step divides by its square root"),
            "lr * g / sqrt(t)": (lr * g / np.sqrt(t), "the step divides g by sqrt(G) = "
                                 "sqrt(t) |g|: the size of g cancels"),
            "lr * g / t (no square root)": (lr * g / t, "the step divides by sqrt(G), not G"),
        }
        for name, (wrong_value, hint) in wrong.items():
            if np.isclose(value, wrong_value, rtol=1e-3, atol=0):
                return False, f"{value:.4g} is {name}", hint
        if np.isclose(value, truth, rtol=1e-3, atol=0):
            return True, f"{value:.4g}: right", None
        return (False, f"{value:.4g} is not the length of the 100th step",
                "after t steps G = t g^2; the step is lr * g / sqrt(G)")
    return grade("AdaGrad's 100th step", [case], lambda: answer)
