"""Optimizers as (init, update) pairs, in the style of JAX's example optimizers:

    opt = adam(lr=0.001)
    opt_state = opt.init(params)
    params, opt_state = opt.update(params, grads, opt_state)

Hyperparameters live in the closure; the state (step count, moving averages) is a dict that
update returns. Nothing is changed in place: update returns new arrays. grads are keyed like
the parameters with a "d" prefix ("dW1" for "W1").

`lr` is a number or a schedule: a function of the step t = 0, 1, 2, ... (the number of
updates done before this one), such as `exponential_decay(0.1, 0.999)` below. A schedule's
rate is checked at every step: a rate that is not a finite number > 0 stops the run with a
ValueError naming the step.

Conventions (and where others differ) are in each constructor's docstring. In the formulas
g is the gradient, p a parameter, t the step; eps is added outside the square root.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validate import fraction, positive_int, positive_number
from .losses import is_weight


@dataclass(frozen=True)
class Optimizer:
    """An optimizer: `init(params) -> state`, `update(params, grads, state) -> (params, state)`."""

    name: str
    init: Callable[[dict], dict]
    update: Callable[[dict, dict, dict], tuple]
    hyper: dict = field(default_factory=dict)

    def lr_at(self, step: int) -> float:
        """The learning rate of the update made at `step` (the number of updates done before
        it: opt_state["step"]): lr itself, or the schedule's lr(step), checked."""
        return _lr_at(self.hyper["lr"], step)

    def __repr__(self):
        def show(value):
            if callable(value):
                return "schedule"  # a lambda's repr would print a memory address
            return f"{value:g}" if isinstance(value, float) else str(value)
        settings = ", ".join(f"{k}={show(v)}" for k, v in self.hyper.items())
        return f"{self.name}({settings})"


# ---------------------------------------------------------------- helpers


def _check_lr(lr):
    """lr is a positive number or a schedule (a callable of the step, checked at every step
    by _lr_at; here at step 0 already, so a bad schedule fails when the optimizer is made)."""
    if callable(lr):
        _lr_at(lr, 0)
        return lr
    return positive_number(lr, "lr")


def _lr_at(lr, step: int) -> float:
    """The learning rate at `step`. A schedule's rate is checked (a few comparisons per step)."""
    if not callable(lr):
        return lr  # a number, checked once by _check_lr
    rate = lr(step)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"the learning-rate schedule returned lr({step}) = {rate!r} at step "
                        f"{step}: a rate must be a number, got {type(rate).__name__}")
    if not (rate > 0 and math.isfinite(rate)):
        raise ValueError(f"the learning-rate schedule returned lr({step}) = {rate!r} at step "
                         f"{step}: a rate must be a finite number > 0")
    return rate


def _check_decay(rate: float, weight_decay: float, step: int | None = None) -> None:
    """Decoupled weight decay multiplies W by 1 - lr * weight_decay: at lr * weight_decay
    >= 1 that factor is <= 0, which zeroes the weights or flips their sign at every step."""
    if rate * weight_decay >= 1:
        at = "lr" if step is None else f"lr({step}) (the schedule's rate at step {step})"
        raise ValueError(f"weight_decay {weight_decay:g} with {at} = {rate:g} gives "
                         f"lr * weight_decay = {rate * weight_decay:g} >= 1: each step would "
                         "multiply the weights by 1 - lr * weight_decay <= 0 (zero them or flip "
                         "their sign); use lr * weight_decay < 1")


def _grad(grads: dict, key: str) -> np.ndarray:
    try:
        return grads["d" + key]
    except KeyError:
        raise ValueError(f"grads has no 'd{key}' for parameter {key!r}") from None


def _check_grads(params: dict, grads: dict) -> None:
    """Every parameter needs its gradient (checked once per step, not once per key)."""
    if len(grads) < len(params):
        missing = [k for k in params if "d" + k not in grads]
        raise ValueError(f"grads has no {', '.join('d' + k for k in missing)}")


def _zeros_like(params: dict) -> dict:
    return {k: np.zeros_like(v) for k, v in params.items()}


# ---------------------------------------------------------------- the optimizers


