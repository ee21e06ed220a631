"""The training loop: divergence in words, callbacks, minibatches, early stopping,
clipping, penalties, progress bars that leave no timing text."""

import warnings

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
    assert hist.status().startswith(f"Diverged at step {hist.diverged_at}: the cost became")
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
                    cu.optimizers.adam(0.01), steps=3000,
                    validation=cu.Validation(X_test, Y_test, every=50, patience=5))
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
    tame = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.5), steps=300, clip=cu.ClipNorm(1.0))
    assert wild.diverged
    assert not tame.diverged and tame.final_cost < tame.costs[0]


def test_l1_proximal_gives_exact_zeros(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 20, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    sub = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=500, penalty=cu.L1(3.0))
    prox = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=500,
                    penalty=cu.L1(3.0, proximal=True))
    assert np.mean(prox.params["W1"] == 0) > 0.3
    assert np.mean(sub.params["W1"] == 0) == 0  # subgradient steps hover around zero


def test_clip_norm_applies_the_clipped_gradient_in_one_step(circles):
    X, Y, _, _ = circles
    X, Y = np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(Y, dtype=float)
    spec = cu.Spec((2, 10, 10, 1), activation="leaky_relu")
    params = cu.init_params(spec, "he_normal", rng=0, gain=4.0)
    lr, max_norm = 0.5, 0.25
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
    assert norm > 10 * max_norm  # so the clipping matters
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr), steps=1, clip=cu.ClipNorm(max_norm))
    for k, p in params.items():
        step = grads["d" + k] * (max_norm / norm)  # the gradient rescaled to norm max_norm
        np.testing.assert_allclose(hist.params[k], p - lr * step, rtol=1e-14, atol=1e-16)
    applied = {"d" + k: (params[k] - hist.params[k]) / lr for k in params}
    assert cu.optimizers.global_norm(applied) == pytest.approx(max_norm, rel=1e-9)


def test_clip_norm_in_train_survives_an_overflowing_gradient(circles):
    # First-layer weights of 1e156 give hidden activations, and so dW2 entries, above 1e154,
    # whose squares overflow: the plain sum of squares is inf. The step is still clipped to
    # the given norm (unclipped, W2 would move by about 1e156), with no warning.
    X, Y, _, _ = circles
    spec = cu.Spec((2, 3, 1), activation="linear")
    params = {"W1": np.full((3, 2), 1e156), "b1": np.zeros((3, 1)),
              "W2": np.full((1, 3), 1e-3), "b2": np.zeros((1, 1))}
    _, grads, _ = cu.loss_and_grads(spec, params, X, Y)
    assert np.abs(grads["dW2"]).max() > 1e154
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(1.0), steps=1, clip=cu.ClipNorm(1.0))
    applied = {"d" + k: params[k] - hist.params[k] for k in params}
    assert cu.optimizers.global_norm(applied) == pytest.approx(1.0, rel=1e-6)


def test_early_stopping_can_return_the_starting_point(circles):
    # A learning rate far too large: every update makes the validation cost worse than at
    # the start, so the best point seen is step 0 and train returns the initial parameters.
    X, Y, X_test, Y_test = circles
    spec = cu.Spec((2, 8, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(30.0), steps=200,
                    validation=cu.Validation(X_test, Y_test, every=10, patience=3))
    assert hist.evals["step"][:4] == [0, 10, 20, 30]
    assert min(hist.evals["val_cost"][1:]) > hist.evals["val_cost"][0]
    assert hist.stopped_early and hist.best_step == 0 and hist.steps == 30
    for k in params:
        np.testing.assert_array_equal(hist.params[k], params[k])
    assert hist.status().endswith("best validation cost at step 0")


def test_full_batch_training_needs_no_rng(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    params = cu.init_params(spec, rng=0)
    full = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=20)
    same = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=20, batch_size=X.shape[1])
    np.testing.assert_array_equal(full.costs, same.costs)
    zeros = cu.init_params(spec, "zeros")  # a constant initializer draws nothing
    assert not any(v.any() for v in zeros.values())


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
    assert hist.status().startswith("Blew up: the cost rose to ")
    zeros = cu.init_params(spec, "zeros")
    assert cu.train(spec, zeros, X, Y, cu.optimizers.sgd(0.5), steps=100).status() == \
        "Stalled: the cost stayed at 0.6931 for 100 steps"


def test_progress_bar_on_a_terminal_clears_its_line(circles, capsys):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 1))
    cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1), steps=300,
             progress=True)
    err = capsys.readouterr().err
    assert "training" in err  # the bar was shown...
    drawn = [part for part in err.split("\r") if part]
    assert drawn[-1].strip() == ""  # ...and its line overwritten with blanks at the end


