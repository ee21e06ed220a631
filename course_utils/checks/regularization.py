"""Graders for the exercises of 07_regularization: the L2 cost and gradient, inverted
dropout, L1's soft-threshold step, the weight decay that matches an L2 penalty, and the
capstone: your dropout (forward and backward) and L2 penalty in a training run."""

from __future__ import annotations

import functools

import numpy as np

from .. import datasets, layers, network, training
from .. import gradcheck as _gradcheck
from .. import losses
from .. import optimizers as course_optimizers
from ._runs import describe_parting, first_parting, grade_run, traced
from ._core import (Mistake, array_case, fresh, grade, grade_number, is_real_number,
                    known_mistake, matches, number_case, unchanged)
from .gradcheck import gradient_case

__all__ = ["l2_penalty", "inverted_dropout", "soft_threshold", "matching_weight_decay",
           "regularization_in_network"]

EXACT = 1e-9  # relative tolerance: a right formula, however written, agrees to rounding


# ---------------------------------------------------------------- L2 cost and gradient


def _l2_params():
    rng = np.random.default_rng(7)
    return {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1)),
            "W2": rng.standard_normal((1, 4)), "b2": rng.standard_normal((1, 1))}


L2_LAMBDA, L2_M = 0.7, 50


def _total(params, keys, term) -> float:
    """sum over the blocks `keys` of sum(term(block)), e.g. the sum of squares of the weights."""
    return sum(float(np.sum(term(params[k]))) for k in keys)


def _l2_cost(params):
    """The penalty lambda / (2m) * sum ||W||^2 as a function of every parameter (the biases
    do not enter it)."""
    return L2_LAMBDA / (2 * L2_M) * _total(params, losses.weight_keys(params), np.square)


def _l2_value_mistakes(params):
    """The known wrong penalties at params, each as the number it gives."""
    weights = losses.weight_keys(params)
    squares = _total(params, weights, np.square)
    n_weights = sum(params[k].size for k in weights)
    return [
        Mistake("without the 1/2", L2_LAMBDA / L2_M * squares,
                "the source course's cost is lambda / (2m) * sum ||W||^2: the 1/2 makes the "
                "gradient lambda / m * W"),
        Mistake("with the biases included",
                L2_LAMBDA / (2 * L2_M) * _total(params, params, np.square),
                "penalize the weights W only, not the biases b (keys starting with 'W')"),
        Mistake("dividing by the number of weights instead of m",
                L2_LAMBDA / (2 * n_weights) * squares,
                "m is the number of training examples, as in the cost the penalty is added to "
                "(seed 004 calls it the number of weights: it is not)"),
        Mistake("without dividing by m", L2_LAMBDA / 2 * squares,
                "divide by 2m, m the number of examples"),
        Mistake("with sum |W| (that is L1)",
                L2_LAMBDA / (2 * L2_M) * _total(params, weights, np.abs),
                "square the weights: W ** 2"),
    ]


def _l2_value(fn):
    params = _l2_params()
    copies = fresh(params)
    out = fn(params, L2_LAMBDA, L2_M)
    if not (isinstance(out, tuple) and len(out) == 2):
        return (False, f"l2_penalty should return (value, grads), got {type(out).__name__}",
                "return two things: the penalty (a number) and a dict of gradients")
    if not unchanged(params, copies):
        return (False, "l2_penalty changed the parameters it was given",
                "compute new arrays (lambd / m * W) instead of changing params in place")
    value = number_case(
        _l2_cost(params), rtol=EXACT, atol=1e-8, mistakes=_l2_value_mistakes(params),
        right="the penalty lambda / (2m) * sum ||W||^2 = {truth:.6g} is right",
        not_a_number="the value should be one number, got {type}",
        how_to_answer="sum the squares of every entry of every W: np.sum(W ** 2)",
        say_mistake="your value {value:.6g} is what you get {what}",
        say_wrong="your value {value:.6g}, expected {truth:.6g}",
        otherwise="lambd / (2 * m) * (np.sum(W1 ** 2) + np.sum(W2 ** 2) + ...), weights only")
    return value(lambda: out[0])


