"""Every claim of 01_input_normalization, as a test against course_utils.

The two-weight regression is cu.lessons.normalization.two_scales_regression(m=200, rng=0) at the stated
scale ratio; "the target" is a cost 99.9% of the way from the start w = 0 to the minimum.
The network claims use scikit-learn's breast-cancer set (cu.datasets' split), the network
[30, 16, 1] (ReLU, He normal, rng 0) and 1,000 full-batch gradient-descent steps; the stored
sweep data/normalization_breast_cancer.json (5 draws per rate) is recomputed in part.
Margins are stated with each test.
"""

import json
import pathlib
import sys

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

import course_utils as cu
from course_utils.lessons import normalization as scaling
ROOT = pathlib.Path(__file__).parents[2]
TOL = 1e-3


def surfaces(ratio):
    X, y = scaling.two_scales_regression(m=200, scale_ratio=ratio, rng=0)
    X_std = scaling.standardize(X, scaling.fit_scaler(X))
    return scaling.least_squares(X, y), scaling.least_squares(X_std, y), X


def target(cost):
    return cost.min_cost + TOL * cost.excess(np.zeros(2))


# ---------------------------------------------------------------- section 1: the picture


def test_raw_features_zig_zag_and_standardized_go_straight():
    """Ratio 5, each at its best rate: raw zig-zags (w2's step flips sign at every one of
    the first 20 steps) and needs over 30 steps; standardized needs at most 3."""
    raw, std, _ = surfaces(5)
    raw_path = scaling.gradient_descent(raw, scaling.best_learning_rate(raw.H), 1000, target=target(raw))
    std_path = scaling.gradient_descent(std, scaling.best_learning_rate(std.H), 1000, target=target(std))
    w2_steps = np.diff(raw_path.weights[:21, 1])
    assert np.all(w2_steps[1:] * w2_steps[:-1] < 0)
    assert raw_path.steps > 30 and std_path.steps <= 3
    # Straight: every standardized iterate lies on the segment from the start to w*.
    w_star = std.minimizer
    for w in std_path.weights[1:]:
        cross = w[0] * w_star[1] - w[1] * w_star[0]
        assert abs(cross) < 0.15 * np.linalg.norm(w) * np.linalg.norm(w_star)


def test_standardizing_only_changes_the_units_of_the_weights():
    """Same model, same minimum cost; the raw weights are the standardized ones divided by
    each feature's std (the data are centered)."""
    raw, std, X = surfaces(5)
    assert raw.min_cost == pytest.approx(std.min_cost, rel=1e-10)
    np.testing.assert_allclose(raw.minimizer, std.minimizer / X.std(axis=1), rtol=1e-10)
    assert raw.minimizer[1] == pytest.approx(0.2, abs=0.05)


# ---------------------------------------------------------------- section 2: why


def test_the_fastest_rate_sits_just_below_the_stability_limit():
    """Ratio 10, rates 10^-3..10 on a 1/32-decade grid: rates above 2/lambda_max never reach
    the target; raw (kappa >> 1), the fastest rate is within 2 grid steps below the limit;
    standardized (kappa near 1), within 2 grid steps of the best rate, about half the limit.
    The raw limit is about ratio^2 = 100 times smaller (between 50 and 200)."""
    rates = 10.0 ** np.arange(-3, 1.01, 1 / 32)
    grid_step = 10 ** (1 / 32)
    limits = {}
    for name, cost in zip(("raw", "standardized"), surfaces(10)[:2]):
        steps = scaling.steps_to_cost(cost, rates, target(cost), max_steps=10_000)
        limit = scaling.max_stable_learning_rate(cost.H)
        fastest = rates[np.argmin(np.where(steps >= 0, steps, np.inf))]
        assert np.all(steps[rates > limit] == -1)
        if name == "raw":
            assert fastest < limit <= fastest * grid_step ** 2
        else:
            best = scaling.best_learning_rate(cost.H)
            assert best / grid_step ** 2 <= fastest <= best * grid_step ** 2
            assert 0.45 < best / limit < 0.55
        limits[name] = limit
    assert 50 < limits["standardized"] / limits["raw"] < 200


