"""Graders for the exercises of 02_vanishing_exploding_gradients."""

from __future__ import annotations

import numbers

import numpy as np

from ._core import grade

__all__ = ["sigmoid_chain_bound", "global_norm", "clip_by_norm"]


def _as_float(value) -> float:
    """One number from a Python or numpy scalar or a one-element array of any shape."""
    return float(np.asarray(value, dtype=float).reshape(-1)[0])


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool) \
        or (isinstance(value, np.ndarray) and value.size == 1)


# ---------------------------------------------------------------- the sigmoid chain's bound

CHAIN_CASES = ((10, 1.0), (5, -2.0), (3, 8.0), (1, 1.0))


def _chain_truth(depth, w):
    return (abs(w) / 4) ** depth


# name -> (wrong formula, hint)
_CHAIN_MISTAKES = {
    "0.25^L (the weight left out)": (
        lambda L, w: 0.25 ** L,
        "each layer multiplies by w * sigmoid'(z), not by sigmoid'(z) alone"),
    "(w / 4)^L without the absolute value": (
        lambda L, w: (w / 4) ** L,
        "a bound on the size of a derivative is positive: use |w|"),
    "(|w| / 4)^(L-1)": (
        lambda L, w: (abs(w) / 4) ** (L - 1),
        "count the factors: a_1 = sigmoid(w a_0) already contributes one w * sigmoid'(z_1), "
        "so there are L of them"),
    "(|w| / 4)^(L+1)": (
        lambda L, w: (abs(w) / 4) ** (L + 1),
        "count the factors: one w * sigmoid'(z_l) for each of the L layers"),
    "0.5^L (the sigmoid's value at 0, not its slope)": (
        lambda L, w: 0.5 ** L,
        "sigmoid(0) = 1/2 is the value; the slope sigmoid'(z) = sigmoid(z)(1 - sigmoid(z)) is "
        "at most 1/4"),
    "(|w| / 4)^(2L), the square of the bound": (
        lambda L, w: (abs(w) / 4) ** (2 * L),
        "that is a bound on the square (section 2's mean-square factor); the question asks for "
        "the size |da_L / da_0| itself: one factor |w| * 1/4 per layer"),
    "|w|^L / 4": (
        lambda L, w: abs(w) ** L / 4,
        "the slope's 1/4 comes in once per layer, like the weight"),
    "L |w| / 4 (a sum instead of a product)": (
        lambda L, w: L * abs(w) / 4,
        "the chain rule multiplies the layers' factors, it does not add them"),
}


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


def _chain_case(fn):
    for depth, w in CHAIN_CASES:
        value = fn(depth, w)
        if not _is_number(value):
            return (False, f"chain_bound({depth}, {w:g}) returned {type(value).__name__}, "
                    "expected a number", "return one number: the upper bound on "
                    "|da_L / da_0| that sigmoid' <= 1/4 gives, for that depth and weight")
        value = _as_float(value)
        truth = _chain_truth(depth, w)
        if np.isclose(value, truth, rtol=1e-9, atol=0):
            continue
        for name, (wrong, hint) in _CHAIN_MISTAKES.items():
            if np.isclose(value, wrong(depth, w), rtol=1e-9, atol=0):
                return (False, f"chain_bound({depth}, {w:g}) = {value:.6g} looks like {name}; "
                        f"expected {truth:.6g}", hint)
        if depth > 1 and 0 < value < truth:
            actual = chain_true_maximum(depth, w)
            if abs(value - actual) <= 0.02 * actual:
                return (False, f"chain_bound({depth}, {w:g}) = {value:.3g} is the true maximum "
                        f"of |da_L / da_0| over a_0 (about {actual:.3g}): right, and smaller than "
                        f"the bound asked for, {truth:.6g}",
                        "the exercise asks for the upper bound you get by putting sigmoid' <= 1/4 "
                        "into every factor of the chain rule; from depth 2 on the chain never "
                        "reaches it, because every a_l = sigmoid(.) lies in (0, 1), so from layer "
                        "2 on z = w a is never 0 and sigmoid'(z) stays below 1/4")
        return (False, f"chain_bound({depth}, {w:g}) = {value:.6g}, expected {truth:.6g}",
                "write da_L/da_0 with the chain rule: a product of L factors w * sigmoid'(z_l), "
                "and bound each one")
    cases = ", ".join(f"({L}, {w:g})" for L, w in CHAIN_CASES)
    return True, f"(|w| / 4)^L for every case {cases}", None


def sigmoid_chain_bound(fn):
    """Grade chain_bound(depth, w) -> the upper bound on |da_L / da_0| that sigmoid' <= 1/4
    gives for a chain of `depth` one-unit sigmoid layers a_l = sigmoid(w a_{l-1}):
    (|w| / 4) ** depth. A learner who computes the true maximum over a_0 (smaller from depth
    2 on) is told so, not marked plainly wrong."""
    return grade("The sigmoid chain's gradient bound", [_chain_case], fn)


# ---------------------------------------------------------------- global norm and clipping


def _example_grads(scale: float = 1.0) -> dict:
    rng = np.random.default_rng(7)
    return {"dW1": scale * rng.standard_normal((4, 3)), "db1": scale * rng.standard_normal((4, 1)),
            "dW2": scale * rng.standard_normal((2, 4)), "db2": scale * rng.standard_normal((2, 1))}


def _true_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))


