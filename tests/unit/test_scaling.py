"""cu.lessons.normalization: standardization at the scikit-learn boundary, the two-weight quadratic cost,
gradient descent on it, and what theory predicts."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

import course_utils as cu
from course_utils.lessons import normalization as scaling
# ---------------------------------------------------------------- standardization


@pytest.fixture
def shifted_sets():
    """4 features on scales 0.01 to 1000, offset; more examples than features and a test set
    with a different size, column layout."""
    rng = np.random.default_rng(0)
    scale = np.array([[0.01], [1.0], [30.0], [1000.0]])
    X_train = rng.standard_normal((4, 60)) * scale + 5 * scale
    X_test = rng.standard_normal((4, 25)) * scale + 6 * scale
    return X_train, X_test


def test_features_not_examples_get_standardized(shifted_sets):
    X_train, _ = shifted_sets
    scaler = scaling.fit_scaler(X_train)
    assert scaler.mean_.shape == (4,)  # one per feature (row), not one per example
    Z = scaling.standardize(X_train, scaler)
    assert Z.shape == X_train.shape
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-12)  # each feature: mean 0 ...
    np.testing.assert_allclose(Z.std(axis=1), 1, rtol=1e-12)   # ... and std 1 over examples
    assert not np.allclose(Z.mean(axis=0), 0)  # examples are not centered across features


def test_square_data_is_standardized_per_feature():
    """With as many examples as features a missing transpose would not fail: check rows."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 5)) * np.array([[1], [10], [100], [1000], [1e4]])
    Z = scaling.standardize(X, scaling.fit_scaler(X))
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=1), 1, rtol=1e-9)
    wrong = StandardScaler().fit_transform(X)  # no transpose: columns standardized
    assert not np.allclose(wrong, Z)


def test_test_set_goes_through_training_statistics(shifted_sets):
    X_train, X_test = shifted_sets
    train_std, test_std, scaler = scaling.standardize_train_test(X_train, X_test)
    mean = X_train.mean(axis=1, keepdims=True)
    std = X_train.std(axis=1, keepdims=True)  # ddof=0, as StandardScaler
    np.testing.assert_allclose(train_std, (X_train - mean) / std, rtol=1e-12)
    np.testing.assert_allclose(test_std, (X_test - mean) / std, rtol=1e-12)
    # The test set was drawn shifted: through the training numbers it stays shifted.
    assert np.all(test_std.mean(axis=1) > 0.5)
    np.testing.assert_allclose(scaler.scale_, std.ravel())


def test_one_example_can_be_standardized(shifted_sets):
    X_train, X_test = shifted_sets
    scaler = scaling.fit_scaler(X_train)
    one = scaling.standardize(X_test[:, :1], scaler)
    assert one.shape == (4, 1) and np.all(np.isfinite(one)) and np.any(one != 0)


def test_inputs_are_not_changed(shifted_sets):
    X_train, X_test = shifted_sets
    before = X_train.copy(), X_test.copy()
    scaling.standardize_train_test(X_train, X_test)
    assert np.array_equal(X_train, before[0]) and np.array_equal(X_test, before[1])


def test_standardization_bad_input(shifted_sets):
    X_train, _ = shifted_sets
    scaler = scaling.fit_scaler(X_train)
    with pytest.raises(ValueError, match="must have 4 features"):
        scaling.standardize(np.ones((3, 10)), scaler)
    with pytest.raises(TypeError, match="scaler must be a fitted StandardScaler"):
        scaling.standardize(X_train, {"mean": 0})
    with pytest.raises(ValueError, match="X_train must have 2 dimensions"):
        scaling.fit_scaler(np.ones(5))
    with pytest.raises(TypeError, match="X_train must be a numpy array"):
        scaling.fit_scaler([[1.0, 2.0]])


# ---------------------------------------------------------------- the two-feature data and cost


def test_two_scales_regression_shapes_and_scales():
    X, y = scaling.two_scales_regression(m=300, scale_ratio=50, rng=3)
    assert X.shape == (2, 300) and y.shape == (1, 300)
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)
    assert abs(y.mean()) < 1e-12
    assert X[1].std() / X[0].std() == pytest.approx(50, rel=0.2)
    X1, _ = scaling.two_scales_regression(m=300, scale_ratio=1, rng=3)
    np.testing.assert_allclose(X[1], 50 * X1[1])  # same points, only x2 rescaled
    np.testing.assert_array_equal(X[0], X1[0])