def test_grid_search_and_formula_agree_at_ratio_10():
    """The fastest grid rate needs at most the formula's steps (a worst case over starts)
    and at least 90% of them; raw needs over 50 times the standardized steps."""
    raw, std, _ = surfaces(10)
    rates = 10.0 ** np.arange(-3, 1.01, 1 / 32)
    best_raw = scaling.best_learning_rate_search(raw, rates, target(raw), 10_000)
    best_std = scaling.best_learning_rate_search(std, rates, target(std), 10_000)
    predicted = scaling.predicted_steps(raw.H, TOL)
    assert 0.9 * predicted <= best_raw.steps <= predicted
    assert best_raw.steps > 50 * best_std.steps


# ---------------------------------------------------------------- section 3: steps vs ratio


RATIOS = [1, 3, 10, 30, 100, 300, 1000]
CAP = 10_000


@pytest.fixture(scope="module")
def sweep():
    rates = 10.0 ** np.arange(-7, 1.01, 1 / 16)
    keys, costs = [], []
    for r in RATIOS:
        raw, std, _ = surfaces(r)
        keys += [(r, "raw"), (r, "standardized")]
        costs += [raw, std]
    steps = scaling.steps_to_cost(costs, rates, [target(c) for c in costs], max_steps=CAP)
    fastest = {k: (int(row[row >= 0].min()) if (row >= 0).any() else None) for k, row in zip(keys, steps)}
    return dict(zip(keys, costs)), fastest


def test_condition_number_grows_as_ratio_squared(sweep):
    """kappa(r) / r^2 within 25% of kappa(1) for every ratio; standardized kappa < 1.5."""
    costs, _ = sweep
    base = costs[1, "raw"].condition_number
    for r in RATIOS:
        assert costs[r, "raw"].condition_number / r ** 2 == pytest.approx(base, rel=0.25)
        assert costs[r, "standardized"].condition_number < 1.5


def test_steps_follow_the_condition_number(sweep):
    """Reached for ratios up to 30 (ratio 3 -> 30: between 50 and 200 times the steps), not
    within 10,000 from 100 on, where the formula says more than 10,000; standardized: 2
    steps or fewer at every ratio; at ratio 1000 the formula says over a million."""
    costs, fastest = sweep
    for r in (1, 3, 10, 30):
        assert fastest[r, "raw"] is not None
        assert fastest[r, "raw"] <= scaling.predicted_steps(costs[r, "raw"].H, TOL)
    assert 50 < fastest[30, "raw"] / fastest[3, "raw"] < 200
    for r in (100, 300, 1000):
        assert fastest[r, "raw"] is None
        assert scaling.predicted_steps(costs[r, "raw"].H, TOL) > CAP
    assert all(fastest[r, "standardized"] <= 2 for r in RATIOS)
    assert scaling.predicted_steps(costs[1000, "raw"].H, TOL) > 1e6


# ---------------------------------------------------------------- section 4: breast cancer


@pytest.fixture(scope="module")
def cancer():
    X, Y, X_test, Y_test = cu.datasets.load_breast_cancer()
    X_std, X_test_std, _ = scaling.standardize_train_test(X, X_test)
    return X, Y, X_test, Y_test, X_std, X_test_std


def test_raw_features_span_five_orders_of_magnitude(cancer):
    """Stds from about 0.002 to about 600 (ratio > 1e5); kappa of X X^T / m drops over a
    million-fold when standardized but stays above 1e4 (correlated features)."""
    X, _, _, _, X_std, _ = cancer
    stds = X.std(axis=1)
    assert stds.max() / stds.min() > 1e5
    kappa_raw = scaling.condition_number(X @ X.T / X.shape[1])
    kappa_std = scaling.condition_number(X_std @ X_std.T / X.shape[1])
    assert kappa_raw / kappa_std > 1e6
    assert kappa_std > 1e4


