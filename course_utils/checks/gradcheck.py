"""Graders for the exercises of 08_gradient_checking, and the common tool for any exercise
on a backward pass: `gradient_case` gradient-checks the reader's gradients and turns the
report (per block: relative error and verdict) into feedback with a hint that says what the
error looks like (a block m times too large, transposed, all zeros, ...).

Another notebook's grader uses it like this:

    from .gradcheck import gradient_case

    def my_backward(fn):
        def problem(answer):
            params = ...                             # a fixed point to check at
            f = lambda p: my_cost(p)                 # the cost as a function of params
            return f, answer(params), params         # the reader's gradients at params
        return grade("My backward pass", [gradient_case(problem, "at a random point")], fn)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..lessons import gradcheck as lesson
from .. import datasets as _datasets, gradcheck as _gradcheck, layers as _layers
from .. import network as _network, optimizers as _optimizers
from ..training import History, train
from ._core import (Mistake, array_case, as_number, choice_case, describe_difference,
                    form_problem, fresh, grade, matches, number_case, past)
from ._runs import RunMistake, run_case

__all__ = ["gradient_case", "describe_block_error", "two_sided_difference", "which_block",
           "fixed_backward", "gradient_checker", "batchnorm_in_training"]

# ---------------------------------------------------------------- the common tool


def _is_close(value: float, target: float, rtol: float = 1e-3) -> bool:
    return bool(np.isfinite(value) and abs(value - target) <= rtol * abs(target))


def describe_block_error(key: str, g, g_num, m: int | None = None) -> str:
    """One sentence on how the reader's gradient g of block `key` differs from g_num:
    a constant factor (2, m, 1/m, -1, ...), a transpose, all zeros, or something else."""
    g, g_num = np.asarray(g, dtype=float), np.asarray(g_num, dtype=float)
    name = "d" + key
    if not np.all(np.isfinite(g)):
        return f"{name} holds NaN or inf: look for a division by zero or an overflow"
    if not np.any(g) and np.any(g_num):
        return f"{name} is all zeros: is it computed at all, or multiplied by a mask of zeros?"
    if g.size > 1 and np.ptp(g) == 0 and np.ptp(g_num) > 0:
        return (f"every entry of {name} is the same number: a sum over every axis broadcast "
                "to the whole block? (np.sum without axis=1 sums over the units too)")
    factor, residual = _gradcheck.scale_factor(g, g_num)
    if residual < 1e-6:
        if _is_close(factor, -1.0):
            return f"{name} has the wrong sign: the right size, pointing the other way"
        if m is not None and m > 1 and _is_close(factor, m):
            return (f"{name} is m = {m} times too large: the 1/m of the mean cost is missing "
                    "(in the gradients, dZ of the output layer carries it)")
        if m is not None and m > 1 and _is_close(factor, 1 / m):
            return (f"{name} is m = {m} times too small: the 1/m is applied twice (dZ "
                    "already holds it, so sum over the examples, do not average)")
        said, note = _factor_words(factor)
        return (f"{name} is {said} times the true gradient{note}: a constant factor is wrong "
                "in the line that computes it")
    if g.ndim == 2 and g.shape[0] == g.shape[1] and _gradcheck.relative_error(g, g_num.T) < 1e-6:
        return f"{name} is the transpose of the right answer: dW = dZ @ A_prev.T"
    return (f"{name} is wrong, and not by a constant factor: compare its line with the chain "
            "rule, term by term")


def _factor_words(factor: float) -> tuple[str, str]:
    """(the factor, a note): ('2', '') for 2, ('-0.5', ''); a factor near 1 with the digits
    that tell it from 1, and its relative difference: 1.0001 -> ('1.0001', ' (0.01% too
    large)'), where .3g said '1'."""
    off = abs(abs(factor) - 1)
    if off >= 0.05 or off == 0 or not np.isfinite(off):
        return f"{factor:.3g}", ""
    digits = min(15, max(3, int(np.ceil(-np.log10(off))) + 2))
    note = (f" ({100 * off:.2g}% too {'large' if factor > 1 else 'small'})" if factor > 0
            else "")
    return f"{factor:.{digits}g}", note


def _layer(key: str) -> int:
    digits = "".join(ch for ch in key if ch.isdigit())
    return int(digits) if digits else 0


def _common_factor(keys, grads, grads_num):
    """The constant c if every block in keys is c times its true gradient, else None."""
    factors = []
    for key in keys:
        factor, residual = _gradcheck.scale_factor(grads["d" + key], grads_num["d" + key])
        if not residual < 1e-6:
            return None
        factors.append(factor)
    return factors[0] if factors and all(_is_close(c, factors[0]) for c in factors) else None


def _all(keys) -> str:
    return "both" if len(keys) == 2 else "all"


def _hint(flagged, keys, grads, grads_num, m):
    """Where to look: the highest layer with a wrong block, and what is wrong there."""
    if len(flagged) == len(keys) and len(keys) > 1:
        factor = _common_factor(flagged, grads, grads_num)
        if factor is not None:
            top = max(flagged, key=_layer)
            what = describe_block_error(top, grads["d" + top], grads_num["d" + top], m)
            return ("every block is off by the same factor, so the mistake is where they all "
                    f"start, the output layer's dZ: {what}")
    layer = max(_layer(key) for key in flagged)
    here = [key for key in flagged if _layer(key) == layer]
    below = [key for key in flagged if _layer(key) < layer]
    top_layer = max(_layer(key) for key in keys)
    if len(here) > 1 and _common_factor(here, grads, grads_num) is None:
        names = " and ".join("d" + k for k in here)
        if layer == top_layer:
            hint = (f"{names} are {_all(here)} wrong: they share dZ{layer}, the gradient of "
                    "the cost with respect to the output logits; check it")
        else:
            hint = (f"{names} are {_all(here)} wrong while layer "
                    f"{layer + 1} is right: they share dZ{layer}, so check what it is made "
                    f"of, dA{layer} = W{layer + 1}.T @ dZ{layer + 1} and the activation's "
                    f"derivative at Z{layer}")
    else:
        key = max(here, key=lambda k: np.linalg.norm(grads["d" + k] - grads_num["d" + k]))
        hint = describe_block_error(key, grads["d" + key], grads_num["d" + key], m)
    if below:
        hint += (f". Fix layer {layer} first: {', '.join(below)} are computed from what it "
                 "passes down, so they may be right once it is")
    return hint


