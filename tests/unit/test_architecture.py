"""The package's layers, as course_utils/README.md draws them: the core imports no lesson,
no dashboard and no grader; a lesson imports the core (and the shared `theory`); dashboards
and graders import the core and the lessons, never each other. Read from the source's
import statements, so a violation is named with its file and line."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "course_utils"
LAYERS = ("lessons", "widgets", "checks")
MAY_IMPORT = {  # layer -> the layers it may import from
    "core": {"core"},
    "lessons": {"core", "lessons"},
    "widgets": {"core", "lessons", "widgets"},
    "checks": {"core", "lessons", "checks"},
}


def layer_of(path: pathlib.Path) -> str:
    part = path.relative_to(PACKAGE).parts[0]
    return part if part in LAYERS else "core"


def imported_layers(path: pathlib.Path):
    """(line, layer) for every course_utils module that `path` imports."""
    here = path.relative_to(PACKAGE).parent.parts  # () for the core, ("widgets",) ...
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [target + [alias.name] for alias in node.names] if not node.module else [target]
            for parts in names:
                yield node.lineno, parts[0] if parts and parts[0] in LAYERS else "core"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
            parts = node.module.split(".")[1:]
            yield node.lineno, parts[0] if parts and parts[0] in LAYERS else "core"


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_the_layers_below_it(path):
    layer = layer_of(path)
    wrong = [(line, target) for line, target in imported_layers(path)
             if target not in MAY_IMPORT[layer]]
    assert not wrong, (f"{path.relative_to(PACKAGE)} ({layer}) imports "
                       + ", ".join(f"{target} at line {line}" for line, target in wrong))


def test_the_layers_are_where_the_readme_says():
    readme = (PACKAGE / "README.md").read_text()
    for path in sorted(PACKAGE.glob("*.py")) + sorted(PACKAGE.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        name = str(path.relative_to(PACKAGE).with_suffix(""))
        assert name.split("/")[-1] in readme, f"course_utils/README.md does not name {name}"
