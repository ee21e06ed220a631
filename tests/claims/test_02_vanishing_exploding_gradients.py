"""Every claim of 02_vanishing_exploding_gradients, as a test against course_utils.

Seeds and margins are stated with each test. The depth sweep (data/depth_vs_accuracy.json)
is recomputed on a sample, and its summary is recomputed from its runs.
"""

import json
import math
import pathlib
import sys

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import gradients as gradient_flow
ROOT = pathlib.Path(__file__).parents[2]
SWEEP = ROOT / "data" / "depth_vs_accuracy.json"


@pytest.fixture(scope="module")
def digits():
    return cu.datasets.load_digits()


@pytest.fixture(scope="module")
def sweep():
    return json.loads(SWEEP.read_text())


# ---------------------------------------------------------------- 1. the deep linear network


@pytest.mark.parametrize("c", [1.5, 0.5])
def test_deep_linear_network_follows_c_to_the_depth_forward_and_backward(c):
    """Seed 000: y = c^L x and dJ/dz_l = c^(L-l) dJ/dy, exactly (rtol 1e-12), L = 30."""
    L = 30
    spec = cu.Spec((2,) * (L + 1), activation="linear", output="linear")
    norms = gradient_flow.measure(spec, gradient_flow.scaled_identity(spec, c),
                                  np.array([[1.0], [1.0]]), output_grad=np.ones((2, 1)))
    layers = np.arange(1, L + 1)
    np.testing.assert_allclose(norms.z_rms, c ** layers, rtol=1e-12)
    np.testing.assert_allclose(norms.grad_rms, c ** (L - layers), rtol=1e-12)
    # every weight matrix receives the same gradient, c^(L-1) (dJ/dy) x^T (norm 2 here)
    np.testing.assert_allclose(norms.dW_norm, 2 * c ** (L - 1), rtol=1e-12)
    assert (norms.z_rms[-1] > 1e5) if c > 1 else (norms.z_rms[-1] < 1e-9)


def test_overflow_and_underflow_only_at_absurd_depths():
    """The seed's numerical overflow/underflow: float64 at layers 1,751 (1.5) and 1,075
    (0.5); float32 at layers 219 and 150."""
    spec = cu.Spec((2,) * 2001, activation="linear", output="linear")
    x = np.array([[1.0], [1.0]])
    first_bad = {}
    for c in (1.5, 0.5):
        z = gradient_flow.measure(spec, gradient_flow.scaled_identity(spec, c), x,
                                  output_grad=np.ones((2, 1))).z_rms
        first_bad[c] = int(np.flatnonzero(~np.isfinite(z) | (z == 0))[0]) + 1
    assert first_bad == {1.5: 1751, 0.5: 1075}
    with np.errstate(over="ignore", under="ignore"):
        for c, layer in ((1.5, 219), (0.5, 150)):
            values = np.cumprod(np.full(300, c, dtype=np.float32))
            assert int(np.flatnonzero(~np.isfinite(values) | (values == 0))[0]) + 1 == layer


# ---------------------------------------------------------------- 2. sigmoid vanishes

SIZES = (64,) + (100,) * 10 + (10,)
NETS = {"sigmoid": "xavier_normal", "tanh": "xavier_normal", "relu": "he_normal"}


def _at_start(digits, activation, seed=0, gain=1.0, init=None):
    X, Y, _, _ = digits
    spec = cu.Spec(SIZES, activation=activation, output="softmax")
    init = init or NETS[activation]
    params = cu.init_params(spec, init, rng=seed, gain=gain)
    norms = gradient_flow.measure(spec, params, X[:, :500], Y[:, :500])
    _, predicted = gradient_flow.predict(SIZES, activation, init, gain,
                                         float(np.mean(X[:, :500] ** 2)), norms.grad_rms[-1])
    return spec, params, norms, predicted


def test_sigmoid_slope_is_at_most_a_quarter():
    z = np.linspace(-20, 20, 40001)
    slope = cu.activations.get("sigmoid").derivative(z)
    assert slope.max() == pytest.approx(0.25, abs=1e-12) and z[np.argmax(slope)] == 0
    assert gradient_flow.slope_second_moment("sigmoid", 1.0) < 1 / 16


