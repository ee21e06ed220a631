"""Every claim of 08_gradient_checking, as a test against course_utils.

The network under test is cu.bugs (2-6-6-1, tanh) at its Xavier start (rng 0) on the first
40 points of the seed's circles, unless a test says otherwise. Margins are stated with
each test; every number the notebook prints comes from the same calls."""

from math import comb

import numpy as np
import pytest

import course_utils as cu
from course_utils import bugs, gradcheck

EPS_VALUES = np.logspace(-1, -12, 23)


@pytest.fixture(scope="module")
def problem():
    X, Y = bugs.load_data()
    return bugs.init_params(0), X, Y


@pytest.fixture(scope="module")
def trained(problem):
    params, X, Y = problem
    return bugs.trained_params(params, X, Y, steps=300)


def _slope(eps, errors):
    return np.polyfit(np.log10(eps), np.log10(errors), 1)[0]


# ---------------------------------------------------------------- why check at all


def _descend(params, X, Y, bug, steps=300, lr=0.3):
    p = dict(params)
    for _ in range(steps):
        _, g = bugs.cost_and_grads(p, X, Y, bug=bug)
        p = {k: v - lr * g["d" + k] for k, v in p.items()}
    return bugs.cost(p, X, Y)


def test_buggy_backward_passes_still_train(problem):
    """300 steps at lr 0.3 (a stable run: a 1e-9 nudge of W1 changes the final cost by less
    than 1e-8; at lr 1 the run is chaotic and no comparison holds). Every bug but the missing
    1/m lowers the cost by over 3%; the doubled gradient and the wrong transpose end below the
    correct code; the missing 1/m raises it, and at lr / 40 retraces the correct run."""
    params, X, Y = problem
    start = bugs.cost(params, X, Y)
    correct = _descend(params, X, Y, None)
    nudged = dict(params, W1=params["W1"] + 1e-9)
    assert abs(_descend(nudged, X, Y, None) - correct) < 1e-8
    assert correct < 0.95 * start
    for bug in bugs.BUGS:
        if bug != "missing 1/m":
            assert _descend(params, X, Y, bug) < 0.97 * start, bug
    for bug in ("doubled gradient", "wrong transpose"):
        assert _descend(params, X, Y, bug) < correct
    assert _descend(params, X, Y, "missing 1/m") > start
    assert _descend(params, X, Y, "missing 1/m", lr=0.3 / 40) == pytest.approx(correct, rel=1e-9)


# ---------------------------------------------------------------- 1 · the method


@pytest.fixture(scope="module")
def one_entry_errors(problem):
    params, X, Y = problem
    cost = lambda p: bugs.cost(p, X, Y)
    _, grads = bugs.cost_and_grads(params, X, Y)
    out = {}
    for method in gradcheck.METHODS:
        estimate = np.array([gradcheck.finite_differences(cost, params, eps, method,
                                                          {"W1": [(0, 0)]})["dW1"][0, 0]
                             for eps in EPS_VALUES])
        out[method] = np.abs(estimate - grads["dW1"][0, 0])
    return out


def test_one_sided_error_is_order_eps_and_two_sided_order_eps_squared(one_entry_errors):
    """Fitted on eps >= 1e-3 (truncation side): slopes 1 and 2 within 0.1."""
    large = EPS_VALUES >= 1e-3
    assert _slope(EPS_VALUES[large], one_entry_errors["one-sided"][large]) == pytest.approx(1, abs=0.1)
    assert _slope(EPS_VALUES[large], one_entry_errors["two-sided"][large]) == pytest.approx(2, abs=0.1)


def test_two_sided_is_far_more_accurate(one_entry_errors):
    """At eps = 1e-3 about a thousandfold (at least 300x); the best two-sided error is at
    least 100x below the best one-sided error."""
    at = np.isclose(EPS_VALUES, 1e-3)
    assert one_entry_errors["one-sided"][at][0] > 300 * one_entry_errors["two-sided"][at][0]
    assert one_entry_errors["one-sided"].min() > 100 * one_entry_errors["two-sided"].min()


def test_both_errors_rise_again_for_small_eps(one_entry_errors):
    for errors in one_entry_errors.values():
        best = int(np.argmin(errors))
        assert 0 < best < EPS_VALUES.size - 1
        assert errors[-1] > 100 * errors[best]


# ---------------------------------------------------------------- 2 · relative error


