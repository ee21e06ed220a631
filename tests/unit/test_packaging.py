"""Packaging: pyproject.toml, environment.yml and binder/ list the same dependencies; the
Makefile, scripts and Binder use the same arithmetic."""

import pathlib
import re
import sys

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli, the same parser
    import tomli as tomllib

ROOT = pathlib.Path(__file__).parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements(requirements) -> dict:
    """{name: version bounds}, e.g. {"numpy": ">=1.24"}."""
    return {_name(r): r.strip()[len(_name(r)):].strip() for r in requirements}


def _conda_requirements(path: pathlib.Path) -> dict:
    """The conda packages of an environment.yml (python and pip left out)."""
    found, in_dependencies = [], False
    for line in path.read_text().splitlines():
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        match = re.match(r"^  - ([A-Za-z0-9_.\-]+[^ #]*)", line)
        if in_dependencies and match and _name(match.group(1)).rstrip(":") not in ("python", "pip"):
            found.append(match.group(1))
    return _requirements(found)


def _pip_requirements() -> dict:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in ("lab", "test"):
        requirements += project["optional-dependencies"][extra]
    return _requirements(requirements)


@pytest.mark.parametrize("environment", ["environment.yml", "binder/environment.yml"])
def test_conda_and_pip_dependencies_agree(environment):
    """The same packages with the same version bounds in pyproject.toml and each conda file."""
    assert _conda_requirements(ROOT / environment) == _pip_requirements()


def test_binder_installs_the_course_and_uses_the_makefiles_arithmetic():
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()
    start = (ROOT / "binder" / "start").read_text()
    sys.path.insert(0, str(ROOT / "scripts"))
    import _env

    for name, value in _env.ARITHMETIC.items():
        assert f'export {name}="{value}"' in start or f"export {name}={value}" in start, name


def test_torch_extra_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["torch"] == ["torch==2.13.0"]


def test_scripts_use_the_makefiles_arithmetic():
    """scripts/_env.py (for sweeps run by hand) sets what the Makefile exports."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import _env

    makefile = (ROOT / "Makefile").read_text()
    for name, value in _env.ARITHMETIC.items():
        assert f"export {name} ?= {value}\n" in makefile, name
