"""Every claim of 06_batch_normalization, as a test against course_utils.

Seeds and margins are stated with each test. The stored sweeps (data/batchnorm_sweeps.json,
made by scripts/sweep_batchnorm.py) are checked twice: a sample is recomputed and must match
the stored numbers, and the notebook's conclusions are asserted on the stored runs.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import course_utils as cu

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


@pytest.fixture(scope="module")
def sweeps():
    return json.loads((ROOT / "data" / "batchnorm_sweeps.json").read_text())


def _rows(sweeps, part, **where):
    return [r for r in sweeps["runs"][part] if all(r[k] == v for k, v in where.items())]


def _assert_same_run(again: dict, stored: dict) -> None:
    """A recomputed run matches the stored one: accuracies exactly (they are counts),
    costs to 1e-5, lists entry by entry."""
    assert again.keys() == stored.keys()
    for key, value in stored.items():
        if isinstance(value, float) and "cost" in key:
            assert again[key] == pytest.approx(value, abs=1e-5), key
        else:
            assert again[key] == value, key


# ---------------------------------------------------------------- 1 · the layer


def test_each_unit_leaves_with_mean_beta_and_std_gamma():
    rng = np.random.default_rng(0)
    Z = rng.normal(loc=[[5.0], [-2.0], [0.0]], scale=[[3.0], [0.1], [20.0]], size=(3, 64))
    gamma, beta = np.array([[1.0], [2.0], [0.5]]), np.array([[0.0], [1.0], [-1.0]])
    out, _ = cu.layers.batchnorm_forward(Z, gamma, beta, train=True)
    np.testing.assert_allclose(out.mean(axis=1, keepdims=True), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1, keepdims=True), gamma, rtol=1e-3)


def test_only_gamma_and_beta_are_learned_mean_and_variance_are_state(circles):
    """Seed 002: "four parameters are learned: scale, offset, mean, standard deviation"."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 8, 1), batch_norm=True)
    params, state = cu.init_params(spec, rng=0), cu.init_state(spec)
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y, state)
    learned_per_bn_layer = {k.rstrip("12") for k in params if k.endswith("1")} - {"W"}
    assert learned_per_bn_layer == {"gamma", "beta"}
    assert set(grads) == {"d" + k for k in params}
    assert set(state) == {"running_mean1", "running_var1", "running_mean2", "running_var2"}
    assert not any(k.startswith("running") for k in params)
    assert "b1" not in params and "b2" not in params  # beta replaces the bias


# ---------------------------------------------------------------- 2 · a deep network's layers


@pytest.fixture(scope="module")
def deep_tanh():
    """Ten tanh layers of 64 units, 1,000 standard-normal examples (rng 1), weights rng 2."""
    X_deep = np.random.default_rng(1).standard_normal((64, 1000))
    sizes = (64,) + (64,) * 10 + (1,)
    out = {}
    for s in (0.01, 0.5):
        for bn in (False, True):
            spec = cu.Spec(sizes, activation="tanh", batch_norm=bn)
            params = cu.init_params(spec, cu.initializers.get("normal", scale=s), rng=2)
            _, cache = cu.forward(spec, params, X_deep, train=True)
            before = [layer[0][1] @ layer[0][0] for layer in cache.layers[:-1]]
            out[s, bn] = (cache.hidden, np.array([Z.std() for Z in before]),
                          np.array([Z.std() for Z in cache.pre]))
    return out


def test_without_bn_small_weights_vanish_and_large_ones_saturate(deep_tanh):
    assert deep_tanh[0.01, False][2][-1] < 1e-9  # 0.08 per layer, ten layers
    assert np.mean(np.abs(deep_tanh[0.5, False][0][-1]) > 0.99) > 0.3


def test_with_bn_every_layer_has_unit_spread_and_few_saturated_units(deep_tanh):
    for s in (0.01, 0.5):
        _, before, after = deep_tanh[s, True]
        np.testing.assert_allclose(after, 1.0, atol=0.01)  # eps takes a little
        assert np.mean(np.abs(deep_tanh[s, True][0][-1]) > 0.99) < 0.02
        # before the normalization, one layer's worth of the wrong scale, not ten
        assert before.max() / before.min() < 2