def test_relative_error_ignores_the_scale_of_the_cost_and_absolute_error_does_not(problem):
    params, X, Y = problem
    cost = lambda p: bugs.cost(p, X, Y)
    results = {}
    for scale in (1e-5, 1.0, 1e5):
        for bug in (None, "doubled gradient"):
            _, g = bugs.cost_and_grads(params, X, Y, bug=bug)
            report = gradcheck.check(lambda p: scale * cost(p), {k: scale * v for k, v in g.items()},
                                     params)
            results[scale, bug] = (max(b.max_abs_diff for b in report.blocks), report.max_error)
    for scale in (1e-5, 1.0, 1e5):
        assert results[scale, None][1] < 1e-8
        assert results[scale, "doubled gradient"][1] == pytest.approx(1 / 3, rel=1e-6)
    # no absolute threshold separates them: correct at x1e5 differs more than buggy at x1e-5
    assert results[1e5, None][0] > results[1e-5, "doubled gradient"][0]


def test_relative_error_is_bounded_and_symmetric():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=10), rng.normal(size=10)
    assert gradcheck.relative_error(a, b) == pytest.approx(gradcheck.relative_error(b, a))
    assert 0 <= gradcheck.relative_error(a, -a) <= 1
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0


# ---------------------------------------------------------------- 3 · the eps sweep


@pytest.fixture(scope="module")
def sweeps(problem):
    params, X, Y = problem
    out = {}
    for dtype in (np.float64, np.float32):
        p = {k: v.astype(dtype) for k, v in params.items()}
        Xd, Yd = X.astype(dtype), Y.astype(dtype)
        _, g = bugs.cost_and_grads(p, Xd, Yd)
        for method in gradcheck.METHODS:
            out[dtype, method] = gradcheck.eps_sweep(lambda q: bugs.cost(q, Xd, Yd), g, p,
                                                     EPS_VALUES, method)
    return out


@pytest.mark.parametrize("dtype,method,power", [(np.float64, "two-sided", 1 / 3),
                                                (np.float64, "one-sided", 1 / 2),
                                                (np.float32, "two-sided", 1 / 3),
                                                (np.float32, "one-sided", 1 / 2)])
def test_bottom_of_the_v_is_near_the_predicted_eps(sweeps, dtype, method, power):
    """The best eps is within a factor 30 of u^(1/3) (two-sided) or u^(1/2) (one-sided)."""
    best = EPS_VALUES[int(np.argmin(sweeps[dtype, method]))]
    predicted = np.finfo(dtype).eps ** power
    assert abs(np.log10(best / predicted)) <= 1.5


def test_v_shape_slopes(sweeps):
    """Truncation (eps >= 1e-3, float64): slope 2 two-sided, 1 one-sided, within 0.3;
    round-off (eps <= 1e-8, float64): slope -1 within 0.1 for both methods, "the same for
    both" (measured -1.00 two-sided, -0.99 one-sided; printed by the notebook)."""
    right = EPS_VALUES >= 1e-3
    left = EPS_VALUES <= 1e-8
    assert _slope(EPS_VALUES[right], sweeps[np.float64, "two-sided"][right]) == pytest.approx(2, abs=0.3)
    assert _slope(EPS_VALUES[right], sweeps[np.float64, "one-sided"][right]) == pytest.approx(1, abs=0.3)
    assert _slope(EPS_VALUES[left], sweeps[np.float64, "two-sided"][left]) == pytest.approx(-1, abs=0.1)
    assert _slope(EPS_VALUES[left], sweeps[np.float64, "one-sided"][left]) == pytest.approx(-1, abs=0.1)


def test_float64_common_eps_values_are_ok(sweeps):
    errors = sweeps[np.float64, "two-sided"]
    assert errors.min() < 1e-9
    for eps in (1e-5, 1e-6, 1e-7):
        assert errors[np.isclose(EPS_VALUES, eps)][0] < gradcheck.OK


def test_float32_cannot_certify_a_gradient(sweeps):
    """Best float32 two-sided error: 'look closer' (between 1e-7 and 1e-3), never ok; at eps
    1e-6 a bug; for tiny eps exactly 1 (theta + eps rounds back to theta)."""
    errors = sweeps[np.float32, "two-sided"]
    assert gradcheck.OK < errors.min() < gradcheck.LOOK_CLOSER
    assert gradcheck.verdict(errors[np.isclose(EPS_VALUES, 1e-6)][0]) == "bug"
    assert np.all(sweeps[np.float32, "two-sided"][EPS_VALUES <= 1e-10] == 1.0)
    assert sweeps[np.float32, "one-sided"].min() > gradcheck.LOOK_CLOSER * 0.5


# ---------------------------------------------------------------- 4 · the gallery


