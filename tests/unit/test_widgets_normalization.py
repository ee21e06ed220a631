"""The normalization dashboard without a browser: set each control as a reader would, check
what is drawn and said, and that nothing raised (nbval cannot see tracebacks inside widget
callbacks)."""

import re

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.normalization_dashboard()


def reset(d):
    d.set(scale_ratio=10.0, inputs="raw")
    d.snap_best_rate()


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Input-normalization dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


def test_starts_at_the_best_rate(dashboard):
    reset(dashboard)
    cost = dashboard.cost()
    assert dashboard.controls["lr"].value == pytest.approx(cu.lessons.normalization.best_learning_rate(cost.H))
    text = dashboard.status_text()
    predicted = cu.lessons.normalization.predicted_steps(cost.H, 1e-3)
    assert f"Reached the target in {predicted:,} steps" in text
    assert text[0].isupper()
    assert f"theory says {predicted:,} steps" in text


@pytest.mark.parametrize("control,value", [("scale_ratio", 100.0), ("scale_ratio", 1.0),
                                           ("inputs", "standardized"), ("lr", 1e-3),
                                           ("lr", 0.05)])
def test_every_control_changes_the_figure(dashboard, control, value):
    reset(dashboard)
    before = dashboard.view.png
    dashboard.set(**{control: value})
    assert dashboard.view.png != before
    assert dashboard.status_text()


def test_the_path_is_drawn(dashboard):
    reset(dashboard)
    x, y = dashboard.path_line.get_data()
    assert len(x) == cu.lessons.normalization.predicted_steps(dashboard.cost().H, 1e-3) + 1
    assert x[0] == 0 and y[0] == 0
    # the zig-zag: w2's step changes sign from one step to the next
    assert np.all(np.diff(np.sign(np.diff(y[:20]))) != 0)
    w_star = dashboard.cost().minimizer
    assert dashboard.minimum_mark.get_data()[0][0] == pytest.approx(w_star[0])


def test_divergence_is_reported_in_words(dashboard):
    reset(dashboard)
    limit = cu.lessons.normalization.max_stable_learning_rate(dashboard.cost().H)
    dashboard.set(lr=2 * limit)
    text = dashboard.status_text()
    assert "Diverged at step" in text and "stable limit" in text
    assert dashboard.curve.note.get_text().startswith("diverged at step")
    dashboard.set(lr=1.001 * limit)  # barely unstable: grows too slowly to pass the threshold
    assert "Diverging slowly" in dashboard.status_text()


def test_not_reached_is_reported_in_words(dashboard):
    reset(dashboard)
    dashboard.set(scale_ratio=100.0)
    dashboard.snap_best_rate()
    text = dashboard.status_text()
    assert "Not reached within 2,000 steps" in text and "theory says" in text
    dashboard.set(lr=1e-6)
    assert "far below the best one" in dashboard.status_text()


def test_standardized_reaches_the_target_in_a_few_steps_at_every_scale(dashboard):
    for ratio in (1.0, 10.0, 1000.0):
        dashboard.set(scale_ratio=ratio, inputs="standardized")
        dashboard.snap_best_rate()
        assert "Reached the target in 2 steps" in dashboard.status_text()
        assert "Standardized features" in dashboard.status_text()


def test_revisit_is_served_from_the_cache(dashboard):
    reset(dashboard)
    dashboard.set(scale_ratio=30.0)
    dashboard.set(scale_ratio=10.0)
    assert dashboard.timings[-1]["kind"] == "cached"
    assert dashboard.timings[-2]["kind"] == "trained"


def test_caches_are_bounded():
    d = cu.widgets.normalization_dashboard(cache_size=3)
    for lr in (1e-4, 2e-4, 3e-4, 4e-4, 5e-4):
        d.set(lr=lr)
    assert len(d._cache) == 3
    for ratio in (2.0, 3.0, 4.0, 5.0):
        d.set(scale_ratio=ratio)
    assert len(d._surfaces) <= 3


def test_unknown_control_and_bad_option():
    d = cu.widgets.normalization_dashboard()
    with pytest.raises(ValueError, match="unknown control 'ratio'"):
        d.set(ratio=2.0)
    with pytest.raises(ValueError, match="inputs must be one of"):
        cu.widgets.normalization_dashboard(inputs="normalized")


# ---------------------------------------------------------------- issue 14: exact keys, true words