@pytest.fixture(scope="module")
def digits_follow():
    """The paper's Figure 1 on the digits: three sigmoid layers of 64, batches of 60,
    learning rate 0.5, 600 steps, weights rng 0."""
    Xd, Yd, Xd_test, Yd_test = cu.datasets.load_digits()
    follow = {}
    for bn in (False, True):
        spec = cu.Spec((64, 64, 64, 64, 10), activation="sigmoid", output="softmax", batch_norm=bn)
        record = {"step": [], "percentiles": [], "acc": []}
        layers, gamma3 = {}, {}

        def watch(hist, step, p, st, spec=spec, record=record, layers=layers, gamma3=gamma3):
            Z_L, cache = cu.forward(spec, p, Xd_test, st, train=False)
            record["step"].append(step)
            record["percentiles"].append(np.percentile(cache.pre[-1][0], [15, 50, 85]))
            record["acc"].append(np.mean(Z_L.argmax(axis=0) == Yd_test.argmax(axis=0)))
            if step in SNAPSHOTS:
                layers[step] = cache.pre
                if "gamma3" in p:
                    gamma3[step] = np.median(np.abs(p["gamma3"]))

        cu.train(spec, cu.init_params(spec, "xavier_normal", rng=0), Xd, Yd, cu.optimizers.sgd(0.5),
                 steps=600, batch_size=60, rng=0, callback=watch, callback_every=20, progress=False)
        follow[bn] = {k: np.array(v) for k, v in record.items()}
        follow[bn]["layers"], follow[bn]["gamma3"] = layers, gamma3
    return follow


SNAPSHOTS = (40, 200, 400, 600)  # the notebook's per-layer histograms during training


def test_digits_bn_learns_much_faster(digits_follow):
    """Printed: test accuracy 0.78 without BN (never 0.90), 0.96 with BN, first at 0.90 or
    more at step 40 (margin: half the last printed digit)."""
    with_bn, without = digits_follow[True], digits_follow[False]
    assert with_bn["step"][np.argmax(with_bn["acc"] >= 0.9)] == 40
    assert with_bn["acc"][-1] == pytest.approx(0.96, abs=0.005)
    assert without["acc"][-1] == pytest.approx(0.78, abs=0.005)
    assert without["acc"].max() < 0.9


def test_digits_printed_percentile_ranges_and_a_similar_median_range(digits_follow):
    """The notebook's printout for checks after step 100: widths 0.04 to 3.35 without BN,
    2.77 to 3.93 with it; medians -0.78 to -0.03 without, -0.87 to 0.02 with (margin: half
    the last printed digit). "Over a range similar to the one without BN": the two medians'
    ranges (0.75 and 0.89) are within a factor 1.5 of each other."""
    printed = {False: ((0.04, 3.35), (-0.78, -0.03)), True: ((2.77, 3.93), (-0.87, 0.02))}
    ranges = {}
    for bn, ((w_lo, w_hi), (m_lo, m_hi)) in printed.items():
        run = digits_follow[bn]
        late = run["step"] > 100
        width = run["percentiles"][late, 2] - run["percentiles"][late, 0]
        median = run["percentiles"][late, 1]
        assert width.min() == pytest.approx(w_lo, abs=0.005)
        assert width.max() == pytest.approx(w_hi, abs=0.005)
        assert median.min() == pytest.approx(m_lo, abs=0.005)
        assert median.max() == pytest.approx(m_hi, abs=0.005)
        ranges[bn] = np.ptp(median)
    assert 1 / 1.5 < ranges[True] / ranges[False] < 1.5


def _unit_spread(Z):
    """The median over a layer's units of each unit's std over the test images."""
    return np.median(Z.std(axis=1))