FLAGGED = {
    "missing 1/m": {"W1", "b1", "W2", "b2", "W3", "b3"},
    "wrong transpose": {"W1", "b1"},
    "doubled gradient": {"W2"},
    "wrong sum axis": {"b2"},
    "forgotten activation derivative": {"W1", "b1", "W2", "b2"},
    "wrong bias gradient": {"b1"},
}


@pytest.fixture(scope="module")
def gallery(problem):
    params, X, Y = problem
    grads_num = gradcheck.numerical_gradient(lambda p: bugs.cost(p, X, Y), params, 1e-6)
    out = {}
    for bug in [None, *bugs.BUGS]:
        _, g = bugs.cost_and_grads(params, X, Y, bug=bug)
        out[bug] = (gradcheck.compare(g, grads_num, 1e-6), g, grads_num)
    return out


def test_every_bug_is_caught_where_it_is(gallery):
    correct = gallery[None][0]
    assert correct.verdict == "ok"
    for bug, blocks in FLAGGED.items():
        report = gallery[bug][0]
        assert {b.key for b in report.blocks if b.verdict != "ok"} == blocks
        flagged = [report.errors()[k] for k in blocks]
        assert 1e-2 < min(flagged) and max(flagged) <= 1.0
        assert min(flagged) > 1e6 * correct.max_error  # about seven orders of magnitude


@pytest.mark.parametrize("bug,factor", [("missing 1/m", 40.0), ("doubled gradient", 2.0),
                                        ("wrong bias gradient", 1 / 40)])
def test_constant_bugs_show_a_clean_factor(gallery, bug, factor):
    _, g, g_num = gallery[bug]
    for block in FLAGGED[bug]:
        c, residual = gradcheck.scale_factor(g["d" + block], g_num["d" + block])
        assert c == pytest.approx(factor, rel=1e-6) and residual < 1e-6


def test_other_bugs_are_not_a_constant_factor(gallery):
    for bug in ("wrong transpose", "wrong sum axis", "forgotten activation derivative"):
        _, g, g_num = gallery[bug]
        for block in FLAGGED[bug]:
            assert gradcheck.scale_factor(g["d" + block], g_num["d" + block])[1] > 1e-3


# ---------------------------------------------------------------- 5 · the thresholds


def test_where_correct_and_buggy_code_land(problem, trained, gallery):
    params, X, Y = problem
    correct_1e6 = [*gallery[None][0].errors().values(), *bugs.check(trained, X, Y).errors().values()]
    assert 1e-12 < min(correct_1e6) and max(correct_1e6) < 1e-8
    assert max(bugs.check(params, X, Y, eps=1e-7).errors().values()) < gradcheck.OK
    float32_best = bugs.check(params, X, Y, eps=1e-2, dtype=np.float32).max_error
    assert gradcheck.OK < float32_best < gradcheck.LOOK_CLOSER
    bug_errors = [b.relative_error for bug in bugs.BUGS for b in gallery[bug][0].blocks
                  if b.verdict != "ok"]
    assert min(bug_errors) > 10 * gradcheck.LOOK_CLOSER


# ---------------------------------------------------------------- 6 · the tips


def test_6a_float32_flags_correct_code(problem):
    params, X, Y = problem
    assert gradcheck.check_network(bugs.spec(), params, X, Y).verdict == "ok"
    assert gradcheck.check_network(bugs.spec(), params, X, Y, dtype=np.float32).verdict == "bug"