def test_two_scales_regression_bad_input():
    with pytest.raises(ValueError, match="scale_ratio must be a finite number > 0"):
        scaling.two_scales_regression(scale_ratio=0)
    with pytest.raises(ValueError, match="m must be >= 3"):
        scaling.two_scales_regression(m=2)
    with pytest.raises(TypeError, match="rng must be a numpy Generator or an int seed"):
        scaling.two_scales_regression(rng="seed")


@pytest.fixture
def regression():
    X, y = scaling.two_scales_regression(m=200, scale_ratio=10, rng=0)
    return X, y, scaling.least_squares(X, y)


def test_least_squares_is_the_mean_squared_error(regression):
    X, y, cost = regression
    rng = np.random.default_rng(0)
    for w in rng.standard_normal((5, 2)):
        direct = np.sum((w @ X - y) ** 2) / (2 * X.shape[1])
        assert cost.cost(w) == pytest.approx(direct, rel=1e-12)
    W = rng.standard_normal((3, 4, 2))  # a batch of weight vectors
    assert cost.cost(W).shape == (3, 4)


def test_least_squares_gradient_passes_gradcheck(regression):
    """The bowl's gradient w H - g against two-sided differences (float64)."""
    _, _, cost = regression
    params = {"w": np.array([0.3, -0.7])}
    numeric = cu.gradcheck.numerical_gradient(lambda p: float(cost.cost(p["w"])), params)["dw"]
    assert cu.gradcheck.relative_error(cost.gradient(params["w"]), numeric) < 1e-7


def test_minimizer_is_least_squares_solution(regression):
    X, y, cost = regression
    w_lstsq = np.linalg.lstsq(X.T, y.ravel(), rcond=None)[0]
    np.testing.assert_allclose(cost.minimizer, w_lstsq, rtol=1e-10)
    assert cost.min_cost == pytest.approx(cost.cost(w_lstsq), rel=1e-10)
    np.testing.assert_allclose(cost.gradient(cost.minimizer), 0, atol=1e-12)
    assert cost.minimizer[1] == pytest.approx(0.1, rel=0.1)  # about 1 / scale_ratio


def test_least_squares_bad_input():
    X = np.ones((2, 10))
    with pytest.raises(ValueError, match=r"y must have shape \(1, 10\)"):
        scaling.least_squares(np.eye(2, 10), np.ones((10, 1)))
    with pytest.raises(ValueError, match="linearly dependent"):
        scaling.least_squares(X, np.ones((1, 10)))


def test_cost_grid_orientation(regression):
    _, _, cost = regression
    w1, w2 = np.linspace(-1, 2, 7), np.linspace(-0.5, 0.5, 5)
    grid = scaling.cost_grid(cost, w1, w2)
    assert grid.shape == (5, 7)  # rows: w2, columns: w1
    assert grid[3, 6] == pytest.approx(cost.cost(np.array([w1[6], w2[3]])))
    three = scaling.least_squares(np.random.default_rng(0).standard_normal((3, 20)), np.ones((1, 20)))
    with pytest.raises(ValueError, match="two-weight costs"):
        scaling.cost_grid(three, w1, w2)


# ---------------------------------------------------------------- gradient descent


def test_gradient_descent_takes_plain_steps(regression):
    _, _, cost = regression
    path = scaling.gradient_descent(cost, 0.01, 5)
    w = np.zeros(2)
    for k in range(1, 6):
        w = w - 0.01 * cost.gradient(w)
        np.testing.assert_allclose(path.weights[k], w, rtol=1e-12)
    assert path.steps == 5 and path.costs.shape == (6,) and not path.diverged


def test_gradient_descent_stops_at_the_target(regression):
    _, _, cost = regression
    target = cost.min_cost + 0.01 * cost.excess(np.zeros(2))
    path = scaling.gradient_descent(cost, 0.015, 10_000, target=target)
    assert path.costs[-1] <= target < path.costs[-2]


def test_stability_limit_is_two_over_lambda_max(regression):
    _, _, cost = regression
    limit = scaling.max_stable_learning_rate(cost.H)
    assert limit == pytest.approx(2 / cost.eigenvalues[-1])
    stable = scaling.gradient_descent(cost, 0.99 * limit, 3000)
    unstable = scaling.gradient_descent(cost, 1.01 * limit, 3000)
    assert not stable.diverged and stable.costs[-1] < stable.costs[0]
    assert unstable.diverged and unstable.diverged_at > 10
    far = scaling.gradient_descent(cost, 10 * limit, 3000)
    assert far.diverged_at < unstable.diverged_at


def test_gradient_descent_bad_input(regression):
    _, _, cost = regression
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        scaling.gradient_descent(cost, -0.1, 10)
    with pytest.raises(ValueError, match=r"w0 must have shape \(2,\)"):
        scaling.gradient_descent(cost, 0.1, 10, w0=np.zeros(3))