def test_digits_every_layer_during_training(digits_follow):
    """The per-layer histograms at steps 40, 200, 400, 600 (printed table; margin: half the
    last printed digit where a number is quoted).
    Without BN: layers 2 and 3 start nearly silent (0.06 and 0.01 at step 40, below 0.1 at
    200), and spread out only later (0.79 and 0.95 at 600), while the whole layer's values
    are spread far wider than a unit's (each unit at its own offset).
    With BN: every layer's units vary by about 1 from step 40 (0.87 to 0.95), the units are
    centred (the outline nearly covers the filled histogram), layers 1 and 2 barely move,
    and layer 3 widens from 0.94 to 1.58 with its median |gamma| from 1.16 to 1.60."""
    spread = {(bn, step, l): _unit_spread(digits_follow[bn]["layers"][step][l])
              for bn in (False, True) for step in SNAPSHOTS for l in range(3)}
    assert spread[False, 40, 1] == pytest.approx(0.06, abs=0.005)
    assert spread[False, 40, 2] == pytest.approx(0.01, abs=0.005)
    assert spread[False, 200, 1] < 0.1 and spread[False, 200, 2] < 0.1
    assert spread[False, 600, 1] == pytest.approx(0.79, abs=0.005)
    assert spread[False, 600, 2] == pytest.approx(0.95, abs=0.005)
    for step in (40, 200):  # the layer is spread out, its units are not
        for l in (1, 2):
            assert digits_follow[False]["layers"][step][l].std() > 4 * spread[False, step, l]
    at_40 = [spread[True, 40, l] for l in range(3)]
    assert min(at_40) == pytest.approx(0.87, abs=0.005) and max(at_40) == pytest.approx(0.95, abs=0.005)
    for step in SNAPSHOTS:
        for l in range(3):
            Z = digits_follow[True]["layers"][step][l]
            # centred units: the spread of the unit means is small beside a unit's own spread
            assert Z.mean(axis=1).std() < 0.3 * spread[True, step, l]
        for l in (0, 1):  # layers 1 and 2 barely move after step 200
            assert abs(spread[True, step, l] - spread[True, 600, l]) < 0.05 or step == 40
    assert spread[True, 40, 2] == pytest.approx(0.94, abs=0.005)
    assert spread[True, 600, 2] == pytest.approx(1.58, abs=0.005)
    gamma3 = digits_follow[True]["gamma3"]
    assert gamma3[40] == pytest.approx(1.16, abs=0.005) and gamma3[600] == pytest.approx(1.60, abs=0.005)


def test_digits_input_distribution_widens_without_bn_and_settles_with_it(digits_follow):
    """After step 100, the width (85th - 15th percentile) of the unit's input ranges over
    more than twice as much without BN as with it; without BN it starts as almost a single
    value (width < 0.2 at step 100)."""
    def widths(run):
        late = run["step"] >= 100
        return run["percentiles"][late, 2] - run["percentiles"][late, 0]
    without, with_bn = widths(digits_follow[False]), widths(digits_follow[True])
    assert without[0] < 0.2
    assert np.ptp(without) > 2 * np.ptp(with_bn)
    assert with_bn.min() > 1.0


# ---------------------------------------------------------------- 3 · initialization


def test_init_scale_sweep_recomputes(sweeps):
    from sweep_batchnorm import run_init_scale
    for scale, bn in ((0.01, True), (0.316228, False)):
        stored = _rows(sweeps, "init_scale", scale=scale, batch_norm=bn, seed=0)[0]
        again = run_init_scale(scale, bn, 0)
        _assert_same_run(again, stored)


def test_bn_widens_the_working_init_range_to_three_decades(sweeps):
    """Every draw above 0.7: without BN only s = 0.32 (near He's 0.25); with BN every s from
    3.2e-4 to 1. At 1e-4 every draw fails even with BN (eps)."""
    def working(bn):
        scales = sorted({r["scale"] for r in sweeps["runs"]["init_scale"]})
        return [s for s in scales
                if all((r["train_acc"] or 0) >= 0.7 for r in _rows(sweeps, "init_scale", scale=s, batch_norm=bn))]
    assert working(False) == [0.316228]
    assert working(True) == [0.000316, 0.001, 0.003162, 0.01, 0.031623, 0.1, 0.316228, 1.0]
    assert all(r["train_acc"] == 0.5 for r in _rows(sweeps, "init_scale", scale=0.0001, batch_norm=True))
    assert all(r["diverged"] for r in _rows(sweeps, "init_scale", scale=1.0, batch_norm=False))


def test_he_scale_without_bn_gives_the_best_single_result(sweeps):
    """"Without BN, He's scale gives the best single result of the sweep, and the BN runs
    are a little less steady from draw to draw": the best run of all is without BN at
    s = 0.32; its three draws span 0.01, while the working BN settings span more in the
    median (printed best means: 0.980 at s = 0.32 without BN, 0.951 at s = 1 with it)."""
    runs = [r for r in sweeps["runs"]["init_scale"] if r["train_acc"] is not None]
    best = max(runs, key=lambda r: r["train_acc"])
    assert best["batch_norm"] is False and best["scale"] == 0.316228
    def draws(bn, scale):
        return [r["train_acc"] for r in _rows(sweeps, "init_scale", scale=scale, batch_norm=bn)]
    he = draws(False, 0.316228)
    assert np.mean(he) == pytest.approx(0.980, abs=0.0005)
    assert np.mean(draws(True, 1.0)) == pytest.approx(0.951, abs=0.0005)
    bn_scales = sorted({r["scale"] for r in runs if r["batch_norm"] and r["scale"] > 1e-4})
    assert max(np.mean(draws(True, s)) for s in bn_scales) == pytest.approx(0.951, abs=0.0005)
    spans = [np.ptp(draws(True, s)) for s in bn_scales]
    assert np.ptp(he) == pytest.approx(0.01, abs=0.001)
    assert np.median(spans) > 2 * np.ptp(he)