def _l2_factor_mistakes(n_weights: int):
    """The known wrong gradients of a W, each as the factor it is of the right one,
    lambda / m * W."""
    return [
        Mistake("the 1/2 kept", 0.5,
                "the derivative of w^2 is 2w: lambda / (2m) * 2W = lambda / m * W"),
        Mistake("m left out", L2_M, "divide by m, the number of training examples: lambda / m * W"),
        Mistake("divided by the number of weights", L2_M / n_weights,
                "m is the number of training examples, not of weights (seed 004 says "
                "otherwise: it is wrong)"),
        Mistake("the sign flipped", -1.0,
                "the penalty pulls the weights towards 0: + lambda / m * W"),
    ]


def _l2_gradient_hint(params):
    """hint(flagged, grads, grads_num) for gradient_case: the typical L2-gradient mistakes
    (a bias gradient that is not zero; L1's gradient; a known wrong factor)."""
    factor_mistakes = _l2_factor_mistakes(sum(params[k].size for k in losses.weight_keys(params)))

    def hint(flagged, grads, grads_num):
        biases = [key for key in flagged if not losses.is_weight(key)]
        if biases:
            return (f"grads['d{biases[0]}'] is not zero: the penalty does not depend on the "
                    "biases; leave them out of the penalty and of its gradient")
        for key in flagged:
            got = np.asarray(grads["d" + key], dtype=float)
            if matches(got, L2_LAMBDA / L2_M * np.sign(params[key])):
                return f"d{key} is L1's gradient (lambda / m * sign(W)); L2's is lambda / m * W"
            factor, residual = _gradcheck.scale_factor(got, grads_num["d" + key])
            if residual > 1e-6:
                continue
            mistake = known_mistake(factor, factor_mistakes, rtol=1e-6, atol=0)
            words = mistake.hint if mistake is not None else (
                "a constant factor is wrong; it should be lambda / m * W")
            return f"d{key} is {factor:.3g} times the right gradient: {words}"
        return "the gradient of lambda / (2m) * ||W||^2 is lambda / m * W, for each W"
    return hint


def _l2_grads(fn):
    """Gradient-check the reader's grads (course_utils.gradcheck, through gradient_case: the
    message lists the relative error of every block), with hints for the typical mistakes.
    Gradients left out for the biases count as zeros: the penalty does not depend on them."""
    params = _l2_params()
    _, grads = fn(fresh(params), L2_LAMBDA, L2_M)
    if not isinstance(grads, dict):
        return (False, f"grads should be a dict like {{'dW1': ...}}, got {type(grads).__name__}",
                "build {'d' + key: ... for each weight key}")
    for key in losses.weight_keys(params):
        if "d" + key not in grads:
            return (False, f"grads has no 'd{key}'", "one gradient per weight matrix, keyed "
                    "'dW1', 'dW2', ... (a 'd' before the parameter's key)")
    zeros = {"d" + k: np.zeros_like(v) for k, v in params.items() if not losses.is_weight(k)}
    check = gradient_case(lambda answer: (_l2_cost, {**zeros, **grads}, params),
                          f"at a random point (lambda = {L2_LAMBDA}, m = {L2_M})",
                          hint=_l2_gradient_hint(params))
    ok, message, hint = check(fn)
    if ok:
        return (True, message + ": the gradients lambda / m * W are right (none for the biases)",
                None)
    return False, message, hint


def l2_penalty(fn):
    """Grade l2_penalty(params, lambd, m) -> (lambd / (2m) sum ||W||^2, {"dWl": lambd / m * Wl})."""
    return grade("The L2 cost and its gradient", [_l2_value, _l2_grads], fn)


# ---------------------------------------------------------------- inverted dropout


def _dropout_call(fn, A, keep_prob, rng):
    out = fn(A, keep_prob, rng)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"expected (A_out, mask), got {type(out).__name__}")
    A_out, mask = (np.asarray(x) for x in out)
    return A_out, mask


def _dropout_shapes(fn):
    A = np.random.default_rng(0).random((4, 6)) + 0.5
    out = fn(A, 0.8, np.random.default_rng(1))
    if not (isinstance(out, tuple) and len(out) == 2):
        return (False, f"inverted_dropout should return (A_out, mask), got {type(out).__name__}",
                "return the dropped-out activations and the mask of kept units")
    A_out, mask = (np.asarray(x) for x in out)
    if A_out.shape != A.shape or mask.shape != A.shape:
        return (False, f"A_out has shape {A_out.shape} and mask {mask.shape}; both should be "
                f"A's shape {A.shape}",
                "draw one random number per activation: rng.random(A.shape)")
    return True, "A_out and mask have A's shape", None