def test_sigmoid_gradient_shrinks_about_fourfold_per_layer_tanh_and_relu_keep_it(digits):
    """rng 0, 10 hidden layers of 100 units, 500 digits. Sigmoid: layer 1 / output < 1e-5,
    per hidden layer x0.18 to x0.30; tanh and ReLU: layer 1 / output > 0.05 and per layer
    x0.85 to x1.15."""
    for activation in NETS:
        _, _, norms, _ = _at_start(digits, activation)
        ratio = norms.grad_rms[0] / norms.grad_rms[-1]
        per_layer = (norms.grad_rms[0] / norms.grad_rms[-2]) ** (1 / 9)
        if activation == "sigmoid":
            assert ratio < 1e-5 and 0.18 < per_layer < 0.30
            assert norms.dW_norm[0] / norms.dW_norm[-1] < 1e-5
        else:
            assert ratio > 0.05 and 0.85 < per_layer < 1.15


@pytest.mark.parametrize("activation", list(NETS))
def test_prediction_follows_the_measured_gradient(digits, activation):
    """The formula predicts the mean over draws: over rng 0..7, sqrt(mean of the measured
    mean squares) is within 20% of the prediction at every layer; one draw (rng 0) within
    35% (ReLU's 100-unit layers scatter most; with 400 units the mean is within a few %)."""
    measured, predicted = [], None
    for seed in range(8):
        _, _, norms, predicted = _at_start(digits, activation, seed)
        measured.append(norms.grad_rms ** 2)
    np.testing.assert_allclose(np.sqrt(np.mean(measured, axis=0)), predicted, rtol=0.2)
    np.testing.assert_allclose(np.sqrt(measured[0]), predicted, rtol=0.35)


STARTS = {"sigmoid x1": ("sigmoid", 1.0, False), "sigmoid x4": ("sigmoid", 4.0, False),
          "cancelled x4": ("sigmoid", 4.0, True), "centred x4": ("sigmoid_centered", 4.0, False),
          "tanh": ("tanh", 1.0, False)}