def sgd(lr=0.01, weight_decay: float = 0.0) -> Optimizer:
    """Gradient descent: p <- p - lr * g, the seed's update_parameters.

    weight_decay (decoupled, as in SGDW): p <- p - lr * weight_decay * p - lr * g on the
    weights W only. With plain SGD this is exactly the L2 penalty lambda/(2m) ||W||^2 when
    weight_decay = lambda / m. (PyTorch's SGD(weight_decay=) adds weight_decay * p to the
    gradient and decays every parameter in the group, biases included.) lr * weight_decay
    must stay below 1 (checked at every step for a schedule).
    """
    lr = _check_lr(lr)
    weight_decay = positive_number(weight_decay, "weight_decay", allow_zero=True)
    if weight_decay:
        _check_decay(_lr_at(lr, 0), weight_decay, 0 if callable(lr) else None)

    def init(params):
        return {"step": 0}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        _check_grads(params, grads)
        if not weight_decay:
            new = {k: p - rate * grads["d" + k] for k, p in params.items()}
        else:
            if callable(lr):  # a constant rate was checked when the optimizer was made
                _check_decay(rate, weight_decay, state["step"])
            new = {k: p - rate * grads["d" + k] - (rate * weight_decay * p if is_weight(k) else 0)
                   for k, p in params.items()}
        return new, {"step": state["step"] + 1}

    return Optimizer("sgd", init, update, {"lr": lr, "weight_decay": weight_decay})


def momentum(lr=0.01, beta: float = 0.9) -> Optimizer:
    """Momentum, the source course's form: v <- beta v + (1 - beta) g;  p <- p - lr v.

    v is an exponential average of past gradients, a ball that keeps rolling. PyTorch writes
    v <- beta v + g (no 1 - beta): the same path with lr scaled by 1 / (1 - beta).
    """
    lr = _check_lr(lr)
    beta = fraction(beta, "beta", 0.0, 1.0, closed_low=True, closed_high=False)

    def init(params):
        return {"step": 0, "v": _zeros_like(params)}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        v = {k: beta * state["v"][k] + (1 - beta) * _grad(grads, k) for k in params}
        new = {k: params[k] - rate * v[k] for k in params}
        return new, {"step": state["step"] + 1, "v": v}

    return Optimizer("momentum", init, update, {"lr": lr, "beta": beta})


def nesterov(lr=0.01, beta: float = 0.9) -> Optimizer:
    """Nesterov momentum in the look-ahead form, with the same averaging as `momentum`:

        v <- beta v + (1 - beta) g;   p <- p - lr (beta v + (1 - beta) g)

    The step uses the velocity one step ahead. PyTorch (nesterov=True) writes
    v <- beta v + g; p <- p - lr (g + beta v): the same with lr scaled by 1 / (1 - beta).
    """
    lr = _check_lr(lr)
    beta = fraction(beta, "beta", 0.0, 1.0, closed_low=True, closed_high=False)

    def init(params):
        return {"step": 0, "v": _zeros_like(params)}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        v, new = {}, {}
        for k, p in params.items():
            g = _grad(grads, k)
            v[k] = beta * state["v"][k] + (1 - beta) * g
            new[k] = p - rate * (beta * v[k] + (1 - beta) * g)
        return new, {"step": state["step"] + 1, "v": v}

    return Optimizer("nesterov", init, update, {"lr": lr, "beta": beta})


def adagrad(lr=0.01, eps: float = 1e-8) -> Optimizer:
    """AdaGrad: G <- G + g^2;  p <- p - lr g / (sqrt(G) + eps).

    G only grows, so every parameter's step shrinks forever. (PyTorch's Adagrad is the same.)
    """
    lr = _check_lr(lr)
    eps = positive_number(eps, "eps")

    def init(params):
        return {"step": 0, "G": _zeros_like(params)}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        G, new = {}, {}
        for k, p in params.items():
            g = _grad(grads, k)
            G[k] = state["G"][k] + g * g
            new[k] = p - rate * g / (np.sqrt(G[k]) + eps)
        return new, {"step": state["step"] + 1, "G": G}

    return Optimizer("adagrad", init, update, {"lr": lr, "eps": eps})


