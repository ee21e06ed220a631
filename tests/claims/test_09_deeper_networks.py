"""Every claim of 09_deeper_networks, as a test against course_utils.

Sections 1-5 read the stored sweeps data/deeper_map.json and data/deeper_runs.json
(scripts/sweep_deeper.py); the tests marked "recompute" rerun a sample of them, so a stale
file fails (tolerance 0.05 in accuracy: a rerun on another CPU rounds differently). The
mean-field numbers, section 2's sizes at initialization and the dashboard's claims are
computed here.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

import course_utils as cu
from course_utils.lessons import deeper, theory

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import sweep_deeper_runs  # noqa: E402

SB2 = deeper.MAP_SIGMA_B2


@pytest.fixture(scope="module")
def the_map():
    return json.loads((ROOT / "data" / "deeper_map.json").read_text())


@pytest.fixture(scope="module")
def runs():
    return json.loads((ROOT / "data" / "deeper_runs.json").read_text())


def accs(run_list, key="train_acc"):
    return np.nan_to_num(np.array([np.nan if r[key] is None else r[key] for r in run_list], dtype=float))


# ---------------------------------------------------------------- 1 · mean-field theory


def test_tanh_at_hes_scale_without_biases_has_chi_1_of_1_106():
    """tanh at He's scale (σ_w² = 2, σ_b² = 0): χ₁ = 1.106."""
    assert theory.chi_1("tanh", 2.0, 0.0) == pytest.approx(1.106, abs=5e-4)


def test_chi_1_is_the_mean_square_slope_times_sigma_w2_by_monte_carlo():
    """χ₁ = σ_w² E[f'(z)²] at q*: the quadrature agrees with a Monte Carlo estimate."""
    z = np.random.default_rng(0).normal(size=400_000)
    q = theory.fixed_point_q("tanh", 2.0, SB2)
    mc = 2.0 * np.mean((1 - np.tanh(np.sqrt(q) * z) ** 2) ** 2)
    assert theory.chi_1("tanh", 2.0, SB2) == pytest.approx(mc, rel=5e-3)


@pytest.mark.parametrize("act, s, chi, phase, six_xi", [
    ("relu", 2.0, 1.00, "critical", np.inf), ("tanh", 1.0, 0.76, "ordered", 22),
    ("tanh", 2.0, 1.05, "chaotic", 130), ("sigmoid", 4.0, 0.17, "ordered", 3.4),
    ("sigmoid", 16.0, 0.40, "ordered", 6.5)])
def test_the_printed_mean_field_table(act, s, chi, phase, six_xi):
    """ReLU at He is critical (any depth); tanh at 1 ordered (6ξ ≈ 22), at 2 chaotic (6ξ ≈ 130);
    the sigmoid ordered at 4 (6ξ ≈ 3.4) and at 16 = Xavier x4 (χ₁ = 0.40, 6ξ ≈ 6.5)."""
    mf = theory.mean_field(act, s, SB2)
    assert mf.chi_1 == pytest.approx(chi, abs=0.005)
    assert mf.phase == phase
    assert 6 * abs(mf.xi_grad) == pytest.approx(six_xi, rel=0.05)


# ---------------------------------------------------------------- 1 · the map


def deepest(the_map, kind, act):
    return {s: deeper.deepest_trained(the_map, kind, act, s) for s in the_map["settings"]["sigma_w2"]}


def test_where_each_activation_trains_deepest(the_map):
    """Plain tanh trains deepest (16 layers) at σ_w² = 1.41, 2, 4; ReLU 8 layers at 2.83, 4;
    the sigmoid 4 layers, at 16 only."""
    tanh, relu, sigmoid = (deepest(the_map, "plain", a) for a in ("tanh", "relu", "sigmoid"))
    assert max(tanh.values()) == 16 and [s for s in tanh if tanh[s] == 16] == [1.41, 2.0, 4.0]
    assert max(relu.values()) == 8 and [s for s in relu if relu[s] == 8] == [2.83, 4.0]
    assert max(sigmoid.values()) == 4 and [s for s in sigmoid if sigmoid[s] == 4] == [16.0]