PROGRESS_NOTEBOOK = [
    "import course_utils as cu\n"
    "X, Y, _, _ = cu.datasets.load_circles()\n"
    "spec = cu.Spec((2, 5, 1))\n"
    "published = []  # every display message, as a kernel sends it (nbval keeps these)\n"
    "_publish = get_ipython().display_pub.publish\n"
    "def _recording(data=None, *args, **kwargs):\n"
    "    published.append(dict(data or {}))\n"
    "    return _publish(data, *args, **kwargs)\n"
    "get_ipython().display_pub.publish = _recording",
    # a whole run, a run stopped by its callback, and a diverging one (n < total on close)
    "print('before')\n"
    "hist = cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1),\n"
    "                steps=3000, progress=True)\n"
    "print('after', hist.steps)",
    "hist = cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1),\n"
    "                steps=3000, progress=True, callback=lambda *a: True, callback_every=500)\n"
    "print('stopped at', hist.steps)",
    "deep = cu.Spec((2, 10, 10, 10, 10, 1), activation='leaky_relu')\n"
    "params = cu.init_params(deep, 'he_normal', rng=0, gain=4.0)\n"
    "hist = cu.train(deep, params, X, Y, cu.optimizers.sgd(0.5), steps=300, progress=True)\n"
    "print('diverged', hist.diverged)",
    "print(sorted({mime for data in published for mime in data}))",
]


def test_progress_bar_leaves_no_timing_text_in_a_stored_notebook(tmp_path):
    """Run a notebook in a real kernel, as `make notebooks` does, with progress=True so the
    bar shows: no output (and no stored widget state) may keep the bar's timing text."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in PROGRESS_NOTEBOOK]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     store_widget_state=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    stored = nbformat.writes(nb)
    assert "it/s" not in stored and "%|" not in stored and "training" not in stored
    texts = ["".join(o.text) for c in nb.cells for o in c.outputs if o.output_type == "stream"]
    assert texts[:4] == ["before\n", "after 3000\n", "stopped at 500\n", "diverged True\n"]
    for cell in nb.cells[1:4]:
        bars = [o for o in cell.outputs if o.output_type == "display_data"]
        assert len(bars) == 1 and bars[0].data == {}  # the bar was shown, then emptied
        assert all(o.output_type in ("stream", "display_data") for o in cell.outputs)
        assert not any(o.get("name") == "stderr" for o in cell.outputs)
    # What the kernel sent (what nbval, which ignores display updates, compares): the
    # widget view and the final empty update, never the bar's text/plain.
    assert texts[-1] == "['application/vnd.jupyter.widget-view+json']\n"


def test_chance_cost_is_the_entropy_of_the_class_frequencies():
    assert cu.training.chance_cost(np.array([[0, 1, 0, 1]])) == pytest.approx(np.log(2))
    assert cu.training.chance_cost(np.eye(4)) == pytest.approx(np.log(4))
    assert cu.training.chance_cost(np.array([[1, 1, 1, 0]])) == pytest.approx(
        -(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


def test_verdict_judges_from_the_numbers(circles):
    """One rule for every notebook: learned, at chance, got worse, stalled, blew up, diverged."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 5, 1))
    params = cu.init_params(spec, "he_normal", rng=0)
    learned = cu.train(spec, params, X, Y, cu.optimizers.sgd(1.0), steps=300)
    assert learned.verdict == "learned" and learned.status().startswith("Learned: cost ")
    # A rate so large the run ends where guessing the base rate would (ln 2 here).
    at_chance = cu.train(spec, params, X, Y, cu.optimizers.sgd(8.0), steps=300)
    assert at_chance.final_cost == pytest.approx(np.log(2), rel=0.05)
    assert at_chance.verdict == "at chance" and at_chance.status().startswith("At chance")
    worse = cu.History(costs=np.array([0.30, 0.35, 0.40]), steps=2, chance_cost=np.log(2))
    assert worse.verdict == "got worse" and worse.status().startswith("Got worse")
    unknown_chance = cu.History(costs=np.array([0.8, 0.7]), steps=1)
    assert unknown_chance.verdict == "learned"  # without labels, chance cannot be judged
    for hist in (learned, at_chance, worse):
        assert hist.status()[0].isupper()


def test_verdict_reads_the_last_epoch_on_minibatch_runs():
    """One noisy batch does not decide: the last epoch's mean cost does."""
    noisy_end = np.r_[1.0, np.full(49, 0.3), 0.9]  # one bad last batch in an epoch of 10
    hist = cu.History(costs=noisy_end, steps=51, chance_cost=np.log(2), steps_per_epoch=10)
    assert hist.judged_cost == pytest.approx((9 * 0.3 + 0.9) / 10)
    assert hist.verdict == "learned"
    full_batch = cu.History(costs=noisy_end, steps=51, chance_cost=np.log(2))
    assert full_batch.verdict == "at chance"


def test_train_records_the_steps_per_epoch(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 4, 1))
    params = cu.init_params(spec, rng=0)
    assert cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=3).steps_per_epoch == 1
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=3, batch_size=64, rng=0)
    assert hist.steps_per_epoch == 5  # 300 examples: 4 batches of 64 and one of 44


def test_status_prints_the_cost_the_verdict_read():
    hist = cu.History(costs=np.r_[1.0, np.full(49, 0.3), 0.9], steps=51, chance_cost=np.log(2),
                      steps_per_epoch=10)
    assert hist.status() == "Learned: cost 1 -> 0.36 (last epoch's mean) in 51 steps"