@pytest.fixture(scope="module")
def blank_kink(problem):
    _, X, Y = problem
    spec = cu.Spec((2, 6, 6, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=0)
    X_blank = X.copy()
    X_blank[:, 0] = 0.0
    return spec, params, X_blank, Y


def test_6b_a_kink_is_a_false_alarm_in_the_bias_blocks(blank_kink):
    spec, params, X_blank, Y = blank_kink
    report = gradcheck.check_network(spec, params, X_blank, Y)
    assert {b.key for b in report.blocks if b.verdict != "ok"} == {"b1", "b2"}
    assert report.verdict == "bug"
    Zs, _ = cu.network.hidden_activations(spec, params, X_blank)
    assert np.abs(Zs[0]).min() == 0.0 and np.abs(Zs[1]).min() == 0.0
    assert np.all(Zs[0][:, 0] == 0.0)  # the blank example's whole column


def test_6b_a_smaller_eps_does_not_help_but_moving_the_point_does(blank_kink):
    spec, params, X_blank, Y = blank_kink
    errors = [gradcheck.check_network(spec, params, X_blank, Y, eps=eps).max_error
              for eps in (1e-4, 1e-6, 1e-8)]
    assert max(errors) / min(errors) < 1.01
    moved = cu.train(spec, params, X_blank, Y, cu.optimizers.sgd(0.5), steps=20).params
    assert gradcheck.check_network(spec, moved, X_blank, Y).verdict == "ok"


def test_6b_relu_dropout_and_zero_biases_put_a_unit_on_the_kink(problem):
    """Seed 0: an example whose layer-1 units are all dropped or negative gives z2 = b2 = 0
    exactly, and the check flags b2 of correct code."""
    _, X, Y = problem
    spec = cu.Spec((2, 6, 6, 1), activation="relu", keep_prob=0.8)
    params = cu.init_params(spec, "he_normal", rng=0)
    report = gradcheck.check_network(spec, params, X, Y, seed=0)
    assert [b.key for b in report.blocks if b.verdict != "ok"] == ["b2"]
    _, cache = cu.forward(spec, params, X, train=True, rng=0)
    assert np.any(cache.pre[1] == 0.0)
    assert gradcheck.check_network(spec, params, X, Y, seed=2).verdict == "ok"


def test_6c_the_penalty_must_be_in_the_checked_cost(problem):
    params, X, Y = problem
    spec = bugs.spec()
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y, l2=0.7)
    without = gradcheck.check(lambda p: cu.loss_and_grads(spec, p, X, Y)[0], grads, params)
    verdicts = {b.key: b.verdict for b in without.blocks}
    assert {k for k, v in verdicts.items() if v == "bug"} == {"W1", "W2", "W3"}
    assert {verdicts[k] for k in ("b1", "b2", "b3")} == {"ok"}
    assert gradcheck.check_network(spec, params, X, Y, l2=0.7).verdict == "ok"


def test_6d_dropout_needs_a_fixed_mask_or_none(problem):
    params, X, Y = problem
    spec = cu.Spec((2, 6, 6, 1), activation="tanh", keep_prob=0.8)
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y, rng=1)
    fresh = np.random.default_rng(2)
    noisy = gradcheck.check(lambda p: cu.loss_and_grads(spec, p, X, Y, rng=fresh)[0], grads, params)
    assert all(b.verdict == "bug" for b in noisy.blocks) and noisy.max_error > 0.5
    assert gradcheck.check_network(spec, params, X, Y, seed=1).verdict == "ok"
    assert gradcheck.check_network(bugs.spec(), params, X, Y).verdict == "ok"


def test_the_trained_point_is_not_chaotic(problem, trained):
    """A 1e-9 nudge of the start moves the point after 300 steps by less than 1e-7, so the
    numbers printed there do not depend on the last bits of the arithmetic."""
    params, X, Y = problem
    nudged = bugs.trained_params(dict(params, W1=params["W1"] + 1e-9), X, Y, steps=300)
    assert max(np.abs(nudged[k] - trained[k]).max() for k in trained) < 1e-7


def test_6e_a_bug_hidden_at_the_start_shows_after_training(problem, trained):
    params, X, Y = problem
    hidden = "Z1 recomputed without b1"
    assert bugs.check(params, X, Y, bug=hidden).errors() == bugs.check(params, X, Y).errors()
    assert bugs.check(params, X, Y, bug=hidden).verdict == "ok"
    assert bugs.check(trained, X, Y, bug=hidden).verdict == "bug"
    assert bugs.check(trained, X, Y).verdict == "ok"
    assert np.abs(trained["b1"]).max() > 0.5


def test_6e_tiny_gradients_lift_correct_code_into_look_closer(problem):
    _, X, Y = problem
    small = bugs.init_params(0, init=cu.initializers.get("normal", scale=0.01))
    _, grads = bugs.cost_and_grads(small, X, Y)
    assert np.linalg.norm(grads["dW1"]) < 1e-4
    assert bugs.check(small, X, Y).verdict == "look closer"
    # the forgotten derivative changes almost nothing there: its score is the same noise
    forgotten = bugs.check(small, X, Y, bug="forgotten activation derivative").max_error
    assert forgotten == pytest.approx(bugs.check(small, X, Y).max_error, rel=0.1)


@pytest.fixture(scope="module")
def digits_problem():
    X, Y, _, _ = cu.datasets.load_digits()
    X, Y = np.ascontiguousarray(X[:, :50]), Y[:, :50]
    spec = cu.Spec((64, 16, 10), activation="tanh", output="softmax")
    params = cu.init_params(spec, "xavier_normal", rng=0)
    count = [0]

    def cost(p):
        count[0] += 1
        logits, _ = cu.network.forward_unchecked(spec, p, X)
        return cu.network.output_loss(spec)(logits, Y)[0]

    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    grads_num = gradcheck.numerical_gradient(cost, params)
    return spec, params, X, Y, cost, count, grads, grads_num