def test_eps_limits_how_small_a_scale_bn_can_rescue(circles):
    X = circles[0]
    spec = cu.Spec((2,) + (32,) * 6 + (1,), batch_norm=True)
    spreads = {}
    for s in (1e-4, 1e-3, 1e-2):
        _, cache = cu.forward(spec, cu.init_params(spec, cu.initializers.get("normal", scale=s), rng=0),
                              X, train=True)
        spreads[s] = np.array([Z.std() for Z in cache.pre])
    assert spreads[1e-4][-1] < 1e-5 and np.all(spreads[1e-4][1:] / spreads[1e-4][:-1] < 0.2)
    assert 0.1 < spreads[1e-3].min() and spreads[1e-3].max() < 0.5  # below 1 but steady
    assert spreads[1e-2][-1] > 0.95


# ---------------------------------------------------------------- 4 · learning rate


def test_learning_rate_sweep_recomputes(sweeps):
    from sweep_batchnorm import run_learning_rate
    for lr, bn in ((3.0, False), (1.0, True)):
        stored = _rows(sweeps, "learning_rate", lr=lr, batch_norm=bn, seed=0)[0]
        again = run_learning_rate(lr, bn, 0)
        _assert_same_run(again, stored)


def test_bn_survives_larger_learning_rates_but_is_fastest_at_small_ones(sweeps):
    rows = lambda **w: _rows(sweeps, "learning_rate", **w)
    assert {r["lr"] for r in rows(batch_norm=False) if r["diverged"]} == {3.0, 10.0, 30.0}
    assert not any(r["diverged"] for r in rows(batch_norm=True))
    for lr in (1.0, 3.0):  # BN still learns where the plain network does not
        assert all(r["train_acc"] >= 0.7 for r in rows(batch_norm=True, lr=lr))
        assert all((r["train_acc"] or 0) <= 0.5 for r in rows(batch_norm=False, lr=lr))

    def fastest(bn):
        best = None
        for lr in sorted({r["lr"] for r in rows()}):
            steps = [r["steps_to_target"] for r in rows(batch_norm=bn, lr=lr)]
            if None not in steps and (best is None or np.median(steps) < best[1]):
                best = (lr, np.median(steps))
        return best
    (lr_plain, steps_plain), (lr_bn, steps_bn) = fastest(False), fastest(True)
    assert lr_bn < lr_plain  # larger was not faster
    # printed: 600 steps at lr 0.3 without BN, 300 at lr 0.01 with it, 2.0 times fewer
    assert (lr_plain, steps_plain, lr_bn, steps_bn) == (0.3, 600, 0.01, 300)


# ---------------------------------------------------------------- 5 · sigmoid


def test_sigmoid_gradient_vanishes_without_bn_and_not_with_it(circles):
    X, Y, _, _ = circles
    ratios = {}
    for bn in (False, True):
        spec = cu.Spec((2,) + (32,) * 8 + (1,), activation="sigmoid", batch_norm=bn)
        _, grads, _ = cu.loss_and_grads(spec, cu.init_params(spec, "xavier_normal", rng=0), X, Y)
        ratios[bn] = np.linalg.norm(grads["dW1"]) / np.linalg.norm(grads["dW9"])
    assert ratios[False] < 1e-5
    assert ratios[True] > 1e-2


def test_sigmoid_depth_sweep_recomputes(sweeps):
    from sweep_batchnorm import run_sigmoid_depth
    for bn in (False, True):
        stored = _rows(sweeps, "sigmoid_depth", depth=3, batch_norm=bn, lr=1.0, seed=0)[0]
        _assert_same_run(run_sigmoid_depth(3, bn, 1.0, 0), stored)


