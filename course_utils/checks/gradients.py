"""Graders for the exercises of 02_vanishing_exploding_gradients."""

from __future__ import annotations

import numpy as np

from ._core import (Mistake, fresh, grade, known_mistake, leaves_inputs_unchanged, matches,
                    number_case, on_inputs)
from .. import datasets, network, optimizers, training
from ._runs import RunMistake, grade_run, plot_runs, run_case

__all__ = ["sigmoid_chain_bound", "global_norm", "clip_by_norm", "layer_norms_in_run",
           "plot_layer_norms", "clipping_in_run", "plot_clipping_run"]

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


# ---------------------------------------------------------------- capstone: clipping in a deep run
#
# Section 5's exploding network: six ReLU layers of 32 units at twice He's standard deviation
# (rng 0), on the digits, minibatches of 64 (rng 0), plain gradient descent at rate 0.1.
# Without clipping its cost becomes NaN at step 6; clipped by the global norm at 5 it learns.
# The reader's pieces run inside it: layer_gradient_norms sees every step's gradient (before
# clipping), clip_by_global_norm clips it through train(clip=...).

CAPSTONE_LR = 0.1
MAX_NORM = 5.0
NORM_STEPS = 30      # steps at which the reader's layer norms are compared with the library's
CLIP_STEPS = 10      # a short run: this network is chaotic, so two correct clippings that
                     # round differently (PyTorch's max_norm / (norm + 1e-6)) part ways after
                     # about 15 steps; over 10 they agree within 1e-7
NORM_RTOL = 1e-6     # the reader's norms against the library's: the same numbers, to rounding
                     # (float32 arithmetic, also right, is about 1e-7 off; every known
                     # mistake 1e-2 or more)
_NETWORK = {}


def _capstone_network(gain: float):
    """(spec, params, X, Y): section 5's six ReLU layers of 32 units, He x gain (rng 0)."""
    if gain not in _NETWORK:
        X, Y, _, _ = datasets.load_digits()
        spec = network.Spec((64,) + (32,) * 6 + (10,), activation="relu", output="softmax")
        _NETWORK[gain] = spec, network.init_params(spec, "he_normal", rng=0, gain=gain), X, Y
    return _NETWORK[gain]


def _deep_run(gain: float, steps: int, clip, callback=None):
    """Train section 5's network (He x gain) for `steps` minibatch steps with `clip`."""
    spec, params, X, Y = _capstone_network(gain)
    return training.train(spec, params, X, Y, optimizers.sgd(CAPSTONE_LR), steps=steps,
                          batch_size=64, rng=0, clip=clip, callback=callback,
                          callback_every=1, progress=False)


def _layer_of(key: str) -> int:
    """'dW3' -> 3: the layer a gradient belongs to (the digits its name ends with)."""
    return int(key[len(key.rstrip("0123456789")):])


def library_layer_norms(grads: dict) -> np.ndarray:
    """The right answer: (L,) the norm of each layer's gradients, dW{l} and db{l} together,
    layer 1 first (optimizers.global_norm of the layer's blocks)."""
    layers = sorted({_layer_of(key) for key in grads})
    return np.array([optimizers.global_norm({k: g for k, g in grads.items() if _layer_of(k) == l})
                     for l in layers])


def _per_block(grads: dict, norm) -> np.ndarray:
    """norm(dW_l, db_l) -> (L,), for the known wrong formulas."""
    layers = sorted({_layer_of(key) for key in grads})
    return np.array([norm([g for k, g in grads.items() if _layer_of(k) == l]) for l in layers])


