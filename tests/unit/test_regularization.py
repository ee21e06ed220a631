"""Regularization in course_utils behaves as 07_regularization says: inverted dropout keeps
the expected activation and draws a fresh mask every step; L1 drives small weights to (or,
with the proximal step, exactly to) zero; L2 under plain gradient descent is weight decay
with weight_decay = lambda / m, step by step, and is not under Adam.

(The backward passes with penalties and with fixed dropout masks are gradient-checked in
tests/unit/test_gradients.py.)
"""

import itertools

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def data():
    X, Y, _, _ = cu.datasets.load_overfit_2d()
    return X, Y


def all_weights(params):
    return np.concatenate([params[k].ravel() for k in cu.losses.weight_keys(params)])


# ---------------------------------------------------------------- dropout


@pytest.mark.parametrize("keep_prob", [0.9, 0.7, 0.5, 0.2])
def test_inverted_dropout_keeps_the_expected_activation(keep_prob):
    """400,000 activations: the kept fraction is within 0.005 of keep_prob (over 10 standard
    deviations), the mean activation within 1% of the undropped one (about 3 standard
    deviations at keep 0.2). Without the division it would be keep_prob times smaller."""
    rng = np.random.default_rng(0)
    A = rng.random((50, 8000)) + 0.5
    out, cache = cu.layers.dropout_forward(A, keep_prob, train=True, rng=rng)
    mask = cache.mask
    assert mask.mean() == pytest.approx(keep_prob, abs=0.005)
    assert out.mean() == pytest.approx(A.mean(), rel=0.01)
    assert (A * mask).mean() == pytest.approx(keep_prob * A.mean(), rel=0.01)
    assert np.all(out[~mask] == 0) and np.allclose(out[mask], A[mask] / keep_prob)


def test_dropout_is_the_identity_in_evaluation():
    A = np.random.default_rng(1).random((5, 7))
    out, cache = cu.layers.dropout_forward(A, 0.5, train=False)
    assert out is A and cache is None


def test_network_hidden_mean_in_training_matches_evaluation(data):
    """Averaged over 300 training-mode passes (fresh masks), layer 1's activations match the
    evaluation-mode ones to within 3% on average over the units."""
    X, _ = data
    spec = cu.Spec((2, 30, 1), keep_prob=0.5)
    params = cu.init_params(spec, rng=0)
    _, eval_cache = cu.forward(spec, params, X, train=False)
    rng = np.random.default_rng(2)
    total = sum(cu.forward(spec, params, X, train=True, rng=rng)[1].hidden[0] for _ in range(300))
    per_unit_train = (total / 300).mean(axis=1)
    per_unit_eval = eval_cache.hidden[0].mean(axis=1)
    active = per_unit_eval > 0.05
    ratio = per_unit_train[active] / per_unit_eval[active]
    assert abs(ratio.mean() - 1) < 0.03


def test_training_draws_a_fresh_mask_every_step(data, monkeypatch):
    """The source course called np.random.seed(1) at the start of every forward pass, so it
    dropped the same units at every step. cu.train passes one generator through the run:
    every step has its own mask, and every unit is dropped at some steps and kept at others."""
    X, Y = data
    masks = []
    original = cu.layers.dropout_forward

    def recording(A, keep_prob, train, rng=None, mask=None):
        out, cache = original(A, keep_prob, train, rng, mask)
        masks.append(cache.mask.copy())
        return out, cache

    monkeypatch.setattr(cu.layers, "dropout_forward", recording)
    spec = cu.Spec((2, 20, 1), keep_prob=0.5)
    cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1), steps=30, rng=3)
    assert len(masks) == 30
    for a, b in itertools.combinations(masks, 2):
        assert not np.array_equal(a, b)
    kept_share = np.mean([m[:, 0] for m in masks], axis=0)  # example 0, per unit, over steps
    assert np.all((kept_share > 0) & (kept_share < 1))


def test_reseeding_every_step_would_reuse_one_mask(data):
    """What the source course did, in our terms: a generator re-made from the same seed at
    every pass gives the same mask every time."""
    X, _ = data
    spec = cu.Spec((2, 20, 1), keep_prob=0.5)
    params = cu.init_params(spec, rng=0)
    first = cu.forward(spec, params, X, train=True, rng=1)[1].layers[0][3][0]
    again = cu.forward(spec, params, X, train=True, rng=1)[1].layers[0][3][0]
    np.testing.assert_array_equal(first, again)
    shared = np.random.default_rng(1)
    one = cu.forward(spec, params, X, train=True, rng=shared)[1].layers[0][3][0]
    two = cu.forward(spec, params, X, train=True, rng=shared)[1].layers[0][3][0]
    assert not np.array_equal(one, two)


# ---------------------------------------------------------------- L1 sparsity


LR, LAMBDA, STEPS = 0.3, 0.3, 3000


@pytest.fixture(scope="module")
def l1_runs(data):
    """[2, 20, 20, 1], gradient descent lr 0.3 for 3,000 steps, lambda 0.3, m = 200."""
    X, Y = data
    spec = cu.Spec((2, 20, 20, 1))
    params = cu.init_params(spec, rng=0)
    runs = {}
    for name, penalty in [("none", None), ("l2", cu.L2(LAMBDA)), ("l1", cu.L1(LAMBDA)),
                          ("l1_proximal", cu.L1(LAMBDA, proximal=True))]:
        hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(LR), steps=STEPS, penalty=penalty)
        runs[name] = all_weights(hist.params)
    return runs


