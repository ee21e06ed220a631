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
          6: "06_batch_normalization", 7: "07_regularization", 8: "08_gradient_checking", 9: "09_deeper_networks", 10: "10_shattered_gradients", 11: "11_capstone"}


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
    links = re.findall(r"^\| (\d+) \| \[[^\]]+\]\((\d\d_\w+)\.ipynb\)", text, flags=re.M)
    assert [(int(n), name) for n, name in links] == list(TOPICS.items())
    assert all((NOTEBOOKS / f"{name}.ipynb").exists() for name in TOPICS.values())
    assert "Read them in order, 1 to 8" in text
    assert "Start here after this page" not in text
    next_section = text[text.index("## Where to go next"):]
    assert next_section.index("01_input_normalization.ipynb") < next_section.index("03_initialization.ipynb")


def test_the_map_gives_each_notebook_its_measured_reading_time():
    """The map's 'reading time' column: for each notebook, scripts/reading_time.py's
    measurement (words at 150 a minute, code lines at 20 a minute, rounded up to 5 minutes),
    the same time the notebook states at its top."""
    import sys
    sys.path.insert(0, str(ROOT / "scripts"))
    from reading_time import reading_minutes
    text = _markdown()
    assert "| # | notebook | the question | reading time |" in text
    rows = re.findall(r"^\| (\d+) \| \[[^\]]+\]\((\d\d_\w+\.ipynb)\) \| [^|]+ \| about (\d+) min \|$",
                      text, flags=re.M)
    assert [int(n) for n, _, _ in rows] == list(TOPICS)
    for _, name, minutes in rows:
        assert int(minutes) == reading_minutes(NOTEBOOKS / name), name


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
             "History": "training", "L1": "training", "L2": "training", "ClipNorm": "training",
             "ClipValue": "training", "Validation": "training", "diagnose": "doctor"}


def _modules_used(code: str) -> set:
    names = set(re.findall(r"\bcu\.(lessons\.\w+|\w+)", code))
    for imported in re.findall(r"from course_utils import ([\w, ]+)", code):
        names |= {name.strip() for name in imported.split(",")}
    for imported in re.findall(r"from course_utils\.lessons import ([\w, ]+)", code):
        names |= {f"lessons.{name.split(' as ')[0].strip()}" for name in imported.split(",")}
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
        modules = re.findall(r"`cu\.([\w.]+)`", modules_cell)
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
    package = ROOT / "course_utils"
    shipped = ({path.stem for path in package.glob("*.py") if not path.stem.startswith("_")}
               | {f"lessons.{path.stem}" for path in (package / "lessons").glob("*.py")
                  if not path.stem.startswith("_")} | {"checks", "widgets"})
    assert shipped <= seen, shipped - seen


# ---------------------------------------------------------------- the live control

BAD, GOOD, WARN = (cu.plotting.colour_of(level) for level in ("bad", "good", "warn"))


@pytest.fixture(scope="module")
def demo():
    return cu.widgets.learning_rate_demo()


def _final_cost(demo, lr):
    hist = cu.train(demo.spec, demo.params, demo.X, demo.Y, cu.optimizers.sgd(lr),
                    steps=demo.steps, progress=False)
    return hist


def test_the_demo_starts_where_something_visibly_happens(demo):
    """Issue 14: the old default 0.1 left the curve nearly flat at chance. At 0.2 the run
    learns (final cost under 0.7 x chance, train accuracy over 0.9, green), and one notch of
    the slider either way (10^0.1) changes the final cost by over 10%."""
    slider = demo.controls["lr"]
    assert slider.continuous_update is False  # acts on release, not while dragging
    assert demo.steps == 300
    np.testing.assert_array_equal(demo.X, cu.datasets.load_circles()[0])
    assert slider.value == 0.2
    text = demo.status_text()
    assert text.startswith("Learned: cost 1.392 -> ") and GOOD in demo.status.value
    hist = _final_cost(demo, 0.2)
    assert hist.verdict == "learned" and hist.final_cost < 0.7 * hist.chance_cost
    assert cu.accuracy(demo.spec, hist.params, demo.X, demo.Y) > 0.9
    assert f"train accuracy {cu.accuracy(demo.spec, hist.params, demo.X, demo.Y):.2f}" in text
    for notch in (10 ** -0.1, 10 ** 0.1):
        other = _final_cost(demo, 0.2 * notch).final_cost
        assert abs(other - hist.final_cost) > 0.1 * hist.final_cost, notch