# (what, the wrong formula grads -> (L,), hint)
LAYER_NORM_MISTAKES = (
    ("the squared norms (no square root)",
     lambda grads: library_layer_norms(grads) ** 2,
     "take the square root of each layer's sum of squares"),
    ("the norms of the weights' gradients dW alone, without db",
     lambda grads: _per_block(grads, lambda gs: np.linalg.norm(gs[0])),
     "a layer's gradient is dW and db together: add the squares of both, then one square root"),
    ("||dW|| + ||db||: the blocks' norms added",
     lambda grads: _per_block(grads, lambda gs: sum(np.linalg.norm(g) for g in gs)),
     "norms do not add up: add the squares of every entry of dW and db, then take one "
     "square root"),
    ("the root mean square of the entries, not their norm",
     lambda grads: _per_block(grads, lambda gs: np.sqrt(np.mean(np.concatenate(
         [g.ravel() for g in gs]) ** 2))),
     "the norm is the square root of the *sum* of squares, not of their mean"),
    ("the sums of absolute values (the L1 norm)",
     lambda grads: _per_block(grads, lambda gs: sum(np.abs(g).sum() for g in gs)),
     "the Euclidean norm squares the entries: sqrt(sum of g ** 2)"),
    ("the spectral norm of dW (np.linalg.norm of a matrix with ord=2 is its largest "
     "singular value), not the norm of its entries",
     lambda grads: _per_block(grads, lambda gs: np.sqrt(sum(np.linalg.norm(g, 2) ** 2
                                                            for g in gs))),
     "for a 2-D array np.linalg.norm(dW) (ord=None, the Frobenius norm) is the norm of the "
     "entries; ord=2 is another norm. Or write it out: np.sqrt(np.sum(dW ** 2))"),
    ("the largest entry of each layer, not its norm",
     lambda grads: _per_block(grads, lambda gs: max(np.abs(g).max() for g in gs)),
     "every entry counts: sqrt(sum of g ** 2) over dW and db"),
    ("the right norms, output layer first",
     lambda grads: library_layer_norms(grads)[::-1],
     "return layer 1 first: norms[0] is the first layer's, norms[-1] the output layer's "
     "(grads lists the output layer first: loop over l = 1, ..., L)"),
)


def _as_layer_norms(returned, L: int):
    """The reader's result as a float (L,) array, or (None, what is wrong, hint)."""
    if isinstance(returned, dict):
        if set(returned) == set(range(1, L + 1)):  # {layer: norm} is a right answer too
            returned = [returned[l] for l in range(1, L + 1)]
        elif set(returned) == set(range(L)):  # and {index: norm}, counted from 0
            returned = [returned[i] for i in range(L)]
        else:
            return None, (f"layer_gradient_norms returned a dict with keys "
                          f"{sorted(returned, key=str)[:4]}..., expected an array of {L} numbers"), \
                "return np.array([norm of layer 1, norm of layer 2, ...]), layer 1 first"
    try:
        values = np.asarray(returned, dtype=float)
    except (TypeError, ValueError):
        values = None
    if returned is None or values is None or values.ndim == 0:
        return None, (f"layer_gradient_norms returned {type(returned).__name__}, expected an "
                      f"array of {L} numbers, one per layer"), \
            "return np.array([...]) with one norm per layer, layer 1 first"
    values = values.reshape(-1) if values.size in (L, 2 * L) else values
    if values.shape == (2 * L,):
        return None, (f"layer_gradient_norms returned {2 * L} numbers for a network of {L} "
                      "layers: one per array (dW1, db1, dW2, ...), not one per layer"), \
            "put each layer's dW and db together: sqrt(||dW||^2 + ||db||^2), one number per layer"
    if values.shape != (L,):
        return None, (f"layer_gradient_norms returned shape {values.shape}, expected ({L},): "
                      "one norm per layer"), "one number per layer, layer 1 first"
    return values, None, None


def _record_norms(fn):
    """Run the exploding network clipped by the library at MAX_NORM for NORM_STEPS steps,
    calling fn on every step's gradient before clipping: (what fn returned, the library's
    norms, the gradients) per step."""
    seen = []

    def probe(grads):
        seen.append((fn(fresh(grads)), library_layer_norms(grads), fresh(grads)))
        return optimizers.clip_by_norm(grads, MAX_NORM)

    with np.errstate(all="ignore"):
        _deep_run(2.0, NORM_STEPS, probe)
    return seen