def test_tanh_trains_deepest_around_its_critical_point(the_map):
    """The critical σ_w² of tanh (≈ 1.76 at σ_b² = 0.05) lies between two of the columns that
    train deepest (1.41 and 2)."""
    critical = cu.checks.deeper.critical_point()
    assert 1.41 < critical < 2.0
    tanh = deepest(the_map, "plain", "tanh")
    assert tanh[1.41] == tanh[2.0] == max(tanh.values())


def test_sigmoid_at_xavier_x4_trains_at_4_layers_not_8_as_in_02(the_map):
    """Sigmoid at σ_w² = 16 (Xavier x4) trains up to 4 layers and not at 8 (02: about 6 and
    collapse near 8); at σ_w² = 1 (Xavier x1) only 2 layers (02: at chance from 8)."""
    sig, dep, acc = deeper.map_grid(the_map, "plain", "sigmoid")
    assert deeper.deepest_trained(the_map, "plain", "sigmoid", 16.0) == 4
    assert acc[list(dep).index(8), list(sig).index(16.0)] < 0.2
    assert deeper.deepest_trained(the_map, "plain", "sigmoid", 1.0) == 2


def test_no_cell_trains_deeper_than_six_xi(the_map):
    """No cell trains deeper than 6ξ (the closest: deepest/6ξ = 0.97)."""
    ratios = []
    for act in ("tanh", "relu", "sigmoid"):
        for s in the_map["settings"]["sigma_w2"]:
            six_xi = 6 * abs(theory.mean_field(act, s, SB2).xi_grad)
            if np.isfinite(six_xi):
                ratios.append(deeper.deepest_trained(the_map, "plain", act, s) / six_xi)
    assert max(ratios) <= 1
    assert max(ratios) == pytest.approx(0.97, abs=0.005)


def test_relu_at_he_trains_only_4_layers_in_the_short_run(the_map):
    """ReLU at He's scale (critical) trains to 4 layers in the short run, 0.41 at 8; above 2 the
    deep runs overflow (diverged, drawn as 0)."""
    sig, dep, acc = deeper.map_grid(the_map, "plain", "relu")
    assert deeper.deepest_trained(the_map, "plain", "relu", 2.0) == 4
    assert acc[list(dep).index(8), list(sig).index(2.0)] == pytest.approx(0.41, abs=0.02)
    assert np.all(acc[list(dep).index(32):, list(sig).index(2.83):] == 0)


def test_the_grid_budget_as_printed(the_map):
    """Best rate at an end of the 3-rate grid in 19 of 46 cells that train; on 8 sample cells a
    rate beyond the grid did better by > 0.05 in 1 (sigmoid, 4 layers, σ_w² 16: 0.24 vs 0.33)."""
    cells = [c for c in the_map["cells"] if c["kind"] == "plain"]
    trains = [c for c in cells if max(np.nan_to_num(c["acc_by_lr"])) >= deeper.TRAINED]
    edge = [c for c in trains if c["best_lr"] in (c["rates"][0], c["rates"][-1])]
    assert (len(edge), len(trains)) == (19, 46)
    beaten = [b for b in the_map["bracket"] if b["outside_best"] > b["grid_best"] + 0.05]
    assert len(the_map["bracket"]) == 8 and len(beaten) == 1
    assert (beaten[0]["activation"], beaten[0]["depth"]) == ("sigmoid", 4)


@pytest.mark.parametrize("kind, act, depth, s", [("plain", "tanh", 4, 2.0), ("plain", "sigmoid", 2, 16.0),
                                                  ("residual", "relu", 8, 0.5)])
def test_recompute_a_sample_of_the_map(the_map, kind, act, depth, s):
    """Recompute: a map cell's seed-0 run at its stored best rate gives the stored accuracy."""
    cell = [c for c in the_map["cells"] if (c["kind"], c["activation"], c["depth"], c["sigma_w2"]) == (kind, act, depth, s)][0]
    run = deeper.map_run(act, depth, s, cell["best_lr"], 0, kind == "residual")
    assert run["train_acc"] == pytest.approx(cell["acc_seeds"][0], abs=0.05)


# ---------------------------------------------------------------- 2 · residual connections