@pytest.fixture(scope="module")
def stored():
    return json.loads((ROOT / "data" / "normalization_breast_cancer.json").read_text())


def _best_lr(stored, inputs):
    runs, lrs = stored["runs"], stored["settings"]["lrs"]
    def finals(lr):
        return [r["final_cost"] for r in runs if r["inputs"] == inputs and r["lr"] == lr]
    stable = [lr for lr in lrs if None not in finals(lr)]
    return min(stable, key=lambda lr: np.mean(finals(lr))), finals


def test_sweep_data_recomputes(stored):
    """Recompute a sample of data/normalization_breast_cancer.json: each input type at its
    best rate (draw 0) and the first standardized rate that diverged."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_normalization_breast_cancer import run_one
    samples = [("raw", _best_lr(stored, "raw")[0], 0),
               ("standardized", _best_lr(stored, "standardized")[0], 0),
               ("standardized", 10.0, 0)]
    samples += [(inputs, _best_lr(stored, inputs)[0], 1)
                for inputs in ("centred only", "scaled only", "raw, small W1")]
    for inputs, lr, seed in samples:
        row = next(r for r in stored["runs"]
                   if r["inputs"] == inputs and r["lr"] == lr and r["seed"] == seed)
        again = run_one(inputs, lr, seed)
        assert again["diverged"] == row["diverged"]
        assert again["train_acc"] == row["train_acc"] and again["test_acc"] == row["test_acc"]
        if row["final_cost"] is not None:
            assert again["final_cost"] == pytest.approx(row["final_cost"], abs=1e-5)
            np.testing.assert_allclose(again["costs"], row["costs"], atol=1e-5)


def test_standardized_inputs_train_far_better_at_their_best_rates(stored):
    """From the stored sweep (5 draws per rate): the standardized best rate is at least 1,000
    times the raw one; its mean final cost over 100 times lower; its mean test accuracy at
    least 2 points higher; standardized runs diverge (NaN) at rate 10 and above."""
    raw_lr, raw_finals = _best_lr(stored, "raw")
    std_lr, std_finals = _best_lr(stored, "standardized")
    assert std_lr / raw_lr >= 1000
    assert np.mean(std_finals(std_lr)) * 100 < np.mean(raw_finals(raw_lr))
    def test_acc(inputs, lr):
        return np.mean([r["test_acc"] for r in stored["runs"] if r["inputs"] == inputs and r["lr"] == lr])
    assert test_acc("standardized", std_lr) >= test_acc("raw", raw_lr) + 0.02
    assert all(None in std_finals(lr) for lr in stored["settings"]["lrs"] if lr >= 10)
    assert all(None not in raw_finals(lr) for lr in stored["settings"]["lrs"])


def _at_rate(stored, inputs, lr):
    rows = [r for r in stored["runs"] if r["inputs"] == inputs and r["lr"] == lr]
    return [r["final_cost"] for r in rows], np.mean([r["test_acc"] for r in rows])


def test_the_usable_rates_over_the_whole_grid(stored, cancer):
    """Section 4's table and bullets, over every rate of the stored sweep (5 draws each).
    Raw: the two best rates, 3.16e-4 and 1e-3, differ in mean final cost by less than the
    spread (std) of the draws at either; at 3.16e-3 and 0.01 some draws but not all end
    within 0.01 of 0.661 (3 and 4 of 5); from 0.0316 to 3.16 every draw does; at 10 and
    31.6 no draw diverges and every one ends above 0.75 (means 0.80 and 5.1, to 0.01 and
    0.05). Standardized: every rate from 3.16e-3 to 3.16 has a mean final cost below the
    raw best's; the best standardized rate is 10,000 times the raw one (to 1%)."""
    X, Y, _, _, _, _ = cancer
    p = Y.mean()
    majority = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    lrs = stored["settings"]["lrs"]
    raw_lr, _ = _best_lr(stored, "raw")
    assert raw_lr == 0.000316
    best, second = (np.array(_at_rate(stored, "raw", lr)[0]) for lr in (0.000316, 0.001))
    assert abs(best.mean() - second.mean()) < min(best.std(), second.std())
    assert all(second.mean() < np.mean(_at_rate(stored, "raw", lr)[0]) for lr in lrs if lr not in (0.000316, 0.001))
    stuck = {lr: sum(abs(c - majority) < 0.01 for c in _at_rate(stored, "raw", lr)[0]) for lr in lrs}
    assert stuck[0.00316] == 3 and stuck[0.01] == 4
    assert all(stuck[lr] == 5 for lr in lrs if 0.0316 <= lr <= 3.16)
    assert all(stuck[lr] == 0 for lr in lrs if lr < 0.00316 or lr > 3.16)
    for lr, mean, tol in ((10.0, 0.80, 0.01), (31.6, 5.1, 0.05)):
        costs = _at_rate(stored, "raw", lr)[0]
        assert None not in costs and min(costs) > 0.75
        assert np.mean(costs) == pytest.approx(mean, abs=tol)
    raw_best_cost = best.mean()
    for lr in lrs:
        if 0.00316 <= lr <= 3.16:
            assert np.mean(_at_rate(stored, "standardized", lr)[0]) < raw_best_cost
    std_lr, _ = _best_lr(stored, "standardized")
    assert std_lr / raw_lr == pytest.approx(10_000, rel=0.01)