def _dropout_rng(fn):
    A = np.random.default_rng(0).random((20, 30)) + 0.5
    a, _ = _dropout_call(fn, A, 0.5, np.random.default_rng(3))
    b, _ = _dropout_call(fn, A, 0.5, np.random.default_rng(3))
    if not np.array_equal(a, b):
        return (False, "two calls with generators of the same seed gave different masks",
                "draw from the rng argument (rng.random(A.shape)), not from np.random")
    rng = np.random.default_rng(4)
    c, _ = _dropout_call(fn, A, 0.5, rng)
    d, _ = _dropout_call(fn, A, 0.5, rng)
    if np.array_equal(c, d):
        return (False, "two calls with the same generator dropped the same units",
                "draw a fresh mask at every call and never re-seed inside the function: the "
                "source course called np.random.seed(1) in every forward pass, so it dropped "
                "the same units at every step")
    return True, "the mask comes from the rng you pass, fresh at every call", None


def _dropout_scale_mistakes(kept: np.ndarray, keep_prob: float):
    """The known wrong values of the kept units (kept: their values in A)."""
    return [
        Mistake("the kept units are unscaled", kept,
                "inverted dropout divides the kept units by keep_prob, so the expected "
                "activation is unchanged and evaluation needs no rescaling"),
        Mistake("the kept units are multiplied by keep_prob instead of divided", kept * keep_prob,
                "divide by keep_prob: A * mask / keep_prob"),
    ]


def _dropout_values(fn):
    A = np.random.default_rng(0).random((100, 400)) + 0.5  # no zeros: a 0 in A_out is a drop
    keep_prob = 0.7
    A_out, mask = _dropout_call(fn, A, keep_prob, np.random.default_rng(5))
    kept_in_output = A_out != 0
    mask = mask.astype(bool)
    share, share_out = mask.mean(), kept_in_output.mean()
    if np.array_equal(mask, ~kept_in_output):
        # A_out may well be right: only the mask is the wrong way round
        return (False, f"the mask is True for the dropped units: A_out keeps {share_out:.2f} "
                f"of the units, but the mask is True for the other {share:.2f}",
                "return the mask of the units you kept (True = kept), the one A is "
                "multiplied by")
    if abs(share - (1 - keep_prob)) < 0.02:
        return (False, f"{share:.2f} of the units are kept, expected about keep_prob = "
                f"{keep_prob}: your mask keeps the units that should be dropped",
                "a unit is kept with probability keep_prob: True where the uniform random "
                "number is below keep_prob")
    if abs(share - keep_prob) > 0.02:
        return (False, f"{share:.2f} of the units are kept, expected about keep_prob = {keep_prob}",
                "draw one uniform number per unit and keep the unit with probability keep_prob")
    if np.any(A_out[~mask] != 0):
        return (False, "some dropped units (mask False) are not zero in A_out",
                "multiply A by the mask: dropped units become 0")
    if np.any(A_out[mask] == 0):
        return (False, "some kept units (mask True) are 0 in A_out: the mask does not match "
                "the units you kept", "return the same mask you multiplied A by")
    mistake = known_mistake(A_out[mask], _dropout_scale_mistakes(A[mask], keep_prob))
    if mistake is not None:
        return (False, f"{mistake.what}: the mean activation is "
                f"{A_out.mean() / A.mean():.2f} of its value", mistake.hint)
    scale = A_out[mask] / A[mask]
    if not np.allclose(scale, 1 / keep_prob):
        return (False, f"kept units are scaled by {scale.mean():.3g}, expected 1 / keep_prob = "
                f"{1 / keep_prob:.3g}", "A_out = A * mask / keep_prob")
    return (True, f"{share:.2f} of the units kept, scaled by 1 / keep_prob: the mean activation "
            f"is {A_out.mean() / A.mean():.3f} of the original", None)


def inverted_dropout(fn):
    """Grade inverted_dropout(A, keep_prob, rng) -> (A * mask / keep_prob, mask)."""
    return grade("Inverted dropout", [_dropout_shapes, _dropout_values, _dropout_rng], fn)


# ---------------------------------------------------------------- L1's proximal step