def test_dragging_to_the_right_turns_the_status_orange_then_red(demo):
    """Issue 14: runs at chance (lr 4-20, e.g. 7.94 with the cost flat at ln 2) were shown
    green as 'trained'. Now: every position from 10^0.6 = 3.98 to 10^1.3 = 20 ends at chance
    and is orange, saying 'At chance'; from 10^1.4 = 25.1 to the end (100) every position
    diverges: red, 'Diverged at step k' in the status and in the figure. Only 'learned' is
    green."""
    slider = demo.controls["lr"]
    assert slider.base ** slider.max == 100
    for exponent in np.arange(0.6, 1.35, slider.step):
        demo.set(lr=float(slider.base ** exponent))
        assert WARN in demo.status.value and demo.status_text().startswith("At chance"), exponent
        assert GOOD not in demo.status.value
    for exponent in np.arange(1.4, slider.max + 0.05, slider.step):
        demo.set(lr=float(slider.base ** exponent))
        assert BAD in demo.status.value and demo.status_text().startswith("Diverged at step"), exponent
        assert demo.cost.note.get_text().startswith("diverged at step")
    demo.set(lr=1.0)
    assert GOOD in demo.status.value and demo.cost.note.get_text() == ""
    demo.set(lr=0.2)


def test_every_position_is_judged_by_history_verdict(demo):
    """The colour follows History.verdict at every slider position: green exactly when the
    run learned; a run whose cost ended above its start says so."""
    slider = demo.controls["lr"]
    for exponent in np.arange(slider.min, slider.max + 0.05, 0.3):
        lr = float(slider.base ** exponent)
        demo.set(lr=lr)
        hist = _final_cost(demo, lr)
        assert (GOOD in demo.status.value) == (hist.verdict == "learned"), lr
        assert demo.status_text()[0].isupper()
        if not hist.diverged and hist.final_cost > hist.costs[0]:
            assert "ended above where it started" in demo.status_text()
    demo.set(lr=0.2)


def test_the_prose_names_the_colours():
    text = _markdown()
    assert "turns orange" in text and "until it turns red" in text
    assert "It starts\nat 0.2" in text or "It starts at 0.2" in text.replace("\n", " ")


# ---------------------------------------------------------------- what the status line says