def gradient_case(problem, where: str = "", m: int | None = None, eps: float = 1e-6, *,
                  hint=None):
    """A grader case (see checks._core.grade) that gradient-checks the reader's gradients.

    problem(answer) -> (f, grads, params): f(params) -> the scalar cost; grads, the reader's
    gradients at params keyed "d" + key. The case passes when course_utils.gradcheck says
    "ok" for every block (relative error < 1e-7, two-sided differences in float64). Its
    message lists each block's relative error and verdict; its hint points at the highest
    layer with a wrong block (blocks below it inherit its error) and says what is wrong
    there. m (the number of examples) lets the hint recognise a missing or doubled 1/m.
    hint (optional): hint(flagged, grads, grads_num) -> str or None, for a grader that knows
    its exercise's typical mistakes (flagged: the keys of the blocks not "ok"); when it
    returns None, the hint above is used.
    """
    at = f" {where}" if where else ""
    custom_hint = hint

    def case(answer):
        f, grads, params = problem(answer)
        if not isinstance(grads, dict):
            return (False, f"expected a dict of gradients, got {type(grads).__name__}",
                    "return a dict keyed like the parameters with a 'd' in front: "
                    + ", ".join("d" + k for k in params))
        for key, theta in params.items():
            if "d" + key not in grads:
                return (False, f"your gradients have no 'd{key}'",
                        f"return every gradient: {', '.join('d' + k for k in params)}")
            shape = np.shape(grads["d" + key])
            if shape != theta.shape:
                hint = (f"d{key} has {key}'s shape {theta.shape}; yours is transposed "
                        "(dW = dZ @ A_prev.T)" if shape == theta.shape[::-1]
                        else f"a gradient has the shape of its parameter: {theta.shape}")
                return False, f"d{key} has shape {shape}, expected {theta.shape}", hint
        grads_num = _gradcheck.numerical_gradient(f, params, eps)
        report = _gradcheck.compare(grads, grads_num, eps)
        # Errors of the blocks that pass are rounding noise: their verdict says enough.
        summary = ", ".join(f"{b.key} ok" if b.verdict == "ok" else
                            f"{b.key} {_error(b.relative_error)} {b.verdict}"
                            for b in report.blocks)
        if report.passed:  # its digits are round-off, which differs by computer: a bound
            return (True, f"gradient check{at}: every block ok (each relative error below "
                    "1e-7)", None)
        flagged = [b.key for b in report.blocks if b.verdict != "ok"]
        specific = custom_hint(flagged, grads, grads_num) if custom_hint is not None else None
        return (False, f"gradient check{at}: {summary}",
                specific or _hint(flagged, list(params), grads, grads_num, m))
    return case


# ---------------------------------------------------------------- exercise 1: the difference


def _cube_problem():
    """f(p) = sum(p["w"] ** 3) + sum(p["v"]) at a fixed point: f'' is not zero, so a
    one-sided difference is off by about eps * 3 w."""
    params = {"w": np.array([[0.5, -1.0, 2.0]]), "v": np.array([[1.5], [-0.5]])}

    def f(p):
        return float(np.sum(p["w"] ** 3) + np.sum(p["v"]))
    return f, params


def _difference_mistakes(params, eps: float, right: float):
    """The known wrong differences for entry (0, 1) of params["w"] (right: the two-sided
    difference), each as the number it gives."""
    w, theta = params["w"][0, 1], params["w"]
    return [
        Mistake("the one-sided difference", ((w + eps) ** 3 - w ** 3) / eps,
                "(J(theta + eps) - J(theta)) / eps has an error of O(eps); evaluate at "
                "theta + eps and theta - eps"),
        Mistake("divided by eps instead of 2 eps", 2 * right,
                "the two points are 2 eps apart: divide by 2 eps, not eps"),
        Mistake("the difference with the wrong sign", -right,
                "J(theta + eps) - J(theta - eps): plus first"),
        Mistake("the difference of the whole block",
                (np.sum((theta + eps) ** 3) - np.sum((theta - eps) ** 3)) / (2 * eps),
                "perturb only the entry at `index`, not the whole block"),
    ]


def _difference_value(fn):
    f, params = _cube_problem()
    eps, w = 1e-3, params["w"][0, 1]
    expected = ((w + eps) ** 3 - (w - eps) ** 3) / (2 * eps)  # 3 w^2 + eps^2
    # the case (and its mistakes) is made before fn runs, as fn may move params
    value = number_case(
        expected, rtol=1e-9, mistakes=_difference_mistakes(params, eps, expected),
        mistake_rtol=1e-6,
        right=(f"dJ/dw[0, 1] with eps = {eps:g}: {{value:.9f}} (true derivative "
               f"{3 * w ** 2:g}; the difference is off by eps^2 = {eps ** 2:g})"),
        not_a_number="two_sided(...) should return a number, got {type}",
        how_to_answer="return a number (a float): the two-sided difference for the single "
                      "entry params[key][index]",
        say_mistake="you returned {value:.9f}: {what}",
        say_wrong="you returned {value:.9g}, expected {truth:.9f}",
        otherwise="J(theta + eps e_i) and J(theta - eps e_i) differ only in the entry at `index`")
    returned = fn(f, params, "w", (0, 1), eps)
    return value(lambda: returned)


def _difference_leaves_params(fn):
    f, params = _cube_problem()
    before = fresh(params)
    fn(f, params, "w", (0, 2), 1e-2)
    fn(f, params, "v", (1, 0), 1e-2)
    for key in params:
        if not np.array_equal(params[key], before[key]):
            leftover = float(np.max(np.abs(params[key] - before[key])))
            if np.allclose(params[key], before[key], rtol=1e-12, atol=0):
                # Undoing the nudge by arithmetic (+= eps, -= 2 eps, += eps): in floating point
                # (theta + eps) - eps is not always theta, and the last bit stays changed.
                return (False, f"params[{key!r}] changed by {leftover:.0e} after the call: a "
                        "rounding leftover, as when the nudge is undone by arithmetic "
                        "(adding eps and subtracting it again does not always give back the "
                        "same floating-point number)",
                        "save the entry's original value before nudging it and assign that "
                        "saved value back at the end; a gradient check must leave the "
                        "parameters exactly as it found them")
            return (False, f"params[{key!r}] changed after the call",
                    "put the entry back after each perturbation (or work on a copy): "
                    "a gradient check must not move the parameters it checks")
    return True, "params are unchanged after the call", None


