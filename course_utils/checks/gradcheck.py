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

import numpy as np

from ..lessons import gradcheck as lesson
from .. import gradcheck as _gradcheck
from ._core import Mistake, choice_case, fresh, grade, number_case

__all__ = ["gradient_case", "describe_block_error", "two_sided_difference", "which_block",
           "fixed_backward"]

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
        return (f"{name} is {factor:.3g} times the true gradient: a constant factor is wrong "
                "in the line that computes it")
    if g.ndim == 2 and g.shape[0] == g.shape[1] and _gradcheck.relative_error(g, g_num.T) < 1e-6:
        return f"{name} is the transpose of the right answer: dW = dZ @ A_prev.T"
    return (f"{name} is wrong, and not by a constant factor: compare its line with the chain "
            "rule, term by term")


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
                            f"{b.key} {b.relative_error:.1e} {b.verdict}" for b in report.blocks)
        if report.passed:
            return (True, f"gradient check{at}: every block ok (largest relative error "
                    f"{report.max_error:.0e})", None)
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
