"""The gradient-checking dashboard without a browser: set each control as a reader would,
check what is drawn and said, and that nothing raised (nbval cannot see tracebacks inside
widget callbacks)."""

import matplotlib.colors as mcolors
import pytest

import course_utils as cu
from course_utils.widgets import gradcheck as gw

DEFAULT = dict(bug=gw.NO_BUG, eps=1e-6, dtype="float64", point=gw.POINTS[0])


@pytest.fixture(scope="module")
def dashboard():
    return cu.widgets.gradcheck_dashboard()


@pytest.fixture(autouse=True)
def back_to_default(dashboard):
    yield
    dashboard.set(**DEFAULT)


def _bar_colours(dashboard):
    return {block: mcolors.to_hex(bar.get_facecolor())
            for block, bar in zip(cu.lessons.gradcheck.BLOCKS, dashboard.bars)}


def test_default_figure_is_drawn_and_stored_for_readers_without_a_kernel(dashboard):
    bundle = dashboard._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/png", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(data)
    assert data["text/plain"] == "Gradient checking dashboard (run the notebook to use the controls)"
    assert dashboard.view.png.startswith(b"\x89PNG")
    assert "The code is correct, and the check agrees" in dashboard.status_text()
    assert set(_bar_colours(dashboard).values()) == {gw.BAND_COLOURS["ok"]}


@pytest.mark.parametrize("control,value", [("bug", "doubled gradient"), ("eps", 1e-10),
                                           ("eps", 1e-1), ("dtype", "float32"),
                                           ("point", gw.POINTS[1]), ("point", gw.POINTS[2])])
def test_every_control_changes_the_figure(dashboard, control, value):
    before = dashboard.view.png
    dashboard.set(**{control: value})
    assert dashboard.view.png != before
    assert dashboard.status_text()


def test_a_planted_bug_is_caught_in_its_blocks(dashboard):
    dashboard.set(bug="doubled gradient")
    text = dashboard.status_text()
    assert "the check says bug" in text and "Caught: flagged W2" in text
    assert "W1, b1, b2, W3, b3 pass" in text
    colours = _bar_colours(dashboard)
    assert colours["W2"] == gw.BAND_COLOURS["bug"]
    assert colours["W1"] == gw.BAND_COLOURS["ok"]
    dashboard.set(bug="wrong transpose")
    assert "flagged W1 (7e-01), b1 (7e-01)" in dashboard.status_text()


def test_float32_is_a_false_alarm_in_words(dashboard):
    dashboard.set(dtype="float32")
    text = dashboard.status_text()
    assert "A false alarm: the code is correct" in text and "check in float64" in text
    dashboard.set(eps=1e-2)  # float32's best: look closer, still not ok
    assert "the check says look closer" in dashboard.status_text()


def test_both_sides_of_the_v_are_explained(dashboard):
    dashboard.set(eps=10 ** -11.5)
    assert "round-off" in dashboard.status_text().lower()
    dashboard.set(eps=1e-1)
    assert "truncation" in dashboard.status_text().lower()


def test_hidden_bug_unnoticed_at_the_start_then_caught(dashboard):
    dashboard.set(bug="Z1 recomputed without b1")
    assert "The bug goes unnoticed here" in dashboard.status_text()
    dashboard.set(point=gw.POINTS[1])
    assert "Caught: flagged W1" in dashboard.status_text()


def test_a_verdict_where_correct_code_also_fails_tells_nothing(dashboard):
    dashboard.set(bug="doubled gradient", eps=1e-12)
    assert "the verdict tells nothing" in dashboard.status_text()


def test_small_init_raises_the_round_off_floor(dashboard):
    dashboard.set(point=gw.POINTS[2])
    text = dashboard.status_text()
    assert "look closer" in text and "A false alarm" in text and "round-off" in text.lower()


def test_revisit_and_eps_moves_are_served_from_the_cache(dashboard):
    dashboard.set(bug="missing 1/m")
    assert dashboard.timings[-1]["kind"] == "trained"
    assert dashboard.timings[-1]["frames"] >= 2  # the current eps first, then the sweep
    dashboard.set(eps=1e-4)
    assert dashboard.timings[-1]["kind"] == "cached"
    dashboard.set(bug=gw.NO_BUG)
    dashboard.set(bug="missing 1/m")
    assert dashboard.timings[-1]["kind"] == "cached"


def test_cache_is_bounded():
    small = cu.widgets.gradcheck_dashboard(cache_size=3)
    for bug in ("doubled gradient", "wrong sum axis", "wrong bias gradient"):
        small.set(bug=bug)
    assert len(small._cache) <= 3
    assert small.status_text()


def test_unknown_control_is_a_clear_error(dashboard):
    with pytest.raises(ValueError, match="unknown control 'lr'"):
        dashboard.set(lr=0.1)


def test_status_lines_start_with_a_capital(dashboard):
    """Issue 15: the status lines started lower-case ("eps 1e-06, float64, ...")."""
    for setting in [{}, {"bug": "doubled gradient"}, {"dtype": "float32"}, {"eps": 1e-11},
                    {"point": gw.POINTS[2]}, {"bug": "Z1 recomputed without b1"}]:
        dashboard.set(**DEFAULT)
        dashboard.set(**setting)
        text = dashboard.status_text()
        assert text[0].isupper(), (setting, text)
        for sentence in text.split(". ")[1:]:
            assert not sentence[:1].islower(), (setting, sentence)


def _legend_texts(dashboard):
    legend = dashboard.ax_sweep.get_legend()
    return [t.get_text() for t in legend.get_texts()]


def test_the_legend_names_a_bug_only_when_one_is_planted(dashboard):
    """Issue 15: the legend said "with the planted bug" with no bug planted."""
    assert _legend_texts(dashboard) == ["correct code"]
    dashboard.set(bug="wrong sum axis")
    assert _legend_texts(dashboard) == ["correct code", "with the bug: wrong sum axis"]
    dashboard.set(bug=gw.NO_BUG)
    assert _legend_texts(dashboard) == ["correct code"]


def test_float32_still_shows_a_large_bug(dashboard):
    """Issue 15: float32 at its best eps cannot certify correct code (about 1e-4) but a
    whole-block bug scores far above it, and the status line says so."""
    dashboard.set(dtype="float32", eps=1e-2, bug="wrong transpose")
    text = dashboard.status_text()
    assert "cannot certify correct code" in text and "a large bug shows even here" in text
    assert "the verdict tells nothing" not in text


def test_the_band_names_do_not_overlap_the_next_axis(dashboard):
    """Issue 15 (labels collide): the left panel's band names end before the right panel's
    y-axis label starts."""
    dashboard.view.full_redraw()
    renderer = dashboard.view.canvas.get_renderer()
    right_label = dashboard.ax_sweep.yaxis.label.get_window_extent(renderer)
    for text in dashboard.ax_bars.texts:
        if text.get_text() in gw.BAND_COLOURS:
            assert text.get_window_extent(renderer).x1 < right_label.x0