def test_l1_drives_most_weights_below_one_penalty_step(l1_runs):
    """Each L1 subgradient step moves a weight by lr * lambda / m = 4.5e-4 towards 0, so an
    unneeded weight ends within one step of 0 (it hops across it). Measured: 86% of the
    weights; we require over half. Without a penalty, under 1%; with L2 of the same lambda,
    none (L2 shrinks every weight in proportion, and never to 0)."""
    step = LR * LAMBDA / 200
    below = {name: np.mean(np.abs(w) < step) for name, w in l1_runs.items()}
    assert below["l1"] > 0.5
    assert below["none"] < 0.01
    assert below["l2"] < 0.01
    assert np.mean(l1_runs["l1"] == 0) == 0  # subgradient steps hover, they do not land


def test_l1_proximal_step_gives_exact_zeros(l1_runs):
    """Measured: 87% exactly 0; we require over half, and none for every other run."""
    assert np.mean(l1_runs["l1_proximal"] == 0) > 0.5
    for name in ("none", "l2", "l1"):
        assert np.mean(l1_runs[name] == 0) == 0


def test_l2_shrinks_every_weight_l1_zeroes_most(l1_runs):
    """Mean |w|: L2 and L1 both below no penalty; L1's median |w| is below one step."""
    mean_abs = {name: np.abs(w).mean() for name, w in l1_runs.items()}
    assert mean_abs["l2"] < mean_abs["none"]
    assert mean_abs["l1"] < mean_abs["l2"]
    assert np.median(np.abs(l1_runs["l1"])) < LR * LAMBDA / 200


# ---------------------------------------------------------------- L2 and weight decay


def _trajectory(spec, params, X, Y, optimizer, steps, penalty=None):
    path = []

    def record(hist, step, current, state):
        path.append(all_weights(current).copy())

    cu.train(spec, params, X, Y, optimizer, steps=steps, callback=record, callback_every=1,
             penalty=penalty)
    return np.array(path)


def test_l2_with_sgd_is_weight_decay_step_by_step(data):
    """sgd + L2 (lambda) and sgd(weight_decay = lambda / m): the same weights at every one
    of 500 steps, up to rounding (1e-12; measured about 5e-15)."""
    X, Y = data
    spec = cu.Spec((2, 20, 20, 1))
    params = cu.init_params(spec, rng=0)
    lambd, m = 0.7, X.shape[1]
    with_l2 = _trajectory(spec, params, X, Y, cu.optimizers.sgd(0.3), 500, cu.L2(lambd))
    decayed = _trajectory(spec, params, X, Y, cu.optimizers.sgd(0.3, weight_decay=lambd / m), 500)
    assert np.abs(with_l2 - decayed).max() < 1e-12
    unregularized = _trajectory(spec, params, X, Y, cu.optimizers.sgd(0.3), 500)
    assert np.abs(with_l2 - unregularized).max() > 1e-3  # the penalty did act


def test_l2_with_adam_is_not_weight_decay(data):
    """adam + L2 (lambda) and adamw(weight_decay = lambda / m): apart after 200 steps by over
    0.01 (measured: 1.8), because Adam divides the penalty's gradient by each weight's
    gradient scale, and AdamW does not."""
    X, Y = data
    spec = cu.Spec((2, 20, 20, 1))
    params = cu.init_params(spec, rng=0)
    lambd, m = 0.7, X.shape[1]
    with_l2 = _trajectory(spec, params, X, Y, cu.optimizers.adam(0.01), 200, cu.L2(lambd))
    adamw = _trajectory(spec, params, X, Y, cu.optimizers.adamw(0.01, weight_decay=lambd / m), 200)
    assert np.abs(with_l2[-1] - adamw[-1]).max() > 0.01


def test_adamw_shrinks_every_weight_by_the_same_factor():
    """AdamW's decay alone (a zero gradient): p <- (1 - lr * weight_decay) p for every weight;
    Adam + L2 with a zero data gradient moves every weight by about lr, whatever its size."""
    W = np.array([[0.01, 0.1, 1.0, 10.0]])
    params = {"W1": W}
    zero = {"dW1": np.zeros_like(W)}
    adamw = cu.optimizers.adamw(0.01, weight_decay=0.1)
    new, _ = adamw.update(params, zero, adamw.init(params))
    np.testing.assert_allclose(new["W1"], (1 - 0.01 * 0.1) * W)
    adam = cu.optimizers.adam(0.01)
    _, penalty = cu.losses.l2_penalty(params, 0.1, 1)
    new, _ = adam.update(params, penalty, adam.init(params))
    np.testing.assert_allclose(W - new["W1"], 0.01, rtol=1e-4)


# ---------------------------------------------------------------- the data


def test_load_overfit_2d_column_layout_and_splits():
    X, Y, X_test, Y_test = cu.datasets.load_overfit_2d()
    full = cu.datasets.load_overfit_2d(validation=True)
    assert [a.shape for a in full] == [(2, 200), (1, 200), (2, 200), (1, 200), (2, 1000), (1, 1000)]
    np.testing.assert_array_equal(full[0], X)
    np.testing.assert_array_equal(full[5], Y_test)
    assert X.flags["C_CONTIGUOUS"] and X.dtype == float and Y.dtype.kind == "i"
    assert set(np.unique(Y)) == {0, 1} and np.abs(X).max() <= 1
    assert not np.array_equal(full[2], X_test[:, :200])  # validation is its own split