def rmsprop(lr=0.001, beta: float = 0.9, eps: float = 1e-8) -> Optimizer:
    """RMSProp: s <- beta s + (1 - beta) g^2;  p <- p - lr g / (sqrt(s) + eps).

    Like AdaGrad, but an exponential average forgets old gradients, so the step does not
    shrink forever. PyTorch calls beta `alpha` and defaults it to 0.99.
    """
    lr = _check_lr(lr)
    beta = fraction(beta, "beta", 0.0, 1.0, closed_low=True, closed_high=False)
    eps = positive_number(eps, "eps")

    def init(params):
        return {"step": 0, "s": _zeros_like(params)}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        s, new = {}, {}
        for k, p in params.items():
            g = _grad(grads, k)
            s[k] = beta * state["s"][k] + (1 - beta) * g * g
            new[k] = p - rate * g / (np.sqrt(s[k]) + eps)
        return new, {"step": state["step"] + 1, "s": s}

    return Optimizer("rmsprop", init, update, {"lr": lr, "beta": beta, "eps": eps})


def _adam_step(params, grads, state, rate, beta1, beta2, eps, bias_correction):
    """The Adam step shared by adam and adamw. Returns new params, m, v."""
    t = state["step"] + 1  # the number of gradients averaged so far, this one included
    c1 = 1 - beta1 ** t if bias_correction else 1.0
    c2 = 1 - beta2 ** t if bias_correction else 1.0
    m, v, new = {}, {}, {}
    for k, p in params.items():
        g = _grad(grads, k)
        m[k] = beta1 * state["m"][k] + (1 - beta1) * g
        v[k] = beta2 * state["v"][k] + (1 - beta2) * g * g
        new[k] = p - rate * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps)
    return new, m, v


def adam(lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
         bias_correction: bool = True) -> Optimizer:
    """Adam = momentum + RMSProp, with bias correction:

        m <- beta1 m + (1 - beta1) g;      v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t);         v_hat = v / (1 - beta2^t)      (t = 1, 2, ...)
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    m and v start at 0, so early averages are too small; dividing by 1 - beta^t undoes that.
    bias_correction=False switches it off (for the ablation in 05_optimizers). Same as
    PyTorch's Adam with weight_decay=0.
    """
    lr = _check_lr(lr)
    beta1 = fraction(beta1, "beta1", 0.0, 1.0, closed_low=True, closed_high=False)
    beta2 = fraction(beta2, "beta2", 0.0, 1.0, closed_low=True, closed_high=False)
    eps = positive_number(eps, "eps")

    def init(params):
        return {"step": 0, "m": _zeros_like(params), "v": _zeros_like(params)}

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        new, m, v = _adam_step(params, grads, state, rate, beta1, beta2, eps, bias_correction)
        return new, {"step": state["step"] + 1, "m": m, "v": v}

    return Optimizer("adam", init, update, {"lr": lr, "beta1": beta1, "beta2": beta2,
                                            "eps": eps, "bias_correction": bias_correction})


def adamw(lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 0.01) -> Optimizer:
    """AdamW (Loshchilov & Hutter): decay the weights, then take the Adam step.

        p <- p - lr * weight_decay * p        (weights W only)
        then the `adam` step on the gradient of the cost alone.

    This is PyTorch's convention (p.mul_(1 - lr * weight_decay)), though PyTorch decays every
    parameter in the group, biases included. The paper's Algorithm 2 multiplies the decay by
    the schedule multiplier eta_t only, not by the base rate alpha:
    p <- p - eta_t (alpha m_hat / (sqrt(v_hat) + eps) + lambda p); that is this optimizer with
    lr = alpha * eta_t and weight_decay = lambda / alpha. Adding an L2 penalty to the cost
    instead ("Adam + L2") puts the decay through Adam's per-parameter scaling, which weakens it where gradients are large.
    lr * weight_decay must stay below 1 (checked at every step for a schedule).
    """
    lr = _check_lr(lr)
    weight_decay = positive_number(weight_decay, "weight_decay", allow_zero=True)
    if weight_decay:
        _check_decay(_lr_at(lr, 0), weight_decay, 0 if callable(lr) else None)
    base = adam(lr, beta1, beta2, eps)

    def update(params, grads, state):
        rate = _lr_at(lr, state["step"])
        if callable(lr):  # a constant rate was checked when the optimizer was made
            _check_decay(rate, weight_decay, state["step"])
        decayed = {k: p - rate * weight_decay * p if is_weight(k) else p
                   for k, p in params.items()}
        new, m, v = _adam_step(decayed, grads, state, rate, beta1, beta2, eps, True)
        return new, {"step": state["step"] + 1, "m": m, "v": v}

    return Optimizer("adamw", base.init, update, {"lr": lr, "beta1": beta1, "beta2": beta2,
                                                  "eps": eps, "weight_decay": weight_decay})


NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def get(name: str, **hyper) -> Optimizer:
    """The optimizer called `name` (one of NAMES), e.g. get("adam", lr=0.01)."""
    constructors = {"sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
                    "rmsprop": rmsprop, "adam": adam, "adamw": adamw}
    if name not in constructors:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(NAMES)}")
    import inspect  # a hyperparameter of another optimizer (beta for adam) is named clearly
    allowed = inspect.signature(constructors[name]).parameters
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise TypeError(f"{name} has no hyperparameter {', '.join(unknown)}; it takes: "
                        f"{', '.join(allowed)}")
    return constructors[name](**hyper)


# ---------------------------------------------------------------- learning-rate schedules


def step_decay(lr0: float, drop: float = 0.5, every: int = 1000) -> Callable[[int], float]:
    """lr(t) = lr0 * drop ** floor(t / every): cut by `drop` every `every` steps (an int)."""
    positive_number(lr0, "lr0")
    drop = fraction(drop, "drop", 0.0, 1.0)
    positive_int(every, "every")
    return lambda t: lr0 * drop ** (t // every)


def exponential_decay(lr0: float, rate: float = 0.999) -> Callable[[int], float]:
    """lr(t) = lr0 * rate ** t."""
    positive_number(lr0, "lr0")
    rate = fraction(rate, "rate", 0.0, 1.0)
    return lambda t: lr0 * rate ** t


def inverse_time_decay(lr0: float, decay_rate: float = 1.0, every: int = 1) -> Callable[[int], float]:
    """lr(t) = lr0 / (1 + decay_rate * floor(t / every)), the source course's 1/t decay
    (with `every` = the number of steps per epoch it decays once per epoch; an int)."""
    positive_number(lr0, "lr0")
    positive_number(decay_rate, "decay_rate", allow_zero=True)
    positive_int(every, "every")
    return lambda t: lr0 / (1 + decay_rate * (t // every))


def cosine_decay(lr0: float, total_steps: int, lr_min: float = 0.0) -> Callable[[int], float]:
    """lr(t) = lr_min + (lr0 - lr_min) (1 + cos(pi t / total_steps)) / 2, then lr_min.

    0 <= lr_min < lr0. With lr_min = 0 the rate reaches 0 at t = total_steps, which the
    optimizers reject: train for at most total_steps steps (t = 0 .. total_steps - 1).
    """
    positive_number(total_steps, "total_steps")
    if positive_number(lr_min, "lr_min", allow_zero=True) >= positive_number(lr0, "lr0"):
        raise ValueError(f"lr_min must be below lr0 = {lr0:g}, got {lr_min:g}")
    return lambda t: lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * min(t, total_steps) / total_steps)) / 2


def linear_warmup(lr0: float, warmup_steps: int, total_steps: int | None = None,
                  start_factor: float | None = None, lr_min: float = 0.0) -> Callable[[int], float]:
    """Linear warmup to lr0 over the first `warmup_steps` steps, then constant, or a cosine
    decay to lr_min at `total_steps`:

        t < W:         lr(t) = lr0 (s + (1 - s) t / (W - 1))     from s lr0 at t = 0 to lr0 at t = W - 1
        t >= W:        lr(t) = lr0                                (total_steps None)
                       lr(t) = lr_min + (lr0 - lr_min) (1 + cos(pi (t - W) / (T - W))) / 2,
                               then lr_min from t = T            (total_steps T)

    W = warmup_steps (an int >= 1; 1 means no warmup). s = start_factor in (0, 1], by
    default 1 / W, which makes the warmup lr0 (t + 1) / W: lr0 / W, 2 lr0 / W, ..., lr0
    (never 0, which the optimizers reject). Why warm up: at step 0 Adam's second-moment
    estimate rests on one gradient, so its first steps have the full size lr0 in every
    coordinate whatever the gradient's scale; a small rate at first keeps them small.
    With lr_min = 0 the rate reaches 0 at t = T: train for at most T steps. Same rates as
    PyTorch's LinearLR(start_factor=s, total_iters=W - 1), followed (SequentialLR,
    milestones=[W]) by CosineAnnealingLR(T_max=T - W, eta_min=lr_min).
    """
    positive_number(lr0, "lr0")
    warmup_steps = positive_int(warmup_steps, "warmup_steps")
    start = 1 / warmup_steps if start_factor is None else fraction(start_factor, "start_factor", 0.0, 1.0)
    if total_steps is not None:
        total_steps = positive_int(total_steps, "total_steps")
        if total_steps <= warmup_steps:
            raise ValueError(f"total_steps must be larger than warmup_steps = {warmup_steps}, "
                             f"got {total_steps}")
        if positive_number(lr_min, "lr_min", allow_zero=True) >= lr0:
            raise ValueError(f"lr_min must be below lr0 = {lr0:g}, got {lr_min:g}")
    ramp = warmup_steps - 1  # steps from s lr0 to lr0

    def lr(t):
        if t < ramp:
            return lr0 * (start + (1 - start) * t / ramp)
        if total_steps is None or t < warmup_steps:
            return lr0
        decay = total_steps - warmup_steps
        return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * min(t - warmup_steps, decay) / decay)) / 2
    return lr