def _soft_mistakes(W, threshold):
    """The known wrong soft-threshold steps of W, each as the array it gives."""
    return [
        Mistake("keeps the large weights unchanged (a hard threshold)",
                np.where(np.abs(W) > threshold, W, 0.0),
                "also shrink the surviving weights by the threshold: sign(W) * (|W| - t)"),
        Mistake("only handles positive weights", np.maximum(W - threshold, 0.0),
                "work on |W| and put the sign back: np.sign(W) * np.maximum(np.abs(W) - t, 0)"),
        Mistake("is the subgradient step, which jumps across 0", W - threshold * np.sign(W),
                "a weight smaller than the threshold must stop at 0, not cross it: "
                "np.maximum(np.abs(W) - t, 0)"),
    ]


def _soft_cases(fn):
    W = np.array([[-1.0, -0.3, -0.1, -0.04, 0.0], [0.04, 0.1, 0.25, 0.5, 2.0]])
    threshold = 0.1
    values = array_case("soft_threshold(W, 0.1)", losses.soft_threshold(W, threshold),
                        right="weights within 0.1 of 0 become 0; the others move 0.1 towards 0",
                        mistakes=_soft_mistakes(W, threshold), say_mistake="your result {what}",
                        otherwise="return an array of W's shape: each weight moved t towards 0, "
                                  "and 0 where |W| <= t")
    return values(lambda: fn(W.copy(), threshold))


def soft_threshold(fn):
    """Grade soft_threshold(W, t) -> sign(W) * max(|W| - t, 0)."""
    return grade("L1's soft-threshold step", [_soft_cases], fn)


# ---------------------------------------------------------------- the matching weight decay

# The exercise: L2 with lambda = 0.7 on m = 200 training examples, trained by sgd(lr=0.3).
# Which sgd(lr=0.3, weight_decay=?) follows exactly the same path?
DECAY_LAMBDA, DECAY_M, DECAY_LR, DECAY_N_WEIGHTS = 0.7, 200, 0.3, 2650


def _decay_mistakes():
    """The known wrong weight decays, each as the number it is."""
    return [
        Mistake("lambda itself", DECAY_LAMBDA,
                "the penalty's gradient is lambda / m * W: divide by m"),
        Mistake("lambda / (2m)", DECAY_LAMBDA / (2 * DECAY_M),
                "the 1/2 in lambda / (2m) cancels against the 2 of d(w^2)/dw"),
        Mistake("lr * lambda / m, the fraction removed per step", DECAY_LR * DECAY_LAMBDA / DECAY_M,
                "that is the shrink per step; sgd multiplies weight_decay by lr itself "
                "(p <- p - lr * weight_decay * p)"),
        Mistake("lambda divided by the number of weights", DECAY_LAMBDA / DECAY_N_WEIGHTS,
                "m is the number of training examples, not of weights"),
    ]


def matching_weight_decay(answer):
    """Grade a number: the weight_decay that makes sgd match L2 (lambda 0.7, m = 200)."""
    truth = DECAY_LAMBDA / DECAY_M
    return grade_number(
        "The weight decay that matches L2", answer, truth,
        right=f"weight_decay = lambda / m = {truth:g}: right", mistakes=_decay_mistakes(),
        how_to_answer="work out the number and pass it (or the expression that computes it)",
        otherwise="write one step of each: W - lr * (g + lambda / m * W) and "
                  "W - lr * g - lr * weight_decay * W")


# ---------------------------------------------------------------- capstone: your dropout and L2 in a network
#
# The reader's dropout_forward, dropout_backward and l2_penalty, with the library's
# signatures, run inside cu.train through Spec(functions=cu.network.Functions(...)). Masks
# are random, and a right dropout may draw them in any correct way (rng.random(shape) <
# keep_prob, rng.binomial(1, keep_prob, shape), rng.uniform(size=shape) < keep_prob, ...).
# So the library's run does not draw its own: it replays the masks the reader's run drew
# (read off the reader's output, where A_out = 0 exactly when the unit was dropped or A was
# 0, and a unit with A = 0 passes no gradient through ReLU either way), and the known
# mistakes replay them too. Whether the masks keep the right share of units is checked
# apart, by their statistics.

RUN_STEPS = 30
RUN_LR = 0.3
RUN_KEEP_PROB = 0.8
RUN_LAMBDA = 0.7
RUN_SEED = 0  # the rng of the reader's run, which their dropout draws from
RUN_RTOL = 1e-6  # relative difference of every cost and parameter allowed
SHARE_TOLERANCE = 0.01  # kept share of 100,000 units vs keep_prob (its spread is about 0.0013)


