"""The Regularization dashboard without a browser: set each control as a reader would,
check what is drawn and said, and that nothing raised (nbval cannot see tracebacks inside
widget callbacks). A shorter run (400 steps, [2, 30, 30, 1]) keeps most tests quick; the
words for overfitting are checked on the notebook's own setting."""

import numpy as np
import pytest

import course_utils as cu


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.regularization_dashboard(steps=400, hidden=(30, 30))


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Regularization dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("values", [{"penalty": "L2"}, {"penalty": "L2", "lambd": 5.0},
                                    {"penalty": "L1"}, {"keep_prob": 0.5},
                                    {"early_stopping": True}])
def test_every_control_changes_the_figure(dashboard, values):
    dashboard.set(penalty="none", lambd=0.7, keep_prob=1.0, early_stopping=False)
    before = dashboard.view.png
    dashboard.set(**values)
    assert dashboard.view.png != before
    assert dashboard.status_text()


def test_the_histogram_shows_exact_zeros_under_l1(dashboard):
    dashboard.set(penalty="L1", lambd=1.0, keep_prob=1.0, early_stopping=False)
    assert "exactly 0: 0%" not in dashboard.hist_note.get_text()
    values = dashboard.hist_patch.get_data().values
    zero_bin = np.searchsorted(cu.widgets.regularization.HIST_EDGES, 0.0, side="right") - 1
    assert values[zero_bin] == values.max() > 0.5


def test_status_says_what_happened_in_words(dashboard):
    dashboard.set(penalty="L1", lambd=10.0, keep_prob=1.0, early_stopping=False)
    assert "Every weight is exactly 0" in dashboard.status_text()
    dashboard.set(penalty="none", early_stopping=True)
    text = dashboard.status_text()
    assert "restored the weights of step" in text or "with the weights of step" in text
    assert dashboard.best_line.get_visible()
    dashboard.set(early_stopping=False)
    assert not dashboard.best_line.get_visible()
    assert "train accuracy" in dashboard.status_text()


def test_overfitting_is_said_in_words_on_the_notebooks_setting():
    full = cu.widgets.regularization_dashboard(penalty="none")
    text = full.status_text()
    assert "Overfitting" in text or "overfitting" in text
    assert text.startswith("No penalty") and "train accuracy 0.9" in text


def test_lambda_slider_is_greyed_out_without_a_penalty(dashboard):
    dashboard.set(penalty="none")
    assert dashboard.controls["lambd"].disabled
    dashboard.set(penalty="L1")
    assert not dashboard.controls["lambd"].disabled
    dashboard.set(penalty="none")
    assert dashboard.controls["lambd"].disabled


def test_one_colour_per_quantity():
    """Training and validation in their colours of cu.plotting.COLOURS (as in the notebook's
    figures); the weights after training in a colour no other quantity uses."""
    from matplotlib.colors import to_hex
    board = cu.widgets.regularization_dashboard(steps=50, hidden=(10, 10))
    colours = cu.plotting.COLOURS
    assert to_hex(board.train_line.get_color()) == to_hex(colours["train"])
    assert to_hex(board.val_line.get_color()) == to_hex(colours["val"])
    weights = to_hex(board.hist_patch.get_facecolor())
    assert weights not in {to_hex(colours[name]) for name in ("train", "val", "test", "bad")}


def test_status_lines_start_with_a_capital(dashboard):
    for values in [{"penalty": "none"}, {"penalty": "L2", "lambd": 0.3},
                   {"penalty": "L1", "lambd": 10.0}]:
        dashboard.set(keep_prob=1.0, early_stopping=False, **values)
        text = dashboard.status_text()
        assert text[0].isupper(), text


def test_defaults_make_every_control_matter():
    """At the defaults (L2, lambda 0.3) each control moves the validation accuracy or the
    weights visibly: no penalty overfits, lambda 10 underfits, L1 zeroes the weights, and
    early stopping restores an earlier step."""
    board = cu.widgets.regularization_dashboard()
    assert board.controls["penalty"].value == "L2"
    assert not board.controls["lambd"].disabled
    base = board._recall(board.key())
    board.set(penalty="none")
    none = board._recall(board.key())
    assert none.train_acc - none.val_acc > 0.12 > base.train_acc - base.val_acc
    board.set(penalty="L2", lambd=10.0)
    assert "underfitting" in board.status_text()
    board.set(penalty="L1", lambd=1.0)
    assert board._recall(board.key()).exactly_zero > 0.9
    board.set(penalty="L2", lambd=0.3, early_stopping=True)
    assert board.best_line.get_visible()


def test_a_blow_up_is_reported_in_words():
    """Not reachable with the dashboard's controls (lr is fixed at 2): built with lr 200."""
    wild = cu.widgets.regularization_dashboard(steps=100, hidden=(10, 10), lr=200.0)
    text = wild.status_text()
    assert text.startswith("Blew up") and "try a smaller learning rate" in text


def test_a_network_that_learns_nothing_is_not_called_underfitting():
    still = cu.widgets.regularization_dashboard(penalty="none", steps=100, hidden=(10, 10), lr=30.0)
    assert "did not learn" in still.status_text()


def test_revisit_is_served_from_the_cache(dashboard):
    dashboard.set(penalty="L2", lambd=0.7, keep_prob=1.0, early_stopping=False)
    dashboard.set(lambd=2.0)
    dashboard.set(lambd=0.7)
    assert dashboard.timings[-1]["kind"] == "cached"


def test_lambda_does_not_matter_without_a_penalty(dashboard):
    dashboard.set(penalty="none", lambd=0.7, keep_prob=1.0, early_stopping=False)
    dashboard.set(lambd=3.0)
    assert dashboard.timings[-1]["kind"] == "cached"


def test_unknown_control_is_a_clear_error(dashboard):
    with pytest.raises(ValueError, match="unknown control 'lr'"):
        dashboard.set(lr=0.1)


def test_too_much_regularization_is_called_underfitting(dashboard):
    dashboard.set(penalty="L2", lambd=10.0, keep_prob=1.0, early_stopping=False)
    assert "underfitting" in dashboard.status_text()


def test_cache_keys_hold_the_control_values_exactly(dashboard):
    """Issue 14's rule for every dashboard: rounding a key merges distinct settings, and a
    setting set from Python must not be served another setting's cached result."""
    dashboard.set(penalty="L2", lambd=0.3, keep_prob=1.0, early_stopping=False)
    first = dashboard.key()
    dashboard.set(lambd=0.3 + 1e-9)
    assert dashboard.key() != first
    dashboard.set(lambd=0.3, keep_prob=0.5 + 1e-7)
    assert dashboard.key() != (first[0], first[1], 0.5, first[3])
