"""Every claim of 00_start_here, as a test against course_utils and the notebooks it describes.

Seeds and margins are stated with each test; most claims here are exact (a printed sentence,
a colour, a table entry).
"""

import pathlib
import re

import nbformat
import numpy as np
import pytest

import course_utils as cu

ROOT = pathlib.Path(__file__).parents[2]
NOTEBOOKS = ROOT / "notebooks"
START_HERE = NOTEBOOKS / "00_start_here.ipynb"
TOPICS = {1: "01_input_normalization", 2: "02_vanishing_exploding_gradients",
          3: "03_initialization", 4: "04_activation_functions", 5: "05_optimizers",
          6: "06_batch_normalization", 7: "07_regularization", 8: "08_gradient_checking"}
RED, GREEN = "#c62828", "#2e7d32"


def _markdown(path=START_HERE) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def _code(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


@pytest.fixture(scope="module")
def circles():
    return cu.datasets.load_circles()


# ---------------------------------------------------------------- the notebook map


def test_the_map_lists_the_eight_notebooks_in_course_order():
    """The table links notebooks 1 to 8, in order, to files that exist; the page says to read
    them in order and no longer tells the reader to start at 3."""
    text = _markdown()
    links = re.findall(r"^\| (\d) \| \[[^\]]+\]\((\d\d_\w+)\.ipynb\)", text, flags=re.M)
    assert [(int(n), name) for n, name in links] == list(TOPICS.items())
    assert all((NOTEBOOKS / f"{name}.ipynb").exists() for name in TOPICS.values())
    assert "Read them in order, 1 to 8" in text
    assert "Start here after this page" not in text
    next_section = text[text.index("## Where to go next"):]
    assert next_section.index("01_input_normalization.ipynb") < next_section.index("03_initialization.ipynb")


def test_every_topic_notebook_has_a_dashboard_and_graded_exercises():
    """'Each topic notebook has a dashboard' and 'ends with exercises' graded by cu.checks."""
    for name in TOPICS.values():
        code = _code(NOTEBOOKS / f"{name}.ipynb")
        assert re.search(r"cu\.widgets\.\w+\(", code), name
        assert re.search(r"cu\.checks\.\w+\(", code), name


# Names course_utils re-exports at the top level, and the module they come from.
REEXPORTS = {"Spec": "network", "init_params": "network", "accuracy": "network",
             "predict": "network", "predict_proba": "network", "forward": "network",
             "init_state": "network", "loss_and_grads": "network", "train": "training",
             "History": "training"}


def _modules_used(code: str) -> set:
    names = set(re.findall(r"\bcu\.(\w+)", code))
    for imported in re.findall(r"from course_utils import ([\w, ]+)", code):
        names |= {name.strip() for name in imported.split(",")}
    return {REEXPORTS.get(name, name) for name in names}


def test_the_module_table_says_where_each_module_is_first_used():
    """The 'first used in' column: the first topic notebook (1-8) whose code uses the module,
    directly or through a name `cu` re-exports (cu.Spec is cu.network's); 'every notebook'
    means all eight. (cu.initializers is used by name through init_params from 1 on, as the
    table says; its first direct use is in 3.)"""
    used = {n: _modules_used(_code(NOTEBOOKS / f"{name}.ipynb")) for n, name in TOPICS.items()}
    text = _markdown()
    rows = re.findall(r"^\| (`cu\.[^|]+) \| [^|]+ \| ([^|]+) \|$", text, flags=re.M)
    assert len(rows) >= 15
    seen = set()
    for modules_cell, where in rows:
        modules = re.findall(r"`cu\.(\w+)`", modules_cell)
        where = where.strip()
        firsts = ["every"] * len(modules) if where == "every notebook" else where.split(", ")
        assert len(firsts) == len(modules), (modules, where)
        for module, first in zip(modules, firsts):
            users = [n for n in TOPICS if module in used[n]]
            if first == "every":
                assert users == list(TOPICS), module
            else:
                assert users and users[0] == int(first), (module, users)
            seen.add(module)
    # every module the course ships is in the table
    shipped = {path.stem for path in (ROOT / "course_utils").glob("*.py")
               if not path.stem.startswith("_")} | {"checks", "widgets"}
    assert shipped <= seen, shipped - seen


# ---------------------------------------------------------------- the live control


@pytest.fixture(scope="module")
def demo():
    return cu.widgets.learning_rate_demo()


def test_the_demo_trains_300_steps_on_the_circles_when_the_slider_is_released(demo):
    slider = demo.controls["lr"]
    assert slider.continuous_update is False  # acts on release, not while dragging
    assert demo.steps == 300
    np.testing.assert_array_equal(demo.X, cu.datasets.load_circles()[0])
    assert demo.status_text() == "learning rate 0.1: trained 300 steps, cost 1.392 -> 0.6461"
    assert GREEN in demo.status.value


def test_dragging_to_the_right_turns_the_status_red(demo):
    """Somewhere to the right the run diverges: red status, 'diverged at step k' in the
    status and in the figure. The slider's positions are 10^(k/10); on this network every
    position from 10^1.4 = 25.1 to the end (100) diverges, 10^1.3 = 20 does not."""
    slider = demo.controls["lr"]
    assert slider.base ** slider.max == 100
    for exponent in np.arange(1.4, slider.max + 0.05, slider.step):
        demo.set(lr=float(slider.base ** exponent))
        assert RED in demo.status.value and "diverged at step" in demo.status_text(), exponent
        assert demo.note.get_text().startswith("diverged at step")
    demo.set(lr=float(slider.base ** 1.3))
    assert GREEN in demo.status.value and "trained 300 steps" in demo.status_text()
    demo.set(lr=1.0)
    assert GREEN in demo.status.value and demo.note.get_text() == ""
    demo.set(lr=0.1)


# ---------------------------------------------------------------- what "diverged" means


def test_the_printed_statuses(circles):
    """Cell 'the same in code': learning rate 1 trains, 30 diverges at step 10 with NaN."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 5, 1), activation="leaky_relu")
    statuses = {lr: cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y,
                             cu.optimizers.sgd(lr), steps=500).status() for lr in (1.0, 30.0)}
    assert statuses[1.0] == "trained 500 steps, cost 1.392 -> 0.501"
    assert statuses[30.0] == "diverged at step 10: the cost became NaN"


def test_the_status_names_a_blow_up_and_a_stall(circles):
    """'A run can also blow up (the cost jumps a hundredfold, then the network dies and the
    cost settles at a useless value) or stall (the cost does not move)': a 4-layer ReLU net
    at 4 x He's scale and learning rate 0.5 blows up (peak over 100 x the start), then sits
    at ln 2 with chance accuracy; a zero start stalls."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 10, 10, 10, 1))
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0, gain=4.0), X, Y,
                    cu.optimizers.sgd(0.5), steps=300)
    assert not hist.diverged and hist.blew_up_at is not None
    assert hist.status().startswith("the cost blew up to ")
    assert np.max(hist.costs) > 100 * hist.costs[0]
    assert hist.final_cost == pytest.approx(np.log(2), abs=1e-3)
    assert cu.accuracy(spec, hist.params, X, Y) == pytest.approx(0.5, abs=0.02)
    stalled = cu.train(spec, cu.init_params(spec, "zeros"), X, Y, cu.optimizers.sgd(0.5), steps=100)
    assert stalled.status() == "stalled: the cost stayed at 0.6931 for 100 steps"


# ---------------------------------------------------------------- the pieces, and the exercises


def test_a_network_in_three_lines(circles):
    X, Y, X_test, Y_test = circles
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    history = cu.train(spec, cu.init_params(spec, "he_normal", rng=3), X, Y,
                       cu.optimizers.sgd(0.1), steps=2000)
    assert history.status() == "trained 2,000 steps, cost 0.7748 -> 0.06773"
    assert f"{cu.accuracy(spec, history.params, X_test, Y_test):.2f}" == "0.95"


def test_the_exercise_example_fails_as_shown_and_passes_when_completed():
    """The shipped cell returns None: 'not yet', what differs, the hint; replacing it with
    the formula the next cell gives passes."""
    shown = str(cu.checks.sigmoid(lambda z: None))
    assert shown == ("The sigmoid: not yet\n"
                     "  ✗ sigmoid([-3, 0, 2]) should be a numpy array, got NoneType\n"
                     "  hint: sigmoid(z) = 1 / (1 + np.exp(-z)), elementwise")
    assert "return 1 / (1 + np.exp(-z))" in _markdown()
    assert cu.checks.sigmoid(lambda z: 1 / (1 + np.exp(-z))).passed