def _layer_norms_case(fn):
    seen = _record_norms(fn)
    L = seen[0][1].size
    _layer_norms_case.traces = {"yours": [], "library": [row[1] for row in seen]}
    for step, (returned, truth, grads) in enumerate(seen):
        values, problem, hint = _as_layer_norms(returned, L)
        if problem:
            return False, f"at step {step}: {problem}", hint
        _layer_norms_case.traces["yours"].append(values)
        if np.allclose(values, truth, rtol=NORM_RTOL, atol=0):
            continue
        layer = int(np.argmax(np.abs(values - truth) / np.abs(truth))) + 1
        said = (f"at step {step} of the run, layer {layer}: you have {values[layer - 1]:.6g}, "
                f"the library {truth[layer - 1]:.6g}")
        for what, wrong, mistake_hint in LAYER_NORM_MISTAKES:
            if matches(values, wrong(grads), rtol=1e-6, atol=0):
                return False, f"{said}: {what}", mistake_hint
            # grads lists the output layer first (backpropagation's order): a loop over
            # grads.values() gives the layers backwards, on top of the other mistake
            if "output layer first" in what:
                continue  # reversed twice is the right order, not a mistake
            if matches(values[::-1], wrong(grads), rtol=1e-6, atol=0):
                return (False, f"{said}: {what}, and the output layer first",
                        f"{mistake_hint}; and return layer 1 first (grads lists the output "
                        "layer first: loop over l = 1, ..., L)")
        return False, said, ("for each layer l: sqrt(np.sum(dW_l ** 2) + np.sum(db_l ** 2)), "
                             "layer 1 first")
    return (True, f"your norms match the library's at every layer and every one of the "
            f"{len(seen)} steps (relative difference below {NORM_RTOL:g})", None)


_layer_norms_case.traces = {}


def layer_norms_in_run(fn):
    """Grade layer_gradient_norms(grads) -> (L,): the norm of each layer's gradients (dW{l}
    and db{l} together), layer 1 first. It is called on every step's gradient of section 5's
    exploding run (clipped by the library at 5, 30 steps) and compared with the library's
    norms, relative difference 1e-6. A dict {layer: norm} (or {index from 0: norm}) is
    accepted too."""
    feedback = grade("Per-layer gradient norms in the deep run", [_layer_norms_case], fn)
    feedback.traces = {k: np.array(v) for k, v in _layer_norms_case.traces.items()}
    return feedback


def plot_layer_norms(feedback):
    """Each layer's gradient norm at every step of the graded run: yours (markers) over
    the library's (thick faint lines), each line labelled with its layer. Returns the axes."""
    import matplotlib.pyplot as plt

    from ..plotting import COLOURS
    traces = getattr(feedback, "traces", {})
    _, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    library, yours = traces.get("library"), traces.get("yours")
    if library is None or not np.size(library):
        ax.text(0.5, 0.5, "no run to show", transform=ax.transAxes, ha="center")
        return ax
    colours = plt.cm.viridis(np.linspace(0, 0.9, library.shape[1]))
    for l in range(library.shape[1]):
        ax.semilogy(library[:, l], color=colours[l], lw=4, alpha=0.35)
        if yours is not None and yours.ndim == 2 and yours.shape[1] == library.shape[1]:
            ax.semilogy(yours[:, l], "o", ms=3, color=colours[l])
    # Direct labels at the right end, spread apart so that none hides another.
    ends, placed = library[-1], {}
    for l in np.argsort(ends):
        placed[l] = max(ends[l], max(placed.values(), default=0) * 1.35)
    for l, height in placed.items():
        ax.annotate(f"layer {l + 1}", (library.shape[0] - 1, height), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8, color=colours[l])
    ax.plot([], [], color="0.5", lw=4, alpha=0.35, label="the library's (lines)")
    ax.plot([], [], "o", ms=3, color="0.3", label="yours (markers)")
    ax.axhline(MAX_NORM, color="0.4", ls=":", lw=1, label=f"the threshold, {MAX_NORM:g}")
    ax.set(xlabel="step", ylabel="layer's gradient norm", xlim=(-0.5, library.shape[0] + 4),
           title="each layer's gradient, before clipping (2 x He, lr 0.1, rng 0)")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def _library_clip(grads, max_norm):
    return optimizers.clip_by_norm(grads, max_norm)


def _global(grads):
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))


def _rescaled(grads, scale, keys=None):
    return {k: g * scale if keys is None or k in keys else g for k, g in grads.items()}


def _clip_if_above(norm_of):
    """A clipping that compares norm_of(grads) with max_norm (the known wrong norms)."""
    def clip(grads, max_norm):
        norm = norm_of(grads)
        return grads if norm <= max_norm else _rescaled(grads, max_norm / norm)
    return clip


def _per_tensor(grads, max_norm):
    return {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}


def _scaled_up(grads, max_norm):
    return _rescaled(grads, max_norm / _global(grads))