@functools.lru_cache(maxsize=1)
def _run_setting():
    """(spec, start params, X, Y): 07's noisy points and its (2, 50, 50, 1) ReLU network
    with dropout in both hidden layers."""
    X, Y, _, _, _, _ = datasets.load_overfit_2d(validation=True)
    spec = network.Spec((2, 50, 50, 1), "relu", keep_prob=RUN_KEEP_PROB)
    return spec, network.init_params(spec, "he_normal", rng=0), X, Y


def run_boundary():
    """(spec, X, Y) of the capstone's run, for cu.checks.plot_runs(feedback, boundary=...)."""
    spec, _, X, Y = _run_setting()
    return spec, X, Y


def _train(functions, callback):
    """The graders' run: RUN_STEPS full-batch steps of gradient descent with the penalty
    L2(RUN_LAMBDA) and `functions` plugged in, the dropout rng seeded with RUN_SEED."""
    spec, start, X, Y = _run_setting()
    mine = network.Spec(spec.layer_sizes, spec.activation, keep_prob=spec.keep_prob,
                        functions=functions)
    return training.train(mine, {k: p.copy() for k, p in start.items()}, X, Y,
                          course_optimizers.sgd(RUN_LR), steps=RUN_STEPS, rng=RUN_SEED,
                          penalty=training.L2(RUN_LAMBDA), callback=callback,
                          callback_every=1, progress=False)


def _recording(forward, masks: list):
    """`forward` that also records, at every training call, the mask it applied."""
    def recorded(A, keep_prob, train, rng=None, mask=None):
        out, cache = forward(A, keep_prob, train, rng, mask)
        if train:
            masks.append(np.asarray(out) != 0)
        return out, cache
    return recorded


def _replaying(masks: list, scale: bool = True):
    """A dropout forward that applies the recorded masks in order instead of drawing (the
    library's, or with scale=False the one that forgets 1 / keep_prob)."""
    queue = iter(masks)

    def forward(A, keep_prob, train, rng=None, mask=None):
        if not train:
            return A, None
        out, cache = layers.dropout_forward(A, keep_prob, True, mask=next(queue))
        return (out if scale else out * keep_prob), cache
    return forward


# Known wrong pieces: the library's, with one thing changed.

def _backward_without_mask(dout, cache):
    return dout / cache.keep_prob


def _backward_identity(dout, cache):
    return dout


def _backward_without_scale(dout, cache):
    return dout * cache.mask


def _l2_variant(kind: str):
    def penalty(params, lambd, m):
        keys = list(params) if kind == "biases" else losses.weight_keys(params)
        factor = {"no m": lambd, "factor 2": 2 * lambd / m}.get(kind, lambd / m)
        value = lambd / (2 * m) * sum(float(np.sum(params[k] ** 2)) for k in keys)
        if kind == "value without 1/2":
            value *= 2
        return value, {"d" + k: factor * params[k] for k in keys}
    return penalty


L2_GRADIENT = "the gradient of lambda / (2m) * sum ||W||^2 is lambda / m * W"
_MISTAKES = [
    ("the forward pass does not divide by keep_prob (not inverted)",
     {"forward": "unscaled", "dropout_backward": _backward_without_scale},
     "inverted dropout divides the kept units by keep_prob in training (forward and "
     "backward), so the expected activation is the same as in evaluation, where nothing is "
     "dropped"),
    ("the backward pass does not reuse the forward's mask (it scales every unit by 1 / "
     "keep_prob)", {"dropout_backward": _backward_without_mask},
     "a dropped unit gets no gradient: dA = dout * mask / keep_prob with the mask the "
     "forward pass drew (keep it in the cache)"),
    ("the backward pass passes the gradient through unchanged (no mask, no 1 / keep_prob)",
     {"dropout_backward": _backward_identity},
     "dA = dout * mask / keep_prob with the mask of the forward pass (keep it in the cache)"),
    ("the backward pass forgets the 1 / keep_prob", {"dropout_backward": _backward_without_scale},
     "the forward multiplies by mask / keep_prob, so the backward does too"),
    ("the L2 gradient is lambda * W, without the 1 / m", {"l2_penalty": _l2_variant("no m")},
     L2_GRADIENT + ", m the number of training examples"),
    ("the L2 penalty includes the biases", {"l2_penalty": _l2_variant("biases")},
     "penalize the weights W only (keys starting with 'W'); the biases get no L2 gradient"),
    ("the L2 gradient has a factor 2 (2 lambda / m * W)", {"l2_penalty": _l2_variant("factor 2")},
     L2_GRADIENT + ": the 2 of the square cancels the 1/2"),
    ("the L2 value lacks the 1/2 (lambda / m * sum ||W||^2; the gradient is right)",
     {"l2_penalty": _l2_variant("value without 1/2")},
     "the cost is lambda / (2m) * sum ||W||^2"),
]