def test_best_rate_at_scale_1000_is_stable_and_not_merged_with_the_limit():
    """At scale 1,000 the best rate and the limit 2/lambda_max differ by 8.8e-7 of it: a key
    rounded to 6 digits merged them and the best-rate button showed a divergence."""
    d = cu.widgets.normalization_dashboard()
    d.set(scale_ratio=1000.0)
    cost = d.cost()
    limit = cu.lessons.normalization.max_stable_learning_rate(cost.H)
    d.set(lr=limit * (1 + 1e-7))          # just above the limit: diverging slowly
    assert "Diverging slowly" in d.status_text()
    d.snap_best_rate()                    # just below: stable
    assert d.key()[2] == cu.lessons.normalization.best_learning_rate(cost.H) < limit
    text = d.status_text()
    assert "Diverg" not in text and "Not reached within 2,000 steps" in text, text
    assert f"theory says {cu.lessons.normalization.predicted_steps(cost.H, 1e-3):,} steps" in text


def test_keys_hold_the_control_values_exactly():
    d = cu.widgets.normalization_dashboard()
    d.set(lr=1.0000001e-3)
    assert d.key() == (10.0, "raw", 1.0000001e-3)


def test_divergence_advice_is_true_at_scale_1000():
    """The status no longer reads 'stable limit 1.9e-06 ... Try the best rate, 1.9e-06' nor
    'grew 1-fold': it says how close the best rate is to the limit, the growth per step with
    readable numbers, and that even the best rate needs far more steps than allowed."""
    d = cu.widgets.normalization_dashboard()
    d.set(scale_ratio=1000.0)
    text = d.status_text()   # the default rate (best for scale 10) is far above this limit
    assert text.startswith("Raw features")
    assert "Diverged at step" in text and "times the stable limit" in text
    assert "below the limit by only 8.8e-07 of it" in text
    assert "Even at that rate theory says 1,973,294 steps" in text
    assert "by a factor of 2.0e4 per step" in text
    assert "Try the best rate" not in text
    limit = cu.lessons.normalization.max_stable_learning_rate(d.cost().H)
    d.set(lr=limit * (1 + 1e-7))
    text = d.status_text()
    assert "by 1.0e-07 of it" in text and "a factor of 1 + 2.0e-07 per step" in text
    assert "1-fold" not in text


@pytest.mark.parametrize("factor,text", [(1.0000002, "1 + 2.0e-07"), (1.002, "1.002"),
                                         (1.6, "1.6"), (250.4, "250"), (11079.0, "1.1e4"),
                                         (3699138406.0, "3.7e9"), (float("inf"), "inf")])
def test_growth_factors_are_formatted_for_reading(factor, text):
    from course_utils.widgets.normalization import _factor
    assert _factor(factor) == text


def test_equal_scales_are_said_in_words():
    """At scale 1 the status said "x2 1× larger than x1"."""
    d = cu.widgets.normalization_dashboard(scale_ratio=1.0)
    assert "x1 and x2 on the same scale" in d.status_text() and "1× larger" not in d.status_text()
    d.set(inputs="standardized")
    assert "were on the same scale" in d.status_text()


def test_near_the_limit_the_status_says_why_a_smaller_rate_gets_further():
    """Scale 1,000 at the best rate: under 1% of the way in 2,000 steps, and the status says
    that the steep direction barely settles; at half the rate the cost goes about half of
    the way (the steep direction settled). Far from the limit the clause is absent."""
    d = cu.widgets.normalization_dashboard(scale_ratio=1000.0)
    d.snap_best_rate()
    text = d.status_text()
    done = float(re.search(r"went ([\d.]+)% of the way", text).group(1))
    assert done < 1 and "steep direction's error flips sign" in text and "twice as slow" in text
    d.set(lr=d.controls["lr"].value / 2)
    text = d.status_text()
    assert 45 < float(re.search(r"went ([\d.]+)% of the way", text).group(1)) < 55
    assert "flips sign" not in text


def test_a_rate_exactly_at_the_limit_is_said_truly():
    """At lr = 2 / lambda_max exactly the steep error neither grows nor shrinks."""
    d = cu.widgets.normalization_dashboard(scale_ratio=10.0)
    d.set(lr=cu.lessons.normalization.max_stable_learning_rate(d.cost().H))
    text = d.status_text()
    assert "Not reached within" in text and "does not shrink at all" in text
    assert "0.0e+00" not in text