def test_deep_sigmoid_trains_only_with_bn(sweeps):
    """Best of three learning rates, every draw: without BN only depth 1 learns (> 0.7);
    with BN every depth from 2 to 8 reaches 0.8."""
    def best(depth, bn):
        per_seed = {}
        for r in _rows(sweeps, "sigmoid_depth", depth=depth, batch_norm=bn):
            per_seed[r["seed"]] = max(per_seed.get(r["seed"], 0), r["train_acc"] or 0)
        return min(per_seed.values())
    depths = sorted({r["depth"] for r in sweeps["runs"]["sigmoid_depth"]})
    assert best(1, False) > 0.7
    for depth in depths[1:]:
        assert best(depth, False) <= 0.5
        assert best(depth, True) >= 0.8


def test_sigmoid_printed_accuracies_and_bn_does_not_help_at_one_layer(sweeps):
    """Printed (mean over 2 draws of the best of 3 learning rates; a diverged run counts as
    0.5), margin half the last digit: without BN 0.82, 0.50, 0.50, 0.50, 0.50 for depths 1,
    2, 3, 5, 8; with BN 0.78, 0.94, 0.87, 0.86, 0.88. At one layer "BN does not help ...
    (the two are close)": with BN is not better, and within 0.05."""
    def mean_best(depth, bn):
        per_seed = {}
        for r in _rows(sweeps, "sigmoid_depth", depth=depth, batch_norm=bn):
            per_seed[r["seed"]] = max(per_seed.get(r["seed"], 0), r["train_acc"] or 0.5)
        return np.mean(list(per_seed.values()))
    printed = {False: (0.82, 0.50, 0.50, 0.50, 0.50), True: (0.78, 0.94, 0.87, 0.86, 0.88)}
    for bn, values in printed.items():
        for depth, value in zip((1, 2, 3, 5, 8), values):
            assert mean_best(depth, bn) == pytest.approx(value, abs=0.005), (bn, depth)
    assert mean_best(1, False) - 0.05 < mean_best(1, True) <= mean_best(1, False)


# ---------------------------------------------------------------- 6 · regularization


def test_regularization_sweep_recomputes(sweeps):
    from sweep_batchnorm import run_regularization
    for config in ("batch_norm_full_batch",):
        stored = _rows(sweeps, "regularization", config=config, seed=0)[0]
        _assert_same_run(run_regularization(config, 0), stored)


def test_bn_regularizes_through_batch_noise_and_dropout_does_more(sweeps):
    """Means over 8 draws: the gap is smaller with BN on batches of 20 than without BN, and
    larger than without BN when BN uses the full batch; dropout's gap is the smallest."""
    def gap(config):
        return np.mean([r["train_acc"] - r["test_acc"] for r in _rows(sweeps, "regularization", config=config)])
    def test(config):
        return np.mean([r["test_acc"] for r in _rows(sweeps, "regularization", config=config)])
    assert gap("batch_norm") < gap("plain") - 0.02
    assert test("batch_norm") > test("plain")
    assert gap("batch_norm_full_batch") > gap("plain")
    assert test("batch_norm_full_batch") < test("plain")
    assert gap("dropout") < gap("batch_norm")
    assert abs(test("dropout") - test("batch_norm")) < 0.02


# ---------------------------------------------------------------- 7 · train vs eval