@pytest.fixture(scope="module")
def sizes():
    X, Y, _, _ = cu.datasets.load_digits()
    variants = {"plain": {}, "branch 1": {"residual": True},
                "branch 1/sqrt(50)": {"residual": True, "branch_scale": 1 / np.sqrt(50)},
                "pre-norm": {"residual": True, "layer_norm": True, "norm_position": "pre"}}
    out = {}
    for name, options in variants.items():
        spec = cu.Spec((64,) + (32,) * 50 + (10,), "relu", output="softmax", **options)
        out[name] = deeper.layer_sizes_at_init(spec, cu.init_params(spec, "he_normal", rng=0), X, Y)
    return out


def test_at_hes_scale_the_plain_gradient_does_not_vanish_at_the_start(sizes):
    """Plain ReLU at He, 50 layers: ‖dW_1‖/‖dW_51‖ ~ 2 (not vanishing), rms(A_50) ~ 4e-2."""
    s = sizes["plain"]
    assert 0.5 < s.dW_norm[0] / s.dW_norm[-1] < 5
    assert 1e-2 < s.a_rms[-1] < 1e-1


def test_an_unscaled_residual_branch_makes_the_activations_explode(sizes):
    """Residual, branch 1: rms(A_50) ~ 1e10; scaled by 1/√50 or pre-norm: within a factor 100."""
    assert 1e9 < sizes["branch 1"].a_rms[-1] < 1e11
    for name in ("branch 1/sqrt(50)", "pre-norm"):
        assert sizes[name].a_rms[-1] < 100
        assert 0.1 < sizes[name].dW_norm[0] / sizes[name].dW_norm[-1] < 10


def test_residual_runs_at_depth_50(runs):
    """Depth 50, 150 SGD steps at the best rate, 3 seeds: plain 0.20 (near chance), branch 1
    diverges on every seed, branch 1/√50 0.36, pre-norm 0.76, post-norm 0.76."""
    r = runs["residual"]
    mean = {k: accs(v["best_runs"]).mean() for k, v in r.items()}
    assert mean["plain"] == pytest.approx(0.20, abs=0.01)
    assert all(x["verdict"] == "diverged" for x in r["residual, branch 1"]["best_runs"])
    assert mean["residual, branch 1/sqrt(50)"] == pytest.approx(0.36, abs=0.01)
    assert mean["residual, pre-norm (LN)"] == pytest.approx(0.76, abs=0.01)
    assert mean["residual, post-norm (LN)"] == pytest.approx(0.76, abs=0.01)
    assert accs(r["residual, pre-norm (LN)"]["best_runs"]).min() > accs(r["plain"]["best_runs"]).max() + 0.4
    assert r["residual, post-norm (LN)"]["best_lr"] == 10 * r["residual, pre-norm (LN)"]["best_lr"]


def test_the_branch_1_residual_net_diverges_at_every_rate(runs):
    """Branch 1 at depth 50 diverges at every rate of the grid (both seeds)."""
    assert all(m == -1 for m in runs["residual"]["residual, branch 1"]["mean_acc_by_lr"])


def test_recompute_a_residual_run(runs):
    """Recompute: pre-norm residual, depth 50, seed 0 at its best rate."""
    r = runs["residual"]["residual, pre-norm (LN)"]
    spec = sweep_deeper_runs.spec_of(50, residual=True, layer_norm=True, norm_position="pre")
    run = sweep_deeper_runs.run(spec, cu.optimizers.sgd(r["best_lr"]), sweep_deeper_runs.RESIDUAL_STEPS, 0)
    assert run["train_acc"] == pytest.approx(r["best_runs"][0]["train_acc"], abs=0.05)


def test_the_residual_map_trains_in_far_more_cells(the_map):
    """Plain ReLU: 14 of 42 cells train, deepest 8; residual ReLU: 31 of 42, deepest 64 (at
    small σ_w²); at He's scale and above, 64 residual layers do not train in the short run."""
    sig, dep, plain = deeper.map_grid(the_map, "plain", "relu")
    _, _, res = deeper.map_grid(the_map, "residual", "relu")
    assert (np.sum(plain >= 0.5), np.sum(res >= 0.5)) == (14, 31)
    assert max(deepest(the_map, "residual", "relu").values()) == 64
    assert deeper.deepest_trained(the_map, "residual", "relu", 0.5) == 64
    assert np.all(res[-1, list(sig).index(2.0):] < 0.5)


