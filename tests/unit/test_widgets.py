"""Dashboards without a browser: set each control as a reader would, check what is drawn
and said, and that nothing raised (nbval cannot see tracebacks inside widget callbacks)."""

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def init_dashboard():
    return cu.widgets.initialization_dashboard()


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(init_dashboard):
    bundle = init_dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Initialization dashboard (run the notebook to use the controls)"
    assert init_dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("control,value", [("gain", 10.0), ("gain", 0.1), ("activation", "tanh"),
                                           ("depth", 5), ("initializer", "Xavier uniform"),
                                           ("initializer", "standard uniform")])
def test_every_control_changes_the_figure(init_dashboard, control, value):
    before = init_dashboard.view.png
    init_dashboard.set(**{control: value})
    assert init_dashboard.view.png != before
    assert init_dashboard.status_text()
    init_dashboard.set(initializer="He normal", activation="relu", gain=1.0, depth=3)


def _layer_stds(dashboard):
    """The std each layer's weights are drawn with at the current setting."""
    init = cu.widgets.initialization._initializer(dashboard.controls["initializer"].value)
    sizes = dashboard.spec().layer_sizes
    return np.array([dashboard.controls["gain"].value * init.std(fan_in, fan_out)
                     for fan_in, fan_out in zip(sizes[:-1], sizes[1:])])


def _rule_stds(dashboard, rule):
    sizes = dashboard.spec().layer_sizes
    init = cu.initializers.get({"Xavier": "xavier_normal", "He": "he_normal"}[rule])
    return np.array([init.std(fan_in, fan_out) for fan_in, fan_out in zip(sizes[:-1], sizes[1:])])


@pytest.mark.parametrize("start,rule,initializer,gain", [
    ("LeCun normal", "He", "LeCun normal", np.sqrt(2)),          # kept: 1 / fan_in x 2
    ("standard uniform", "He", "standard uniform", np.sqrt(6)),  # kept: 1 / (3 fan_in) x 6
    ("He uniform", "He", "He uniform", 1.0),
    ("standard uniform", "Xavier", "Xavier uniform", 1.0),       # no single gain: switched
    ("He normal", "Xavier", "Xavier normal", 1.0),
    ("Xavier uniform", "He", "He uniform", 1.0),
    ("normal, std 1", "He", "He normal", 1.0),
    ("zeros", "Xavier", "Xavier normal", 1.0),
])
def test_snap_buttons_give_the_rules_std_at_every_layer(init_dashboard, start, rule, initializer, gain):
    init_dashboard.set(initializer=start, activation="relu", gain=5.0, depth=3)
    (init_dashboard.xavier_button if rule == "Xavier" else init_dashboard.he_button).click()
    assert init_dashboard.controls["initializer"].value == initializer
    assert init_dashboard.controls["gain"].value == pytest.approx(gain, rel=1e-12)
    np.testing.assert_allclose(_layer_stds(init_dashboard), _rule_stds(init_dashboard, rule), rtol=1e-9)
    init_dashboard.set(depth=5)  # still the rule's std after a change of depth
    np.testing.assert_allclose(_layer_stds(init_dashboard), _rule_stds(init_dashboard, rule), rtol=1e-9)
    init_dashboard.set(initializer="He normal", activation="relu", gain=1.0, depth=3)


@pytest.mark.parametrize("activation,rule,words", [
    ("relu", "He", "He's rule was derived for ReLU"),
    ("relu", "Xavier", "He's rule is the one for ReLU"),
    ("tanh", "Xavier", "like tanh: the rule for this activation"),
    ("tanh", "He", "Xavier's rule is the one for tanh"),
    ("sigmoid", "He", "Neither rule was derived for the sigmoid"),
    ("sigmoid", "Xavier", "Xavier x 4"),
])
def test_snap_says_which_activation_the_rule_is_for(init_dashboard, activation, rule, words):
    init_dashboard.set(initializer="He normal", activation=activation, gain=1.0, depth=2)
    (init_dashboard.xavier_button if rule == "Xavier" else init_dashboard.he_button).click()
    text = init_dashboard.status_text()
    assert words in text and f"{rule} scale (Var(w) = 2 / " in text
    assert "Train accuracy" in text  # the run's verdict is still there
    init_dashboard.set(activation="relu", depth=3)


def test_matching_gain():
    get, sizes = cu.initializers.get, (2, 12, 12, 1)
    assert cu.widgets.initialization.matching_gain(get("lecun_normal"), get("he_normal"), sizes) \
        == pytest.approx(np.sqrt(2))
    assert cu.widgets.initialization.matching_gain(get("xavier_normal"), get("xavier_uniform"), sizes) == 1.0
    assert cu.widgets.initialization.matching_gain(get("he_normal"), get("xavier_normal"), sizes) is None
    assert cu.widgets.initialization.matching_gain(get("zeros"), get("he_normal"), sizes) is None
    with pytest.raises(ValueError, match="rule must be one of Xavier, He"):
        cu.widgets.initialization_dashboard(steps=10).snap("LeCun")


def test_spread_panel_draws_z_and_a(init_dashboard):
    """The panel's purple line is the std of a = f(z) at the start, per hidden layer."""
    init_dashboard.set(initializer="He normal", activation="tanh", gain=2.0, depth=3)
    spec = init_dashboard.spec()
    params = cu.init_params(spec, "he_normal", rng=init_dashboard.seed, gain=2.0)
    Zs, As = cu.network.hidden_activations(spec, params, init_dashboard.X)
    _, drawn = init_dashboard.spread.lines["a_init"].get_data()
    np.testing.assert_allclose(drawn, [A.std() for A in As], rtol=1e-12)
    _, drawn_z = init_dashboard.spread.lines["z_init"].get_data()
    np.testing.assert_allclose(drawn_z, [Z.std() for Z in Zs], rtol=1e-12)
    labels = [line.get_label() for line in init_dashboard.spread.ax.get_lines()]
    assert labels == ["z predicted at init", "z measured at init", "z after training", "a = f(z) at init"]
    init_dashboard.set(activation="relu", gain=1.0)