def test_the_printed_statuses(circles):
    """Cell 'the same in code' (500 steps): learning rate 0.5 learns (final cost below 0.1),
    8 ends at chance (within 5% of ln 2), 30 diverges with NaN within 20 steps."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 5, 1), activation="leaky_relu")
    runs = {lr: cu.train(spec, cu.init_params(spec, "he_normal", rng=0), X, Y,
                         cu.optimizers.sgd(lr), steps=500) for lr in (0.5, 8.0, 30.0)}
    assert runs[0.5].verdict == "learned" and runs[0.5].final_cost < 0.1
    assert runs[8.0].verdict == "at chance"
    assert runs[8.0].final_cost == pytest.approx(np.log(2), rel=0.05)
    assert runs[8.0].status().startswith("At chance after 500 steps")
    assert runs[30.0].verdict == "diverged" and runs[30.0].diverged_at <= 20
    assert runs[30.0].status().startswith("Diverged at step") and "NaN" in runs[30.0].status()
    for hist in runs.values():
        assert hist.status()[0].isupper()


def test_the_status_names_a_blow_up_and_a_stall(circles):
    """'Blew up (red): the cost jumped over a hundredfold, then stayed finite (the network
    often dies after)': a 4-layer ReLU net at 4 x He's scale and learning rate 0.5 blows up
    (peak over 100 x the start), then sits at ln 2 with chance accuracy; a zero start
    stalls."""
    X, Y, _, _ = circles
    spec = cu.Spec((2, 10, 10, 10, 10, 1))
    hist = cu.train(spec, cu.init_params(spec, "he_normal", rng=0, gain=4.0), X, Y,
                    cu.optimizers.sgd(0.5), steps=300)
    assert not hist.diverged and hist.blew_up_at is not None
    assert hist.verdict == "blew up" and hist.status().startswith("Blew up: the cost rose to ")
    assert np.max(hist.costs) > 100 * hist.costs[0]
    assert hist.final_cost == pytest.approx(np.log(2), abs=1e-3)
    assert cu.accuracy(spec, hist.params, X, Y) == pytest.approx(0.5, abs=0.02)
    stalled = cu.train(spec, cu.init_params(spec, "zeros"), X, Y, cu.optimizers.sgd(0.5), steps=100)
    assert stalled.verdict == "stalled"
    assert stalled.status() == "Stalled: the cost stayed at 0.6931 for 100 steps"


# ---------------------------------------------------------------- the pieces, and the exercises


def test_a_network_in_three_lines(circles):
    X, Y, X_test, Y_test = circles
    spec = cu.Spec((2, 10, 5, 1), activation="relu")
    history = cu.train(spec, cu.init_params(spec, "he_normal", rng=3), X, Y,
                       cu.optimizers.sgd(0.1), steps=2000)
    assert history.verdict == "learned" and history.final_cost < 0.1
    assert history.status().startswith("Learned: cost 0.7748 -> ")
    assert f"{cu.accuracy(spec, history.params, X_test, Y_test):.2f}" == "0.95"


def test_the_exercise_example_fails_as_shown_and_passes_when_completed():
    """The shipped cell returns None: 'not yet', what differs, and a hint that says what to
    do without printing the solution (issue 14: it printed the formula); replacing it with
    the formula the next cell gives passes."""
    shown = str(cu.checks.sigmoid(lambda z: None))
    assert shown.startswith("The sigmoid: not yet\n"
                            "  ✗ sigmoid([-3, 0, 2]) should be a numpy array, got NoneType\n"
                            "  hint: ")
    assert "1 / (1 + np.exp(-z))" not in shown and "1 + np.exp" not in shown
    nb = nbformat.read(START_HERE, as_version=4)
    stub = next(c for c in nb.cells if c.cell_type == "code" and "cu.checks.sigmoid" in c.source)
    stored = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in stub.outputs)
    assert "not yet" in stored and "np.exp(-z)" not in stored and "np.exp(-z)" not in stub.source
    assert "return 1 / (1 + np.exp(-z))" in _markdown()
    assert cu.checks.sigmoid(lambda z: 1 / (1 + np.exp(-z))).passed


def test_the_module_table_names_every_activation_of_the_registry():
    """The cu.activations row lists every name of the registry (the centred sigmoid, added
    for 02's sigmoid story, included), and nothing else."""
    spoken = {"sigmoid": "sigmoid", "sigmoid_centered": "the centred sigmoid", "tanh": "tanh",
              "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU", "selu": "SELU",
              "softplus": "softplus", "gelu": "GELU", "silu": "SiLU", "linear": "linear"}
    assert set(cu.activations.NAMES) == set(spoken)
    row = next(line for line in _markdown().splitlines() if line.startswith("| `cu.activations` |"))
    listed = row.split("|")[2].split(", each with")[0].strip().split(", ")
    assert listed == [spoken[name] for name in cu.activations.NAMES]
