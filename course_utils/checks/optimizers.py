"""Graders for the exercises of 05_optimizers: one momentum step, Adam's bias correction,
AdaGrad's step size under a constant gradient, and (the capstone) the reader's momentum and
Adam as optimizers in a real training run, compared step by step with the library's."""

from __future__ import annotations

import functools

import numpy as np

from .. import datasets, network, training
from .. import optimizers as course_optimizers
from ..optimizers import Optimizer
from ._core import (Mistake, array_case, grade, grade_number, leaves_inputs_unchanged,
                    on_inputs)
from ._runs import RunMistake, grade_run, run_case, traced

__all__ = ["momentum_step", "bias_correction", "adagrad_step_size", "momentum_in_training",
           "adam_in_training"]


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


# ---------------------------------------------------------------- capstone: your optimizers in a training run

# The run both graders train: the source course's network (section 8 of the notebook) from
# He's start with seed 0 (which has a dead unit in layer 2: its gradients are exactly 0),
# minibatches of 64 drawn with rng=1 (the same batches in every run), RUN_STEPS updates.
# Short on purpose: two correct implementations that round differently stay within 1e-13
# of each other here (measured in tests/unit/test_exercises_05.py), far below RUN_RTOL.
RUN_STEPS, RUN_BATCH_SIZE, RUN_SEED, RUN_BATCH_SEED = 60, 64, 0, 1
MOMENTUM_LR, MOMENTUM_BETA = 0.1, 0.9
ADAM_LR, ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.01, 0.9, 0.999, 1e-8
RUN_RTOL = 1e-6  # relative difference of every cost and every parameter (its norm) allowed


@functools.lru_cache(maxsize=1)
def _run_setting():
    """(spec, start params, X, Y): the moons and the source course's [2, 5, 2, 1] network."""
    X, Y, _, _ = datasets.load_moons()
    spec = network.Spec((2, 5, 2, 1), activation="relu")
    return spec, network.init_params(spec, "he_normal", rng=RUN_SEED), X, Y


def training_run(optimizer, callback=None):
    """The graders' run: RUN_STEPS minibatch updates of the moons network with `optimizer`,
    from a fresh copy of the start (so an update that changes its inputs in place cannot
    change the next run's start). Returns the History."""
    spec, start, X, Y = _run_setting()
    params = {k: p.copy() for k, p in start.items()}
    return training.train(spec, params, X, Y, optimizer, steps=RUN_STEPS,
                          batch_size=RUN_BATCH_SIZE, rng=RUN_BATCH_SEED, callback=callback,
                          callback_every=1, progress=False)


def run_boundary():
    """(spec, X, Y) of the graders' run, for cu.checks.plot_runs(feedback, boundary=...)."""
    spec, _, X, Y = _run_setting()
    return spec, X, Y


def _zeros(params):
    return {k: np.zeros_like(p) for k, p in params.items()}


def _momentum_variant(kind: str) -> Optimizer:
    """Momentum at MOMENTUM_LR, MOMENTUM_BETA written as `kind`: a correct form ("heavy
    ball": v = beta v + g, step lr (1 - beta) v) or a known mistake (the other kinds)."""
    lr, beta = MOMENTUM_LR, MOMENTUM_BETA

    def init(params):
        return {"step": 0, "v": _zeros(params)}

    def update(params, grads, state):
        v, new = {}, {}
        for k, p in params.items():
            g, v_old = grads["d" + k], state["v"][k]
            if kind in ("heavy ball", "no 1 - beta"):
                v[k] = beta * v_old + g
            elif kind == "swapped":
                v[k] = (1 - beta) * v_old + beta * g
            else:
                v[k] = beta * v_old + (1 - beta) * g
            step = {"heavy ball": lr * (1 - beta) * v[k],
                    "(1 - beta) twice": lr * (1 - beta) * v[k],
                    "old velocity": lr * v_old, "gradient": lr * g, "uphill": -lr * v[k],
                    "nesterov": lr * (beta * v[k] + (1 - beta) * g)}.get(kind, lr * v[k])
            new[k] = p - step
        if kind == "state not returned":  # the state it was given, so v stays at zero
            return new, state
        return new, {"step": state["step"] + 1, "v": v}

    return Optimizer(f"momentum ({kind})", init, update, {"lr": lr, "beta": beta})


