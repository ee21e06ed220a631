"""The solutions notebooks (solutions/, for teachers): one per topic notebook 01-08, every
exercise of its notebook answered, and every grader's stored verdict a pass. nbval then
re-runs them (make test), so the verdicts are not only stored but reproduced."""

import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOPICS = sorted(p for p in (ROOT / "notebooks").glob("0[1-8]_*.ipynb"))


def solutions_of(notebook: pathlib.Path) -> pathlib.Path:
    return ROOT / "solutions" / f"{notebook.stem}_solutions.ipynb"


def grader_calls(nb) -> list:
    """The names of the graders called in a notebook's code cells (cu.checks.<name>(...)),
    leaving out progress() and the plot_* functions that draw a graded run."""
    calls = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            calls += re.findall(r"cu\.checks\.(\w+)\(", cell.source)
    return [name for name in calls if name != "progress" and not name.startswith("plot_")]


def stored_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("notebook", TOPICS, ids=lambda p: p.stem)
def test_every_exercise_has_a_tested_solution(notebook):
    solutions = solutions_of(notebook)
    assert solutions.exists(), f"no solutions notebook for {notebook.name}"
    asked = set(grader_calls(nbformat.read(notebook, as_version=4)))
    answered = set(grader_calls(nbformat.read(solutions, as_version=4)))
    assert asked <= answered, f"exercises without a solution: {sorted(asked - answered)}"


@pytest.mark.parametrize("notebook", TOPICS, ids=lambda p: p.stem)
def test_every_grader_passes_the_solutions(notebook):
    nb = nbformat.read(solutions_of(notebook), as_version=4)
    verdicts = [stored_text(cell) for cell in nb.cells
                if cell.cell_type == "code" and grader_calls(nbformat.v4.new_notebook(cells=[cell]))]
    assert verdicts, "no grader is called"
    for text in verdicts:
        assert "all checks passed" in text and "not yet" not in text, text[:300]