def _functions(masks: list, **wrong):
    """The library's functions replaying `masks`, with the named ones replaced ("forward":
    "unscaled" replays them without the 1 / keep_prob)."""
    unscaled = wrong.pop("forward", None) == "unscaled"
    return network.Functions(**{"dropout_forward": _replaying(masks, scale=not unscaled),
                                "dropout_backward": layers.dropout_backward,
                                "l2_penalty": losses.l2_penalty, **wrong})


def _one_call(functions):
    """Each of your functions called once on a small input: None when what they return has
    the right form, else (message, hint)."""
    A = np.random.default_rng(0).random((4, 6)) + 0.5
    result = functions.dropout_forward(A.copy(), RUN_KEEP_PROB, True, np.random.default_rng(1))
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return (f"your dropout_forward returned {type(result).__name__}, expected two values: "
                "out and the cache", "return out, cache (the cache keeps the mask)")
    out, cache = result
    if np.shape(out) != A.shape:
        return f"dropout_forward's out has shape {np.shape(out)}, expected A's {A.shape}", None
    dA = functions.dropout_backward(np.ones_like(A), cache)
    if np.shape(dA) != A.shape:
        return (f"dropout_backward returned {type(dA).__name__} of shape {np.shape(dA)}, "
                f"expected an array of dout's shape {A.shape}", "return dout * mask / keep_prob")
    params = _l2_params()
    result = functions.l2_penalty(params, L2_LAMBDA, L2_M)
    if not (isinstance(result, (tuple, list)) and len(result) == 2
            and isinstance(result[1], dict)):
        return (f"your l2_penalty returned {type(result).__name__}, expected (value, grads) "
                "with grads a dict such as {'dW1': ...}", "return value, grads")
    unknown = [k for k in result[1] if not (k.startswith("d") and k[1:] in params)]
    if unknown:
        return (f"your l2_penalty's grads has the keys {unknown}, which name no parameter",
                "key each gradient by 'd' and the parameter's name: grads['dW1'] for W1")
    return None


def _run_case(answer):
    """The reader's run (recording its masks) against the library's replaying them, step
    by step; a parting run is matched against the known mistakes replaying them too."""
    _run_case.traces = {}
    functions, masks = answer(), []
    problem = _one_call(functions)
    if problem is not None:
        return False, problem[0], problem[1]
    plugged = network.Functions(dropout_forward=_recording(functions.dropout_forward, masks),
                                dropout_backward=functions.dropout_backward,
                                l2_penalty=functions.l2_penalty)
    yours = traced(_train, plugged)
    library = traced(_train, _functions(masks))
    _run_case.traces = {"yours": yours, "library": library}
    parting = first_parting(yours, library, RUN_RTOL, RUN_RTOL)
    if parting is None:
        return (True, f"your run matches the library's at every step ({RUN_STEPS} steps with "
                f"your own masks: costs and parameters within a relative {RUN_RTOL:g})", None)
    if parting["param"] is not None and parting["param"][1] == 0:
        parting = {**parting, "param": None}  # nothing had parted yet: only the cost says so
    said = describe_parting(parting)
    for what, wrong, hint in _MISTAKES:
        if first_parting(yours, traced(_train, _functions(masks, **wrong)),
                         RUN_RTOL, RUN_RTOL) is None:
            return False, f"{said}: {what}", hint
    try:
        located = _which_function_differs(functions)
    except Exception:  # the reader's code failed on the small input: keep the general hint
        located = None
    return (False, said, located or
            "run your dropout_forward and dropout_backward on a small A with a "
            "fixed mask and compare with A * mask / keep_prob and dout * mask / keep_prob; "
            "the L2 penalty's gradient is lambda / m * W for the weights only")