def _difference_any_block(fn):
    f, params = _cube_problem()
    value = float(fn(f, params, "v", (1, 0), 1e-4))
    if np.isclose(value, 1.0, rtol=1e-8):
        return True, "works for any block and index (dJ/dv[1, 0] = 1)", None
    return (False, f"dJ/dv[1, 0] should be 1, you returned {value:.9g}",
            "use the `key` and `index` arguments: params[key][index]")


def two_sided_difference(fn):
    """Grade two_sided(f, params, key, index, eps) -> the two-sided difference of f for the
    single entry params[key][index], leaving params unchanged."""
    return grade("The two-sided difference",
                 [_difference_value, _difference_leaves_params, _difference_any_block], fn)


# ---------------------------------------------------------------- exercise 2: which block


def _mystery_report():
    X, Y = lesson.load_data()
    params = lesson.init_params(0)
    return lesson.check(params, X, Y, backward_fn=lesson.mystery_backward)


def _block_choices(report):
    """(right, wrong) for choice_case: block name -> the message for the flagged block(s);
    block name -> the hint for a block that passes, with its relative error."""
    right, wrong = {}, {}
    for block in report.blocks:
        error = block.relative_error
        if block.verdict == "bug":
            right[block.key.lower()] = (f"{block.key}: relative error {error:.1e}, the only "
                                        "block flagged")
        else:
            # a block that passes scores round-off, whose digits differ by computer: its bound
            size = lesson.below(error, 1e-8) if error < 1e-8 else f"{error:.1e}"
            wrong[block.key.lower()] = (
                f"{block.key} passes the check (relative error {size}): run "
                "cu.lessons.gradcheck.check(params, X, Y, "
                "backward_fn=cu.lessons.gradcheck.mystery_backward) and read the verdict column")
    return right, wrong


def which_block(answer):
    """Grade the name of the block whose gradient cu.lessons.gradcheck.mystery_backward gets
    wrong: "W3", in any case, with or without the gradient's d ("dW3")."""
    right, wrong = _block_choices(_mystery_report())
    case = choice_case(right, wrong, aliases={"d" + b.lower(): b.lower() for b in lesson.BLOCKS},
                       expected="a block name such as 'W1'",
                       how_to_answer="answer with a string: 'W1', 'b1', 'W2', 'b2', 'W3' or 'b3'",
                       otherwise="that is not a block of this network: the blocks are W1, b1, "
                                 "W2, b2, W3 and b3")
    return grade("Which block has the bug?", [case], lambda: answer)


# ---------------------------------------------------------------- exercise 3: fix the bugs


def _backward_problem(point: str):
    X, Y = lesson.load_data()
    params = lesson.init_params(0)
    if point == "trained":
        params = lesson.trained_params(params, X, Y)

    def problem(answer):
        _, cache = lesson.forward(params, X)
        grads = answer(fresh(params), cache, Y)
        return (lambda p: lesson.cost(p, X, Y)), grads, params
    return problem, X.shape[1]


def fixed_backward(fn):
    """Grade backward(params, cache, Y) -> grads for cu.lessons.gradcheck' tanh network, by gradient
    checking it at Xavier initialization and again after 300 training steps."""
    cases = []
    for point, where in (("init", "at initialization"), ("trained", "after 300 training steps")):
        problem, m = _backward_problem(point)
        cases.append(gradient_case(problem, where, m=m))
    return grade("Fix the backward pass", cases, fn)


# ---------------------------------------------------------------- the capstone: your checker
#
# Step 1 grades the reader's gradient checker, numerical_gradient(f, x, eps) and
# relative_error(a, b), on small functions and then on batch norm's backward pass, known
# correct and known wrong. Step 2 runs that checker on the reader's own batch norm (pasted
# from 06), part by part (dZ, dgamma, dbeta), and trains a small batch-norm network with it
# beside the library's layer.

PARTS = ("Z", "gamma", "beta")  # the layer's inputs; their gradients are "d" + part


def _cube(x) -> float:
    """The probe function of step 1: f''' is not zero, so a one-sided difference (off by
    O(eps)) and a two-sided one (off by O(eps^2)) give different numbers."""
    return float(np.sum(x ** 3) + np.sum(np.sin(x)))


def _probe_point():
    return np.array([[0.5, -1.0, 2.0, 0.3], [1.5, -0.5, 0.0, -2.0], [0.7, 1.1, -0.9, 0.25]])


def _library_difference(f, x, eps: float, method: str = "two-sided") -> np.ndarray:
    """cu.gradcheck's finite differences of f(x) for one array x."""
    return _gradcheck.finite_differences(lambda p: f(p["x"]), {"x": x}, eps, method)["dx"]