def test_steps_to_cost_agrees_with_gradient_descent(regression):
    _, _, cost = regression
    target = cost.min_cost + 1e-3 * cost.excess(np.zeros(2))
    rates = np.array([1e-4, 5e-3, 0.0189, 0.02, 1.0])
    steps = scaling.steps_to_cost(cost, rates, target, max_steps=5000)
    for lr, k in zip(rates, steps):
        path = scaling.gradient_descent(cost, lr, 5000, target=target)
        if path.diverged or path.costs[-1] > target:
            assert k == -1
        else:
            assert k == path.steps
    assert steps[0] == -1 and steps[-1] == -1  # too slow; diverged
    assert steps[2] > 0


def test_steps_to_cost_runs_several_costs_at_once():
    costs = [scaling.least_squares(*scaling.two_scales_regression(scale_ratio=r)) for r in (1, 3, 10)]
    targets = [c.min_cost + 1e-3 * c.excess(np.zeros(2)) for c in costs]
    rates = 10.0 ** np.arange(-3, 0.5, 0.25)
    together = scaling.steps_to_cost(costs, rates, targets, max_steps=3000)
    assert together.shape == (3, rates.size)
    for row, cost, target in zip(together, costs, targets):
        np.testing.assert_array_equal(row, scaling.steps_to_cost(cost, rates, target, 3000))


def test_steps_to_cost_bad_input(regression):
    _, _, cost = regression
    with pytest.raises(ValueError, match="positive learning rates"):
        scaling.steps_to_cost(cost, [0.1, -1], 0.0, 10)
    with pytest.raises(TypeError, match="QuadraticCost"):
        scaling.steps_to_cost("cost", [0.1], 0.0, 10)


def test_best_learning_rate_search(regression):
    _, _, cost = regression
    target = cost.min_cost + 1e-3 * cost.excess(np.zeros(2))
    best = scaling.best_learning_rate_search(cost, [1e-3, 0.01, 0.018, 0.05], target, 5000)
    assert best.reached and best.lr == 0.018
    none = scaling.best_learning_rate_search(cost, [1e-6], target, 100)
    assert not none.reached and none.lr is None


# ---------------------------------------------------------------- what theory predicts


def test_condition_number_grows_as_ratio_squared():
    base = scaling.least_squares(*scaling.two_scales_regression(scale_ratio=1, rng=0))
    for r in (10, 100, 1000):
        cost = scaling.least_squares(*scaling.two_scales_regression(scale_ratio=r, rng=0))
        # diag(var x1, r^2 var x2) with a small correlation: kappa / r^2 within 20% of
        # var(x2) / var(x1) of the sample.
        assert cost.condition_number / r ** 2 == pytest.approx(base.H[1, 1] / base.H[0, 0], rel=0.2)


def test_predicted_steps_is_exact_with_two_weights(regression):
    """At the best rate both axes contract by exactly rho: excess_k = rho^(2k) excess_0."""
    _, _, cost = regression
    lr = scaling.best_learning_rate(cost.H)
    rho = scaling.convergence_rate(cost.H)
    path = scaling.gradient_descent(cost, lr, 50)
    excess = path.costs - cost.min_cost
    np.testing.assert_allclose(excess, excess[0] * rho ** (2 * np.arange(51)), rtol=1e-8)
    target = cost.min_cost + 1e-3 * excess[0]
    full = scaling.gradient_descent(cost, lr, 10_000, target=target)
    assert full.steps == scaling.predicted_steps(cost.H, 1e-3)


def test_best_rate_is_between_and_rate_formula():
    H = np.diag([1.0, 100.0])
    assert scaling.condition_number(H) == pytest.approx(100)
    assert scaling.best_learning_rate(H) == pytest.approx(2 / 101)
    assert scaling.max_stable_learning_rate(H) == pytest.approx(0.02)
    assert scaling.convergence_rate(H) == pytest.approx(99 / 101)
    assert scaling.predicted_steps(np.eye(2), 1e-3) == 1
    # about kappa / 4 ln(1 / tolerance) for large kappa
    big = np.diag([1.0, 1e6])
    assert scaling.predicted_steps(big, 1e-3) == pytest.approx(1e6 / 4 * np.log(1e3), rel=1e-3)


def test_theory_bad_input():
    with pytest.raises(ValueError, match="H must be a square matrix"):
        scaling.condition_number(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive definite"):
        scaling.best_learning_rate(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"tolerance must be in \(0, 1\)"):
        scaling.predicted_steps(np.eye(2), 1.5)
