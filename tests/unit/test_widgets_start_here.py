"""The learning-rate demo of 00_start_here without a browser: the status line follows
History.verdict, in words and colour, and reads as a sentence."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.widgets.start_here import LEVELS

COLOURS = {level: cu.plotting.colour_of(level) for level in ("good", "warn", "bad")}


@pytest.fixture(scope="module")
def demo():
    return cu.widgets.learning_rate_demo()


def test_every_verdict_has_a_colour_and_only_learned_is_good():
    verdicts = {"learned", "at chance", "stalled", "got worse", "blew up", "diverged", "not trained"}
    assert set(LEVELS) == verdicts
    assert [v for v, level in LEVELS.items() if level == "good"] == ["learned"]
    assert LEVELS["diverged"] == LEVELS["blew up"] == "bad"


@pytest.mark.parametrize("lr,verdict", [(0.2, "learned"), (7.94, "at chance"), (15.8, "at chance"),
                                        (30.0, "diverged")])
def test_status_line_says_what_happened(demo, lr, verdict):
    demo.set(lr=lr)
    text = demo.status_text()
    assert text.startswith(verdict.capitalize()), text
    assert COLOURS[LEVELS[verdict]] in demo.status.value
    assert f"Learning rate {lr:.3g}" in text
    if verdict == "diverged":
        assert "try a smaller one" in text and "accuracy" not in text
        assert demo.cost.note.get_text().startswith("diverged at step")
    else:
        assert "train accuracy 0." in text or "train accuracy 1.00" in text
        assert demo.cost.note.get_text() == ""


def test_a_run_ending_above_its_start_says_so(demo):
    """lr 15.8 ends at chance with a cost above its start (1.392): both are said."""
    demo.set(lr=15.8)
    assert "The cost ended above where it started" in demo.status_text()
    demo.set(lr=0.2)
    assert "ended above" not in demo.status_text()


def test_the_curve_and_the_chance_line_are_drawn(demo):
    demo.set(lr=0.2)
    x, y = demo.cost.lines["cost"].get_data()
    assert len(x) == 300 and y[-1] < y[0]
    chance = [line for line in demo.figure.axes[0].lines if "chance" in str(line.get_label())]
    assert len(chance) == 1 and chance[0].get_ydata()[0] == pytest.approx(np.log(2))
    before = demo.view.png
    demo.set(lr=0.25)
    assert demo.view.png != before
    demo.set(lr=0.2)