def _which_function_differs(functions) -> str | None:
    """Where an unnamed mistake lies: each of the reader's functions beside the library's on
    a small input, the dropout with a given mask (forward's out, then the backward through
    the forward's own cache), then the L2 penalty's value and its gradients. A sentence
    naming the first that differs, or None."""
    rng = np.random.default_rng(6)
    A, dout = rng.random((4, 6)) + 0.5, rng.normal(size=(4, 6))
    mask = rng.random(A.shape) < RUN_KEEP_PROB
    out, cache = functions.dropout_forward(A.copy(), RUN_KEEP_PROB, True, rng, mask.copy())
    out = np.asarray(out, dtype=float)
    mask = out != 0  # the mask it applied (the given one, unless it draws its own: said apart)
    if not np.allclose(out, A * mask / RUN_KEEP_PROB, rtol=EXACT, atol=0):
        return ("on a small A your dropout_forward's out differs from A * mask / keep_prob: "
                "keep where the mask is True and divide the kept units by keep_prob (the "
                "probability of keeping a unit, not of dropping it)")
    dA = np.asarray(functions.dropout_backward(dout.copy(), cache), dtype=float)
    if not np.allclose(dA, dout * mask / RUN_KEEP_PROB, rtol=EXACT, atol=0):
        return ("your dropout_forward is right but dropout_backward differs from dout * mask / "
                "keep_prob: reuse the forward's mask (keep it in the cache) and draw no new one")
    params = _l2_params()
    value, grads = functions.l2_penalty(params, L2_LAMBDA, L2_M)
    want_value, want_grads = losses.l2_penalty(params, L2_LAMBDA, L2_M)
    if not (is_real_number(value) or np.ndim(value) == 0) or not np.isclose(
            float(value), want_value, rtol=EXACT, atol=0):
        return (f"your dropout is right but your l2_penalty's value ({float(value):.6g}) is "
                f"not lambda / (2m) * sum ||W||^2 = {want_value:.6g}: the sum of the squares "
                f"of every weight (np.sum(W ** 2), or np.linalg.norm(W) ** 2), m the number "
                f"of training examples")
    for key, want in want_grads.items():
        if not np.allclose(np.asarray(grads.get(key, 0.0), dtype=float), want, rtol=EXACT,
                           atol=0):
            return (f"your dropout and l2_penalty's value are right but its {key} is not "
                    f"lambda / m * {key[1:]}: {L2_GRADIENT}")
    return None


_run_case.traces = {}


def _mask_statistics(answer):
    """Your forward in training on 100,000 positive activations: the kept share within
    SHARE_TOLERANCE of keep_prob, kept units scaled by 1 / keep_prob, a fresh mask at
    every call, drawn from the rng it is given, and a given mask used as it is."""
    forward = answer().dropout_forward
    A = np.random.default_rng(0).random((100, 1000)) + 0.5  # no zeros: a 0 out is a drop
    rng = np.random.default_rng(1)
    out, _ = forward(A.copy(), RUN_KEEP_PROB, True, rng)
    out = np.asarray(out, dtype=float)
    kept = out != 0
    share = kept.mean()
    if kept.all() or not kept.any():  # a mask never applied, or one draw for the layer
        what = "keeps every unit" if kept.all() else "drops every unit"
        return (False, f"your forward {what} of every example: either the mask is not "
                "applied to A, or it is one draw for the whole layer (rng.random())",
                "draw one number per unit and example, mask = rng.random(A.shape) < keep_prob, "
                "then A * mask / keep_prob: each unit of each example is kept on its own")
    # A is (units, batch). A mask constant along axis 1 is one draw per unit shared by every
    # example of the batch; constant along axis 0, one draw per example shared by its units.
    for axis, what, fix in ((1, "your mask does not vary along the batch: one draw per unit, "
                             "so a unit (row) is kept or dropped for every example of the "
                             "batch at once", "rng.random((n, 1))"),
                            (0, "your mask is shared across the units: one draw per example, "
                             "so an example (column) keeps or drops all its units together",
                             "rng.random((1, m))")):
        if np.any(kept.all(axis=axis) | ~kept.any(axis=axis)):  # chance: below 1e-9
            return (False, what,
                    f"draw one number per unit and example, rng.random(A.shape), not "
                    f"{fix}: each unit of each example is kept on its own")
    if abs(share - (1 - RUN_KEEP_PROB)) < SHARE_TOLERANCE:
        return (False, f"{share:.3f} of the units are kept, expected keep_prob = "
                f"{RUN_KEEP_PROB}: your mask keeps the units that should be dropped",
                "keep a unit with probability keep_prob: True where rng.random(A.shape) < "
                "keep_prob")
    if abs(share - RUN_KEEP_PROB) > SHARE_TOLERANCE:
        return (False, f"{share:.3f} of the units are kept, expected keep_prob = "
                f"{RUN_KEEP_PROB} within {SHARE_TOLERANCE}",
                "draw one uniform number per unit from rng and keep the unit with "
                "probability keep_prob")
    scale = out[kept] / A[kept]
    if not np.allclose(scale, 1 / RUN_KEEP_PROB, rtol=1e-12):
        return (False, f"the kept units are multiplied by {scale.mean():.3g}, expected "
                f"1 / keep_prob = {1 / RUN_KEEP_PROB:.3g}", "A_out = A * mask / keep_prob")
    again, _ = forward(A.copy(), RUN_KEEP_PROB, True, rng)
    if np.array_equal(np.asarray(again) != 0, kept):
        return (False, "two calls with the same generator dropped the same units",
                "draw a fresh mask from rng at every call; never re-seed inside the function")
    same_seed = [np.asarray(forward(A.copy(), RUN_KEEP_PROB, True, np.random.default_rng(5))[0])
                 for _ in range(2)]
    if not np.array_equal(*same_seed):
        return (False, "two generators with the same seed gave different masks: your mask "
                "does not come from the rng argument",
                "draw from the rng you are given (rng.random(A.shape)), not from np.random: "
                "then every run can be repeated")
    given = np.random.default_rng(2).random(A.shape) < 0.5
    out_given, _ = forward(A.copy(), RUN_KEEP_PROB, True, rng, given)
    if not np.allclose(np.asarray(out_given, dtype=float), A * given / RUN_KEEP_PROB):
        return (False, "with a mask given (mask=...) your forward does not use it",
                "draw a mask only when none is given: if mask is None: mask = ...")
    return (True, f"{share:.3f} of 100,000 units kept (keep_prob {RUN_KEEP_PROB}), scaled by "
            "1 / keep_prob, a fresh mask from rng at every call, a given mask used", None)


