"""Graders for the exercises of 02_vanishing_exploding_gradients."""

from __future__ import annotations

import numpy as np

from ._core import (Mistake, fresh, grade, known_mistake, leaves_inputs_unchanged, matches,
                    number_case, on_inputs)

__all__ = ["sigmoid_chain_bound", "global_norm", "clip_by_norm"]

EXACT = 1e-9  # relative tolerance: a right formula, however written, agrees to rounding


# ---------------------------------------------------------------- the sigmoid chain's bound

CHAIN_CASES = ((10, 1.0), (5, -2.0), (3, 8.0), (1, 1.0))  # (depth L, weight w)


def _chain_truth(depth, w):
    return (abs(w) / 4) ** depth


# The known wrong formulas: (what it is, the formula (L, w) -> value, hint).
CHAIN_MISTAKES = (
    ("0.25^L (the weight left out)",
     lambda L, w: 0.25 ** L,
     "each layer multiplies by w * sigmoid'(z), not by sigmoid'(z) alone"),
    ("(w / 4)^L without the absolute value",
     lambda L, w: (w / 4) ** L,
     "a bound on the size of a derivative is positive: use |w|"),
    ("(|w| / 4)^(L-1)",
     lambda L, w: (abs(w) / 4) ** (L - 1),
     "count the factors: a_1 = sigmoid(w a_0) already contributes one w * sigmoid'(z_1), "
     "so there are L of them"),
    ("(|w| / 4)^(L+1)",
     lambda L, w: (abs(w) / 4) ** (L + 1),
     "count the factors: one w * sigmoid'(z_l) for each of the L layers"),
    ("0.5^L (the sigmoid's value at 0, not its slope)",
     lambda L, w: 0.5 ** L,
     "sigmoid(0) = 1/2 is the value; the slope sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)) is "
     "at most 1/4"),
    ("(|w| / 4)^(2L), the square of the bound",
     lambda L, w: (abs(w) / 4) ** (2 * L),
     "that is a bound on the square (section 2's mean-square factor); the question asks for "
     "the size |da_L / da_0| itself: one factor |w| * 1/4 per layer"),
    ("|w|^L / 4",
     lambda L, w: abs(w) ** L / 4,
     "the slope's 1/4 comes in once per layer, like the weight"),
    ("L |w| / 4 (a sum instead of a product)",
     lambda L, w: L * abs(w) / 4,
     "the chain rule multiplies the layers' factors, it does not add them"),
)


def _chain_mistakes(depth, w) -> list[Mistake]:
    """CHAIN_MISTAKES as the values they give for one case."""
    return [Mistake(what, formula(depth, w), hint) for what, formula, hint in CHAIN_MISTAKES]


def chain_true_maximum(depth: int, w: float) -> float:
    """The true maximum over a_0 of |da_L / da_0| for the chain a_l = sigmoid(w a_{l-1}):
    a dense grid of a_0 in [-40, 40], refined around its best point. Below the bound
    (|w| / 4)^L from depth 2 on: every a_l = sigmoid(.) lies in (0, 1), so from layer 2 on
    z_l = w a_{l-1} is never 0 and sigmoid'(z_l) < 1/4."""
    def slope(a0):
        a, product = np.asarray(a0, dtype=float), np.ones(np.shape(a0))
        for _ in range(depth):
            s = 1.0 / (1.0 + np.exp(-w * a))
            product = product * abs(w) * s * (1.0 - s)
            a = s
        return product
    grid = np.linspace(-40.0, 40.0, 80001)
    best = grid[np.argmax(slope(grid))]
    fine = np.linspace(best - 2e-3, best + 2e-3, 4001)
    return float(np.max(slope(fine)))


def _true_maximum_instead(depth, w, value):
    """The feedback for a value that is the true maximum of |da_L / da_0| (within 2%), the
    right answer to another question; None for any other value."""
    truth = _chain_truth(depth, w)
    if depth == 1 or not 0 < value < truth:
        return None
    actual = chain_true_maximum(depth, w)
    if abs(value - actual) > 0.02 * actual:
        return None
    return (False, f"chain_bound({depth}, {w:g}) = {value:.3g} is the true maximum of "
            f"|da_L / da_0| over a_0 (about {actual:.3g}): right, and smaller than the bound "
            f"asked for, {truth:.6g}",
            "the exercise asks for the upper bound you get by putting sigmoid' <= 1/4 into "
            "every factor of the chain rule; from depth 2 on the chain never reaches it, "
            "because every a_l = sigmoid(.) lies in (0, 1), so from layer 2 on z = w a is never "
            "0 and sigmoid'(z) stays below 1/4")