def _weights_only_scaled(grads, max_norm):
    norm = _global(grads)
    weights = [k for k in grads if k.startswith("dW")]
    return grads if norm <= max_norm else _rescaled(grads, max_norm / norm, weights)


def _to_unit_norm(grads, max_norm):
    norm = _global(grads)
    return grads if norm <= max_norm else _rescaled(grads, 1.0 / norm)


def _by_value(grads, max_norm):
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}


def _unclipped(grads, max_norm):
    return grads


def _per_layer(grads, max_norm):
    norms = library_layer_norms(grads)
    return {k: g * min(1.0, max_norm / norms[_layer_of(k) - 1]) for k, g in grads.items()}


def _upside_down(grads, max_norm):
    norm = _global(grads)
    return grads if norm <= max_norm else _rescaled(grads, norm / max_norm)


_FROM_LAYER_NORMS = ("the global norm is the norm of the vector of layer norms: "
                     "np.linalg.norm(layer_norms), the square root of the sum of their squares")


_WHOLE_VECTOR = ("all the gradients make one vector: compute its norm once (every dW and db), "
                 "and if it is above max_norm multiply every array by the same max_norm / norm")
CLIP_MISTAKES = (
    RunMistake("each array was clipped by its own norm, not by the global norm", _per_tensor,
               _WHOLE_VECTOR + "; clipping arrays one by one changes the direction"),
    RunMistake("the global norm left out the biases' gradients", _clip_if_above(
        lambda grads: _global({k: g for k, g in grads.items() if k.startswith("dW")})),
        "the global norm counts every gradient, db included: sum the squares of all of them"),
    RunMistake("the squared global norm was used in place of the norm",
               _clip_if_above(lambda grads: _global(grads) ** 2),
               "take the square root of the sum of squares before comparing and dividing"),
    RunMistake("only the weights' gradients were rescaled; the biases' were not",
               _weights_only_scaled, "multiply every array, db included, by max_norm / norm"),
    RunMistake("the gradients were rescaled to norm 1, not to max_norm", _to_unit_norm,
               "multiply by max_norm / norm, so that the clipped norm is max_norm"),
    RunMistake("each entry was clipped to [-max_norm, max_norm] (clip by value)", _by_value,
               "clipping by norm rescales the whole gradient by max_norm / norm, which keeps "
               "its direction"),
    RunMistake("each layer was clipped by its own norm, not by the global norm", _per_layer,
               _WHOLE_VECTOR + "; clipping layers one by one changes the direction"),
    RunMistake("the layer norms were added up in place of the global norm",
               _clip_if_above(lambda grads: float(np.sum(library_layer_norms(grads)))),
               _FROM_LAYER_NORMS),
    RunMistake("the largest layer norm was used in place of the global norm",
               _clip_if_above(lambda grads: float(np.max(library_layer_norms(grads)))),
               _FROM_LAYER_NORMS),
    RunMistake("the gradients were multiplied by norm / max_norm, the ratio upside down",
               _upside_down, "above max_norm multiply by max_norm / norm, a factor below 1"),
    RunMistake("the gradients were not clipped",
               _unclipped, "when the global norm is above max_norm, multiply every gradient by "
                           "max_norm / norm (check the direction of your comparison)"),
)
SCALE_UP = RunMistake(
    "gradients below max_norm were scaled up to max_norm", _scaled_up,
    "clipping only ever shrinks: when the global norm is at most max_norm, return the "
    "gradients as they are")


def _clip_run(gain):
    def run(piece, callback):
        return _deep_run(gain, CLIP_STEPS, lambda grads: piece(grads, MAX_NORM), callback)
    return run


def _clip_form(answer):
    fn = answer()  # grade_run hands every case the piece as a function of no arguments
    grads = _example_grads(10.0)
    out = fn(fresh(grads), 2.0)
    if not isinstance(out, dict):
        return (False, f"clip_by_global_norm returned {type(out).__name__}, expected a dict "
                "like grads", "return {key: clipped gradient} with the same keys as grads")
    if set(out) != set(grads):
        return (False, f"the keys are {sorted(out)}, expected {sorted(grads)}",
                "keep every key of grads, biases included")
    for k, g in grads.items():
        if not isinstance(out[k], np.ndarray):
            return (False, f"{k} is a {type(out[k]).__name__}, expected a numpy array",
                    "keep every gradient a numpy array: g * scale, without .tolist()")
        if np.shape(out[k]) != g.shape:
            return (False, f"{k} has shape {np.shape(out[k])}, expected {g.shape}",
                    "scale each array; do not reshape or concatenate them in the result")
    return True, "returns a dict with the keys and shapes of grads", None