def _evaluation_mode(answer):
    """In evaluation mode (train=False) your forward returns A unchanged, even with an rng."""
    A = np.random.default_rng(3).random((20, 50)) + 0.5
    out, _ = answer().dropout_forward(A.copy(), RUN_KEEP_PROB, False,
                                      np.random.default_rng(4))
    out = np.asarray(out, dtype=float)
    if out.shape == A.shape and np.array_equal(out, A):
        return True, "evaluation mode (train=False): A passes unchanged", None
    if out.shape == A.shape and np.allclose(out, A * RUN_KEEP_PROB):
        what = "multiplies A by keep_prob"
    elif out.shape == A.shape and np.any(out == 0):
        what = "drops units"
    else:
        what = "changes A"
    return (False, f"in evaluation mode (train=False) your dropout_forward {what}: dropout "
            "applied at evaluation",
            "with inverted dropout, evaluation is the identity: if not train, return A "
            "unchanged (the scaling happened in training)")


def regularization_in_network(dropout_forward, dropout_backward, l2_penalty):
    """Grade your inverted dropout and L2 penalty inside a training run (the capstone of 07).

    The three functions have the library's signatures (layers.dropout_forward(A, keep_prob,
    train, rng=None, mask=None) -> (out, cache), layers.dropout_backward(dout, cache) -> dA,
    losses.l2_penalty(params, lambd, m) -> (value, grads)). They are plugged into 07's
    (2, 50, 50, 1) ReLU network with keep_prob RUN_KEEP_PROB in both hidden layers
    (Spec(functions=cu.network.Functions(...))), trained for RUN_STEPS full-batch steps with
    the penalty L2(RUN_LAMBDA), rng=RUN_SEED; the library's run replays the masks your
    forward drew, so any correct way of drawing them passes, and the two runs must agree at
    every step (costs and parameters within RUN_RTOL). Then the masks' statistics (the kept
    share within SHARE_TOLERANCE of keep_prob, a fresh mask per call) and evaluation mode
    (A unchanged). The Feedback carries the runs for
    cu.checks.plot_runs(feedback, boundary=run_boundary())."""
    title = "Your dropout and L2 penalty in a training run"
    try:
        functions = network.Functions(dropout_forward=dropout_forward,
                                      dropout_backward=dropout_backward, l2_penalty=l2_penalty)
    except TypeError as error:  # not a function: a message, not a traceback
        return grade(title, [lambda answer: (False, str(error), "pass the three functions "
                                             "themselves, without calling them")], lambda: None)
    return grade_run(title, _run_case, functions, _mask_statistics, _evaluation_mode)
