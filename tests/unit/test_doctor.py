"""course_utils.doctor (the training doctor) and what train(record_every=k) records for it."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import doctor


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


def _hist(costs, **fields):
    return cu.History(costs=np.asarray(costs, dtype=float), steps=len(costs) - 1, **fields)


# ---------------------------------------------------------------- what training records


def test_record_every_records_the_doctors_statistics(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 6, 1), activation=("tanh", "relu"))
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y, cu.optimizers.sgd(0.1),
                    steps=50, record_every=10, batch_size=64, rng=0)
    stats = hist.layer_stats
    assert stats["saturated"].shape == (5, 2) and stats["never_active"].shape == (5, 2)
    assert stats["update_ratio"].shape == (5, 3)
    assert np.all(np.isnan(stats["saturated"][:, 1]))  # ReLU does not saturate that way
    assert np.all((stats["saturated"][:, 0] >= 0) & (stats["saturated"][:, 0] <= 1))
    assert hist.batch_size == 64 and hist.nonfinite is None


def test_the_recorded_statistics_are_the_formulas(circles):
    """At step 0 of plain SGD: saturated = mean(|Z1| > 2) for tanh, never_active = units with
    z <= 0 on every example, update ratio = lr ||dW|| / ||W||."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 8, 6, 1), activation=("tanh", "relu"))
    params = cu.init_params(spec, "he_normal", rng=0, gain=3.0)
    params["b2"][:2] = -100.0  # two units of layer 2 can never be active
    lr = 0.05
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(lr), steps=1, record_every=1)
    _, grads, cache = cu.loss_and_grads(spec, params, X, Y)
    stats = hist.layer_stats
    assert stats["saturated"][0, 0] == np.mean(np.abs(cache.pre[0]) > cu.training.SATURATION_Z["tanh"])
    assert stats["never_active"][0, 1] == np.mean(np.all(cache.pre[1] <= 0, axis=1)) >= 2 / 6
    for l in (1, 2, 3):
        expected = lr * np.linalg.norm(grads[f"dW{l}"]) / np.linalg.norm(params[f"W{l}"])
        assert stats["update_ratio"][0, l - 1] == pytest.approx(expected, rel=1e-12)


def test_the_first_nonfinite_place_is_recorded(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 5, 5, 1), activation="relu")
    params = cu.init_params(spec, "he_normal", rng=0)
    params["W2"] = np.full((5, 5), 1e308)  # finite, but layer 2's sums overflow
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=5)
    assert hist.nonfinite == {"step": 0, "layer": 2, "where": "pre-activations"}
    params["W2"][0, 0] = np.nan
    hist = cu.train(spec, params, X, Y, cu.optimizers.sgd(0.1), steps=5)
    assert hist.nonfinite == {"step": 0, "layer": 2, "where": "parameters"}


# ---------------------------------------------------------------- single checks


def test_non_finite_names_the_step_and_the_layer():
    hist = _hist([0.7, 5.0, np.nan], diverged_at=2,
                 nonfinite={"step": 2, "layer": 3, "where": "pre-activations"})
    report = cu.diagnose(hist)
    assert report.codes[0] == "non_finite"
    assert "step 2" in report["non_finite"].measured
    assert "layer 3's pre-activations" in report["non_finite"].measured


def test_divergence_reads_the_cost_curve():
    assert "divergence" in cu.diagnose(_hist([0.7, 0.9, 1.5, 2.0, 1.8])).codes
    assert "divergence" in cu.diagnose(_hist([0.7, 0.3, 2.0, 0.2, 0.1])).codes  # a spike
    assert "divergence" not in cu.diagnose(_hist([0.7, 0.5, 0.3, 0.2, 0.1])).codes
    # minibatches: one noisy batch does not count; the epoch's mean does
    noisy = [0.7, 0.6, 1.2, 0.5, 0.4, 0.5, 0.3, 0.4, 0.2, 0.3]
    assert "divergence" not in cu.diagnose(_hist(noisy, steps_per_epoch=2)).codes


def test_chance_and_constant_predictions(circles):
    X, Y, _, _ = circles
    spec = cu.Spec((2, 4, 1), activation="relu")
    zeros = cu.init_params(spec, "zeros")
    hist = cu.train(spec, zeros, X, Y, cu.optimizers.sgd(0.1), steps=20)
    report = cu.diagnose(hist, spec, X, Y)
    assert report.codes[0] == "symmetric_weights" and "stuck_at_chance" in report
    assert report["stuck_at_chance"].numbers["majority_share"] == 1.0


def test_unnormalized_inputs():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 50)) * np.array([[1.0], [1.0], [1000.0]])
    report = cu.diagnose(_hist([0.7, 0.5]), X=X)
    assert report.codes == ("unnormalized_inputs",)
    assert report["unnormalized_inputs"].numbers["scale_spread"] > 100
    assert cu.diagnose(_hist([0.7, 0.5]), X=X / np.array([[1.0], [1.0], [1000.0]])).healthy