def test_at_small_rates_the_standardized_network_is_worse(stored, cancer):
    """At every rate <= 1e-4: the standardized network's mean test accuracy is below the
    raw one's, within 0.36 to 0.45 (printed, to 0.005), the raw ones within 0.67 to 0.91;
    the standardized mean final cost is above 0.75 (it barely leaves its start). The raw
    inputs' root mean square is over 200 times the standardized ones' (237 against 1)."""
    X, _, _, _, X_std, _ = cancer
    small = [lr for lr in stored["settings"]["lrs"] if lr <= 1e-4]
    assert len(small) == 5
    std_accs, raw_accs = [], []
    for lr in small:
        std_costs, std_acc = _at_rate(stored, "standardized", lr)
        _, raw_acc = _at_rate(stored, "raw", lr)
        assert std_acc < raw_acc and np.mean(std_costs) > 0.75
        std_accs.append(std_acc)
        raw_accs.append(raw_acc)
    assert 0.355 <= min(std_accs) and max(std_accs) < 0.455
    assert 0.665 <= min(raw_accs) and max(raw_accs) < 0.915
    rms_raw, rms_std = np.sqrt(np.mean(X ** 2)), np.sqrt(np.mean(X_std ** 2))
    assert rms_std == pytest.approx(1.0, abs=1e-9)
    assert rms_raw / rms_std > 200 and round(rms_raw) == 237


def test_past_its_limit_the_output_bias_bounces(cancer):
    """Raw inputs at rate 10, draw 0 (rerun): every one of the 16 hidden units is dead at
    the end, and the cost alternates between two values over the last steps (a 2-cycle of
    the output bias): 10 is above the bias's stable limit 2 / (p (1 - p)) = 8.5, while 3.16
    is below it."""
    X, Y, _, _, _, _ = cancer
    p = Y.mean()
    limit = 2 / (p * (1 - p))
    assert 3.16 < limit < 10 and round(limit, 1) == 8.5
    spec = cu.Spec((30, 16, 1), activation="relu")
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y, cu.optimizers.sgd(10.0),
                    steps=1000, progress=False)
    with np.errstate(over="ignore", invalid="ignore"):
        _, activations = cu.network.hidden_activations(spec, hist.params, X)
    assert np.sum(np.all(activations[0] == 0, axis=1)) == 16
    last = np.asarray(hist.costs[-6:])
    np.testing.assert_allclose(last[::2], last[0], rtol=1e-9)
    np.testing.assert_allclose(last[1::2], last[1], rtol=1e-9)
    assert abs(last[0] - last[1]) > 0.05
    assert hist.final_cost == pytest.approx(0.798, abs=5e-4)