def _global_norm_case(fn):
    grads = _example_grads()
    truth = _true_norm(grads)
    value = fn({k: v.copy() for k, v in grads.items()})
    if isinstance(value, (list, tuple, dict)) or (isinstance(value, np.ndarray) and value.size > 1):
        return (False, f"global_norm returned {type(value).__name__} with several values, "
                "expected one number", "add up the squares of every block first, then take one "
                "square root: all blocks together make one vector")
    if not _is_number(value):
        return (False, f"global_norm returned {type(value).__name__}, expected a number",
                "return one number: the norm of all the blocks together, as the exercise says")
    value = _as_float(value)
    if np.isclose(value, truth, rtol=1e-9):
        return True, f"the global norm of four blocks is {truth:.6g}", None
    mistakes = {
        "the sum of squares (no square root)": (truth ** 2, "take the square root at the end"),
        "the sum of the blocks' norms": (sum(float(np.linalg.norm(g)) for g in grads.values()),
                                         "norms of blocks do not add up; add their squares, then "
                                         "take one square root"),
        "the largest block's norm": (max(float(np.linalg.norm(g)) for g in grads.values()),
                                     "every block counts: add the squares of all of them"),
        "the norm of the weights only": (float(np.sqrt(sum(np.sum(g ** 2) for k, g in grads.items()
                                                           if k.startswith("dW")))),
                                         "the biases' gradients are part of the vector too"),
        "the sum of absolute values": (sum(float(np.abs(g).sum()) for g in grads.values()),
                                       "the Euclidean norm squares the entries: "
                                       "sqrt(sum of g**2)"),
    }
    for name, (wrong, hint) in mistakes.items():
        if np.isclose(value, wrong, rtol=1e-9):
            return False, f"{value:.6g} is {name}; expected {truth:.6g}", hint
    return (False, f"global_norm gave {value:.6g}, expected {truth:.6g}",
            "sqrt(sum over every block of np.sum(g ** 2))")


def global_norm(fn):
    """Grade global_norm(grads) -> sqrt of the sum of squares of every entry of every block."""
    return grade("Global gradient norm", [_global_norm_case], fn)


def _clip_returns_dict(fn):
    grads = _example_grads(10.0)
    out = fn({k: v.copy() for k, v in grads.items()}, 1.0)
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


def _clip_large(fn):
    grads = _example_grads(10.0)
    max_norm = 2.0
    out = fn({k: v.copy() for k, v in grads.items()}, max_norm)
    norm = _true_norm(out)
    factor = max_norm / _true_norm(grads)
    expected = {k: g * factor for k, g in grads.items()}
    if all(np.allclose(out[k], expected[k], rtol=1e-9, atol=1e-12) for k in grads):
        return (True, f"a gradient of norm {_true_norm(grads):.3g} comes back with norm {norm:.3g} "
                "and the same direction", None)
    if all(np.allclose(out[k], np.clip(g, -max_norm, max_norm)) for k, g in grads.items()):
        return (False, "that is clipping each entry to [-max_norm, max_norm] (clip by value)",
                "clip by norm rescales the whole gradient by max_norm / global_norm, which keeps "
                "its direction")
    per_block = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    if all(np.allclose(out[k], per_block[k]) for k in grads):
        return (False, f"each block was clipped to norm {max_norm:g} on its own, so together "
                f"they have norm {norm:.3g} and a different direction",
                "use one norm for all blocks together (the global norm) and one scale factor")
    if np.isclose(norm, max_norm):
        return (False, f"the norm is {max_norm:g}, but the direction changed",
                "multiply every block by the same factor max_norm / global_norm")
    if all(np.array_equal(out[k], grads[k]) for k in grads):
        return (False, f"the gradients came back unchanged, but their global norm "
                f"{_true_norm(grads):.4g} is above max_norm = {max_norm:g}",
                "above max_norm, rescale the gradients as the exercise says")
    return (False, f"after clipping the global norm is {norm:.4g}, expected {max_norm:g}",
            "if global_norm > max_norm, multiply every block by max_norm / global_norm")


def _clip_small(fn):
    grads = _example_grads(0.01)
    before = _true_norm(grads)
    out = fn({k: v.copy() for k, v in grads.items()}, 5.0)
    if all(np.allclose(out[k], grads[k], rtol=1e-12, atol=0) for k in grads):
        return True, f"a gradient already below max_norm (norm {before:.3g}) is left as it is", None
    return (False, f"a gradient of norm {before:.3g} < max_norm = 5 was changed (now norm "
            f"{_true_norm(out):.3g})", "clipping only ever shrinks: below max_norm, return the "
            "gradients unchanged (do not scale them up to max_norm)")


def _clip_no_mutation(fn):
    grads = _example_grads(10.0)
    copy = {k: v.copy() for k, v in grads.items()}
    fn(grads, 1.0)
    if all(np.array_equal(grads[k], copy[k]) for k in grads):
        return True, "the gradients you were given are not changed", None
    return (False, "your function changed the arrays of the grads it was given",
            "build new arrays (g * scale) instead of scaling in place (g *= scale): the caller "
            "may still need the original gradients, e.g. to log their norm")


def clip_by_norm(fn):
    """Grade clip_by_norm(grads, max_norm) -> grads rescaled to global norm <= max_norm."""
    return grade("Clip by norm", [_clip_returns_dict, _clip_large, _clip_small, _clip_no_mutation], fn)