def clipping_in_run(fn):
    """Grade clip_by_global_norm(grads, max_norm) -> grads rescaled to global norm <= max_norm,
    plugged into cu.train(clip=...): section 5's exploding network (2 x He, rng 0, lr 0.1,
    batches of 64) for 10 steps, then the same network at He's scale, where the gradient
    stays below 5, for 10 steps; each run compared step by step with the library's
    ClipNorm(5) (costs and parameters within 1e-6). Correct forms that round differently
    (max_norm / max(norm, max_norm), PyTorch's max_norm / (norm + 1e-6)) agree within that
    over 10 steps."""
    exploding = run_case(
        _clip_run(2.0), _library_clip, mistakes=CLIP_MISTAKES, otherwise=_WHOLE_VECTOR,
        yours="in the exploding run (2 x He), your run",
        right="exploding run (2 x He): yours matches the library's ClipNorm(5) at every one of "
              "{steps} steps (costs and parameters within {rtol:g})")
    tame = run_case(
        _clip_run(1.0), _library_clip, mistakes=(SCALE_UP,) + CLIP_MISTAKES,
        otherwise=_WHOLE_VECTOR, yours="at He's scale (gradient norm below 5), your run",
        right="at He's scale (the gradient's norm below 5 at every step): yours matches the "
              "library's at every one of {steps} steps")
    feedback = grade_run("Clipping by the global norm in the deep run", _clip_form, fn,
                         _named_when_unclipped(exploding), _quietly(tame))
    feedback.traces = dict(exploding.traces)
    return feedback


def _quietly(case):
    """The case with numpy's overflow warnings silenced: comparing a diverged run's
    parameters overflows, and the message says so in words."""
    def quiet(answer):
        with np.errstate(all="ignore"):
            return case(answer)
    return quiet


def _named_when_unclipped(case):
    """The exploding run's case, naming the run without clipping: it diverges, and two
    diverged runs never count as the same run step by step (first_parting stops at the
    first NaN), so the RunMistake cannot recognise it."""
    def named(answer):
        with np.errstate(all="ignore"):
            ok, message, hint = case(answer)
            if ok or "yours" not in case.traces:
                return ok, message, hint
            yours = case.traces["yours"].costs
            unclipped = np.asarray(_deep_run(2.0, CLIP_STEPS, None).costs, dtype=float)
        if yours.shape == unclipped.shape and np.allclose(yours, unclipped, rtol=1e-6,
                                                          equal_nan=True):
            mistake = CLIP_MISTAKES[-1]
            return (False, f"your run diverged at step {yours.size - 1}, as the run without "
                    f"clipping does: {mistake.what}", mistake.hint)
        return ok, message, hint
    return named


def plot_clipping_run(feedback):
    """The graded exploding run: your clipping's cost beside the library's ClipNorm(5), and
    the same network without clipping, which becomes NaN at step 6. Returns the axes."""
    from ..plotting import COLOURS
    ax = plot_runs(feedback)[0]
    with np.errstate(all="ignore"):
        costs = np.asarray(_deep_run(2.0, CLIP_STEPS, None).costs, dtype=float)
    top = 1e3  # costs above are drawn on the frame: the run without clipping reaches 1e180
    finite = np.isfinite(costs)
    ax.plot(np.flatnonzero(finite), np.minimum(costs[finite], top), "x:", color=COLOURS["bad"],
            label="no clipping")
    ax.set_ylim(top=top * 2)
    if not finite.all():
        end = int(np.flatnonzero(~finite)[0])
        ax.annotate(f"no clipping: off the scale, NaN at step {end}", (end - 1, top),
                    xytext=(-6, -4), textcoords="offset points", ha="right", va="top",
                    color=COLOURS["bad"], fontsize=8)
    ax.set(title="your clipping in the exploding run (2 x He, lr 0.1, rng 0)")
    ax.legend(loc="lower left", fontsize=8)
    return ax