def test_large_rates_kill_the_raw_network(stored, cancer):
    """Raw inputs, rates 0.0316 to 3.16: every draw ends within 0.01 of the majority-class cost
    (0.661), and one rerun (rate 0.1, draw 0) has at least 15 of its 16 ReLU units dead."""
    X, Y, _, _, _, _ = cancer
    p = Y.mean()
    baseline = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    assert baseline == pytest.approx(0.661, abs=5e-4)
    _, raw_finals = _best_lr(stored, "raw")
    for lr in (0.0316, 0.1, 0.316, 1.0, 3.16):
        assert np.allclose(raw_finals(lr), baseline, atol=0.01)
    spec = cu.Spec((30, 16, 1), activation="relu")
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y, cu.optimizers.sgd(0.1),
                    steps=1000, progress=False)
    _, activations = cu.network.hidden_activations(spec, hist.params, X)
    assert np.sum(np.all(activations[0] == 0, axis=1)) >= 15


# ---------------------------------------------------------------- section 5: train statistics


@pytest.fixture(scope="module")
def standardized_network(cancer, stored):
    X, Y, _, _, X_std, _ = cancer
    spec = cu.Spec((30, 16, 1), activation="relu")
    lr = _best_lr(stored, "standardized")[0]
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X_std, Y,
                    cu.optimizers.sgd(lr), steps=1000, progress=False)
    return spec, hist.params


def test_forgetting_the_transpose(cancer):
    X, _, X_test, _, _, _ = cancer
    wrong = StandardScaler().fit(X)
    assert wrong.mean_.shape == (X.shape[1],)  # one per example
    with pytest.raises(ValueError, match="143 features"):
        wrong.transform(X_test)