def test_status_says_what_went_wrong_in_words(init_dashboard):
    init_dashboard.set(initializer="zeros", activation="relu", gain=1.0, depth=3)
    assert "3 hidden layers. Every weight starts at 0 and relu(0) = 0" in init_dashboard.status_text()
    assert "every weight gradient is exactly 0" in init_dashboard.status_text()
    init_dashboard.set(activation="tanh")
    assert "tanh(0) = 0" in init_dashboard.status_text()
    init_dashboard.set(activation="sigmoid")
    assert "sigmoid(0) = 1/2" in init_dashboard.status_text()
    assert "symmetry" in init_dashboard.status_text()
    assert "exactly 0" not in init_dashboard.status_text()
    init_dashboard.set(activation="relu")
    init_dashboard.set(initializer="He normal", gain=100.0, depth=5)
    text = init_dashboard.status_text()
    assert "Diverged at step" in text or "Blew up" in text
    init_dashboard.set(gain=0.01)
    assert "vanishing" in init_dashboard.status_text()
    init_dashboard.set(gain=1.0, depth=3)
    assert "Learned: cost" in init_dashboard.status_text()
    assert "Train accuracy 0.9" in init_dashboard.status_text()
    assert init_dashboard.status_text()[0].isupper()


def test_status_reports_a_cost_that_jumped_back_up(init_dashboard):
    """A run whose cost fell far and then spiked back near ln 2 at its last recorded step
    (seen with He normal, tanh, depth 5: cost 0.075 at step 966, 0.696 at step 999, 0.175
    after the last update, train accuracy 0.94) is "at chance" by History's rule, which reads
    only the last recorded cost. The status must not say "At chance" beside an accuracy of
    0.94: it says "Unstable", what the cost did, and the cost after the last step."""
    hist = cu.training.History(costs=np.array([0.714, 0.4, 0.075, 0.696]), steps=4,
                               chance_cost=np.log(2))
    assert hist.verdict == "at chance"
    init = cu.initializers.get("he_normal")
    text, level = init_dashboard._verdict(hist, init, np.array([1.0, 0.9]), 0.94, 0.94, 0.1,
                                          end_cost=0.175)
    assert "At chance" not in text
    assert text.split(". ")[1].startswith("Unstable: the cost fell from 0.714 to 0.075 (step 2), "
                                          "then jumped back up, to 0.696 at step 3")
    assert "as high as guessing" in text and "After the last step the cost is 0.175" in text
    assert "Train accuracy 0.94" in text and level == "warn"
    worse = cu.training.History(costs=np.array([0.5, 0.1, 0.6]), steps=3, chance_cost=np.log(2))
    assert worse.verdict == "got worse"
    text, _ = init_dashboard._verdict(worse, init, np.array([1.0, 0.9]), 0.8, 0.8, 0.1)
    assert "Unstable" in text and "above where it started" in text and "After the last" not in text
    learned = cu.training.History(costs=np.array([0.714, 0.4, 0.075, 0.07]), steps=4,
                                  chance_cost=np.log(2))
    text, level = init_dashboard._verdict(learned, init, np.array([1.0, 0.9]), 0.99, 0.96, 0.1)
    assert "jumped" not in text and level == "good" and text.split(". ")[1].startswith("Learned")
    spiked = cu.training.History(costs=np.array([0.714, 0.4, 0.075, 0.564]), steps=4,
                                 chance_cost=np.log(2))
    assert spiked.verdict == "learned"
    text, level = init_dashboard._verdict(spiked, init, np.array([1.0, 0.9]), 0.95, 0.94, 0.1)
    assert text.split(". ")[1].startswith("Unstable: the cost fell from 0.714 to 0.075 (step 2), "
                                          "then jumped back up, to 0.564 at step 3: the steps")
    assert "Learned" not in text and level == "warn"
    flat = cu.training.History(costs=np.array([0.7, 0.69, 0.69]), steps=3, chance_cost=np.log(2))
    text, level = init_dashboard._verdict(flat, init, np.array([1.0, 0.9]), 0.5, 0.5, 0.1)
    assert text.split(". ")[1].startswith("At chance") and level == "bad"


def test_revisit_is_served_from_the_cache(init_dashboard):
    init_dashboard.set(initializer="He normal", activation="relu", gain=1.0, depth=3)
    init_dashboard.set(gain=2.0)
    init_dashboard.set(gain=1.0)
    assert init_dashboard.timings[-1]["kind"] == "cached"


def test_unknown_control_is_a_clear_error(init_dashboard):
    with pytest.raises(ValueError, match="unknown control 'lr'"):
        init_dashboard.set(lr=0.1)


def test_learning_rate_demo_reports_divergence():
    demo = cu.widgets.learning_rate_demo()
    demo.set(lr=30.0)
    assert "Diverged at step" in demo.status_text()
    demo.set(lr=1.0)
    assert "Learned: cost" in demo.status_text() and "in 300 steps" in demo.status_text()


def test_cache_is_bounded():
    dashboard = cu.widgets.initialization_dashboard(cache_size=3, steps=50)
    for gain in (0.5, 2.0, 4.0, 8.0):
        dashboard.set(gain=gain)
    assert len(dashboard._cache) == 3