@pytest.fixture(scope="module")
def trained_bn(circles):
    """The notebook's network: three ReLU layers of 16 with BN, momentum 0.1, batches of 32,
    1,000 steps, rng 0."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 16, 16, 16, 1), batch_norm=True)
    hist = cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.momentum(0.1),
                    steps=1000, batch_size=32, rng=0, progress=False)
    return spec, hist.params, hist.state


def test_an_example_depends_on_its_batch_in_training_mode(circles, trained_bn):
    _, _, X_test, Y_test = circles
    spec, params, state = trained_bn
    x = X_test[:, :1]
    assert Y_test[0, 0] == 1
    p = {}
    for label, others in ((0, X_test[:, Y_test[0] == 0][:, :7]), (1, X_test[:, Y_test[0] == 1][:, 1:8])):
        Z_L, _ = cu.forward(spec, params, np.hstack([x, others]), state, train=True)
        p[label] = 1 / (1 + np.exp(-Z_L[0, 0]))
    assert p[0] - p[1] > 0.2
    with pytest.raises(ValueError, match="at least 2 examples"):
        cu.forward(spec, params, x, state, train=True)


def test_forgetting_evaluation_mode_ruins_small_or_one_class_test_batches(circles, trained_bn):
    _, _, X_test, Y_test = circles
    spec, params, state = trained_bn

    def train_mode_accuracy(Xs, Ys, size):
        correct = 0
        for k in range(0, Xs.shape[1], size):
            Z_L, _ = cu.forward(spec, params, Xs[:, k:k + size], state, train=True)
            correct += np.sum((Z_L > 0) == Ys[:, k:k + size])
        return correct / Xs.shape[1]
    assert cu.accuracy(spec, params, X_test, Y_test, state) >= 0.88
    assert train_mode_accuracy(X_test, Y_test, 100) >= 0.88  # a batch like a training batch
    assert train_mode_accuracy(X_test, Y_test, 2) < 0.65
    order = np.argsort(Y_test[0], kind="stable")
    assert train_mode_accuracy(X_test[:, order], Y_test[:, order], 50) < 0.6


def test_training_set_statistics_do_at_least_as_well_as_running_ones(circles, trained_bn):
    """The seed's recipe (statistics of the whole training set) vs the running averages; a
    state never updated answers one class."""
    X, Y, X_test, Y_test = circles
    spec, params, state = trained_bn
    _, cache = cu.forward(spec, params, X, state, train=True)
    population = {}
    for l in range(1, 4):
        A_prev, W = cache.layers[l - 1][0]
        population[f"running_mean{l}"] = (W @ A_prev).mean(axis=1, keepdims=True)
        population[f"running_var{l}"] = (W @ A_prev).var(axis=1, keepdims=True)
    for Xs, Ys in ((X, Y), (X_test, Y_test)):
        assert cu.accuracy(spec, params, Xs, Ys, population) >= cu.accuracy(spec, params, Xs, Ys, state)
    # printed: running std / training-set std from 0.99 to 1.01 (layer 1), 1.01 to 1.13
    # (layer 2), 0.95 to 1.19 (layer 3); margin: half the last printed digit
    printed = {1: (0.99, 1.01), 2: (1.01, 1.13), 3: (0.95, 1.19)}
    for l, (low, high) in printed.items():
        ratio = np.sqrt(state[f"running_var{l}"] / population[f"running_var{l}"])
        assert ratio.min() == pytest.approx(low, abs=0.005), l
        assert ratio.max() == pytest.approx(high, abs=0.005), l
    assert cu.accuracy(spec, params, X, Y, cu.init_state(spec)) == pytest.approx(0.5, abs=0.05)


def test_running_statistics_reach_the_training_set_statistics(circles, trained_bn):
    """Weights fixed, 60 training-mode passes over batches of 32 (rng 3): every unit of layer
    1 has its running variance within 15% and its running mean within 0.1 std of the whole
    training set's."""
    X = circles[0]
    spec, params, _ = trained_bn
    Z1 = params["W1"] @ X  # layer 1 has no bias before BN
    state, rng = cu.init_state(spec), np.random.default_rng(3)
    for _ in range(60):
        _, c = cu.forward(spec, params, X[:, rng.choice(X.shape[1], 32, replace=False)], state, train=True)
        state = c.state
    std = Z1.std(axis=1, keepdims=True)
    np.testing.assert_array_less(np.abs(state["running_mean1"] - Z1.mean(axis=1, keepdims=True)), 0.1 * std)
    np.testing.assert_allclose(state["running_var1"], Z1.var(axis=1, keepdims=True), rtol=0.15)


def test_a_batch_of_two_keeps_only_the_order():
    z = np.array([[3.0, 7.0], [100.0, -5.0], [-0.01, 0.02]])
    Z_hat, _ = cu.layers.batchnorm_forward(z, np.ones((3, 1)), np.zeros((3, 1)), train=True)
    np.testing.assert_allclose(np.abs(Z_hat[:2]), 1.0, atol=1e-5)
    np.testing.assert_array_equal(np.sign(Z_hat), np.sign(z - z.mean(axis=1, keepdims=True)))


def test_batch_size_sweep_recomputes(sweeps):
    from sweep_batchnorm import run_batch_size
    for bs in (2, 8):
        stored = _rows(sweeps, "batch_size", batch_size=bs, batch_norm=True, seed=0)[0]
        _assert_same_run(run_batch_size(bs, True, 0), stored)


def _batch_size_accs(sweeps, bs, bn, key="train_acc"):
    return np.array([r[key] for r in _rows(sweeps, "batch_size", batch_size=bs, batch_norm=bn)])