def _row_bug(grads):
    bad = {**grads, "dW1": grads["dW1"].copy()}
    bad["dW1"][5] *= 2
    return bad


def test_6f_full_and_sampled_check_costs_and_results(digits_problem):
    spec, params, X, Y, cost, count, grads, grads_num = digits_problem
    n = sum(v.size for v in params.values())
    assert n == 1210
    block_bug = {**grads, "dW2": 2 * grads["dW2"]}
    assert gradcheck.compare(block_bug, grads_num, 1e-6).verdict == "bug"
    assert gradcheck.compare(_row_bug(grads), grads_num, 1e-6).verdict == "bug"
    count[0] = 0
    sampled = gradcheck.check(cost, _row_bug(grads), params, n_per_block=10, rng=0)
    assert count[0] == 2 * (10 + 10 + 10 + 10)  # b2 has exactly 10 entries
    assert sampled.verdict == "ok"  # rng 0 misses the bad row (as the notebook prints)
    for seed in range(5):  # a block-wide bug is caught by any sample
        assert gradcheck.check(cost, block_bug, params, n_per_block=10, rng=seed).verdict == "bug"


def test_6f_a_one_row_bug_hides_from_small_samples(digits_problem):
    """Replaying 2,000 draws of 10 entries of W1: flagged in 35% to the chance of drawing one
    of the row's 64 entries (48%) plus 3 standard errors (entries of blank pixels are 0, so
    doubling them changes nothing, and the rate is a little below the chance)."""
    *_, grads, grads_num = digits_problem
    g, g_num = _row_bug(grads)["dW1"].ravel(), grads_num["dW1"].ravel()
    rng = np.random.default_rng(0)
    caught = np.mean([gradcheck.verdict(gradcheck.relative_error(g[i], g_num[i])) != "ok"
                      for i in (rng.choice(g.size, 10, replace=False) for _ in range(2000))])
    chance = 1 - comb(g.size - 64, 10) / comb(g.size, 10)
    assert chance == pytest.approx(0.48, abs=0.01)
    assert 0.35 < caught < chance + 3 * np.sqrt(chance * (1 - chance) / 2000)
    assert 1 - comb(g.size - 64, 100) / comb(g.size, 100) > 0.99


def test_6g_a_full_check_costs_two_cost_evaluations_per_parameter(digits_problem):
    """The notebook's count: a full check evaluates J twice per parameter (2,420 times for
    1,210 parameters), a training step once (plus one backward pass). The seconds it draws
    beside the count are a timing, measured in `make bench`, never asserted here."""
    spec, params, X, Y, cost, count, *_ = digits_problem
    n = sum(v.size for v in params.values())
    count[0] = 0
    gradcheck.numerical_gradient(cost, params)
    assert count[0] == 2 * n == 2420


# ---------------------------------------------------------------- 8 · check yourself


def test_the_graders_section_8_names_use_the_gradient_check(problem, monkeypatch):
    """Section 8: cu.checks.gradient_case runs course_utils.gradcheck on the reader's
    gradients, and it grades exercise 3 here and the ELU derivative (04), the batch-norm
    backward pass (06) and the L2 penalty's gradient (07). Each grader, given a right
    answer, passes and goes through gradcheck.compare (counted by a spy)."""
    calls = []
    real_compare = gradcheck.compare

    def spy(*args, **kwargs):
        calls.append(1)
        return real_compare(*args, **kwargs)
    monkeypatch.setattr(gradcheck, "compare", spy)

    def elu(z, alpha=1.0):
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))

    def elu_derivative(z, alpha=1.0):
        return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))

    def batchnorm_backward(dout, Z_hat, gamma, inv_std):
        dZ = gamma * inv_std * (dout - dout.mean(axis=1, keepdims=True)
                                - Z_hat * (dout * Z_hat).mean(axis=1, keepdims=True))
        return dZ, (dout * Z_hat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)

    graders = {"fixed_backward": lambda: cu.checks.fixed_backward(bugs.backward),
               "elu": lambda: cu.checks.elu(elu, elu_derivative),
               "batchnorm_backward": lambda: cu.checks.batchnorm_backward(batchnorm_backward),
               "l2_penalty": lambda: cu.checks.l2_penalty(cu.losses.l2_penalty)}
    for name, run in graders.items():
        calls.clear()
        feedback = run()
        assert feedback.passed, (name, str(feedback))
        assert calls, f"{name} does not go through course_utils.gradcheck"
