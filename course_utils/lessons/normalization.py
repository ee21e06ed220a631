"""Input normalization: standardizing features, and why it makes gradient descent fast.

Two parts, used by 01_input_normalization:

1. **Standardization** with the training set's statistics: every feature (row of X) gets
   mean 0 and standard deviation 1 over the *training* examples, and the test set is
   transformed with those same numbers. scikit-learn's `StandardScaler` does it; it wants
   rows as examples, so X (n_x, m) crosses that boundary transposed.

2. **A model whose cost surface can be drawn**: linear regression with two weights,
   J(w) = 1/(2m) ||w X - y||^2. Its cost is a quadratic bowl,

       J(w) = 1/2 w H w^T - g w^T + c,   H = X X^T / m,   g = y X^T / m,   c = y y^T / (2m),

   so everything about gradient descent on it is known in closed form: it is stable for
   learning rates below 2 / lambda_max(H), and at the best rate 2 / (lambda_min + lambda_max)
   the distance to the minimum shrinks by (kappa - 1) / (kappa + 1) per step, where
   kappa = lambda_max / lambda_min is the Hessian's condition number. A feature r times
   larger makes its curvature r^2 times larger, so kappa grows as r^2.

Weights are row vectors w of shape (n,) (the W of a one-unit linear layer is w[None, :]);
functions that evaluate many weight vectors at once take W of shape (..., n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sklearn.preprocessing import StandardScaler

from .._validate import as_rng, finite_array, positive_int, positive_number

# ---------------------------------------------------------------- standardization


def fit_scaler(X_train: np.ndarray) -> StandardScaler:
    """A StandardScaler fitted on the training set's features.

    X_train (n_x, m), one example per column. scikit-learn reads rows as examples, so it is
    given X_train.T (m, n_x): the scaler then holds one mean and one std per *feature*
    (`scaler.mean_`, `scaler.scale_`, each of shape (n_x,)). Passing X_train itself would
    standardize each example across its features instead, a silent bug in column layout.
    """
    X_train = finite_array(X_train, "X_train")
    return StandardScaler().fit(X_train.T)


def standardize(X: np.ndarray, scaler: StandardScaler) -> np.ndarray:
    """(X - mean) / std with the scaler's (training) statistics, per feature.

    X (n_x, m) -> (n_x, m). Any set (training, test, one new example) goes through the same
    numbers; that is what makes a prediction on new data mean the same as on training data.
    """
    X = finite_array(X, "X")
    if not isinstance(scaler, StandardScaler):
        raise TypeError(f"scaler must be a fitted StandardScaler (see fit_scaler), "
                        f"got {type(scaler).__name__}")
    n_features = scaler.mean_.shape[0]
    if X.shape[0] != n_features:
        raise ValueError(f"X must have {n_features} features (rows), like the training set, "
                         f"got shape {X.shape}")
    return np.ascontiguousarray(scaler.transform(X.T).T)


def standardize_train_test(X_train: np.ndarray, X_test: np.ndarray):
    """Standardize both sets with the training set's statistics only.

    X_train (n_x, m_train), X_test (n_x, m_test) -> (X_train_std, X_test_std, scaler).
    """
    scaler = fit_scaler(X_train)
    return standardize(X_train, scaler), standardize(X_test, scaler), scaler


# ---------------------------------------------------------------- the two-feature model


def two_scales_regression(m: int = 200, scale_ratio: float = 10.0, noise: float = 0.5, rng=0):
    """A linear-regression set with two features, the second `scale_ratio` times larger.

    Both features are standard normal, independent, and equally useful before scaling:
    y = x1 + x2 + noise. The features and y are then centered exactly (sample mean 0), so a
    model without bias fits them and standardizing only rescales. The same rng gives the
    same points at every ratio: only the scale of x2 changes.
    Returns X (2, m), y (1, m). In raw units the best weights are about (1, 1/scale_ratio).
    """
    positive_int(m, "m", minimum=3)
    positive_number(scale_ratio, "scale_ratio")
    positive_number(noise, "noise", allow_zero=True)
    rng = as_rng(rng)
    X = rng.standard_normal((2, m))
    y = X[0] + X[1] + noise * rng.standard_normal(m)
    X -= X.mean(axis=1, keepdims=True)
    y = (y - y.mean()).reshape(1, m)
    X[1] *= scale_ratio
    return X, y


@dataclass(frozen=True)
class QuadraticCost:
    """J(w) = 1/2 w H w^T - g w^T + c: the cost of linear regression (see least_squares).

    H (n, n) symmetric positive definite: the Hessian; g (n,); c a number.
    """

    H: np.ndarray
    g: np.ndarray
    c: float

    def cost(self, W: np.ndarray) -> np.ndarray:
        """J at each weight vector. W (..., n) -> (...)."""
        W = np.asarray(W, dtype=float)
        return 0.5 * np.sum((W @ self.H) * W, axis=-1) - W @ self.g + self.c

    def gradient(self, W: np.ndarray) -> np.ndarray:
        """dJ/dw = w H - g at each weight vector. W (..., n) -> (..., n)."""
        return np.asarray(W, dtype=float) @ self.H - self.g

    @cached_property
    def minimizer(self) -> np.ndarray:
        """w* = g H^-1, shape (n,): where the gradient is 0."""
        return np.linalg.solve(self.H, self.g)

    @cached_property
    def min_cost(self) -> float:
        """J(w*) = c - 1/2 g w*^T."""
        return float(self.c - 0.5 * self.g @ self.minimizer)

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """The curvatures of the bowl along its axes, ascending: (lambda_min, ..., lambda_max)."""
        return np.linalg.eigvalsh(self.H)

    @property
    def condition_number(self) -> float:
        return condition_number(self.H)

    def excess(self, W: np.ndarray) -> np.ndarray:
        """J(w) - J(w*) >= 0, how far above the minimum. W (..., n) -> (...)."""
        return self.cost(W) - self.min_cost


def least_squares(X: np.ndarray, y: np.ndarray) -> QuadraticCost:
    """The cost J(w) = 1/(2m) ||w X - y||^2 of linear regression without bias, as a quadratic.

    X (n, m), y (1, m). H = X X^T / m (the features' second moments: a feature r times
    larger has r^2 times the curvature), g = y X^T / m, c = y y^T / (2m).
    """
    X = finite_array(X, "X")
    y = finite_array(y, "y")
    if y.shape != (1, X.shape[1]):
        raise ValueError(f"y must have shape (1, {X.shape[1]}) to match X {X.shape}, got {y.shape}")
    m = X.shape[1]
    H = X @ X.T / m
    g = (y @ X.T / m).ravel()
    c = float(np.sum(y * y)) / (2 * m)
    if np.linalg.eigvalsh(H)[0] <= 0:
        raise ValueError("the features are linearly dependent (X X^T is singular): the cost "
                         "has no single minimum")
    return QuadraticCost(H, g, c)


def cost_grid(cost: QuadraticCost, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """J on the grid of (w1, w2) pairs, for a contour plot of a two-weight cost.

    w1 (a,), w2 (b,) -> (b, a): row i is w2[i], column j is w1[j] (as imshow and contour
    expect).
    """
    if cost.H.shape != (2, 2):
        raise ValueError(f"cost_grid draws two-weight costs, this one has {cost.H.shape[0]} weights")
    ww1, ww2 = np.meshgrid(np.asarray(w1, float), np.asarray(w2, float))
    return cost.cost(np.stack([ww1, ww2], axis=-1))


# ---------------------------------------------------------------- gradient descent on it


@dataclass
class Path:
    """A gradient-descent run: the weights and the cost before each step.

    weights (k+1, n): w_0 (the start) ... w_k; costs (k+1,): J(w_0) ... J(w_k).
    diverged_at: the step at which the cost rose past `blowup` times its starting excess
    over the minimum (or became inf/NaN), else None; the run stopped there.
    """

    weights: np.ndarray
    costs: np.ndarray
    lr: float
    diverged_at: int | None = None

    @property
    def steps(self) -> int:
        return len(self.costs) - 1

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def _start(cost: QuadraticCost, w0) -> np.ndarray:
    n = cost.g.shape[0]
    if w0 is None:
        return np.zeros(n)
    w0 = np.asarray(w0, dtype=float)
    if w0.shape != (n,):
        raise ValueError(f"w0 must have shape ({n},), got {w0.shape}")
    return w0


def gradient_descent(cost: QuadraticCost, lr: float, steps: int, w0=None,
                     target: float | None = None, blowup: float = 1e6) -> Path:
    """Run w <- w - lr * dJ/dw from w0 (default: zeros) for at most `steps` steps.

    Stops early when the cost reaches `target` (if given) or when the run diverges: the
    excess cost J - J* passes `blowup` times its starting value (a run above the stable
    learning rate grows geometrically, so it would reach inf later anyway).
    """
    positive_number(lr, "lr")
    positive_int(steps, "steps", minimum=0)
    w = _start(cost, w0)
    weights, costs = [w], [float(cost.cost(w))]
    start_excess = costs[0] - cost.min_cost
    limit = cost.min_cost + blowup * max(start_excess, 1e-300)
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, steps + 1):
            if target is not None and costs[-1] <= target:
                break
            w = w - lr * (w @ cost.H - cost.g)
            J = float(cost.cost(w))
            weights.append(w)
            costs.append(J)
            if not (math.isfinite(J) and J <= limit):
                diverged_at = step
                break
    return Path(np.array(weights), np.array(costs), float(lr), diverged_at)


def steps_to_cost(cost, lrs, target, max_steps: int, w0=None, blowup: float = 1e6) -> np.ndarray:
    """For each learning rate, the first step at which gradient descent from w0 (default:
    zeros) reaches cost <= target; -1 where it did not within max_steps (too slow) or
    diverged (the excess cost passed `blowup` times its start, as in gradient_descent).

    cost: a QuadraticCost, or a list of P of them (all with n weights) to run together;
    target: a number, or one per cost; lrs (k,).
    Returns int array (k,), or (P, k) for a list.

    Every (cost, rate) pair is one "lane", and all lanes step together as one array, so
    trying many rates costs little more than trying one; lanes that are done drop out.
    """
    costs = [cost] if isinstance(cost, QuadraticCost) else list(cost)
    if not costs or not all(isinstance(c, QuadraticCost) for c in costs):
        raise TypeError("cost must be a QuadraticCost or a list of them (see least_squares)")
    lrs = np.asarray(lrs, dtype=float).ravel()
    if lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError("lrs must be a non-empty array of positive learning rates")
    positive_int(max_steps, "max_steps")
    targets = np.broadcast_to(np.asarray(target, dtype=float), (len(costs),))
    w0 = _start(costs[0], w0)

    n_costs, n_rates = len(costs), lrs.size
    which = np.repeat(np.arange(n_costs), n_rates)              # the cost of each lane
    H = np.stack([c.H for c in costs])[which]                   # (lanes, n, n)
    w_star = np.stack([c.minimizer for c in costs])[which]      # (lanes, n)
    rate = np.tile(lrs, n_costs)[:, None]                       # (lanes, 1)
    min_costs = np.array([c.min_cost for c in costs])[which]
    goal = targets[which] - min_costs                           # target as excess cost
    E = w0 - w_star      # track e = w - w*: the gradient is e H, the excess cost e H e^T / 2
    limit = blowup * np.maximum(0.5 * np.einsum("ln,lnm,lm->l", E, H, E), 1e-300)
    lane = np.arange(n_costs * n_rates)
    reached = np.full(lane.size, -1)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(max_steps + 1):
            G = np.einsum("ln,lnm->lm", E, H)                   # the gradient of each lane
            excess = 0.5 * np.einsum("ln,ln->l", G, E)
            done = excess <= goal
            reached[lane[done]] = step
            keep = ~done & (excess <= limit)                    # NaN and inf fail too
            if not keep.all():
                E, G, H, rate, goal, limit, lane = (a[keep] for a in (E, G, H, rate, goal,
                                                                       limit, lane))
                if not lane.size:
                    break
            E -= rate * G                                       # the gradient-descent step
    reached = reached.reshape(n_costs, n_rates)
    return reached[0] if isinstance(cost, QuadraticCost) else reached


@dataclass
class BestRun:
    """The fastest of several learning rates: its steps (-1: none reached the target) and rate."""

    steps: int
    lr: float | None

    @property
    def reached(self) -> bool:
        return self.steps >= 0


def best_learning_rate_search(cost: QuadraticCost, lrs, target: float, max_steps: int,
                              w0=None) -> BestRun:
    """Try every rate in `lrs`; return the one that reaches `target` in the fewest steps."""
    steps = steps_to_cost(cost, lrs, target, max_steps, w0)
    ok = steps >= 0
    if not ok.any():
        return BestRun(-1, None)
    i = int(np.flatnonzero(ok)[np.argmin(steps[ok])])
    return BestRun(int(steps[i]), float(np.asarray(lrs, dtype=float).ravel()[i]))


# ---------------------------------------------------------------- what theory predicts


def _eigenvalues(H) -> np.ndarray:
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square matrix, got shape {H.shape}")
    eigenvalues = np.linalg.eigvalsh(H)
    if eigenvalues[0] <= 0:
        raise ValueError("H must be positive definite (every curvature > 0)")
    return eigenvalues


def condition_number(H) -> float:
    """kappa = lambda_max / lambda_min of the Hessian H: how much more curved the bowl is
    along its steepest axis than along its flattest."""
    eigenvalues = _eigenvalues(H)
    return float(eigenvalues[-1] / eigenvalues[0])


def max_stable_learning_rate(H) -> float:
    """2 / lambda_max: above it, the steepest direction overshoots more at every step."""
    return float(2.0 / _eigenvalues(H)[-1])


def best_learning_rate(H) -> float:
    """2 / (lambda_min + lambda_max): the rate at which the slowest direction converges fastest."""
    eigenvalues = _eigenvalues(H)
    return float(2.0 / (eigenvalues[0] + eigenvalues[-1]))


def convergence_rate(H) -> float:
    """(kappa - 1) / (kappa + 1): the factor by which gradient descent at the best learning
    rate shrinks the distance to the minimum at every step (worst case over starting
    points; with two weights, exactly). The excess cost shrinks by its square."""
    kappa = condition_number(H)
    return (kappa - 1) / (kappa + 1)


def predicted_steps(H, tolerance: float) -> int:
    """Steps at the best learning rate until the excess cost J - J* is `tolerance` times its
    start: the smallest k with rate^(2k) <= tolerance. For kappa >> 1 that is about
    kappa / 4 * ln(1 / tolerance): proportional to kappa."""
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    rate = convergence_rate(H)
    if rate <= 0:
        return 1  # a perfectly round bowl: one step lands on the minimum
    return max(1, math.ceil(math.log(tolerance) / (2 * math.log(rate)) - 1e-9))