# ---------------------------------------------------------------- 3 · layer norm


def test_batch_norm_at_a_batch_of_2_stays_at_chance_where_layer_norm_learns(runs):
    """Test accuracy in evaluation mode: batch norm at batch 2 0.13 (at chance), layer norm 0.48;
    at 64 batch norm 0.87 and layer norm 0.90."""
    n = runs["norms"]
    mean = {k: accs(v["best_runs"], "test_acc").mean() for k, v in n.items()}
    assert mean["batch 2"] == pytest.approx(0.13, abs=0.01)
    assert mean["layer 2"] == pytest.approx(0.48, abs=0.01)
    assert accs(n["batch 2"]["best_runs"], "test_acc").max() < accs(n["layer 2"]["best_runs"], "test_acc").min()
    assert mean["batch 64"] == pytest.approx(0.87, abs=0.01) and mean["layer 64"] == pytest.approx(0.90, abs=0.01)


def test_recompute_batch_norm_at_a_batch_of_2(runs):
    """Recompute: batch norm at a batch of 2, seed 0 at its best rate, stays near chance."""
    r = runs["norms"]["batch 2"]
    spec = sweep_deeper_runs.spec_of(sweep_deeper_runs.NORM_DEPTH, batch_norm=True)
    run = sweep_deeper_runs.run(spec, cu.optimizers.sgd(r["best_lr"]), sweep_deeper_runs.NORM_STEPS, 0, 2)
    assert run["test_acc"] == pytest.approx(r["best_runs"][0]["test_acc"], abs=0.05)
    assert run["test_acc"] < 0.25


# ---------------------------------------------------------------- 4 · warmup


def test_warmup_shrinks_the_first_update_a_hundredfold(runs):
    """Update/weight at step 1: ~1e-1, 4e-1, 1e0 at lr 0.03, 0.1, 0.3 without warmup; 1e-3 to
    1e-2 with 100 warmup steps (lr / 100: exactly 100 times smaller)."""
    w = runs["warmup"]
    for lr in (0.03, 0.1, 0.3):
        without, with_ = w[f"{lr} 1"]["update_ratio"][0], w[f"{lr} 100"]["update_ratio"][0]
        assert 0.05 < without < 2 and 5e-4 < with_ < 2e-2
        assert without / with_ == pytest.approx(100, rel=1e-6)


def test_warmup_did_not_rescue_a_run_but_improved_every_seed_from_lr_0_1(runs):
    """No rate made the runs without warmup blow up while warmed-up ones survived (lr 1: all 6
    blow up); from lr 0.1 on, every seed without warmup ends at 0.24-0.47 and with it at
    0.86-0.97."""
    w = runs["warmup"]
    failed = lambda key: [r["verdict"] in ("blew up", "diverged") for r in w[key]["runs"]]  # noqa: E731
    for lr in (0.03, 0.1, 0.3):
        assert not any(failed(f"{lr} 1")) and not any(failed(f"{lr} 100"))
    assert all(failed("1.0 1")) and all(failed("1.0 100"))
    without = np.concatenate([accs(w[f"{lr} 1"]["runs"]) for lr in (0.1, 0.3)])
    with_ = np.concatenate([accs(w[f"{lr} 100"]["runs"]) for lr in (0.1, 0.3)])
    assert 0.23 < without.min() and without.max() < 0.48
    assert 0.85 < with_.min() and with_.max() < 0.98


def test_the_best_run_without_warmup_is_matched_with_warmup_up_to_lr_0_3(runs):
    """The best run without warmup (0.89 at lr 0.03) is matched with warmup at every rate up to
    0.3 (within 0.02 of it or better)."""
    w = runs["warmup"]
    without = {lr: accs(w[f"{lr} 1"]["runs"]).mean() for lr in (0.03, 0.1, 0.3, 1.0)}
    assert max(without, key=without.get) == 0.03 and without[0.03] == pytest.approx(0.89, abs=0.01)
    for lr in (0.03, 0.1, 0.3):
        assert accs(w[f"{lr} 100"]["runs"]).mean() >= without[0.03] - 0.02