def layer_point(seed: int = 1, n: int = 3, m: int = 6, spread: float = 0.3):
    """A point to check batch norm at: Z (n, m) with this spread, gamma and beta (n, 1), and
    the gradient dout (n, m) that arrives from above. The default, a small batch of small
    spread, curves enough that a one-sided difference at eps 1e-6 is off by about 1e-6."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(0.0, spread, (n, m))
    gamma, beta = rng.normal(1.0, 0.5, (n, 1)), rng.normal(0.0, 1.0, (n, 1))
    return {"Z": Z, "gamma": gamma, "beta": beta, "dout": rng.normal(0.0, 1.0, (n, m))}


LAYER_POINTS = (dict(seed=1, n=3, m=6, spread=0.3), dict(seed=0, n=4, m=8, spread=1.0))


def layer_cost(forward, point: dict, part: str):
    """f(x) = sum(out * dout) with the layer's input `part` replaced by x: a scalar whose
    gradient with respect to that input is what backward(dout, cache) returns for it."""
    def f(x):
        inputs = {key: point[key] for key in PARTS}
        inputs[part] = x
        # copies: a forward that normalizes Z in place (harmless in the network) must not
        # move the point, nor the checker's x
        out, _ = forward(inputs["Z"].copy(), inputs["gamma"].copy(), inputs["beta"].copy(), True)
        return float(np.sum(out * point["dout"]))
    return f


def layer_gradients(forward, backward, point: dict) -> dict:
    """The analytic gradients {"dZ", "dgamma", "dbeta"} of backward at `point`."""
    _, cache = forward(point["Z"].copy(), point["gamma"].copy(), point["beta"].copy(), True)
    return dict(zip(("d" + part for part in PARTS), backward(point["dout"].copy(), cache)))


def checker_errors(numerical_gradient, relative_error, eps: float, forward, backward,
                   point: dict) -> dict:
    """The reader's checker on a layer: {"dZ": relative error, "dgamma": ..., "dbeta": ...}."""
    grads = layer_gradients(forward, backward, point)
    errors = {}
    for part in PARTS:
        g_num = numerical_gradient(layer_cost(forward, point, part), point[part].copy(), eps)
        errors["d" + part] = float(relative_error(grads["d" + part], g_num))
    return errors


def library_errors(forward, backward, point: dict, eps: float = 1e-6) -> dict:
    """cu.gradcheck's relative errors of the same layer check, part by part."""
    grads = layer_gradients(forward, backward, point)
    errors = {}
    for part in PARTS:
        f = layer_cost(forward, point, part)
        errors["d" + part] = _gradcheck.relative_error(grads["d" + part],
                                                       _library_difference(f, point[part], eps))
    return errors


# ---------------------------------------------------------------- batch norm backward: right, wrong


def _pieces(dout, cache):
    """What every form of the backward starts from: m, Z_hat, gamma, inv_std, and the two
    parameter gradients dbeta = sum_j dout, dgamma = sum_j dout * Z_hat."""
    m = dout.shape[1]
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * cache.Z_hat).sum(axis=1, keepdims=True)
    return m, cache.Z_hat, cache.gamma, cache.inv_std, dbeta, dgamma


def _library_forward(Z, gamma, beta, train=True, running_mean=None, running_var=None):
    return _layers.batchnorm_forward(Z, gamma, beta, train, running_mean, running_var)


def _steps_forward(Z, gamma, beta, train=True, running_mean=None, running_var=None):
    return _layers.batchnorm_forward_steps(Z, gamma, beta)


# Correct backward passes in two forms, each with the forward whose cache it reads.
RIGHT_LAYERS = {"the compact formula": (_library_forward, _layers.batchnorm_backward),
                "node by node": (_steps_forward, _layers.batchnorm_backward_steps)}


def _variance_path_forgotten(dout, cache):
    m, Z_hat, gamma, inv_std, dbeta, dgamma = _pieces(dout, cache)
    return gamma * inv_std * (dout - dbeta / m), dgamma, dbeta


def _statistics_as_constants(dout, cache):
    m, Z_hat, gamma, inv_std, dbeta, dgamma = _pieces(dout, cache)
    return gamma * inv_std * dout, dgamma, dbeta


def _dZ_without_gamma(dout, cache):
    m, Z_hat, gamma, inv_std, dbeta, dgamma = _pieces(dout, cache)
    return inv_std * (dout - dbeta / m - Z_hat * dgamma / m), dgamma, dbeta


def _dgamma_without_Z_hat(dout, cache):
    dZ, _, dbeta = _layers.batchnorm_backward(dout, cache)
    return dZ, dout.sum(axis=1, keepdims=True), dbeta


def _dbeta_averaged(dout, cache):
    dZ, dgamma, _ = _layers.batchnorm_backward(dout, cache)
    return dZ, dgamma, dout.mean(axis=1, keepdims=True)


@dataclass(frozen=True)
class BackwardMistake:
    """A known wrong batch-norm backward: `backward` (it reads the library's cache) gets
    `part` wrong ("dZ", ...); `what` says what it does, `hint` how to fix it."""

    what: str
    backward: object
    part: str
    hint: str


DZ_FORMULA = "dZ = gamma * inv_std * (dout - mean_j(dout) - Z_hat * mean_j(dout * Z_hat))"

BACKWARD_MISTAKES = (
    BackwardMistake(
        "dZ without the variance's path (no - Z_hat * mean_j(dout * Z_hat))",
        _variance_path_forgotten, "dZ",
        "Z reaches the output through the batch variance too: " + DZ_FORMULA),
    BackwardMistake(
        "dZ with the batch statistics taken as constants (gamma * inv_std * dout, the "
        "evaluation-mode formula)", _statistics_as_constants, "dZ",
        "in training the mean and variance are computed from Z, so both pass gradient back: "
        + DZ_FORMULA),
    BackwardMistake("dZ without gamma", _dZ_without_gamma, "dZ",
                    "out = gamma * Z_hat + beta, so every path to Z goes through gamma: "
                    + DZ_FORMULA),
    BackwardMistake("dgamma without Z_hat (the sum of dout: that is dbeta)",
                    _dgamma_without_Z_hat, "dgamma",
                    "out = gamma * Z_hat + beta: dgamma = sum_j dout * Z_hat"),
    BackwardMistake("dbeta averaged over the batch instead of summed", _dbeta_averaged, "dbeta",
                    "dout already holds the 1/m of the mean cost: dbeta = sum_j dout, "
                    "summed over the examples (axis=1), not averaged"),
)


def known_backward_mistake(grads: dict, point: dict) -> BackwardMistake | None:
    """The known mistake whose gradients at `point` are `grads` (the library's forward), or None."""
    for mistake in BACKWARD_MISTAKES:
        wrong = layer_gradients(_library_forward, mistake.backward, point)
        if matches(grads, wrong, rtol=1e-9, atol=1e-12):
            return mistake
    return None


# ---------------------------------------------------------------- step 1: the checker itself

GRADIENT_HOW = ("entry i of the result is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), where "
                "x + eps e_i is x with only entry i moved by eps")