# ---------------------------------------------------------------- gradient clipping


def clip_by_value(grads: dict, clip_value: float) -> dict:
    """Clip every gradient entry to [-clip_value, clip_value]. Changes the direction."""
    clip_value = positive_number(clip_value, "clip_value")
    return {k: np.clip(g, -clip_value, clip_value) for k, g in grads.items()}


def global_norm(grads: dict) -> float:
    """sqrt of the sum of squares of every gradient entry, all blocks together.

    An entry above about 1e154 makes its square overflow to inf; then the norm is computed
    as largest * sqrt(sum (g / largest)^2), with `largest` the largest |entry|, which
    cannot overflow. (NaN or inf entries give a NaN or inf norm.)
    """
    with np.errstate(over="ignore"):
        total = sum(float(np.sum(g * g)) for g in grads.values())
    if math.isfinite(total):
        return math.sqrt(total)
    largest, relative = _norm_in_two_factors(grads)
    return largest * relative  # inf when the norm itself is beyond float64


def _norm_in_two_factors(grads: dict) -> tuple:
    """(largest |entry|, norm / largest): the global norm as two factors that do not
    overflow (largest is itself NaN or inf when an entry is)."""
    largest = max(float(np.max(np.abs(g))) for g in grads.values() if np.size(g))
    if not math.isfinite(largest):
        return largest, 1.0
    return largest, math.sqrt(sum(float(np.sum(np.square(g / largest))) for g in grads.values()))


def clip_by_norm(grads: dict, max_norm: float) -> dict:
    """Rescale all gradients together so that their global norm is at most max_norm.
    Keeps the direction, unlike clip_by_value. Gradients holding NaN or inf have no
    direction to keep and are returned unchanged (the run then diverges and says so)."""
    max_norm = positive_number(max_norm, "max_norm")
    norm = global_norm(grads)
    if norm <= max_norm or math.isnan(norm):
        return grads
    # An inf norm: an inf entry (nothing to keep), or finite entries near 1e308 whose norm
    # is beyond float64: then scale with the norm's two factors.
    largest, relative = (norm, 1.0) if math.isfinite(norm) else _norm_in_two_factors(grads)
    if not math.isfinite(largest):
        return grads
    scale = max_norm / largest / relative
    return {k: g * scale for k, g in grads.items()}