def test_tiny_batch_printout(sweeps):
    """The printed means of 10 draws (margin: half the last digit), the training-mode minus
    evaluation-mode differences, and the draws at 0.7 or more."""
    sizes = (2, 4, 8, 16, 32, 64)
    printed = {("train_acc", False): (0.80, 0.87, 0.93, 0.95, 0.93, 0.94),
               ("train_acc", True): (0.49, 0.65, 0.83, 0.93, 0.91, 0.98),
               ("train_acc_batch_stats", True): (0.49, 0.69, 0.87, 0.95, 0.95, 0.98)}
    for (key, bn), values in printed.items():
        for bs, value in zip(sizes, values):
            accs = _batch_size_accs(sweeps, bs, bn, key)
            assert accs.size == 10
            assert accs.mean() == pytest.approx(value, abs=0.005), (key, bn, bs)
    gaps = [_batch_size_accs(sweeps, bs, True, "train_acc_batch_stats").mean()
            - _batch_size_accs(sweeps, bs, True).mean() for bs in sizes]
    np.testing.assert_allclose(gaps, (0.00, 0.04, 0.04, 0.02, 0.03, 0.01), atol=0.005)
    counts = [(int(np.sum(_batch_size_accs(sweeps, bs, True) >= 0.7)),
               int(np.sum(_batch_size_accs(sweeps, bs, True, "train_acc_batch_stats") >= 0.7)))
              for bs in sizes]
    assert counts == [(0, 0), (2, 6), (10, 10), (10, 10), (10, 10), (10, 10)]


def test_tiny_batches_break_bn_and_eval_mode_lags_training_mode(sweeps):
    """The bullets: batches of 2, no draw learns with BN in either mode; batches of 4, 2 of
    10 in evaluation mode (6 in training mode); without BN both train (0.80 and 0.87 on
    average, every draw but one above 0.7). From 8 on every BN draw learns; evaluation mode
    is below training mode on average at every size from 4 to 64, by 0.01 to 0.04; the
    difference is larger at 32 than at 16 (not shrinking steadily) and smallest at 64."""
    acc = lambda bs, bn, key="train_acc": _batch_size_accs(sweeps, bs, bn, key)
    for key in ("train_acc", "train_acc_batch_stats"):
        assert acc(2, True, key).max() < 0.7
    assert np.sum(acc(4, True) >= 0.7) == 2 and np.sum(acc(4, True, "train_acc_batch_stats") >= 0.7) == 6
    for bs in (2, 4):
        assert acc(bs, False).mean() > acc(bs, True).mean() + 0.15  # without BN they train
        assert np.sum(acc(bs, False) >= 0.7) >= 9
    gap = {bs: acc(bs, True, "train_acc_batch_stats").mean() - acc(bs, True).mean()
           for bs in (4, 8, 16, 32, 64)}
    for bs, value in gap.items():
        assert acc(bs, True).min() >= 0.7 or bs == 4
        assert 0.005 <= value < 0.045, bs  # printed 0.01 to 0.04
    assert gap[32] > gap[16]
    assert min(gap, key=gap.get) == 64


# ---------------------------------------------------------------- 8 · backward


def test_step_by_step_and_compact_backward_agree_and_pass_the_gradient_check():
    rng = np.random.default_rng(4)
    Z = rng.normal(2.0, 3.0, size=(5, 16))
    gamma, beta = rng.normal(1.0, 0.3, size=(5, 1)), rng.normal(size=(5, 1))
    dout = rng.normal(size=Z.shape)
    _, cache = cu.layers.batchnorm_forward(Z, gamma, beta, train=True)
    _, nodes = cu.layers.batchnorm_forward_steps(Z, gamma, beta)
    compact = cu.layers.batchnorm_backward(dout, cache)
    steps = cu.layers.batchnorm_backward_steps(dout, nodes)
    for a, b in zip(steps, compact):
        np.testing.assert_allclose(a, b, atol=1e-13)
    np.testing.assert_allclose(compact[0].sum(axis=1), 0, atol=1e-12)
    J = lambda p: float(np.sum(dout * cu.layers.batchnorm_forward_steps(p["Z"], p["gamma"], p["beta"])[0]))
    report = cu.gradcheck.check(J, {"dZ": steps[0], "dgamma": steps[1], "dbeta": steps[2]},
                                {"Z": Z, "gamma": gamma, "beta": beta})
    assert report.max_error < 1e-7