def _returns_an_array(numerical_gradient):
    x = _probe_point()
    with np.errstate(all="ignore"):
        g_num = numerical_gradient(_cube, x.copy(), 1e-3)
    problem = form_problem("numerical_gradient(f, x, eps)", g_num, x)
    if problem:
        return (False, problem, "return an array of x's shape (np.zeros_like(x) filled entry "
                f"by entry): {GRADIENT_HOW}")
    return True, "numerical_gradient returns an array of x's shape", None


def _leaves_x_unchanged(numerical_gradient):
    x = _probe_point()
    work = x.copy()
    with np.errstate(all="ignore"):
        numerical_gradient(_cube, work, 1e-3)
    if np.array_equal(work, x):
        return True, "x is exactly as it was after the call", None
    leftover = float(np.max(np.abs(work - x)))
    if np.allclose(work, x, rtol=1e-12, atol=0):
        return (False, f"x changed by {leftover:.0e} after the call: a rounding leftover, as "
                "when the nudge is undone by arithmetic ((x + eps) - eps is not always x in "
                "floating point)",
                "save the entry's value before nudging it (original = x[i]) and assign that "
                "saved value back at the end (x[i] = original)")
    return (False, f"x changed after the call (by up to {leftover:.2g}): your checker corrupts "
            "the array it checks, and every later entry is measured at a moved point",
            "after the two evaluations for entry i, put x[i] back to the value it had "
            "(original = x[i] before the nudges, x[i] = original after them)")


def _gradient_mistakes(x, eps: float, right):
    whole = (_cube(x + eps) - _cube(x - eps)) / (2 * eps)
    return [
        Mistake("the one-sided difference", _library_difference(_cube, x, eps, "one-sided"),
                "(f(x + eps e_i) - f(x)) / eps is off by O(eps): at eps 1e-6 about 1e-6 "
                "relative, which flags a correct backward at the 1e-7 line. Evaluate at "
                "x + eps e_i and x - eps e_i and divide by 2 eps"),
        Mistake("every entry nudged at once", np.full(x.shape, whole),
                "x + eps moves every entry together, which measures the sum of all the "
                "partial derivatives: nudge one entry at a time, x[i] = original + eps"),
        Mistake("divided by eps instead of 2 eps", 2 * right,
                "the two points x + eps e_i and x - eps e_i are 2 eps apart"),
        Mistake("the difference with the wrong sign", -right,
                "f(x + eps e_i) - f(x - eps e_i): plus first"),
        Mistake("all zeros", np.zeros(x.shape),
                "f never saw the nudge: evaluate f on the array you nudged (a copy made by "
                "x.flatten() or x.copy() is another array)"),
    ]


def _gradient_values(numerical_gradient):
    for eps in (1e-3, 1e-6):
        x = _probe_point()
        right = _library_difference(_cube, x, eps)
        case = array_case(
            f"the difference at eps {eps:g}", right, rtol=1e-7, atol=1e-9,
            mistakes=_gradient_mistakes(x, eps, right), mistake_rtol=1e-6,
            say_mistake="{difference}: {what}", otherwise=GRADIENT_HOW)
        with np.errstate(all="ignore"):
            ok, message, hint = case(lambda: numerical_gradient(_cube, x.copy(), eps))
        if not ok:
            return False, f"on f(x) = sum(x**3 + sin(x)): {message}", hint
    return (True, "numerical_gradient agrees with cu.gradcheck's two-sided differences at "
            "eps 1e-3 and 1e-6", None)


def _error_forms(a, b) -> dict:
    """The relative error in the course's form, and the known wrong forms, at (a, b)."""
    norm = np.linalg.norm
    return {
        "right": norm(a - b) / (norm(a) + norm(b)),
        "max": norm(a - b) / max(norm(a), norm(b)),
        "absolute": norm(a - b),
        "a only": norm(a - b) / norm(a),
        "b only": norm(a - b) / norm(b),
        "squared": norm(a - b) ** 2 / (norm(a) ** 2 + norm(b) ** 2),
        "spectral": norm(a - b, 2) / (norm(a, 2) + norm(b, 2)),
        "norm of the sum": norm(a - b) / norm(a + b),
        "entry by entry": np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
    }


ERROR_MISTAKES = {
    "absolute": ("the absolute error ||a - b||, with no denominator",
                 "it grows with the scale of the cost: multiply the cost by 1,000 and a correct "
                 "backward's difference grows 1,000-fold (section 2). Divide by "
                 "||a|| + ||b||"),
    "a only": ("||a - b|| / ||a||: the denominator ||a|| alone",
               "it divides by zero when a is 0 (a backward that returns zeros, a dead unit): "
               "divide by ||a|| + ||b||, which is 0 only when both are"),
    "b only": ("||a - b|| / ||b||: the denominator ||b|| alone",
               "it divides by zero when b is 0: divide by ||a|| + ||b||, which is 0 only "
               "when both are"),
    "squared": ("the squared norms", "use the norms themselves, not their squares: "
                "||a - b|| / (||a|| + ||b||)"),
    "spectral": ("the matrix 2-norm (np.linalg.norm(M, 2) is the largest singular value)",
                 "use np.linalg.norm(M) without ord: for a matrix that is the Frobenius norm, "
                 "the square root of the sum of the squares, as for the flattened vector"),
    "norm of the sum": ("||a - b|| / ||a + b||: the norm of the sum in the denominator",
                        "||a + b|| is not ||a|| + ||b||: it is near 0 when b is about -a (a "
                        "gradient with the wrong sign), just where the error should be 1. "
                        "Divide by np.linalg.norm(a) + np.linalg.norm(b)"),
    "entry by entry": ("the largest entry-by-entry relative error (CS231n's rel_error)",
                       "that is another measure, and the verdict lines here (ok below 1e-7, "
                       "bug above 1e-3) are set for one number per block from the norms: "
                       "||a - b|| / (||a|| + ||b||) with np.linalg.norm"),
}


def _call_error(relative_error, a, b):
    """(value as a float or None, what went wrong or None)."""
    try:
        with np.errstate(all="ignore"):
            value = relative_error(a.copy(), b.copy())
    except ZeroDivisionError:
        return None, "raised ZeroDivisionError"
    value, problem, _ = as_number(lambda: value, "return one number")
    return value, problem


