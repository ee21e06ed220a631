"""course_utils.lessons.gradcheck (a hand-written backward pass with planted bugs) and the additions to
course_utils.gradcheck it relies on (one-sided differences, eps sweeps, scale factors).

The report must pass the correct code and flag every planted bug, in the blocks the bug
actually spoils and only there."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import gradcheck
from course_utils.lessons import gradcheck as bugs
TOL = 1e-7


@pytest.fixture(scope="module")
def problem():
    X, Y = bugs.load_data()
    params = bugs.init_params(0)
    return params, X, Y


@pytest.fixture(scope="module")
def trained(problem):
    params, X, Y = problem
    return bugs.trained_params(params, X, Y, steps=300)


# ---------------------------------------------------------------- the correct code


def test_correct_backward_equals_the_library_network(problem):
    params, X, Y = problem
    for activation in bugs.HIDDEN_ACTIVATIONS:
        cost, grads = bugs.cost_and_grads(params, X, Y, activation=activation)
        cost_lib, grads_lib, _ = cu.loss_and_grads(bugs.spec(activation), params, X, Y)
        assert cost == pytest.approx(cost_lib, rel=1e-14)
        for key in grads_lib:
            np.testing.assert_allclose(grads[key], grads_lib[key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", bugs.HIDDEN_ACTIVATIONS)
def test_correct_backward_passes_the_gradient_check(problem, trained, activation):
    params, X, Y = problem
    for point in (params, trained):
        report = bugs.check(point, X, Y, activation=activation)
        assert report.max_error < TOL, str(report)
        assert report.passed


def test_shapes_and_cache(problem):
    params, X, Y = problem
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (6, 2), "b1": (6, 1), "W2": (6, 6), "b2": (6, 1), "W3": (1, 6), "b3": (1, 1)}
    Z3, cache = bugs.forward(params, X)
    assert Z3.shape == (1, 40)
    assert {"X", "Z1", "A1", "Z2", "A2", "Z3", "A3", "activation"} <= set(cache)
    assert X.shape == (2, 40) and Y.shape == (1, 40)


# ---------------------------------------------------------------- every planted bug


FLAGGED = {
    "missing 1/m": {"W1", "b1", "W2", "b2", "W3", "b3"},
    "wrong transpose": {"W1", "b1"},
    "doubled gradient": {"W2"},
    "wrong sum axis": {"b2"},
    "forgotten activation derivative": {"W1", "b1", "W2", "b2"},
    "wrong bias gradient": {"b1"},
}


def test_every_bug_has_an_expected_pattern():
    assert set(FLAGGED) == set(bugs.BUGS)


@pytest.mark.parametrize("bug", list(bugs.BUGS))
def test_report_flags_each_bug_in_the_blocks_it_spoils(problem, trained, bug):
    params, X, Y = problem
    for point in (params, trained):
        report = bugs.check(point, X, Y, bug=bug)
        assert report.verdict == "bug"
        verdicts = {b.key: b.verdict for b in report.blocks}
        assert {k for k, v in verdicts.items() if v == "bug"} == FLAGGED[bug], str(report)
        assert {k for k, v in verdicts.items() if v == "ok"} == set(bugs.BLOCKS) - FLAGGED[bug]
        assert min(report.errors()[k] for k in FLAGGED[bug]) > 1e-2  # far above 1e-3


@pytest.mark.parametrize("bug,block,factor", [("missing 1/m", "W3", 40.0),
                                              ("doubled gradient", "W2", 2.0),
                                              ("wrong bias gradient", "b1", 1 / 40)])
def test_constant_factor_bugs_have_a_clean_scale_factor(problem, bug, block, factor):
    params, X, Y = problem
    _, grads = bugs.cost_and_grads(params, X, Y, bug=bug)
    grads_num = gradcheck.numerical_gradient(lambda p: bugs.cost(p, X, Y), params)
    c, residual = gradcheck.scale_factor(grads["d" + block], grads_num["d" + block])
    assert c == pytest.approx(factor, rel=1e-6)
    assert residual < 1e-7


def test_wrong_sum_axis_broadcasts_one_number(problem):
    params, X, Y = problem
    _, grads = bugs.cost_and_grads(params, X, Y, bug="wrong sum axis")
    _, right = bugs.cost_and_grads(params, X, Y)
    assert grads["db2"].shape == (6, 1)
    np.testing.assert_allclose(grads["db2"], right["db2"].sum())


def test_hidden_bug_is_invisible_at_zero_biases_and_flagged_after_training(problem, trained):
    params, X, Y = problem
    bug = "Z1 recomputed without b1"
    assert not np.any(params["b1"])
    at_start = bugs.check(params, X, Y, bug=bug)
    assert at_start.errors() == bugs.check(params, X, Y).errors()  # the very same numbers
    later = bugs.check(trained, X, Y, bug=bug)
    assert {b.key for b in later.blocks if b.verdict == "bug"} == {"W1", "b1"}


def test_mystery_backward_flags_W3_only(problem):
    params, X, Y = problem
    report = bugs.check(params, X, Y, backward_fn=bugs.mystery_backward)
    assert [b.key for b in report.blocks if b.verdict != "ok"] == ["W3"]


def test_check_in_float32_casts_everything(problem):
    params, X, Y = problem
    _, grads = bugs.cost_and_grads({k: v.astype(np.float32) for k, v in params.items()},
                                   X.astype(np.float32), Y.astype(np.float32))
    assert all(g.dtype == np.float32 for g in grads.values())
    report = bugs.check(params, X, Y, dtype=np.float32, eps=1e-2)
    assert 1e-7 < report.max_error < 1e-3  # the best float32 can do: "look closer"


def test_check_does_not_change_its_inputs(problem):
    params, X, Y = problem
    before = {k: v.copy() for k, v in params.items()}
    bugs.check(params, X, Y, bug="doubled gradient")
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


def test_unknown_bug_and_activation_are_clear_errors(problem):
    params, X, Y = problem
    _, cache = bugs.forward(params, X)
    with pytest.raises(ValueError, match="unknown bug 'typo'.*missing 1/m"):
        bugs.backward(params, cache, Y, bug="typo")
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        bugs.forward(params, X, activation="sigmoid")


def test_a_gradient_the_update_cannot_broadcast_raises(problem):
    params, _, _ = problem
    with pytest.raises(ValueError):
        bugs.as_the_update_sees_them({"db1": np.ones((1, 40))}, params)


# ---------------------------------------------------------------- gradcheck additions


def _cubic():
    params = {"w": np.array([[0.5, -1.0, 2.0]])}
    return (lambda p: float(np.sum(p["w"] ** 3))), params


@pytest.mark.parametrize("method,order", [("two-sided", 2), ("one-sided", 1)])
def test_finite_difference_error_has_the_method_s_order(method, order):
    f, params = _cubic()
    true = 3 * params["w"] ** 2
    errors = [np.abs(gradcheck.finite_differences(f, params, eps, method)["dw"] - true).max()
              for eps in (1e-2, 1e-3)]
    assert np.log10(errors[0] / errors[1]) == pytest.approx(order, abs=0.05)


def test_two_sided_finite_differences_are_numerical_gradient():
    f, params = _cubic()
    a = gradcheck.finite_differences(f, params, 1e-4, "two-sided")["dw"]
    b = gradcheck.numerical_gradient(f, params, 1e-4)["dw"]
    np.testing.assert_array_equal(a, b)


def test_one_sided_leaves_params_and_respects_indices():
    f, params = _cubic()
    before = params["w"].copy()
    out = gradcheck.finite_differences(f, params, 1e-3, "one-sided", indices={"w": [(0, 1)]})["dw"]
    np.testing.assert_array_equal(params["w"], before)
    assert np.isnan(out[0, 0]) and np.isnan(out[0, 2])
    assert out[0, 1] == pytest.approx(3.0 - 3e-3, rel=1e-6)  # 3 w^2 + eps * 3 w, w = -1


def test_finite_differences_reject_an_unknown_method_and_bad_eps():
    f, params = _cubic()
    with pytest.raises(ValueError, match="unknown method 'central'"):
        gradcheck.finite_differences(f, params, 1e-3, "central")
    with pytest.raises(ValueError, match="eps"):
        gradcheck.finite_differences(f, params, -1.0, "one-sided")


def test_eps_sweep_is_the_max_error_at_each_eps(problem):
    params, X, Y = problem
    _, grads = bugs.cost_and_grads(params, X, Y)
    f = lambda p: bugs.cost(p, X, Y)
    eps_values = [1e-3, 1e-6]
    sweep = gradcheck.eps_sweep(f, grads, params, eps_values)
    assert sweep.shape == (2,)
    assert sweep[1] == pytest.approx(gradcheck.check(f, grads, params, 1e-6).max_error)


def test_scale_factor():
    g_num = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert gradcheck.scale_factor(2 * g_num, g_num) == pytest.approx((2.0, 0.0))
    assert gradcheck.scale_factor(-g_num, g_num)[0] == pytest.approx(-1.0)
    c, residual = gradcheck.scale_factor(g_num.T, g_num)
    assert residual > 0.1
    assert np.isnan(gradcheck.scale_factor(g_num, np.zeros_like(g_num))[0])


# ---------------------------------------------------------------- printing rounding-level numbers


def test_about_names_the_nearest_power_of_ten():
    assert bugs.about(2.5e-10) == "about 1e-10"
    assert bugs.about(1.2e-4) == "about 1e-4"
    assert bugs.about(4e-4) == "about 1e-3"
    assert bugs.about(0.9) == "about 1"
    assert bugs.about(0.0) == "0e+00"


def test_below_and_above_say_the_bound_or_the_value_when_it_fails():
    assert bugs.below(3e-9, 1e-8) == "below 1e-8"
    assert bugs.below(3e-8, 1e-8) == "3e-08, not below 1e-8"
    assert bugs.below(2e-9, 3e-8) == "below 3e-08"
    assert bugs.above(0.5, 0.1) == "above 0.1"
    assert bugs.above(0.05, 0.1) == "5e-02, not above 0.1"


def test_summary_bounds_the_rows_that_pass_and_keeps_the_bug_rows(problem):
    params, X, Y = problem
    report = bugs.check(params, X, Y, bug="wrong transpose")
    text = bugs.summary(report)
    lines = text.splitlines()
    assert lines[1].startswith("W1") and "bug" in lines[1] and "(" in lines[1]
    for line in lines[3:7]:                      # W2, b2, W3, b3: round-off rows
        assert "below 1e-8" in line and line.rstrip().endswith("ok") and "(" not in line
    assert lines[-1].startswith("overall: bug (largest relative error 6.8e-01")
    assert "below 1e-8" in bugs.summary(bugs.check(params, X, Y)).splitlines()[-1]


def test_threshold_networks_are_well_formed():
    for name in bugs.THRESHOLD_NETWORKS:
        spec, params, X, Y = bugs.threshold_problem(name, seed=0)
        assert spec.layer_sizes[0] == X.shape[0] and spec.layer_sizes[-1] == Y.shape[0]
    with pytest.raises(ValueError, match="name"):
        bugs.threshold_problem("no such network")