def _chain_at(depth, w):
    """The case for chain_bound(depth, w): (|w| / 4)^depth, to rounding."""
    call = f"chain_bound({depth}, {w:g})"
    return number_case(
        _chain_truth(depth, w), rtol=EXACT, mistakes=_chain_mistakes(depth, w),
        accept=lambda value: _true_maximum_instead(depth, w, value),
        not_a_number=call + " returned {type}, expected a number",
        how_to_answer="return one number: the upper bound on |da_L / da_0| that sigmoid' <= 1/4 "
                      "gives, for that depth and weight",
        say_mistake=call + " = {value:.6g} looks like {what}; expected {truth:.6g}",
        say_wrong=call + " = {value:.6g}, expected {truth:.6g}",
        otherwise="write da_L/da_0 with the chain rule: a product of L factors w * sigmoid'(z_l), "
                  "and bound each one")


def sigmoid_chain_bound(fn):
    """Grade chain_bound(depth, w) -> the upper bound on |da_L / da_0| that sigmoid' <= 1/4
    gives for a chain of `depth` one-unit sigmoid layers a_l = sigmoid(w a_{l-1}):
    (|w| / 4) ** depth. A learner who computes the true maximum over a_0 (smaller from depth
    2 on) is told so, not marked plainly wrong."""
    cases = ", ".join(f"({L}, {w:g})" for L, w in CHAIN_CASES)
    case = on_inputs(CHAIN_CASES, _chain_at, right=f"(|w| / 4)^L for every case {cases}")
    return grade("The sigmoid chain's gradient bound", [case], fn)


# ---------------------------------------------------------------- global norm


def _example_grads(scale: float = 1.0) -> dict:
    """Four gradient blocks of a [3, 4, 2] network: dW1 (4, 3), db1 (4, 1), dW2 (2, 4), db2 (2, 1)."""
    rng = np.random.default_rng(7)
    return {"dW1": scale * rng.standard_normal((4, 3)), "db1": scale * rng.standard_normal((4, 1)),
            "dW2": scale * rng.standard_normal((2, 4)), "db2": scale * rng.standard_normal((2, 1))}


def _true_norm(grads: dict) -> float:
    """sqrt of the sum of squares of every entry of every block."""
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))


def _global_norm_mistakes(grads: dict) -> list[Mistake]:
    block_norms = [float(np.linalg.norm(g)) for g in grads.values()]
    weights_only = {k: g for k, g in grads.items() if k.startswith("dW")}
    return [
        Mistake("the sum of squares (no square root)", _true_norm(grads) ** 2,
                "take the square root at the end"),
        Mistake("the sum of the blocks' norms", sum(block_norms),
                "norms of blocks do not add up; add their squares, then take one square root"),
        Mistake("the largest block's norm", max(block_norms),
                "every block counts: add the squares of all of them"),
        Mistake("the norm of the weights only", _true_norm(weights_only),
                "the biases' gradients are part of the vector too"),
        Mistake("the sum of absolute values", sum(float(np.abs(g).sum()) for g in grads.values()),
                "the Euclidean norm squares the entries: sqrt(sum of g**2)"),
    ]


def _global_norm_case(fn):
    grads = _example_grads()
    returned = fn(fresh(grads))
    if isinstance(returned, (list, tuple, dict)) or (isinstance(returned, np.ndarray)
                                                     and returned.size > 1):
        return (False, f"global_norm returned {type(returned).__name__} with several values, "
                "expected one number", "add up the squares of every block first, then take one "
                "square root: all blocks together make one vector")
    truth = _true_norm(grads)
    value = number_case(
        truth, rtol=EXACT, mistakes=_global_norm_mistakes(grads),
        right=f"the global norm of four blocks is {truth:.6g}",
        not_a_number="global_norm returned {type}, expected a number",
        how_to_answer="return one number: the norm of all the blocks together, as the exercise "
                      "says",
        say_mistake="{value:.6g} is {what}; expected {truth:.6g}",
        say_wrong="global_norm gave {value:.6g}, expected {truth:.6g}",
        otherwise="sqrt(sum over every block of np.sum(g ** 2))")
    return value(lambda: returned)


