"""Gradient checking: compare a backward pass with two-sided finite differences.

For each parameter entry theta_i:  g_num_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps),
whose error is O(eps^2) (a one-sided difference is O(eps)). Per parameter block,

    relative error = ||g - g_num|| / (||g|| + ||g_num||),

which is scale-free: about 1e-7 or less is right in float64, 1e-7 to 1e-3 deserves a closer
look (a kink such as ReLU at 0 can cause it), and 1e-3 or more is a bug.
Inputs are never changed: the differences are taken on copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import network as net
from ._validate import as_rng, positive_number

OK, LOOK_CLOSER = 1e-7, 1e-3  # the verdict thresholds, see the module docstring


def relative_error(g: np.ndarray, g_num: np.ndarray) -> float:
    """||g - g_num|| / (||g|| + ||g_num||); 0 when both are exactly zero."""
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(g - g_num) / denominator)


def verdict(error: float) -> str:
    """'ok' (< 1e-7), 'look closer' (< 1e-3) or 'bug'."""
    if not np.isfinite(error) or error >= LOOK_CLOSER:
        return "bug"
    return "ok" if error < OK else "look closer"


def numerical_gradient(f: Callable[[dict], float], params: dict, eps: float = 1e-6,
                       indices: dict | None = None) -> dict:
    """Two-sided finite differences of the scalar f(params), keyed "d" + key.

    indices: {key: list of index tuples} to check only those entries (the others are NaN);
    by default every entry of every block. params is not changed.
    """
    positive_number(eps, "eps")

    def two_sided(work, theta, i):
        original = theta[i]
        theta[i] = original + eps
        plus = f(work)
        theta[i] = original - eps
        minus = f(work)
        theta[i] = original
        return (plus - minus) / (2 * eps)

    return _entry_by_entry(params, indices, two_sided)


def _entry_by_entry(params: dict, indices: dict | None, difference) -> dict:
    """The loop every finite-difference gradient shares: on copies of params, the partial
    derivative of each entry (or only those in `indices`; the others NaN) is
    difference(work, theta, i), where theta is the block of `work` that holds entry i and
    difference must leave it as it found it. Keyed "d" + key."""
    work = {k: np.array(v, copy=True) for k, v in params.items()}  # perturb copies only
    grads = {}
    for key, theta in work.items():
        g_num = np.full(theta.shape, np.nan) if indices is not None else np.empty(theta.shape)
        todo = indices.get(key, []) if indices is not None else np.ndindex(theta.shape)
        for i in todo:
            g_num[tuple(i)] = difference(work, theta, tuple(i))
        grads["d" + key] = g_num
    return grads


@dataclass
class BlockResult:
    """The check of one parameter block."""

    key: str
    relative_error: float
    max_abs_diff: float
    worst_index: tuple
    n_checked: int

    @property
    def verdict(self) -> str:
        return verdict(self.relative_error)


@dataclass
class Report:
    """Per block: relative error, largest absolute difference and where, and a verdict."""

    blocks: list
    eps: float

    @property
    def max_error(self) -> float:
        return max((b.relative_error for b in self.blocks), default=0.0)

    @property
    def verdict(self) -> str:
        return verdict(self.max_error)

    @property
    def passed(self) -> bool:
        return self.verdict == "ok"

    def errors(self) -> dict:
        """{key: relative error}, e.g. for a bar chart or a heatmap."""
        return {b.key: b.relative_error for b in self.blocks}

    def worst(self) -> BlockResult:
        return max(self.blocks, key=lambda b: b.relative_error)

    def __str__(self) -> str:
        lines = [f"{'block':<8} {'rel. error':>10} {'max |diff|':>10}  {'worst at':<10} verdict"]
        for b in self.blocks:
            lines.append(f"{b.key:<8} {b.relative_error:>10.1e} {b.max_abs_diff:>10.1e}  "
                         f"{str(b.worst_index):<10} {b.verdict}")
        lines.append(f"overall: {self.verdict} (largest relative error {self.max_error:.1e}, "
                     f"eps {self.eps:g})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .plotting import colour_of  # the course's palette: good, warn, bad

        colour = {"ok": colour_of("good"), "look closer": colour_of("warn"),
                  "bug": colour_of("bad")}
        rows = "".join(
            f"<tr><td>{b.key}</td><td>{b.relative_error:.1e}</td><td>{b.max_abs_diff:.1e}</td>"
            f"<td>{b.worst_index}</td><td style='color:{colour[b.verdict]}'>{b.verdict}</td></tr>"
            for b in self.blocks)
        return ("<table><tr><th>block</th><th>relative error</th><th>max |diff|</th>"
                f"<th>worst at</th><th>verdict</th></tr>{rows}</table>"
                f"<p>overall: <b style='color:{colour[self.verdict]}'>{self.verdict}</b></p>")


def _sample_indices(params: dict, n_per_block: int, rng) -> dict:
    """Up to n_per_block random entries of each block (without repeats)."""
    chosen = {}
    for key, theta in params.items():
        flat = rng.choice(theta.size, size=min(n_per_block, theta.size), replace=False)
        chosen[key] = [np.unravel_index(i, theta.shape) for i in flat]
    return chosen


def compare(grads: dict, grads_num: dict, eps: float) -> Report:
    """A Report comparing analytic `grads` with numerical `grads_num` (NaN = not checked)."""
    blocks = []
    for key, g_num in grads_num.items():
        if key not in grads:
            raise ValueError(f"the analytic gradients have no {key!r}")
        g = np.asarray(grads[key], dtype=float)
        if g.shape != g_num.shape:
            raise ValueError(f"{key} has shape {g.shape}, expected {g_num.shape}")
        checked = ~np.isnan(g_num)
        diff = np.where(checked, np.abs(g - np.nan_to_num(g_num)), 0.0)
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
        blocks.append(BlockResult(key[1:], relative_error(g[checked], g_num[checked]),
                                  float(diff.max()) if diff.size else 0.0,
                                  tuple(int(i) for i in worst), int(checked.sum())))
    return Report(blocks, eps)


def check(f: Callable[[dict], float], grads: dict, params: dict, eps: float = 1e-6,
          n_per_block: int | None = None, rng=None) -> Report:
    """Check analytic `grads` (keyed "dW1", ...) of the scalar function f(params).

    n_per_block: check only that many random entries per block (drawn from rng), for big
    networks; by default every entry.
    """
    indices = None
    if n_per_block is not None:
        indices = _sample_indices(params, n_per_block, as_rng(rng))
    return compare(grads, numerical_gradient(f, params, eps, indices), eps)


def check_network(spec: net.Spec, params: dict, X: np.ndarray, Y: np.ndarray,
                  state: dict | None = None, l2: float = 0.0, l1: float = 0.0,
                  eps: float = 1e-6, seed: int = 0, n_per_block: int | None = None,
                  dtype=np.float64) -> Report:
    """Check course_utils.network's backward pass on (X, Y), in training mode.

    Dropout masks and RReLU slopes are drawn from the same `seed` on every evaluation, so the
    function being differentiated is fixed (a fresh mask per evaluation would make the
    differences meaningless). dtype=np.float32 shows why checks are done in float64.
    """
    params = {k: v.astype(dtype) for k, v in params.items()}
    X, Y = X.astype(dtype), Y.astype(dtype)

    def cost(p):
        value, _, _ = net.loss_and_grads(spec, p, X, Y, state, True, seed, l2, l1)
        return value

    _, grads, _ = net.loss_and_grads(spec, params, X, Y, state, True, seed, l2, l1)
    return check(cost, grads, params, eps, n_per_block, rng=seed)


# ---------------------------------------------------------------- one-sided differences, eps sweeps
# (08_gradient_checking compares the two methods and sweeps eps; nothing above changes.)

METHODS = ("two-sided", "one-sided")


def finite_differences(f: Callable[[dict], float], params: dict, eps: float = 1e-6,
                       method: str = "two-sided", indices: dict | None = None) -> dict:
    """Finite-difference gradient of the scalar f(params), keyed "d" + key, by `method`:

        two-sided:  (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps),  error O(eps^2)
        one-sided:  (J(theta + eps e_i) - J(theta)) / eps,                error O(eps)

    Two-sided is numerical_gradient; one-sided costs one evaluation per entry instead of two
    (plus one for J(theta)) and is far less accurate. indices as in numerical_gradient (the
    entries not checked are NaN); params is not changed.
    """
    from ._validate import one_of

    one_of(method, "method", METHODS)
    if method == "two-sided":
        return numerical_gradient(f, params, eps, indices)
    positive_number(eps, "eps")
    at_theta = f(params)

    def one_sided(work, theta, i):
        original = theta[i]
        theta[i] = original + eps
        plus = f(work)
        theta[i] = original
        return (plus - at_theta) / eps

    return _entry_by_entry(params, indices, one_sided)


def eps_sweep(f: Callable[[dict], float], grads: dict, params: dict, eps_values,
              method: str = "two-sided", indices: dict | None = None) -> np.ndarray:
    """The largest per-block relative error (Report.max_error) of `grads` at each eps.

    Plotted against eps on log axes it is V-shaped: truncation error (falling as eps^2,
    or eps one-sided) on the right, round-off (growing as 1/eps) on the left.
    """
    return np.array([compare(grads, finite_differences(f, params, eps, method, indices),
                             eps).max_error for eps in eps_values])


def scale_factor(g: np.ndarray, g_num: np.ndarray) -> tuple[float, float]:
    """(c, residual): the number c that makes c * g_num closest to g (least squares), and the
    relative error left after that. A residual near 0 means g is g_num times a constant: a
    gradient doubled (c = 2), a 1/m missing (c = m) or applied twice (c = 1/m), a sign (-1).
    """
    g, g_num = np.asarray(g, dtype=float).ravel(), np.asarray(g_num, dtype=float).ravel()
    checked = ~np.isnan(g_num)
    g, g_num = g[checked], g_num[checked]
    norm2 = float(g_num @ g_num)
    if norm2 == 0:
        return float("nan"), float("nan")
    c = float(g @ g_num) / norm2
    return c, relative_error(g, c * g_num)