def test_update_ratio_band_is_two_orders_of_magnitude_around_1e_3():
    def with_ratio(r):
        stats = {"step": np.arange(3), "update_ratio": np.full((3, 2), r)}
        return cu.diagnose(_hist([0.7, 0.6, 0.5], layer_stats=stats))

    assert with_ratio(1e-6)["update_ratio"].title == "Updates too small"
    assert with_ratio(0.5)["update_ratio"].title == "Updates too large"
    assert with_ratio(1e-3).healthy and with_ratio(2e-5).healthy and with_ratio(0.05).healthy


def test_gradient_ratio_thresholds():
    def with_norms(first, last):
        stats = {"step": np.arange(3), "grad_norm": np.tile([first, 1.0, last], (3, 1))}
        return cu.diagnose(_hist([0.7, 0.6, 0.5], layer_stats=stats))

    assert with_norms(1e-3, 1.0).codes == ("vanishing_gradients",)
    assert with_norms(1.0, 1.0).healthy and with_norms(0.1, 1.0).healthy
    assert with_norms(200.0, 1.0).codes == ("exploding_gradients",)


def test_overfitting_reads_the_validation_record():
    evals = {"step": [0, 10, 20, 30], "train_cost": [0.7, 0.3, 0.1, 0.05],
             "val_cost": [0.7, 0.4, 0.5, 0.6], "train_acc": [0.5, 0.9, 0.98, 1.0],
             "val_acc": [0.5, 0.85, 0.84, 0.82]}
    assert cu.diagnose(_hist([0.7, 0.3, 0.1], evals=evals)).codes == ("overfitting",)
    close = dict(evals, val_acc=[0.5, 0.9, 0.94, 0.95])  # the gap stays within the noise
    assert cu.diagnose(_hist([0.7, 0.3, 0.1], evals=close)).healthy
    no_validation = cu.diagnose(_hist([0.7, 0.3, 0.1]))
    assert no_validation.healthy and "overfitting_not_checked" in [f.code for f in no_validation.notes]


# ---------------------------------------------------------------- the report


def test_the_report_reads_as_a_table_and_as_data():
    hist = _hist([0.7, 0.9, 1.5, 2.0, np.inf], diverged_at=4,
                 nonfinite={"step": 4, "layer": 1, "where": "logits"})
    report = cu.diagnose(hist)
    assert report.codes == ("non_finite",)  # a NaN run is not also called "diverging"
    text = str(report)
    assert text.startswith(report.summary()) and "probable cause" in text and "try:" in text
    assert "<table>" in report._repr_html_() and "05_optimizers" in report._repr_html_()
    row = report.rows()[0]
    assert set(row) == {"severity", "finding", "measured", "cause", "remedy", "notebook"}
    assert report.notes  # no statistics, no data: said, not guessed
    with pytest.raises(KeyError, match="no finding"):
        report["dead_relus"]


def test_every_finding_names_a_notebook_that_exists():
    import pathlib
    notebooks = pathlib.Path(__file__).parents[2] / "notebooks"
    for name in doctor.NOTEBOOKS.values():
        assert (notebooks / f"{name}.ipynb").exists(), name


def test_healthy_run_on_real_data_raises_nothing():
    X, Y, X_test, Y_test = cu.datasets.load_digits()
    spec = cu.Spec((64, 32, 32, 10), activation="relu", output="softmax")
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y, cu.optimizers.sgd(0.1),
                    steps=300, batch_size=64, rng=0, record_every=10,
                    validation=cu.Validation(X_test, Y_test, every=20))
    report = cu.diagnose(hist, spec, X, Y)
    assert report.healthy and report.summary() == "No fault found"


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="history must be a History"):
        cu.diagnose({"costs": [1.0]})
    with pytest.raises(TypeError, match="spec must be a cu.Spec"):
        cu.diagnose(_hist([0.7]), spec=(2, 3, 1))
    spec = cu.Spec((2, 3, 1))
    hist = _hist([0.7, 0.6], params=cu.init_params(spec, "he_normal", rng=0))
    with pytest.raises(ValueError, match="X must have shape"):
        cu.diagnose(hist, spec, X=np.zeros((3, 5)), Y=np.zeros((1, 5)))


def test_tiny_updates_explained_by_vanishing_gradients_are_not_blamed_on_the_rate():
    stats = {"step": np.arange(3), "grad_norm": np.tile([1e-4, 1.0], (3, 1)),
             "update_ratio": np.full((3, 2), 1e-7)}
    assert cu.diagnose(_hist([0.7, 0.69, 0.69], layer_stats=stats)).codes == ("vanishing_gradients",)
    stats["grad_norm"] = np.ones((3, 2))
    assert cu.diagnose(_hist([0.7, 0.69, 0.69], layer_stats=stats)).codes == ("update_ratio",)