def global_norm(fn):
    """Grade global_norm(grads) -> sqrt of the sum of squares of every entry of every block."""
    return grade("Global gradient norm", [_global_norm_case], fn)


# ---------------------------------------------------------------- clipping by the global norm


def _clip_returns_dict(fn):
    grads = _example_grads(10.0)
    out = fn(fresh(grads), 1.0)
    if not isinstance(out, dict):
        return (False, f"clip_by_norm returned {type(out).__name__}, expected a dict like grads",
                "return {key: clipped gradient} with the same keys as grads")
    if set(out) != set(grads):
        return (False, f"the keys are {sorted(out)}, expected {sorted(grads)}",
                "keep every key of grads, biases included")
    for k, g in grads.items():
        if np.shape(out[k]) != g.shape:
            return (False, f"{k} has shape {np.shape(out[k])}, expected {g.shape}",
                    "scale each block; do not reshape or concatenate them in the result")
    return True, "returns a dict with the same keys and shapes", None


def _clip_mistakes(grads: dict, max_norm: float, norm_after: float) -> list[Mistake]:
    """The known wrong clippings of `grads` (norm above max_norm), as the dicts they return;
    norm_after is the global norm of what the reader returned, for the message."""
    by_value = {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}
    per_block = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    return [
        Mistake("that is clipping each entry to [-max_norm, max_norm] (clip by value)", by_value,
                "clip by norm rescales the whole gradient by max_norm / global_norm, which keeps "
                "its direction"),
        Mistake(f"each block was clipped to norm {max_norm:g} on its own, so together they have "
                f"norm {norm_after:.3g} and a different direction", per_block,
                "use one norm for all blocks together (the global norm) and one scale factor"),
        Mistake(f"the gradients came back unchanged, but their global norm "
                f"{_true_norm(grads):.4g} is above max_norm = {max_norm:g}", grads,
                "above max_norm, rescale the gradients as the exercise says"),
    ]


def _clip_large(fn):
    grads, max_norm = _example_grads(10.0), 2.0
    out = fn(fresh(grads), max_norm)
    norm = _true_norm(out)
    factor = max_norm / _true_norm(grads)
    if matches(out, {k: g * factor for k, g in grads.items()}, rtol=EXACT, atol=1e-12):
        return (True, f"a gradient of norm {_true_norm(grads):.3g} comes back with norm {norm:.3g} "
                "and the same direction", None)
    mistake = known_mistake(out, _clip_mistakes(grads, max_norm, norm))
    if mistake is not None:
        return False, mistake.what, mistake.hint
    if np.isclose(norm, max_norm):
        return (False, f"the norm is {max_norm:g}, but the direction changed",
                "multiply every block by the same factor max_norm / global_norm")
    return (False, f"after clipping the global norm is {norm:.4g}, expected {max_norm:g}",
            "if global_norm > max_norm, multiply every block by max_norm / global_norm")


def _clip_small(fn):
    grads = _example_grads(0.01)
    before = _true_norm(grads)
    out = fn(fresh(grads), 5.0)
    if matches(out, grads, rtol=1e-12, atol=0):
        return True, f"a gradient already below max_norm (norm {before:.3g}) is left as it is", None
    return (False, f"a gradient of norm {before:.3g} < max_norm = 5 was changed (now norm "
            f"{_true_norm(out):.3g})", "clipping only ever shrinks: below max_norm, return the "
            "gradients unchanged (do not scale them up to max_norm)")


_clip_no_mutation = leaves_inputs_unchanged(
    lambda fn, grads: fn(grads, 1.0), (_example_grads(10.0),),
    right="the gradients you were given are not changed",
    wrong="your function changed the arrays of the grads it was given",
    hint="build new arrays (g * scale) instead of scaling in place (g *= scale): the caller "
         "may still need the original gradients, e.g. to log their norm")


def clip_by_norm(fn):
    """Grade clip_by_norm(grads, max_norm) -> grads rescaled to global norm <= max_norm."""
    return grade("Clip by norm", [_clip_returns_dict, _clip_large, _clip_small, _clip_no_mutation],
                 fn)