def _adam_variant(kind: str) -> Optimizer:
    """Adam at ADAM_LR with the default betas and eps, written as `kind`: an accepted form
    ("eps before the correction", TensorFlow's; "eps squared inside the root") or a known
    mistake (the other kinds)."""
    lr, beta1, beta2, eps = ADAM_LR, ADAM_BETA1, ADAM_BETA2, ADAM_EPS
    if kind == "betas swapped":
        beta1, beta2 = beta2, beta1

    def init(params):
        zeros = _zeros(params)
        if kind == "m and v one dict":
            return {"step": 0, "m": zeros, "v": zeros}
        return {"step": 0, "m": zeros, "v": _zeros(params)}

    def update(params, grads, state):
        t = {"t from 0": state["step"], "t not incremented": 1}.get(kind, state["step"] + 1)
        c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
        if kind in ("no bias correction", "only v corrected"):
            c1 = 1.0
        if kind in ("no bias correction", "only m corrected"):
            c2 = 1.0
        if kind == "(1 - beta) ** t":
            c1, c2 = (1 - beta1) ** t, (1 - beta2) ** t
        if kind == "state not returned":  # new averages, but the state given is returned
            m, v = dict(state["m"]), dict(state["v"])
        else:
            m, v = state["m"], state["v"]  # written in place: "m and v one dict" needs it
        new = {}
        for k, p in params.items():
            g = grads["d" + k]
            m[k] = beta1 * m[k] + (1 if kind == "m without 1 - beta1" else 1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * (g if kind == "v of g" else g * g)
            m_hat, v_hat = m[k] / c1, v[k] / c2
            if kind == "corrected averages kept":  # m_hat and v_hat written back to the state
                m[k], v[k] = m_hat, v_hat
            if kind == "eps before the correction":  # lr_t m / (sqrt(v) + eps)
                step = lr * np.sqrt(c2) / c1 * m[k] / (np.sqrt(v[k]) + eps)
            elif kind == "eps squared inside the root":
                step = lr * m_hat / np.sqrt(v_hat + eps ** 2)
            elif kind == "eps inside the root":
                step = lr * m_hat / np.sqrt(v_hat + eps)
            elif kind == "no eps":
                step = lr * m_hat / np.sqrt(v_hat)
            elif kind == "m / v_hat":
                step = lr * m[k] / v_hat
            else:
                step = lr * m_hat / (np.sqrt(v_hat) + eps)
            new[k] = p - step
        step_count = {"t from 0": t + 1, "t not incremented": 1}.get(kind, t)
        if kind == "state not returned":
            return new, state
        return new, {"step": step_count, "m": m, "v": v}

    return Optimizer(f"adam ({kind})", init, update, {"lr": lr, "beta1": beta1, "beta2": beta2,
                                                      "eps": eps})


# The forms that are not the library's formula but are correct Adam: they differ from it only
# by where eps goes, by about eps / sqrt(v_hat) (up to 6e-5 relative on this run: above
# RUN_RTOL, so they are recognised by name and accepted). eps inside the root,
# sqrt(v_hat + eps), is not among them: it adds sqrt(1e-8) = 1e-4, a different optimizer.
_EPS_ONLY = ("it differs from the library's only by where eps enters (the library adds eps "
             "to sqrt(v_hat)); accepted")
_ADAM_ACCEPTED = (
    (_adam_variant("eps before the correction"),
     "your run follows TensorFlow's form: lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), step "
     f"lr_t m / (sqrt(v) + eps), which puts eps before the bias correction: {_EPS_ONLY}"),
    (_adam_variant("eps squared inside the root"),
     f"your run follows sqrt(v_hat + eps^2) in place of sqrt(v_hat) + eps: {_EPS_ONLY}"),
)

_MOMENTUM_FORMS = ("either v = beta * v + (1 - beta) * g with the step lr * v (the course's "
                   "form), or v = beta * v + g with the step lr * (1 - beta) * v (the heavy ball: "
                   "the same path, its rate is lr (1 - beta))")
_T_STEPS_HINT = ("t counts the gradients averaged so far, this one included: t = "
                 "state['step'] + 1 at every update, and the state you return has the step "
                 "count plus 1")


_STATE_HINT = ("return the new state, not the one you were given: return new_params, "
               "{{'step': state['step'] + 1, {averages}}}")


def _momentum_run_mistakes() -> list:
    return [
        RunMistake("v = beta v + g with the step lr * v: no (1 - beta), so every step is 10 "
                   "times too long", _momentum_variant("no 1 - beta"), _MOMENTUM_FORMS),
        RunMistake("(1 - beta) twice: v already averages, and the step is lr (1 - beta) v, "
                   "10 times too short", _momentum_variant("(1 - beta) twice"), _MOMENTUM_FORMS),
        RunMistake("the step uses the old velocity (your first step does not move)",
                   _momentum_variant("old velocity"),
                   "update v first, then step with the new v: p - lr * v_new"),
        RunMistake("the step uses the gradient, not the velocity: that is gradient descent",
                   _momentum_variant("gradient"), "step with the velocity: p - lr * v"),
        RunMistake("beta and 1 - beta swapped", _momentum_variant("swapped"),
                   "beta (0.9) weighs the old velocity, 1 - beta (0.1) the new gradient"),
        RunMistake("the step goes uphill (p + lr * v)", _momentum_variant("uphill"),
                   "move against the gradient: p - lr * v"),
        RunMistake("that is Nesterov's look-ahead step (cu.optimizers.nesterov)",
                   _momentum_variant("nesterov"),
                   "plain momentum steps with the new velocity itself: p - lr * v"),
        RunMistake("the velocity is not carried over: your update returns the state it was "
                   "given, so every step starts again from v = 0", _momentum_variant(
                       "state not returned"), _STATE_HINT.format(averages="'v': v")),
    ]


def _adam_run_mistakes() -> list:
    return [
        RunMistake("no bias correction (m / (sqrt(v) + eps))", _adam_variant("no bias correction"),
                   "divide m by 1 - beta1 ** t and v by 1 - beta2 ** t before the step "
                   "(exercise 2)"),
        RunMistake("t starts at 0, so the first step divides by 1 - beta ** 0 = 0",
                   _adam_variant("t from 0"), _T_STEPS_HINT),
        RunMistake("t is not incremented: every step is corrected as if it were the first",
                   _adam_variant("t not incremented"), _T_STEPS_HINT),
        RunMistake("only m is bias-corrected", _adam_variant("only m corrected"),
                   "v starts at 0 too: v_hat = v / (1 - beta2 ** t)"),
        RunMistake("only v is bias-corrected", _adam_variant("only v corrected"),
                   "m starts at 0 too: m_hat = m / (1 - beta1 ** t)"),
        RunMistake("(1 - beta) ** t instead of 1 - beta ** t", _adam_variant("(1 - beta) ** t"),
                   "the power goes on beta alone: 1 - beta1 ** t"),
        RunMistake("v averages g instead of g ** 2 (the root of a negative average is NaN)",
                   _adam_variant("v of g"), "v is the average of the squared gradients: "
                   "v = beta2 * v + (1 - beta2) * g ** 2"),
        RunMistake("the step is m / v_hat, not m_hat / (sqrt(v_hat) + eps)",
                   _adam_variant("m / v_hat"),
                   "step by lr * m_hat / (np.sqrt(v_hat) + eps): corrected m, square root of "
                   "v_hat"),
        RunMistake("eps left out: a dead unit's gradients are exactly 0, and 0 / sqrt(0) is NaN",
                   _adam_variant("no eps"), "add eps to the root: m_hat / (np.sqrt(v_hat) + eps)"),
        RunMistake("eps inside the square root: sqrt(v_hat + eps) adds sqrt(1e-8) = 1e-4, not "
                   "1e-8", _adam_variant("eps inside the root"),
                   "add eps after the root: np.sqrt(v_hat) + eps"),
        RunMistake("beta1 and beta2 swapped", _adam_variant("betas swapped"),
                   "m, the average of g, goes with beta1 = 0.9; v, of g ** 2, with beta2 = 0.999"),
        RunMistake("m and v share their arrays: init gives both the same zeros, so writing "
                   "v[k] overwrites m[k]", _adam_variant("m and v one dict"),
                   "make two dicts of zeros in init, one for m and one for v, each with its "
                   "own np.zeros_like(p)"),
        RunMistake("m = beta1 m + g: the (1 - beta1) is missing, so m is 10 times too large",
                   _adam_variant("m without 1 - beta1"),
                   "m is an average of the gradients: m = beta1 * m + (1 - beta1) * g"),
        RunMistake("the state keeps the corrected averages: m_hat and v_hat are corrected "
                   "again at the next step", _adam_variant("corrected averages kept"),
                   "keep m and v uncorrected in the state; m_hat and v_hat are only for this "
                   "step's update (exercise 2)"),
        RunMistake("m and v are not carried over: your update returns the state it was given, "
                   "so every step starts again from m = v = 0", _adam_variant(
                       "state not returned"), _STATE_HINT.format(averages="'m': m, 'v': v")),
    ]


def _same_run(yours, theirs, rtol: float = RUN_RTOL) -> bool:
    """Every cost and every parameter entry of two traces agree, NaN and inf included (a
    known mistake that diverges is recognised by where and how it diverges)."""
    if yours.costs.size != theirs.costs.size or len(yours.snapshots) != len(theirs.snapshots):
        return False
    if not np.allclose(yours.costs, theirs.costs, rtol=rtol, atol=1e-12, equal_nan=True):
        return False
    return all(mine.keys() == ref.keys() and all(
        np.shape(mine[k]) == np.shape(ref[k])
        and np.allclose(mine[k], ref[k], rtol=rtol, atol=1e-12, equal_nan=True) for k in ref)
        for mine, ref in zip(yours.snapshots, theirs.snapshots))


_OWN_AVERAGES = ("each parameter needs its own averages, of its own shape: a dict with one "
                 "array per parameter, state['v'][k], not one array shared by all of them")


def _first_update(optimizer, what: str):
    """What is wrong with one update of the reader's optimizer from the run's start (its
    type, what it returns, the shapes), or None. `what`: "momentum" or "adam"."""
    wrap = (f'cu.optimizers.Optimizer("my {what}", {what}_init, {what}_update, '
            f'{{"lr": ...}})')
    if not isinstance(optimizer, Optimizer):
        return (f"expected an Optimizer, got {type(optimizer).__name__}",
                f"wrap your two functions: {wrap}")
    spec, start, X, Y = _run_setting()
    params = {k: p.copy() for k, p in start.items()}
    _, grads, _ = network.loss_and_grads(spec, params, X, Y)
    state = optimizer.init(params)
    name = getattr(optimizer.update, "__name__", "update")
    try:
        with np.errstate(all="ignore"):  # a division by zero is the run's to name
            out = optimizer.update(params, grads, state)
    except ValueError as error:
        if "broadcast" not in str(error):
            raise  # grade() reports it with the line of the reader's code
        return (f"{name} raised ValueError: {str(error).strip()}: one array shared by "
                "parameters of different shapes?", _OWN_AVERAGES)
    except KeyError as error:
        problem = _missing_key(error, params, state, name, what)
        if problem is None:
            raise
        return problem
    except TypeError as error:
        flat = [k for k, value in state.items() if k != "step" and np.ndim(value) == 0
                and not isinstance(value, dict)] if isinstance(state, dict) else []
        if "not subscriptable" not in str(error) or not flat:
            raise
        return (f"{name} raised TypeError: {error}: the state your init returns holds one "
                f"number in {', '.join(map(repr, flat))}, where update reads one array per "
                "parameter", _OWN_AVERAGES)
    if not _is_pair(out):
        return (f"{name} should return a pair (new params, new state), got {type(out).__name__}",
                "end with: return new_params, new_state")
    new, new_state = out
    if not isinstance(new, dict) or set(new) != set(params):
        got = sorted(new) if isinstance(new, dict) else type(new).__name__
        return (f"{name} should return the parameters as a dict with the keys "
                f"{', '.join(params)}, got {got}",
                "build the new parameters key by key: {k: ... for k in params}")
    for k, p in params.items():
        shape = np.shape(new[k])
        if shape != p.shape:
            return (f"{name} returned {k} of shape {shape}; it should keep the parameter's "
                    f"shape {p.shape}", _OWN_AVERAGES)
    if new_state is None:  # any state cu.train can hand back will do: a dict, a tuple, ...
        return (f"{name} should return the new state after the new parameters, got None",
                "return the new state: {'step': state['step'] + 1, ...}")
    return None


def _missing_key(error: KeyError, params: dict, state, name: str, what: str):
    """(message, hint) for a KeyError of the reader's first update that names its likely
    cause (grads read without the "d", a key init did not put in the state), or None."""
    key = error.args[0] if error.args else None
    if key in params:
        return (f"{name} raised KeyError: {key!r}: grads has no key {key!r}",
                f"grads are keyed like the parameters with a \"d\" in front: "
                f"grads[\"d\" + k] (grads[\"d{key}\"] for {key})")
    if isinstance(state, dict) and isinstance(key, str) and key not in state:
        averages = "'v': ..." if what == "momentum" else "'m': ..., 'v': ..."
        return (f"{name} raised KeyError: {key!r}: the state your init returns has no "
                f"{key!r} (it has {', '.join(map(repr, state)) or 'no key'})",
                f"init must return every key update reads: {{'step': 0, {averages}}}")
    return None


def _step_scale(yours, theirs) -> float | None:
    """c when the reader's first update is c times the library's in every entry of every
    parameter (c != 1: a rate or a factor such as (1 - beta) off), else None."""
    if not yours.snapshots or not theirs.snapshots:
        return None
    _, start, _, _ = _run_setting()
    with np.errstate(all="ignore"):
        mine = np.concatenate([(yours.snapshots[0][k] - start[k]).ravel() for k in start])
        ref = np.concatenate([(theirs.snapshots[0][k] - start[k]).ravel() for k in start])
        moving = np.abs(ref) > 1e-12
        if not np.all(np.isfinite(mine)) or moving.sum() == 0:
            return None
        scale = float(np.median(mine[moving] / ref[moving]))
    if (np.isfinite(scale) and scale != 0 and not np.isclose(scale, 1, rtol=1e-3)
            and np.allclose(mine, scale * ref, rtol=1e-6, atol=1e-12)):
        return scale
    return None


def _optimizer_run_case(what: str, reference: Optimizer, mistakes: list, accepted=(),
                        otherwise: str = ""):
    """The case of a capstone grader: one update checked for its form, then the reader's
    run against the library's (`run_case`); when they part, the accepted forms ((piece,
    what to say) pairs: correct, but not within RUN_RTOL of the library's), then the known
    mistakes, each matched entry by entry (`_same_run`)."""
    # The mistakes are matched here, not by run_case: _same_run compares every entry, NaN
    # and inf included, so two mistakes that both diverge at step 1 are told apart.
    compare = run_case(training_run, reference, otherwise=otherwise, cost_rtol=RUN_RTOL,
                       param_rtol=RUN_RTOL)

    def case(answer):
        case.traces = {}
        problem = _first_update(answer(), what)
        if problem is not None:
            return False, problem[0], problem[1]
        ok, message, hint = compare(answer)
        case.traces = compare.traces
        if ok:
            return ok, message, hint
        yours = compare.traces["yours"]
        for piece, said in accepted:
            if _same_run(yours, traced(training_run, piece)):
                return True, said, None
        for mistake in mistakes:
            if _same_run(yours, traced(training_run, mistake.piece)):
                return False, f"{message}: {mistake.what}", mistake.hint
        scale = _step_scale(yours, compare.traces["library"])
        if scale is not None:
            return (False, f"{message}: your first update is {scale:.3g} times the library's, "
                    "in every parameter", "the direction is right, the length is not: check "
                    f"the rate (lr = {reference.hyper['lr']:g}) and every factor of the step")
        return ok, message, hint
    case.traces = {}
    return case


def _leaves_params_unchanged(answer):
    """A case: one update leaves the parameters it is given as they were."""
    optimizer = answer()
    spec, start, X, Y = _run_setting()
    params = {k: p.copy() for k, p in start.items()}
    _, grads, _ = network.loss_and_grads(spec, params, X, Y)
    with np.errstate(all="ignore"):
        optimizer.update(params, grads, optimizer.init(params))
    if all(np.array_equal(params[k], start[k]) for k in start):
        return True, "the parameters you are given are left unchanged", None
    name = getattr(optimizer.update, "__name__", "update")
    return (False, f"{name} changed the parameters it was given (in place: -= or +=); "
            "cu.train would then change the start you passed it",
            "return new arrays: new[k] = params[k] - ..., not params[k] -= ...")


_momentum_case = _optimizer_run_case(
    "momentum", course_optimizers.momentum(MOMENTUM_LR, MOMENTUM_BETA),
    _momentum_run_mistakes(),
    otherwise="compare one step of yours with v = beta * v + (1 - beta) * g, p = p - lr * v")
_adam_case = _optimizer_run_case(
    "adam", course_optimizers.adam(ADAM_LR, ADAM_BETA1, ADAM_BETA2, ADAM_EPS),
    _adam_run_mistakes(),
    accepted=_ADAM_ACCEPTED,
    otherwise="compare one step of yours with m_hat = m / (1 - beta1 ** t), v_hat = v / "
              "(1 - beta2 ** t), p = p - lr * m_hat / (np.sqrt(v_hat) + eps), t = 1, 2, ...")


def momentum_in_training(optimizer):
    """Grade the reader's momentum (an Optimizer at lr 0.1, beta 0.9) by training the moons
    network for RUN_STEPS minibatch updates, step by step against cu.optimizers.momentum:
    costs and parameters within RUN_RTOL. The heavy-ball form (v = beta v + g, step
    lr (1 - beta) v) follows the same path and passes. Only the run is graded: the
    Optimizer's hyper dict is a record (any will do), and the state may be any value that
    update hands back (a dict with extra keys, a tuple, arrays updated in place). The Feedback carries the runs
    for cu.checks.plot_runs(feedback, boundary=cu.checks.optimizers.run_boundary())."""
    return grade_run("Your momentum in a training run", _momentum_case, optimizer,
                     _leaves_params_unchanged)


def adam_in_training(optimizer):
    """Grade the reader's Adam (an Optimizer at lr 0.01, betas 0.9 and 0.999, eps 1e-8)
    like momentum_in_training, against cu.optimizers.adam. TensorFlow's form (eps added
    before the bias correction) and sqrt(v_hat + eps^2) are accepted by name: they differ
    from the library's by up to 6e-5 here, only where eps enters."""
    return grade_run("Your Adam in a training run", _adam_case, optimizer,
                     _leaves_params_unchanged)