def _relative_error_values(relative_error):
    if not callable(relative_error):
        return (False, f"relative_error should be a function, got {type(relative_error).__name__}",
                "pass your function itself: gradient_checker(numerical_gradient, "
                "relative_error, EPS)")
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 4))
    b = a + 0.3 * rng.normal(size=(3, 4))
    a[0, 0] = b[1, 2] = 0.0  # a zero entry in each, as in a gradient with a dead unit
    value, problem = _call_error(relative_error, a, b)
    if problem:
        return (False, f"relative_error(a, b) {problem}",
                "return one number: ||a - b|| / (||a|| + ||b||)")
    forms = _error_forms(a, b)
    if np.isclose(value, forms["right"], rtol=1e-6):
        return True, "relative_error gives ||a - b|| / (||a|| + ||b||) on 3 x 4 arrays", None
    if np.isclose(value, forms["max"], rtol=1e-6):  # also symmetric and safe: at most 2x ours
        return (True, "relative_error gives ||a - b|| / max(||a||, ||b||) on 3 x 4 arrays: "
                "another correct form, between 1 and 2 times the course's", None)
    for key, (what, hint) in ERROR_MISTAKES.items():
        if np.isclose(value, forms[key], rtol=1e-6):
            return False, f"relative_error(a, b) is {value:.4g}: {what}", hint
    if value == 0:
        return (False, f"relative_error(a, b) is 0 for two arrays that differ (expected "
                f"{forms['right']:.4g}; each has one entry that is 0)",
                "return 0 only when the denominator ||a|| + ||b|| is 0: test that number, "
                "not the entries (a.all() is False as soon as one entry is 0)")
    return (False, f"relative_error(a, b) is {value:.4g}, expected {forms['right']:.4g}",
            "||a - b|| / (||a|| + ||b||) with np.linalg.norm, which for arrays of any shape "
            "is the square root of the sum of the squares")


def _relative_error_at_zero(relative_error):
    b = np.random.default_rng(4).normal(size=(3, 4))
    zero = np.zeros_like(b)
    for (first, second), said, truth in (((zero, b), "relative_error(0, b)", 1.0),
                                         ((b, zero), "relative_error(b, 0)", 1.0),
                                         ((zero, zero), "relative_error(0, 0)", 0.0)):
        value, problem = _call_error(relative_error, first, second)
        if problem is None and np.isclose(value, truth, rtol=1e-9, atol=1e-12):
            continue
        got = problem or f"is {value:.4g}"
        if truth == 0.0:
            return (False, f"{said} {got}, expected 0: when both are exactly 0 they agree",
                    "when the denominator ||a|| + ||b|| is 0, return 0.0 (cu.gradcheck does)")
        return (False, f"{said} {got}, expected 1 (one side is 0, the other not: as different "
                "as can be)", "divide by ||a|| + ||b||, which is 0 only when both are 0")
    return (True, "relative_error is 1 when one side is 0 and 0 when both are", None)


def _eps_is_a_number(eps):
    value, problem, _ = as_number(lambda: eps, "set EPS to a number such as 1e-3")
    if problem or not 0 < value < 1:
        return (False, f"EPS should be a small positive number, got {eps!r}",
                "set EPS to the eps your checker uses in float64: section 3's V says where")
    return True, f"EPS = {value:g}", None


def _said(errors: dict) -> str:
    """'dZ ok, dgamma 3.1e-01 bug, ...': a part that passes shows only its verdict (its digits
    are round-off, which differs from computer to computer)."""
    return ", ".join(f"{part} ok" if _gradcheck.verdict(error) == "ok"
                     else f"{part} {_error(error)} {_gradcheck.verdict(error)}"
                     for part, error in errors.items())


def _error(error: float) -> str:
    """A relative error beside its verdict, with the digits that keep it from reading as
    one of the verdicts' bounds (1.04e-07 'look closer', not 1.0e-07)."""
    return past(error, _gradcheck.OK, _gradcheck.LOOK_CLOSER)


def _passes_right_layers(numerical_gradient, relative_error, eps):
    for name, (forward, backward) in RIGHT_LAYERS.items():
        for where, options in enumerate(LAYER_POINTS, start=1):
            point = layer_point(**options)
            with np.errstate(all="ignore"):
                errors = checker_errors(numerical_gradient, relative_error, eps, forward,
                                        backward, point)
            if all(_gradcheck.verdict(e) == "ok" for e in errors.values()):
                continue
            said = (f"your checker at eps {eps:g} flags a correct batch-norm backward "
                    f"({name}, point {where}): {_said(errors)}")
            library = library_errors(forward, backward, point, eps)
            if any(_gradcheck.verdict(e) != "ok" for e in library.values()):
                side = ("too large: truncation, the Taylor terms a two-sided difference leaves "
                        "out (O(eps^2)), is above 1e-7" if eps > 1e-6 else
                        "too small: round-off, about u |f| / eps, is above 1e-7")
                return (False, f"{said}. cu.gradcheck at the same eps says the same, so the "
                        f"eps is to blame, not your code: eps {eps:g} is {side}",
                        "choose eps at the bottom of section 3's V for float64 two-sided "
                        "differences, where both errors are small")
            return (False, f"{said}, where cu.gradcheck at the same eps passes every part",
                    "compare your checker with cu.gradcheck.numerical_gradient and "
                    "cu.gradcheck.relative_error on this layer: f = "
                    "cu.checks.gradcheck.layer_cost(forward, point, 'Z')")
    return (True, f"at eps {eps:g} your checker passes two correct batch-norm backward passes "
            f"(the compact formula and node by node) at {len(LAYER_POINTS)} points: dZ, "
            "dgamma and dbeta each below 1e-7", None)


