"""The training loop: divergence in words, callbacks, minibatches, early stopping,
clipping, penalties, progress bars that leave no timing text."""

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


def test_divergence_is_reported_in_words(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 10, 10, 10, 1), activation="leaky_relu")
    params = cu.init_params(spec, "he_normal", rng=0, gain=4.0)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=300)
    assert hist.diverged
    assert hist.status().startswith(f"diverged at step {hist.diverged_at}: the cost became")
    assert len(hist.costs) == hist.diverged_at + 1
    assert np.all(np.isfinite(hist.costs[:-1])) and not np.isfinite(hist.costs[-1])


def test_callback_sees_progress_and_can_stop(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    seen = []

    def callback(hist, step, params, state):
        seen.append((step, len(hist.costs)))
        return step >= 300

    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y,
                    cu.optimizers.sgd(0.1), steps=1000, callback=callback, callback_every=100)
    assert seen == [(100, 100), (200, 200), (300, 300)]
    assert hist.stopped_by_callback and hist.steps == 300


def test_train_does_not_change_the_given_params(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    before = {k: v.copy() for k, v in params.items()}
    cu.train(spec, params, X, Y, cu.optimizers.adam(0.01), steps=50)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_minibatches_cover_every_example_once_per_epoch():
    X = np.arange(10.0).reshape(1, 10)
    Y = np.arange(10.0).reshape(1, 10)
    batches = cu.training.minibatches(X, Y, 4, rng=0)
    assert [b[0].shape[1] for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[0].ravel() for b in batches])
    assert sorted(seen) == list(range(10))
    assert not np.array_equal(seen, np.arange(10))  # shuffled
    for Xb, Yb in batches:
        np.testing.assert_array_equal(Xb, Yb)  # columns stay paired


def test_epochs_count_updates(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y,
                    cu.optimizers.sgd(0.1), epochs=3, batch_size=64, rng=1)
    assert hist.steps == 3 * 5  # ceil(300 / 64) = 5 minibatches per epoch


def test_same_rng_same_run(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 1), keep_prob=0.8)
    runs = [cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y, cu.optimizers.sgd(0.1),
                     steps=100, batch_size=32, rng=5).costs for _ in range(2)]
    np.testing.assert_array_equal(*runs)


def test_dropout_needs_an_rng(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 1), keep_prob=0.8)
    with pytest.raises(ValueError, match="rng"):
        cu.forward(spec, cu.init_params(spec, rng=0), X, train=True)


def test_early_stopping_restores_the_best_parameters(circles):
    X, Y, X_test, Y_test = circles
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(Y.shape) < 0.3, 1 - Y, Y)  # 30% flipped labels: overfits
    spec = cu.Spec((2, 40, 40, 1))
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, noisy,
                    cu.optimizers.adam(0.01), steps=3000, X_val=X_test, Y_val=Y_test,
                    eval_every=50, patience=5)
    assert hist.stopped_early
    best = int(np.argmin(hist.evals["val_cost"]))
    assert hist.best_step == hist.evals["step"][best]
    Z, _ = cu.forward(spec, hist.params, X_test)
    cost, _ = cu.losses.binary_cross_entropy(Z, Y_test.astype(float))
    assert cost == pytest.approx(hist.evals["val_cost"][best])


def test_layer_stats_are_recorded(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 6, 6, 6, 1), activation="tanh")
    hist = cu.train(spec, cu.init_params(spec, "xavier_normal", rng=0), X, Y,
                    cu.optimizers.sgd(0.1), steps=100, record_every=25)
    assert list(hist.layer_stats["step"]) == [0, 25, 50, 75]
    assert hist.layer_stats["act_std"].shape == (4, 3)
    assert hist.layer_stats["grad_norm"].shape == (4, 4)


def test_clipping_rescues_an_exploding_run(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 10, 10, 10, 1), activation="leaky_relu")
    params = cu.init_params(spec, "he_normal", rng=0, gain=4.0)
    wild = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=300)
    tame = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=300, clip_norm=1.0)
    assert wild.diverged
    assert not tame.diverged and tame.final_cost < tame.costs[0]


def test_l1_proximal_gives_exact_zeros(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 20, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    sub = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=500, l1=3.0)
    prox = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=500, l1=3.0, l1_proximal=True)
    assert np.mean(prox.params["W1"] == 0) > 0.3
    assert np.mean(sub.params["W1"] == 0) == 0  # subgradient steps hover around zero


def test_no_progress_bar_for_short_runs(circles, capsys):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1), steps=200)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_eval_mode_uses_running_statistics(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 1), batch_norm=True)
    hist = cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1),
                    steps=300, batch_size=50, rng=0)
    assert set(hist.state) == {"running_mean1", "running_var1"}
    Z1 = hist.params["W1"] @ X
    np.testing.assert_allclose(hist.state["running_mean1"], Z1.mean(axis=1, keepdims=True), atol=0.1)


def test_status_says_blew_up_and_stalled(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 10, 10, 10, 1))
    params = cu.init_params(spec, "he_normal", rng=0, gain=4.0)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=300)
    assert not hist.diverged
    assert hist.status().startswith("the cost blew up to ")
    zeros = cu.init_params(spec, "zeros")
    assert cu.train(spec, zeros, X, Y, cu.optimizers.sgd(0.5), steps=100).status() == \
        "stalled: the cost stayed at 0.6931 for 100 steps"