def test_recompute_the_first_update_ratio():
    """Recompute: Adam at lr 0.1 on the 50-layer pre-norm net, no warmup: update/weight at
    step 1 ~ 4e-1; with 100 warmup steps 100 times smaller."""
    X, Y = sweep_deeper_runs.X, sweep_deeper_runs.Y
    spec = sweep_deeper_runs.spec_of(50, residual=True, layer_norm=True, norm_position="pre")
    ratios = []
    for warmup in (1, 100):
        params = cu.init_params(spec, "he_normal", np.random.default_rng(0))
        hist = cu.train(spec, params, X, Y, cu.optimizers.adam(cu.optimizers.linear_warmup(0.1, warmup)),
                        steps=2, batch_size=64, rng=1000, record_every=1, progress=False)
        ratios.append(np.nanmedian(hist.layer_stats["update_ratio"][0, 1:-1]))
    assert 0.2 < ratios[0] < 0.8
    assert ratios[0] / ratios[1] == pytest.approx(100, rel=1e-6)


# ---------------------------------------------------------------- 5 · GELU and SiLU


def test_gelu_and_silu_at_he_scale(runs):
    """At 8 layers the three are within each other's seed spread; at 20 layers with He init GELU
    (0.15) and SiLU (0.10) stay near chance where ReLU learns a little (0.39)."""
    a = runs["activations"]
    ranges = {k: accs(v["best_runs"], "test_acc") for k, v in a.items()}
    lows, highs = [ranges[f"{x} 8"].min() for x in ("relu", "gelu", "silu")], [ranges[f"{x} 8"].max() for x in ("relu", "gelu", "silu")]
    assert max(lows) < min(highs)
    assert ranges["relu 20"].mean() == pytest.approx(0.39, abs=0.01)
    assert ranges["gelu 20"].mean() < 0.2 and ranges["silu 20"].mean() < 0.2
    assert ranges["relu 20"].min() > max(ranges["gelu 20"].mean(), ranges["silu 20"].mean())


def test_gelu_and_silu_have_slope_one_half_at_zero_and_dip_below_zero():
    """GELU and SiLU have slope 1/2 at 0 and are slightly negative for z < 0."""
    z = np.linspace(-4, -0.1, 50)
    for name in ("gelu", "silu"):
        act = cu.activations.get(name)
        assert act.derivative(np.array([0.0]))[0] == pytest.approx(0.5)
        assert np.all(act.forward(z) < 0) and act.forward(z).min() > -0.3


# ---------------------------------------------------------------- 6 · the dashboard


def test_the_dashboards_suggested_path():
    """Depth 64 at σ_w² = 4: plain at chance; residual still at chance; residual + layer norm learns."""
    dash = cu.widgets.deeper_dashboard(depth=64, sigma_w2=4.0)
    assert dash.status_text().startswith("At chance")
    dash.set(residual=True)
    assert not dash.status_text().startswith("Learned")
    dash.set(norm="layer")
    assert dash.status_text().startswith("Learned")


def test_batch_norm_at_batch_2_stays_at_chance_with_the_test_sets_own_statistics(runs):
    """Batch norm trained at a batch of 2 (seed 0, its best rate) stays at chance when the test
    set is normalized with its own statistics: the running averages are not the problem."""
    import course_utils as cu

    X, Y, X_test, Y_test = cu.datasets.load_digits()
    spec = cu.Spec((64,) + (32,) * 6 + (10,), "relu", output="softmax", batch_norm=True)
    hist = cu.train(spec, cu.init_params(spec, "he_normal", np.random.default_rng(0)), X, Y,
                    cu.optimizers.sgd(runs["norms"]["batch 2"]["best_lr"]), steps=300,
                    batch_size=2, rng=1000, progress=False)
    Z_L, _ = cu.network.forward(spec, hist.params, X_test, hist.state, train=True)
    assert cu.network.accuracy_from_logits(spec, Z_L, Y_test) < 0.25