def _flags_wrong_layers(numerical_gradient, relative_error, eps):
    point = layer_point(**LAYER_POINTS[0])
    for mistake in BACKWARD_MISTAKES:
        with np.errstate(all="ignore"):
            errors = checker_errors(numerical_gradient, relative_error, eps, _library_forward,
                                    mistake.backward, point)
        wrong = {part for part, error in errors.items() if _gradcheck.verdict(error) != "ok"}
        if wrong != {mistake.part} or _gradcheck.verdict(errors[mistake.part]) != "bug":
            library = library_errors(_library_forward, mistake.backward, point)
            return (False, f"on a backward with {mistake.what}, your checker says "
                    f"{_said(errors)}; cu.gradcheck says {_said(library)}",
                    "a checker must flag the wrong part as a bug (relative error above 1e-3) "
                    "and pass the right ones (below 1e-7)")
    parts = ", ".join(m.part for m in BACKWARD_MISTAKES)
    return (True, f"it flags each of {len(BACKWARD_MISTAKES)} wrong backward passes as a bug "
            f"in the part that is wrong, and only there ({parts})", None)


def gradient_checker(numerical_gradient, relative_error, eps):
    """Grade the capstone's step 1, a gradient checker: numerical_gradient(f, x, eps) -> the
    two-sided differences of the scalar f(x), an array of x's shape, leaving x unchanged;
    relative_error(a, b) -> ||a - b|| / (||a|| + ||b||), 0 when both are 0 (the form with
    max(||a||, ||b||) is accepted too); eps, the reader's choice for float64.

    Then the checker is run on batch norm's backward pass: it must pass two correct forms with
    every part (dZ, dgamma, dbeta) below 1e-7, and flag each known wrong one (relative error
    above 1e-3) in the part that is wrong, and only there.
    """
    return grade("Capstone, step 1: your gradient checker",
                 _checker_cases(relative_error, eps), numerical_gradient)


def _checker_cases(relative_error, eps) -> list:
    """Step 1's cases, each called with numerical_gradient."""
    return [_returns_an_array, _leaves_x_unchanged, _gradient_values,
            lambda _: _relative_error_values(relative_error),
            lambda _: _relative_error_at_zero(relative_error),
            lambda _: _eps_is_a_number(eps),
            lambda fn: _passes_right_layers(fn, relative_error, eps),
            lambda fn: _flags_wrong_layers(fn, relative_error, eps)]


def _checker_works(numerical_gradient, relative_error, eps) -> bool:
    """True when the checker passes every case of step 1 (without recording a grade)."""
    if not callable(numerical_gradient):
        return False
    for case in _checker_cases(relative_error, eps):
        try:
            ok, _, _ = case(numerical_gradient)
        except Exception:  # the reader's code failed: step 1 says how, step 2 only that it did
            return False
        if not ok:
            return False
    return True


# ---------------------------------------------------------------- step 2: your batch norm, trained

RUN_STEPS, RUN_LR = 50, 0.02  # Adam: 50 steps take the correct run from 0.72 to about 0.1


def run_network():
    """The network step 2 trains: (spec, X, Y), 2-8-8-1 ReLU with batch norm in both hidden
    layers, on the circles (X (2, 300), Y (1, 300))."""
    X, Y, _, _ = _datasets.load_circles()
    return _network.Spec((2, 8, 8, 1), "relu", batch_norm=True), X.astype(float), Y.astype(float)


class _PluggedCache(NamedTuple):
    """The reader's cache, with the batch's statistics beside it for the running averages."""

    cache: object
    mean: np.ndarray
    var: np.ndarray


def plugged(forward, backward) -> _network.Functions:
    """The reader's layer (forward(Z, gamma, beta, train) -> (out, cache), backward(dout,
    cache) -> (dZ, dgamma, dbeta)) as the network's batch norm, through
    Spec(functions=cu.network.Functions(...)). The network trains in training mode: the
    reader's forward runs with train=True (evaluation mode, for predictions only, is the
    library's), whatever its cache holds; the running averages read the batch's mean and
    variance of Z, taken before the forward sees Z."""
    def batchnorm_forward(Z, gamma, beta, train, running_mean=None, running_var=None):
        if not train:
            return _layers.batchnorm_forward(Z, gamma, beta, False, running_mean, running_var)
        mean, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        out, cache = forward(Z, gamma, beta, True)
        return out, _PluggedCache(cache, mean, var)

    def batchnorm_backward(dout, cache):
        return backward(dout, cache.cache)
    return _network.Functions(batchnorm_forward=batchnorm_forward,
                              batchnorm_backward=batchnorm_backward)


def train_with_layer(forward, backward, callback=None, steps: int = RUN_STEPS) -> History:
    """Train run_network() from He-normal weights (seed 0) with Adam (lr 0.02), full batch,
    with batch norm's forward and backward given (`plugged`): cu.train with
    Spec(functions=...). callback(history, step, params, state) after every update."""
    spec, X, Y = run_network()
    mine = _network.Spec(spec.layer_sizes, spec.activation, batch_norm=True,
                         functions=plugged(forward, backward))
    with np.errstate(all="ignore"):  # a wrong layer's overflow shows as a cost of inf or NaN
        return train(mine, _network.init_params(spec, "he_normal", rng=0), X, Y,
                     _optimizers.adam(RUN_LR), steps=steps, callback=callback,
                     callback_every=1, progress=False)


def _forward_matches(answer):
    forward, _ = answer()
    for options in LAYER_POINTS:
        point = layer_point(**options)
        returned = forward(point["Z"].copy(), point["gamma"].copy(), point["beta"].copy(), True)
        if not (isinstance(returned, tuple) and len(returned) == 2):
            return (False, "my_batchnorm_forward should return (out, cache), got "
                    f"{type(returned).__name__}",
                    "return the output and what your backward needs, like "
                    "cu.layers.batchnorm_forward: return out, cache")
        expected, _ = _library_forward(point["Z"], point["gamma"], point["beta"])
        ok, message = describe_difference("out", returned[0], expected, rtol=1e-9, atol=1e-12)
        if not ok:
            return (False, f"your forward differs from cu.layers.batchnorm_forward: {message}",
                    "my_batchnorm_forward(Z, gamma, beta, True) is training mode: batch mean, "
                    "biased batch variance, eps 1e-5 inside the square root (notebook 06, "
                    "exercise 1). A forward whose 4th argument is eps gets True there; or keep "
                    "the library's forward and paste only your backward")
    return True, "your forward gives cu.layers.batchnorm_forward's output", None


