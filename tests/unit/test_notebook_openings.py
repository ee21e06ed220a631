"""Every numbered notebook opens (in its markdown before the first code cell) with three parts,
in this order:

    **After this notebook you can:**

    - **Explain** ... (section 2).          3 to 5 bullets; each starts with a bold action verb
    - **Predict** ... (sections 2-3).       and ends with the section it is taught in, e.g.
    - **Implement** ... (section 5, exercise 1).   "(section 4)", "(sections 3 and 6, exercise 2)"

    **It assumes:** [01 · Input normalization](01_input_normalization.ipynb) (...). Math: ...

    **Reading time:** about 45 minutes, measured by `scripts/reading_time.py` ...

The notebooks it assumes are linked, exist, and come before it; the paragraph names the math.
The stated reading time is scripts/reading_time.py's measurement (rounded up to 5 minutes), so
a notebook that grows or shrinks must update it.
"""

import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from reading_time import reading_minutes  # noqa: E402

NOTEBOOKS = sorted(path for path in (ROOT / "notebooks").glob("*.ipynb")
                   if re.match(r"\d\d_", path.name))
VERBS = {"Explain", "Predict", "Measure", "Choose", "Implement", "Diagnose", "Derive", "Use",
         "Judge", "Compare", "Read", "Estimate"}


def opening(path) -> str:
    """The markdown a reader sees before the first code cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = []
    for cell in cells:
        if cell["cell_type"] == "code":
            break
        if cell["cell_type"] == "markdown":
            text.append("".join(cell["source"]))
    return "\n\n".join(text)


def paragraph(text: str, start: str) -> str:
    """From `start` up to the next blank line."""
    index = text.index(start)
    end = text.find("\n\n", index)
    return text[index:] if end == -1 else text[index:end]


def objectives(text: str) -> list[str]:
    """The bullets after 'After this notebook you can:', each joined into one line."""
    block = text.split("**After this notebook you can:**\n\n", 1)[1].split("\n\n", 1)[0]
    bullets = []
    for line in block.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:])
        else:
            assert line.startswith("  ") and bullets, f"not a bullet or its continuation: {line!r}"
            bullets[-1] += " " + line.strip()
    return bullets


def test_the_numbered_notebooks_are_found():
    assert len(NOTEBOOKS) >= 9
    assert NOTEBOOKS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_three_parts_come_first_and_in_order(path):
    text = opening(path)
    parts = ["**After this notebook you can:**", "**It assumes:**", "**Reading time:**"]
    for part in parts:
        assert part in text, f"{path.name} does not open with {part}"
    positions = [text.index(part) for part in parts]
    assert positions == sorted(positions), f"{path.name}: the parts are out of order"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_three_to_five_checkable_objectives_each_tied_to_a_section(path):
    bullets = objectives(opening(path))
    assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} objectives"
    for bullet in bullets:
        verb = re.match(r"\*\*(\w+)\*\* ", bullet)
        assert verb and verb.group(1) in VERBS, f"{path.name}: start with one of {sorted(VERBS)}: {bullet!r}"
        assert re.search(r"\(sections? [^()]+\)\.$", bullet), (
            f"{path.name}: end with the section it is taught in, e.g. '(section 4).': {bullet!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_prerequisites_name_earlier_notebooks_and_the_math(path):
    assumes = paragraph(opening(path), "**It assumes:**")
    number = int(path.name[:2])
    linked = re.findall(r"\]\(((\d\d)_\w+\.ipynb)\)", assumes)
    for name, earlier in linked:
        assert (path.parent / name).exists(), f"{path.name} links {name}, which does not exist"
        assert int(earlier) < number, f"{path.name} assumes {name}, which comes after it"
    if number > 0:
        assert linked, f"{path.name}: link the notebooks it assumes"
    else:
        assert "no earlier notebook" in assumes
    assert re.search(r"\bMath:|gradient descent", assumes), f"{path.name}: say which math it assumes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_stated_reading_time_is_the_measured_one(path):
    reading = paragraph(opening(path), "**Reading time:**")
    stated = re.match(r"\*\*Reading time:\*\* about (\d+) minutes", reading)
    assert stated, f"{path.name}: write '**Reading time:** about N minutes'"
    assert "scripts/reading_time.py" in reading
    measured = reading_minutes(path)
    assert int(stated.group(1)) == measured, (
        f"{path.name} says {stated.group(1)} minutes; scripts/reading_time.py measures {measured}")