def _start_profile(digits, name, seed):
    X, Y, _, _ = digits
    activation, gain, cancel = STARTS[name]
    spec = cu.Spec(SIZES, activation=activation, output="softmax")
    params = cu.init_params(spec, "xavier_normal", rng=seed, gain=gain)
    if cancel:
        params = gradient_flow.cancel_mean(spec, params)
    s = gradient_flow.saturation(spec, params, X[:, :500])
    norms = gradient_flow.measure(spec, params, X[:, :500], Y[:, :500])
    return s, norms.grad_rms[0] / norms.grad_rms[-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_at_the_start_the_mean_not_the_slope_saturates_the_sigmoid(digits, seed):
    """Section 4's table (rng 0 printed; rng 0-2 here), 10 layers of 100 units, 500 digits.
    Sigmoid x4: over 15% of units flat, a fixed per-unit offset of z (spread across units over
    5 times the spread across examples), layer 1 / output < 0.02. Centred sigmoid x4 (and
    sigmoid x4 with the mean cancelled by the biases, identical at the start): under 3% flat,
    offset under twice the spread, ratio > 0.05, within a factor 3 of tanh's (> 0.05).
    Sigmoid x1: no flat units but ratio < 1e-5 (the slope, not paid for)."""
    p = {name: _start_profile(digits, name, seed) for name in STARTS}
    s4, r4 = p["sigmoid x4"]
    assert s4.flat > 0.15 and s4.offset_across_units > 5 * s4.spread_across_examples and r4 < 0.02
    for name in ("centred x4", "cancelled x4"):
        s, r = p[name]
        assert s.flat < 0.03 and s.offset_across_units < 2 * s.spread_across_examples
        assert r > 0.05 and p["tanh"][1] / 3 < r < 3 * p["tanh"][1]
    assert p["cancelled x4"][1] == pytest.approx(p["centred x4"][1], rel=1e-9)
    assert p["tanh"][1] > 0.05 and p["tanh"][0].flat < 0.01
    assert p["sigmoid x1"][0].flat < 0.01 and p["sigmoid x1"][1] < 1e-5
    assert r4 > 100 * p["sigmoid x1"][1]  # x4 pays for much of the slope


def test_the_centred_sigmoid_is_a_half_scale_tanh():
    """sigma(z) - 1/2 = tanh(z/2) / 2, the identity section 4 builds on."""
    z = np.linspace(-30, 30, 6001)
    np.testing.assert_allclose(cu.activations.get("sigmoid_centered").forward(z), np.tanh(z / 2) / 2,
                               atol=1e-15)


def _during_training(digits, sweep, activation, init):
    X, Y, _, _ = digits
    lr = _best_lr(sweep, activation, 6)
    spec = cu.Spec((64,) + (32,) * 6 + (10,), activation=activation, output="softmax")
    hist = cu.train(spec, cu.init_params(spec, init, rng=0), X, Y, cu.optimizers.sgd(lr),
                    steps=600, batch_size=64, rng=0, record_every=10)
    return spec, hist


def _best_lr(sweep, activation, depth):
    return next(r["lr"] for r in sweep["summary"]
                if r["activation"] == activation and r["depth"] == depth)


def test_vanishing_persists_during_training_for_sigmoid_not_tanh_or_relu(digits, sweep):
    """6 hidden layers of 32, 600 steps at the sweep's chosen rate for 6 layers, rng 0.
    Sigmoid: ||dW1|| / ||dW7|| < 1e-2 at the start and over the last 100 steps, and train
    accuracy < 0.2 (chance 0.10). tanh and ReLU: the ratio stays within 0.1 to 10 at every
    record; ReLU's accuracy > 0.8, tanh's > 0.95 ("almost perfectly"; 1.00 printed).
    ("the first layer's even a little above the output's": the ratio is > 1 at the start
    and at the end for both.)"""
    X, Y, _, _ = digits
    for activation, init in (("sigmoid", "xavier_normal"), ("tanh", "xavier_normal"),
                             ("relu", "he_normal")):
        spec, hist = _during_training(digits, sweep, activation, init)
        norms = hist.layer_stats["grad_norm"]
        ratios = norms[:, 0] / norms[:, -1]
        start, end = ratios[0], np.median(ratios[-10:])
        accuracy = cu.accuracy(spec, hist.params, X, Y)
        if activation == "sigmoid":
            assert start < 1e-2 and end < 1e-2 and accuracy < 0.2
            assert abs(np.mean(hist.costs[-100:]) - math.log(10)) < 0.05
        else:
            assert np.all((ratios > 0.1) & (ratios < 10))
            assert start > 1 and end > 1
            assert accuracy > (0.95 if activation == "tanh" else 0.8)


def _mean_train_acc(sweep, activation, depth, lr):
    picked = [r for r in sweep["runs"] if (r["activation"], r["depth"], r["lr"]) == (activation, depth, lr)]
    return np.mean([r["train_acc"] or 0.0 for r in picked])


def test_rates_chosen_for_six_layers_are_a_tie_at_chance_or_the_grids_largest(sweep):
    """Section 2's caution. At 6 layers every sigmoid rate tried (0.1 to 3) has mean train
    accuracy < 0.15 (chance 0.10), and 0.1 is chosen by the tie-break (lowest mean final
    cost); tanh's chosen rate (0.3) and ReLU's (0.1) are the largest of their grids."""
    tried = sweep["settings"]["learning_rates"]
    assert (min(tried["sigmoid"]), max(tried["sigmoid"])) == (0.1, 3.0)
    assert all(_mean_train_acc(sweep, "sigmoid", 6, lr) < 0.15 for lr in tried["sigmoid"])
    costs = {lr: np.mean([r["final_cost"] for r in sweep["runs"]
                          if (r["activation"], r["depth"], r["lr"]) == ("sigmoid", 6, lr)])
             for lr in tried["sigmoid"]}
    assert _best_lr(sweep, "sigmoid", 6) == min(costs, key=costs.get) == 0.1
    assert _best_lr(sweep, "tanh", 6) == max(tried["tanh"]) == 0.3
    assert _best_lr(sweep, "relu", 6) == max(tried["relu"]) == 0.1


# ---------------------------------------------------------------- 3. the depth sweep


def test_depth_sweep_recomputes(sweep, digits):
    """Recompute a sample of data/depth_vs_accuracy.json: seed 0 at the chosen rate for
    sigmoid at 4 layers, tanh at 3 and ReLU at 5 (accuracies within one example, cost
    within 1e-4: BLAS may sum in another order)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_depth_digits import run_one
    for activation, depth in (("sigmoid", 4), ("tanh", 3), ("relu", 5)):
        lr = _best_lr(sweep, activation, depth)
        row = next(r for r in sweep["runs"] if (r["activation"], r["depth"], r["lr"], r["seed"])
                   == (activation, depth, lr, 0))
        again = run_one(activation, depth, lr, 0, data=digits)
        assert again["diverged"] == row["diverged"]
        assert again["train_acc"] == pytest.approx(row["train_acc"], abs=1.5 / 1347)
        assert again["test_acc"] == pytest.approx(row["test_acc"], abs=1.5 / 450)
        assert again["final_cost"] == pytest.approx(row["final_cost"], abs=1e-4)
        assert again["grad_ratio_at_start"] == pytest.approx(row["grad_ratio_at_start"], rel=1e-3)


def test_depth_sweep_summary_is_computed_from_its_runs(sweep):
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_depth_digits import SETTINGS, summarize
    assert sweep["settings"] == json.loads(json.dumps(SETTINGS))
    assert summarize(sweep["runs"]) == sweep["summary"]
    n = len(SETTINGS["depths"]) * len(SETTINGS["seeds"]) * sum(
        len(rates) for rates in SETTINGS["learning_rates"].values())
    assert len(sweep["runs"]) == n


def _mean(sweep, activation, depth, key="train_acc_mean"):
    return next(r[key] for r in sweep["summary"] if (r["activation"], r["depth"]) == (activation, depth))


def test_deep_sigmoid_networks_stop_learning_before_8_layers(sweep):
    """Seed 001's claim, measured: sigmoid learns at 2 layers (mean train accuracy > 0.9),
    first falls below 0.5 before 8 layers (at 4 here), and is at chance (< 0.15) at every
    depth after that."""
    assert _mean(sweep, "sigmoid", 2) > 0.9
    depths = sweep["settings"]["depths"]
    failing = [d for d in depths if _mean(sweep, "sigmoid", d) < 0.5]
    assert failing and failing[0] < 8
    assert all(_mean(sweep, "sigmoid", d) < 0.15 for d in depths if d > failing[0])


def test_sigmoid_gradient_ratio_falls_by_a_constant_factor_per_layer(sweep):
    """Right panel: the median ||dW1|| / ||dWL|| at the start falls by x0.15 to x0.35 per
    added sigmoid layer, to below 1e-7 at 12 layers; tanh's and ReLU's stay within 0.5 to 5."""
    depths = sweep["settings"]["depths"]
    ratios = np.array([_mean(sweep, "sigmoid", d, "grad_ratio_median") for d in depths])
    factors = ratios[1:] / ratios[:-1]
    assert np.all((factors > 0.15) & (factors < 0.35))
    assert ratios[-1] < 1e-7
    for activation in ("tanh", "relu"):
        others = [_mean(sweep, activation, d, "grad_ratio_median") for d in depths]
        assert all(0.5 < r < 5 for r in others)


def test_tanh_trains_at_every_depth_relu_becomes_unreliable_past_9(sweep):
    """tanh (Xavier): mean train accuracy > 0.9 at every depth 2-12. ReLU (He): > 0.85 up to
    9 layers; at 10-12 the mean is below 0.85 somewhere, with a spread over seeds > 0.05."""
    depths = sweep["settings"]["depths"]
    assert all(_mean(sweep, "tanh", d) > 0.9 for d in depths)
    assert all(_mean(sweep, "relu", d) > 0.85 for d in depths if d <= 9)
    deep = [d for d in depths if d >= 10]
    assert any(_mean(sweep, "relu", d) < 0.85 for d in deep)
    assert all(_mean(sweep, "relu", d, "train_acc_std") > 0.05 for d in deep)


def test_the_grids_edge(sweep):
    """Section 3's "grid's edge" bullet: ReLU's chosen rate is its grid's largest (0.1) at
    2 to 6 layers and smaller at 7 to 12 (what the dashboard's Try-it 2 refers to); tanh's
    is its largest (0.3) at most depths (more than half of the 11); from 5 layers on every
    sigmoid rate tried ends at chance (mean train accuracy < 0.15) and the chosen one is
    0.1."""
    tried = sweep["settings"]["learning_rates"]
    depths = sweep["settings"]["depths"]
    for d in depths:
        assert (_best_lr(sweep, "relu", d) == max(tried["relu"])) == (d <= 6)
    assert sum(_best_lr(sweep, "tanh", d) == max(tried["tanh"]) for d in depths) > len(depths) / 2
    for d in depths:
        if d >= 5:
            assert all(_mean_train_acc(sweep, "sigmoid", d, lr) < 0.15 for lr in tried["sigmoid"])
            assert _best_lr(sweep, "sigmoid", d) == 0.1


def test_ten_times_longer_rescues_3_and_4_sigmoid_layers_not_6_and_more(sweep):
    """300 epochs at learning rate 3 (seeds 0-2): 3 and 4 layers reach > 0.95 train
    accuracy; at 5 layers at least one seed is still at chance; at 6 and 8 every seed is
    (< 0.15)."""
    long = sweep["long_runs"]
    accuracy = lambda depth: [r["train_acc"] for r in long if r["depth"] == depth]
    assert all(a > 0.95 for a in accuracy(3) + accuracy(4))
    assert min(accuracy(5)) < 0.15
    assert all(a < 0.15 for a in accuracy(6) + accuracy(8))


# ---------------------------------------------------------------- 4. clipping


def test_clip_by_norm_keeps_the_direction_clip_by_value_does_not():
    g = {"dW": np.array([3.0, 0.4])}
    by_value = cu.optimizers.clip_by_value(g, 1.0)["dW"]
    by_norm = cu.optimizers.clip_by_norm(g, 1.0)["dW"]
    angle = lambda v: math.degrees(math.atan2(v[1], v[0]))
    assert angle(by_norm) == pytest.approx(angle(g["dW"]), abs=1e-9)
    assert angle(by_value) - angle(g["dW"]) > 10  # 7.6 -> 21.8 degrees
    assert np.linalg.norm(by_norm) == pytest.approx(1.0)


SPEC_X = cu.Spec((64,) + (32,) * 6 + (10,), activation="relu", output="softmax")


def _clip_run(digits, gain, seed=0, clip=None):
    X, Y, _, _ = digits
    params = cu.init_params(SPEC_X, "he_normal", rng=seed, gain=gain)
    return cu.train(SPEC_X, params, X, Y, cu.optimizers.sgd(0.1), steps=300, batch_size=64,
                    rng=seed, record_every=1, clip=clip)


def _global_norms(hist):
    return np.sqrt((hist.layer_stats["grad_norm"] ** 2).sum(axis=1))


def test_exploding_run_diverges_and_clipping_rescues_it(digits):
    """2 x He, 6 ReLU layers of 32, lr 0.1, 300 steps, rng 0 (the notebook's run): no
    clipping gives NaN within 10 steps from a first gradient norm over 100; clipped by value
    (0.1) or by norm (5) it trains to over 0.9 train accuracy."""
    X, Y, _, _ = digits
    wild = _clip_run(digits, 2.0)
    assert wild.diverged and wild.diverged_at < 10 and _global_norms(wild)[0] > 100
    for clip in (cu.ClipValue(0.1), cu.ClipNorm(5.0)):
        tame = _clip_run(digits, 2.0, clip=clip)
        assert not tame.diverged
        assert cu.accuracy(SPEC_X, tame.params, X, Y) > 0.9
    over = np.flatnonzero(_global_norms(_clip_run(digits, 2.0, clip=cu.ClipNorm(5.0))) > 5.0)
    assert np.all(over[:20] == np.arange(20))  # it acts at every step at the start
    assert 0 < np.sum(over > 100) < 100  # and now and then later


def _clipping(sweep, name):
    return [r for r in sweep["clipping"]["runs"] if r["name"] == name]


def test_clipping_over_ten_seeds(sweep):
    """Section 5's seeds table (rng 0-9): at 2 x He no seed learns without clipping (most
    diverge within 10 steps); clipped by value or by norm every seed learns, train accuracy
    > 0.9 in each; at He's scale clipping by norm ends more accurate than no clipping in at
    least 8 of 10 seeds, with a smaller spread (range) over the seeds; the gradient goes over
    5 at some steps in every He run; clip by norm acts at every step at the start (at least
    the first 10) and later at fewer than half of the remaining steps."""
    wild = _clipping(sweep, "2 x He, no clipping")
    assert len(wild) == 10 and not any(r["verdict"] == "learned" for r in wild)
    assert sum(r["diverged_at"] is not None and r["diverged_at"] < 10 for r in wild) >= 7
    for name in ("2 x He, clip by value (0.1)", "2 x He, clip by norm (5)"):
        assert all(r["verdict"] == "learned" and r["train_acc"] > 0.9 for r in _clipping(sweep, name))
    plain, clipped = _clipping(sweep, "He, no clipping"), _clipping(sweep, "He, clip by norm (5)")
    assert sum(c["train_acc"] > p["train_acc"] for p, c in zip(plain, clipped)) >= 8
    spread = lambda rows: max(r["train_acc"] for r in rows) - min(r["train_acc"] for r in rows)
    assert spread(clipped) < spread(plain)
    assert all(r["steps_over"] > 0 and r["first_norm"] < 10 for r in plain)
    for r in _clipping(sweep, "2 x He, clip by norm (5)"):
        assert r["first_streak"] >= 10 and r["over_after_streak"] < (300 - r["first_streak"]) / 2


@pytest.mark.parametrize("name,seed", [("2 x He, no clipping", 1), ("2 x He, clip by norm (5)", 4),
                                       ("He, no clipping", 3), ("He, clip by norm (5)", 3)])
def test_clipping_runs_recompute(sweep, digits, name, seed):
    """A sample of the clipping runs, recomputed: the same verdict, the divergence step within
    2, the first gradient norm to 1e-3, train accuracy within 0.03 (300 minibatch steps
    amplify last-bit differences between CPUs)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_depth_digits import clipping_run
    row = next(r for r in _clipping(sweep, name) if r["seed"] == seed)
    again = clipping_run(name, seed, data=digits)
    assert again["verdict"] == row["verdict"]
    assert again["first_norm"] == pytest.approx(row["first_norm"], rel=1e-3)
    if row["diverged_at"] is not None:
        assert abs(again["diverged_at"] - row["diverged_at"]) <= 2
    else:
        assert again["train_acc"] == pytest.approx(row["train_acc"], abs=0.03)


def test_clipping_settings_are_the_scripts(sweep):
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_depth_digits import CLIPPING
    assert sweep["clipping"]["settings"] == json.loads(json.dumps(CLIPPING))
    assert len(sweep["clipping"]["runs"]) == len(CLIPPING["runs"]) * len(CLIPPING["seeds"])


# ---------------------------------------------------------------- the notebook's words

NOTEBOOK = ROOT / "notebooks" / "02_vanishing_exploding_gradients.ipynb"


def _markdown():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("wrong", [
    "cannot be bought back",                      # issue 14: x4 weights do buy part of it back
    "What dooms the sigmoid is its slope",        # issue 26: it is the mean
    "stops learning from 4 hidden layers",        # its own long runs train 4 layers
    "from 4 hidden\n  layers",
    "LSTM (gated recurrent units)",               # an LSTM is not the GRU
    "so the factors stay near 1",                 # batch norm steadies the forward pass only
    "largest\npossible value",                    # Exercise 1 asks for the bound
    "largest possible value",
    "The bound is 1 only if",
    "is large for most inputs",
    "The mean is what dooms it",                  # stronger than 3 seeds on one task (review)
    "that is what dooms deep sigmoid networks",
    "1.00 in every seed at 6, 8 and 12",          # seed 1 at 12 layers is 0.99
    "brackets the best\nrate wherever a network learns",  # x16 at 12 layers peaks at 0.03
    "only its smaller part",
    "pay for most of it",
])
def test_corrected_sentences_stay_corrected(wrong):
    """Each sentence issues 14 and 26 found wrong; the evidence is in the tests above."""
    assert wrong not in _markdown()


def test_the_notebook_cites_the_sources_of_the_mean_argument():
    text = _markdown()
    assert "Glorot & Bengio (2010" in text and "LeCun et al. (1998" in text and "4.4" in text


# ---------------------------------------------------------------- 4. the sigmoid's gain and mean

GAINS = ROOT / "data" / "sigmoid_gain_depth.json"


@pytest.fixture(scope="module")
def gains():
    return json.loads(GAINS.read_text())


def _g(gains, variant, gain, depth, key="train_acc_mean"):
    return next(r[key] for r in gains["summary"]
                if (r["variant"], r["gain"], r["depth"]) == (variant, gain, depth))


def test_gain_sweep_summary_is_computed_from_its_runs(gains):
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_sigmoid_gain import SETTINGS, summarize
    assert gains["settings"] == json.loads(json.dumps(SETTINGS))
    assert summarize(gains["runs"]) == gains["summary"]
    per_setting = len(SETTINGS["learning_rates"]) * len(SETTINGS["seeds"])
    n = per_setting * (len(SETTINGS["depths"]) * (len(SETTINGS["variants"]["sigmoid"])
                                                  + len(SETTINGS["variants"]["sigmoid_centered"]))
                       + len(SETTINGS["bias_cancel_depths"]))
    assert len(gains["runs"]) == n == 828


def test_scale_buys_back_part_of_the_slope_until_saturation_wins(gains):
    """Section 4, plain sigmoid (mean train accuracy over seeds 0-2 at the best rate): at
    Xavier x1 at chance from 6 layers (< 0.15) and under 0.2 at 4; at x4 it trains to 6
    (mean > 0.9, every seed > 0.85) and collapses near 8 (mean < 0.6, some seed < 0.3);
    x16 is below x8 at every depth from 4; the best over all gains stays below 0.7 at 8
    layers and below 0.5 at 12, and it is x8 at both."""
    assert _g(gains, "sigmoid", 1, 4) < 0.2
    assert all(_g(gains, "sigmoid", 1, d) < 0.15 for d in (6, 8, 10, 12))
    assert _g(gains, "sigmoid", 4, 6) > 0.9 and _g(gains, "sigmoid", 4, 6, "train_acc_min") > 0.85
    assert _g(gains, "sigmoid", 4, 8) < 0.6 and _g(gains, "sigmoid", 4, 8, "train_acc_min") < 0.3
    assert all(_g(gains, "sigmoid", 16, d) < _g(gains, "sigmoid", 8, d) for d in (4, 6, 8, 10, 12))
    for depth, ceiling in ((8, 0.7), (12, 0.5)):
        best = max((r for r in gains["summary"] if r["variant"] == "sigmoid" and r["depth"] == depth),
                   key=lambda r: r["train_acc_mean"])
        assert best["train_acc_mean"] < ceiling and best["gain"] == 8


def test_the_centred_sigmoid_trains_to_12_layers_at_x4_not_at_x1(gains):
    """Without the mean the same slope trains: sigma - 1/2 at x4 has every seed > 0.9 at every
    depth 2-12 ("every seed 0.92 or more"), every seed >= 0.99 at 6, 8 and 12 ("0.99 or more");
    at x1 it is at chance from 6 layers (< 0.15) although ||dW1|| / ||dWL|| at the start stays
    between 1 and 3 (every layer's dW equally tiny)."""
    for d in gains["settings"]["depths"]:
        assert _g(gains, "sigmoid_centered", 4, d, "train_acc_min") >= 0.915
    for d in (6, 8, 12):
        assert _g(gains, "sigmoid_centered", 4, d, "train_acc_min") >= 0.99
    for d in (6, 8, 10, 12):
        assert _g(gains, "sigmoid_centered", 1, d) < 0.15
    assert all(1 < _g(gains, "sigmoid_centered", 1, d, "grad_ratio_median") < 3
               for d in gains["settings"]["depths"])


def test_cancelling_the_mean_at_the_start_rescues_8_layers_not_reliably_10_or_12(gains):
    """Biases that cancel the mean at the start (plain sigmoid x4): every seed > 0.95 at 6 and
    8 layers; at 10 and 12 some seed ends below 0.5 (0.39, 0.29), and the mean is below the
    centred sigmoid's by more than 0.1."""
    for d in (6, 8):
        assert _g(gains, "bias_cancel", 4, d, "train_acc_min") > 0.95
    for d in (10, 12):
        assert _g(gains, "bias_cancel", 4, d, "train_acc_min") < 0.5
        assert _g(gains, "bias_cancel", 4, d) < _g(gains, "sigmoid_centered", 4, d) - 0.1


def _beyond(gains, variant, gain, depth, lr):
    return np.mean([r["train_acc"] or 0.0 for r in gains["beyond_grid"]["runs"]
                    if (r["variant"], r["gain"], r["depth"], r["lr"]) == (variant, gain, depth, lr)])


def test_the_grid_brackets_the_best_rate_of_every_quoted_setting(gains):
    """Cell after the table: the only setting above chance (mean > 0.15) whose best rate is at
    the grid's edge is sigmoid x16 at 12 layers (0.03), and the smaller rates 0.01 and 0.003
    do worse there (so x8 stays the best gain at 12); the failures stated (plain sigmoid x1 at
    6 layers, centred sigmoid x1 at 6 and 8) stay at chance at the larger rates 30 and 100."""
    rates = gains["settings"]["learning_rates"]
    edge = [(r["variant"], r["gain"], r["depth"]) for r in gains["summary"]
            if r["train_acc_mean"] > 0.15 and r["lr"] in (min(rates), max(rates))]
    assert edge == [("sigmoid", 16, 12)]
    inside = _g(gains, "sigmoid", 16, 12)
    assert all(_beyond(gains, "sigmoid", 16, 12, lr) < inside for lr in (0.01, 0.003))
    assert all(_beyond(gains, "sigmoid", 16, 12, lr) < _g(gains, "sigmoid", 8, 12) for lr in (0.01, 0.003))
    for variant, depth in (("sigmoid", 6), ("sigmoid_centered", 6), ("sigmoid_centered", 8)):
        assert all(_beyond(gains, variant, 1, depth, lr) < 0.15 for lr in (30.0, 100.0))


def test_beyond_grid_runs_are_the_scripts(gains):
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_sigmoid_gain import BEYOND_GRID
    assert gains["beyond_grid"]["settings"] == json.loads(json.dumps(BEYOND_GRID))
    n = sum(len(rates) for *_, rates in BEYOND_GRID["settings"]) * len(BEYOND_GRID["seeds"])
    assert len(gains["beyond_grid"]["runs"]) == n


def test_a_beyond_grid_run_recomputes(gains, digits):
    """Centred sigmoid x1, 6 layers, rate 100, seed 0: still at chance (within 0.03)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_sigmoid_gain import run_one
    row = next(r for r in gains["beyond_grid"]["runs"] if (r["variant"], r["gain"], r["depth"],
               r["lr"], r["seed"]) == ("sigmoid_centered", 1, 6, 100.0, 0))
    again = run_one("sigmoid_centered", 6, 1, 100.0, 0, data=digits)
    assert again["diverged"] == row["diverged"]
    assert (again["train_acc"] or 0.0) == pytest.approx(row["train_acc"] or 0.0, abs=0.03)
    assert (again["train_acc"] or 0.0) < 0.15


@pytest.mark.parametrize("variant,gain,depth,seed", [
    ("sigmoid", 4, 4, 0),             # learns (0.99)
    ("sigmoid", 1, 8, 1),             # at chance
    ("sigmoid_centered", 4, 8, 2),    # learns (1.00)
    ("bias_cancel", 4, 8, 0),         # learns (0.98)
])
def test_gain_sweep_recomputes(gains, digits, variant, gain, depth, seed):
    """A sample of data/sigmoid_gain_depth.json, recomputed at the stored best rate: the start's
    gradient ratio to 1e-3 (no training yet), the same divergence, and train accuracy within
    0.03 (660 minibatch steps amplify last-bit differences between CPUs; these runs are far
    from the edge between learning and not)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from sweep_sigmoid_gain import run_one
    lr = _g(gains, variant, gain, depth, "lr")
    row = next(r for r in gains["runs"] if (r["variant"], r["gain"], r["depth"], r["lr"], r["seed"])
               == (variant, gain, depth, lr, seed))
    again = run_one(variant, depth, gain, lr, seed, data=digits)
    assert again["grad_ratio_at_start"] == pytest.approx(row["grad_ratio_at_start"], rel=1e-3)
    assert again["diverged"] == row["diverged"]
    assert again["train_acc"] == pytest.approx(row["train_acc"], abs=0.03)