def _gradients_problem(forward, backward, point) -> str | None:
    """What is wrong with the form of what backward returns at `point`, or None."""
    _, cache = forward(point["Z"].copy(), point["gamma"].copy(), point["beta"].copy(), True)
    returned = backward(point["dout"].copy(), cache)
    if not (isinstance(returned, (tuple, list)) and len(returned) == 3):
        return ("my_batchnorm_backward should return three arrays, dZ, dgamma, dbeta; got "
                f"{type(returned).__name__}")
    return next(filter(None, (form_problem("d" + part, got, point[part])
                              for part, got in zip(PARTS, returned))), None)


def _layer_hint(flagged, grads: dict, point: dict, forward) -> str:
    """Where to look, from the parts flagged: a known mistake, or the part alone."""
    mistake = known_backward_mistake(grads, point)
    if mistake is not None:
        return f"{mistake.what}: {mistake.hint}"
    m = point["Z"].shape[1]
    part = flagged[0] if len(flagged) == 1 else "dZ" if "dZ" in flagged else flagged[0]
    g_num = _library_difference(layer_cost(forward, point, part[1:]), point[part[1:]], 1e-6)
    what = describe_block_error(part[1:], grads[part], g_num, m)
    # describe_block_error's last resort says "compare with the chain rule": said below
    what = "" if "not by a constant factor" in what else f"{what}. "
    if flagged == ["dZ"]:
        return (f"{what}dgamma and dbeta pass, so the mistake is in dZ's own line: compare "
                f"it term by term with {DZ_FORMULA}")
    if len(flagged) == 1:
        others = " and ".join(p for p in ("dZ", "dgamma", "dbeta") if p != part)
        return (f"{what}{others} pass, so the mistake is in {part}'s own line: dgamma = "
                "sum_j dout * Z_hat, dbeta = sum_j dout")
    return (f"{' and '.join(flagged)} are wrong. {what}Fix the parameter gradients first "
            "(dgamma = sum_j dout * Z_hat, dbeta = sum_j dout): a dZ written with them "
            "inherits their mistakes")


def _your_layer_checked(numerical_gradient, relative_error, eps):
    def case(answer):
        forward, backward = answer()
        if not _checker_works(numerical_gradient, relative_error, eps):
            return (False, "your checker does not pass step 1 yet, so it cannot check your "
                    "batch norm (the run below is trained all the same)",
                    "finish step 1 first: cu.checks.gradient_checker(numerical_gradient, "
                    "relative_error, EPS) says what to fix")
        for where, options in enumerate(LAYER_POINTS, start=1):
            point = layer_point(**options)
            problem = _gradients_problem(forward, backward, point)
            if problem:
                return (False, problem, "return dZ (n, m), dgamma (n, 1), dbeta (n, 1), like "
                        "cu.layers.batchnorm_backward(dout, cache)")
            with np.errstate(all="ignore"):
                library = library_errors(forward, backward, point)
                yours = checker_errors(numerical_gradient, relative_error, eps, forward,
                                       backward, point)
            verdicts = [_gradcheck.verdict(e) for e in library.values()]
            agree = [_gradcheck.verdict(e) for e in yours.values()] == verdicts
            said = (f"your checker on your batch norm (point {where}): {_said(yours)}"
                    + (" (cu.gradcheck agrees)" if agree else
                       f" (cu.gradcheck says {_said(library)})"))
            flagged = [part for part, v in zip(library, verdicts) if v != "ok"]
            if flagged:
                grads = layer_gradients(forward, backward, point)
                return False, said, _layer_hint(flagged, grads, point, forward)
        return True, said.replace(f" (point {where})", f" (at {where} points)"), None
    return case


def _run_case():
    return run_case(
        lambda piece, callback: train_with_layer(*piece, callback=callback),
        RIGHT_LAYERS["the compact formula"],
        mistakes=[RunMistake(m.what, (_library_forward, m.backward), m.hint)
                  for m in BACKWARD_MISTAKES],
        otherwise="your layer trains the network differently from the library's: the "
                  "gradient check above says which part of the backward to look at",
        right=f"your batch norm trains the network as the library's does ({{steps}} steps of "
              f"Adam, lr {RUN_LR:g}: every cost and parameter within {{rtol:g}})")


def batchnorm_in_training(forward, backward, numerical_gradient, relative_error, eps):
    """Grade the capstone's step 2: the reader's batch norm (forward(Z, gamma, beta, train)
    -> (out, cache), backward(dout, cache) -> (dZ, dgamma, dbeta)), checked by the reader's
    own checker from step 1 part by part, then trained.

    Every case runs, so the reader sees all of it: the forward against the library's; the
    relative error of dZ, dgamma and dbeta by the reader's checker, with cu.gradcheck's
    verdict as the judge (while the checker does not pass step 1 this case fails and says
    so: it cannot check a layer yet); then a 50-step
    run of a 2-8-8-1 batch-norm network with the reader's layer plugged in (cu.train with
    Spec(functions=...), see `plugged`) beside the same run with the library's (costs and
    parameters within 1e-6 at every step). The Feedback carries the
    runs for plot_runs(feedback, boundary=run_network()).
    """
    run = _run_case()

    def trained(answer):
        """The run, unless the backward's gradients have the wrong form (a gamma of the
        wrong shape would break the network far from the mistake)."""
        problem = _gradients_problem(*answer(), layer_point(**LAYER_POINTS[0]))
        if problem:
            return False, f"not trained: {problem}", None
        return run(answer)
    cases = [_forward_matches, _your_layer_checked(numerical_gradient, relative_error, eps),
             trained]
    for fn, name in ((forward, "my_batchnorm_forward"), (backward, "my_batchnorm_backward")):
        if not callable(fn):
            feedback = grade("Capstone, step 2: your batch norm, checked and trained", [
                lambda _: (False, f"{name} should be a function, got {type(fn).__name__}",
                           "pass the functions themselves, without calling them")], lambda: None)
            feedback.traces = {}
            return feedback
    feedback = grade("Capstone, step 2: your batch norm, checked and trained", cases,
                     lambda: (forward, backward), stop_at_first_failure=False)
    feedback.traces = dict(getattr(run, "traces", {}))
    return feedback
