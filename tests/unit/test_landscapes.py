"""The 2-D landscapes: gradients against finite differences, minima where the docstrings
say, and the runner that moves any optimizer over them."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import optimizers as L
from course_utils.gradcheck import relative_error

TOL = 1e-7


@pytest.mark.parametrize("name", L.NAMES)
def test_gradient_matches_finite_differences(name):
    land = L.get(name)
    rng = np.random.default_rng(0)
    x = rng.uniform(*land.xlim, size=50)
    y = rng.uniform(*land.ylim, size=50)
    eps = 1e-6
    gx, gy = land.grad(x, y)
    num_x = (land.f(x + eps, y) - land.f(x - eps, y)) / (2 * eps)
    num_y = (land.f(x, y + eps) - land.f(x, y - eps)) / (2 * eps)
    assert relative_error(np.stack([gx, gy]), np.stack([num_x, num_y])) < TOL


def test_rotated_ravine_gradient():
    land = L.ravine(condition=40.0, angle_deg=65.0)
    rng = np.random.default_rng(1)
    x, y, eps = rng.normal(size=20), rng.normal(size=20), 1e-6
    gx, gy = land.grad(x, y)
    num = np.stack([(land.f(x + eps, y) - land.f(x - eps, y)) / (2 * eps),
                    (land.f(x, y + eps) - land.f(x, y - eps)) / (2 * eps)])
    assert relative_error(np.stack([gx, gy]), num) < TOL


@pytest.mark.parametrize("name", L.NAMES)
def test_minima_are_stationary_with_the_stated_value(name):
    land = L.get(name)
    for point in (land.minimum, *land.extra_minima):
        np.testing.assert_allclose(land.gradient(point), 0.0, atol=1e-12)
    assert land.value(land.minimum) == pytest.approx(land.f_min, abs=1e-12)
    # f_min is the lowest value on a fine grid of the window
    _, _, zz = land.grid(400)
    assert zz.min() >= land.f_min - 1e-9


def test_ravine_curvatures():
    land = L.ravine(condition=100.0, angle_deg=30.0)
    steep = np.array([-np.sin(np.radians(30)), np.cos(np.radians(30))])
    flat = np.array([np.cos(np.radians(30)), np.sin(np.radians(30))])
    assert land.value(steep) == pytest.approx(50.0)
    assert land.value(flat) == pytest.approx(0.5)


def test_double_well_has_a_local_and_a_global_minimum():
    b = L.local_minimum_barrier()
    assert b["x_global"] < b["x_barrier"] < b["x_local"]
    assert b["f_global"] < b["f_local"] < b["f_barrier"]
    land = L.get("local_minimum")
    assert land.value((b["x_local"], 0.0)) > land.f_min  # the local one is higher


def test_run_records_the_path_and_matches_hand_steps():
    land = L.get("ravine")
    lr = 0.01
    trip = L.run(cu.optimizers.sgd(lr), land, steps=3)
    assert trip.path.shape == (4, 2) and not trip.diverged
    point = np.array(land.start)
    for t in range(3):
        point = point - lr * land.gradient(point)
        np.testing.assert_allclose(trip.path[t + 1], point, rtol=1e-12)
    np.testing.assert_allclose(trip.values, land.f(trip.path[:, 0], trip.path[:, 1]))
    assert trip.gaps[-1] == pytest.approx(trip.final_gap)
    assert trip.step_lengths().shape == (3,)


def test_run_stops_when_the_point_diverges():
    trip = L.run(cu.optimizers.sgd(1.0), "ravine", steps=200)  # lr 1 > 2 / 100
    assert trip.diverged and trip.diverged_at < 200
    assert np.all(np.isfinite(trip.path))
    assert trip.final_gap == np.inf and trip.score() == np.inf


def test_run_keeps_states_on_request():
    trip = L.run(cu.optimizers.adam(0.1), "saddle", steps=5, keep_states=True)
    assert len(trip.states) == 5 and trip.states[-1]["step"] == 5


def test_saddle_start_on_the_ridge_never_leaves_it():
    trip = L.run(cu.optimizers.momentum(0.1), "saddle", start=(2.0, 0.0), steps=100)
    assert np.all(trip.path[:, 1] == 0.0)
    assert np.hypot(*trip.final_point) < 1e-2  # it ends at the saddle point


def test_steps_to_and_score():
    trip = L.run(cu.optimizers.nesterov(0.1), "ravine", steps=150)
    k = trip.steps_to(1e-6)
    assert k is not None and trip.gaps[k] < 1e-6 and np.all(trip.gaps[:k] >= 1e-6)
    assert trip.score() == pytest.approx(np.mean(np.log10(np.maximum(trip.gaps, L.GAP_FLOOR))))


def test_tune_lr_returns_the_best_of_the_grid():
    lrs = L.lr_grid(1e-3, 1.0, 2)
    best, scores = L.tune_lr("sgd", "ravine", lrs)
    assert scores.shape == lrs.shape
    assert best == lrs[np.argmin(scores)]
    assert np.isinf(scores[-1])  # lr 1 diverges on the ravine
    assert best < 2 / 100  # GD is stable only below 2 / (largest curvature)


def test_lr_grid():
    grid = L.lr_grid(1e-3, 10, 4)
    assert grid.size == 17 and grid[0] == pytest.approx(1e-3) and grid[-1] == pytest.approx(10)


@pytest.mark.parametrize("call,error,words", [
    (lambda: L.get("bowl"), ValueError, "unknown landscape 'bowl'"),
    (lambda: L.run(0.1, "ravine"), TypeError, "optimizer must be a course_utils Optimizer"),
    (lambda: L.run(cu.optimizers.sgd(0.1), "ravine", start=(1.0,)), ValueError, "start"),
    (lambda: L.run(cu.optimizers.sgd(0.1), "ravine", start=(np.nan, 0)), ValueError, "finite"),
    (lambda: L.run(cu.optimizers.sgd(0.1), "ravine", steps=-1), ValueError, "steps"),
    (lambda: L.ravine(condition=0), ValueError, "condition"),
    (lambda: L.tune_lr("sgd", "ravine", [5.0, 10.0]), ValueError, "diverged at every"),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()