def test_only_training_statistics_work_on_every_batch(cancer, standardized_network):
    """Training statistics: test accuracy >= 0.93. Not standardized: at most the share of
    malignant tumours + 0.02. The test set's own statistics: within 0.03 on the whole test
    set, but <= 0.5 on the 20 largest tumours (1.0 through the training statistics), lower
    on batches of 5, and one at a time every example gets the same answer."""
    _, _, X_test, Y_test, _, X_test_std = cancer
    spec, params = standardized_network

    def acc(A, Y):
        with np.errstate(over="ignore"):
            return cu.accuracy(spec, params, A, Y)

    def own(A):
        return StandardScaler().fit(A.T).transform(A.T).T

    right = acc(X_test_std, Y_test)
    assert right >= 0.93
    assert acc(X_test, Y_test) <= (1 - Y_test.mean()) + 0.02
    assert abs(acc(own(X_test), Y_test) - right) <= 0.03
    largest = np.argsort(-X_test[0])[:20]
    assert acc(own(X_test[:, largest]), Y_test[:, largest]) <= 0.5
    assert acc(X_test_std[:, largest], Y_test[:, largest]) == 1.0
    batches = np.array_split(np.random.default_rng(0).permutation(X_test.shape[1]), X_test.shape[1] // 5)
    assert np.mean([acc(own(X_test[:, b]), Y_test[:, b]) for b in batches]) < right - 0.03
    singles = np.hstack([own(X_test[:, [i]]) for i in range(X_test.shape[1])])
    assert not np.any(singles)  # every feature of every example becomes 0
    predictions = cu.predict(spec, params, singles)
    assert np.ptp(predictions) == 0


# ---------------------------------------------------------------- issue 14: claims fixed


def _notebook_text(kind="markdown"):
    import nbformat
    nb = nbformat.read(ROOT / "notebooks" / "01_input_normalization.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == kind)


def test_the_dotted_line_is_chance_not_always_benign(cancer):
    """The dotted line at 0.66 is the cost of predicting the base rate (62.7% benign) for
    every tumour, cu.training.chance_cost. Answering 'benign' with certainty costs infinity
    (-ln 0 on every malignant tumour), so the old label "always guessing 'benign'" was
    wrong."""
    _, Y, _, _, _, _ = cancer
    p = Y.mean()
    assert round(p, 3) == 0.627
    chance = cu.training.chance_cost(Y)
    assert chance == pytest.approx(-(p * np.log(p) + (1 - p) * np.log(1 - p)))
    assert round(chance, 2) == 0.66
    with np.errstate(divide="ignore"):
        per_tumour = np.where(Y == 1, -np.log(1.0), -np.log(0.0))  # -ln P(true label)
    assert np.mean(per_tumour) == np.inf
    code, prose = _notebook_text("code"), _notebook_text()
    assert "always guessing" not in code + prose
    assert "cu.training.chance_cost(Y_train)" in code and 'label=f"chance: {chance:.2f}"' in code
    assert "predicting the base rate" in prose


def test_seed_000_is_cited_for_what_it_says():
    """Seed 000's normalization paragraph says normalizing speeds training up (加快训练过程)
    and that with different scales the path is not straight but tortuous (曲折), with
    similar scales more direct (更加直接); it never mentions the learning rate (学习率). The
    notebook must not credit it with 'a smaller learning rate'."""
    seed = next((ROOT.parent / "shared" / "seeds").glob("000_*.txt")).read_text()
    for said in ("归一化", "加快训练过程", "曲折", "更直接"):
        assert said in seed, said
    assert "学习率" not in seed
    prose = _notebook_text()
    assert 'the seed\'s "smaller learning rate"' not in prose
    assert "The seed says different scales need a smaller learning rate" not in prose
    assert "The seed does not mention the learning rate" in prose
    for line in prose.splitlines():
        if "seed" in line.lower():
            assert "smaller learning rate" not in line, line


def _kappa(A):
    return scaling.condition_number(A @ A.T / A.shape[1])


def test_centring_and_scaling_each_count(cancer):
    """Printed as orders of magnitude: raw about 3e12, centred only about 1e12, scaled only
    about 3e6, standardized about 1e5 (each within a factor of 1.5 of the printed value, so
    the printed leading digit holds on any arithmetic). Scaling removes a factor of about a
    million; centring after scaling another ~30 (between 20 and 40), because the scaled
    features share an offset: the largest curvature drops from about ||mu/sigma||^2 + ... ~
    400 to about 13."""
    X, _, _, _, X_std, _ = cancer
    mean, std = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
    kappas = {"raw": _kappa(X), "centred": _kappa(X - mean), "scaled": _kappa(X / std),
              "standardized": _kappa(X_std)}
    for name, printed in (("raw", 3e12), ("centred", 1e12), ("scaled", 3e6), ("standardized", 1e5)):
        assert printed / 1.5 < kappas[name] < printed * 1.5, (name, kappas[name])
        assert f"{kappas[name]:.0e}".replace("e+", "e").replace("e0", "e") == f"{printed:.0e}".replace("e+", "e").replace("e0", "e")
    assert 3e5 < kappas["raw"] / kappas["scaled"] < 3e6
    assert 20 < kappas["scaled"] / kappas["standardized"] < 40
    assert kappas["raw"] / kappas["centred"] < 5          # centring alone: almost nothing
    z = (mean / std).ravel()
    assert 0.8 < z.min() and z.max() < 9 and np.all(X > -1e-12)  # positive, offset features
    lam_scaled = np.linalg.eigvalsh((X / std) @ (X / std).T / X.shape[1])[-1]
    lam_std = np.linalg.eigvalsh(X_std @ X_std.T / X.shape[1])[-1]
    assert np.sum(z ** 2) == pytest.approx(390, rel=0.01)
    assert lam_scaled == pytest.approx(400, rel=0.02) and lam_std == pytest.approx(13, rel=0.05)


def test_the_one_weight_rule():
    """Section 2's 1-D case: one weight, curvature lambda = the feature's mean square.
    The distance to the minimum is multiplied by (1 - lr lambda) per step: below 1/lambda it
    creeps from one side, at 1/lambda one step lands, between 1/lambda and 2/lambda it
    overshoots with shrinking zig-zags, above 2/lambda it diverges. A feature r times larger
    has r^2 times the curvature."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 200))
    y = 2 * x
    for r in (1.0, 10.0):
        cost = scaling.least_squares(r * x, y)
        lam = float(cost.H[0, 0])
        assert lam == pytest.approx(r ** 2 * np.mean(x ** 2))
        w_star = cost.minimizer[0]
        for factor, expect in ((0.5, "creeps"), (1.0, "lands"), (1.5, "zig-zags"), (1.99, "zig-zags"),
                               (2.01, "diverges")):
            path = scaling.gradient_descent(cost, factor / lam, 60)
            d = path.weights[:, 0] - w_star
            np.testing.assert_allclose(d[1:6], (1 - factor) * d[:5], rtol=1e-6, atol=1e-12)
            if expect == "creeps":
                assert np.all(np.sign(d[:20]) == np.sign(d[0]))
            elif expect == "lands":
                assert abs(d[1]) < 1e-12 * abs(d[0])
            elif expect == "zig-zags":
                assert np.all(np.sign(d[1:10]) != np.sign(d[:9])) and abs(d[-1]) < abs(d[0])
            else:
                assert path.diverged or abs(d[-1]) > abs(d[0])


def test_the_live_runs_print_what_they_determine(cancer, stored):
    """Cell 'the first draw again': both runs learn; printed to 2 significant digits and
    accuracies to 2 decimals (over 426 and 143 examples), so the line is the same on any
    arithmetic: raw cost 21.1 -> 0.23, accuracy 0.92 / 0.90; standardized 1.38 -> 0.00013,
    1.00 / 0.96."""
    X, Y, X_test, Y_test, X_std, X_test_std = cancer
    spec = cu.Spec((30, 16, 1), activation="relu")
    expected = {"raw": ("21.1", "0.23", "0.92", "0.90"), "standardized": ("1.38", "0.00013", "1.00", "0.96")}
    for inputs, A, A_test in (("raw", X, X_test), ("standardized", X_std, X_test_std)):
        lr = _best_lr(stored, inputs)[0]
        hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), A, Y, cu.optimizers.sgd(lr),
                        steps=1000, progress=False)
        assert hist.verdict == "learned"
        got = (f"{hist.costs[0]:.3g}", f"{hist.final_cost:.2g}",
               f"{cu.accuracy(spec, hist.params, A, Y):.2f}",
               f"{cu.accuracy(spec, hist.params, A_test, Y_test):.2f}")
        assert got == expected[inputs], inputs


def test_exercises_ask_for_the_exact_value_and_accept_a_measurement():
    """Exercises 2 and 3 ask for the values the stated standard deviations give exactly, and
    say how to have a measurement on drawn features checked (X=X); the stubs' stored outputs
    never print the answer."""
    import nbformat
    prose = _notebook_text()
    assert "standard deviations are exactly 3 and 15" in prose
    assert "condition_number_prediction(kappa, X=X)" in prose
    assert "max_stable_learning_rate(largest_rate, X=X)" in prose
    nb = nbformat.read(ROOT / "notebooks" / "01_input_normalization.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "YOUR" in cell.source:
            stored = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                             for o in cell.outputs)
            assert "not yet" in stored
            for answer in ("25", "225", "0.00889", "2 / 225", "mean(axis=1", "std(axis=1"):
                assert answer not in stored, (answer, stored)


def test_which_half_of_standardizing_matters_in_training(stored):
    """Section 4, 'Which half matters in training?' (stored sweep, 5 draws per rate, each
    preparation at the rate with the lowest mean final cost where no draw diverged):
    - every best rate lies inside the grid (a worse rate on either side);
    - centred only ends at about half of raw's cost (0.3 to 0.8 of it), scaled only at about
      a quarter (0.15 to 0.4), standardized over 100 times lower than either half alone;
    - the best rate grows a hundredfold from scaled only to standardized (0.0316 -> 3.16);
    - raw features with the first layer's weights divided by the inputs' RMS end no lower
      than raw with He's start;
    - mean test accuracies all within 0.905 to 0.955 (printed 0.91 to 0.95)."""
    lrs = stored["settings"]["lrs"]
    best, cost, test = {}, {}, {}
    for inputs in ("raw", "centred only", "scaled only", "standardized", "raw, small W1"):
        lr, finals = _best_lr(stored, inputs)
        i = lrs.index(lr)
        assert 0 < i < len(lrs) - 1, inputs
        for neighbour in (lrs[i - 1], lrs[i + 1]):
            assert None in finals(neighbour) or np.mean(finals(neighbour)) > np.mean(finals(lr))
        best[inputs], cost[inputs] = lr, np.mean(finals(lr))
        test[inputs] = np.mean([r["test_acc"] for r in stored["runs"]
                                if r["inputs"] == inputs and r["lr"] == lr])
    assert 0.3 < cost["centred only"] / cost["raw"] < 0.8
    assert 0.15 < cost["scaled only"] / cost["raw"] < 0.4
    assert cost["standardized"] * 100 < min(cost["centred only"], cost["scaled only"])
    assert (best["scaled only"], best["standardized"]) == (0.0316, 3.16)
    assert cost["raw, small W1"] >= cost["raw"]
    assert all(0.905 <= acc < 0.955 for acc in test.values()), test


def test_the_gentler_start_makes_the_first_z_as_small_as_standardized(cancer):
    """'raw, small W1': He weights divided by the raw inputs' RMS (about 237) give a first
    layer z of the standardized network's size (within a factor 2, rng 0)."""
    X, _, _, _, X_std, _ = cancer
    spec = cu.Spec((30, 16, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=0)
    rms = np.sqrt(np.mean(X ** 2))
    assert round(rms) == 237
    z_raw = (params["W1"] / rms) @ X + params["b1"]
    z_std = params["W1"] @ X_std + params["b1"]
    assert 0.5 < z_raw.std() / z_std.std() < 2


def test_dashboard_at_scale_1000_the_best_rate_is_a_millionth_below_the_limit():
    """Section 6, step 3: at scale 1,000 the best rate is below 2/lambda_max by less than a
    millionth of it (1/(kappa + 1)), the button's rate is stable (issue 14: a rounded cache
    key made it diverge), and theory says about two million steps."""
    d = cu.widgets.normalization_dashboard()
    d.set(scale_ratio=1000.0)
    d.snap_best_rate()
    H = d.cost().H
    gap = 1 - scaling.best_learning_rate(H) / scaling.max_stable_learning_rate(H)
    assert 0 < gap < 1e-6
    assert 1.5e6 < scaling.predicted_steps(H, 1e-3) < 2.5e6
    assert "Diverg" not in d.status_text() and "Not reached within" in d.status_text()
    # "In 2,000 steps the cost goes under 1% of the way ... One notch lower it settles at
    # once, and the cost goes half of the way, and no further."
    import re
    def done():
        return float(re.search(r"went ([\d.]+)% of the way", d.status_text()).group(1))
    assert done() < 1
    slider = d.controls["lr"]
    d.set(lr=float(10 ** (np.ceil(np.log10(slider.value) / slider.step) * slider.step - slider.step)))
    assert "Not reached within" in d.status_text() and 45 < done() < 55
