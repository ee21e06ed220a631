"""Packaging: pyproject.toml, environment.yml and binder/ list the same dependencies; the
Makefile, scripts and Binder use the same arithmetic."""

import json
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


def test_binder_installs_the_course_and_its_lab_settings():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert "scripts/install_lab_settings.py" in post_build


def test_lab_settings_turn_the_news_pop_up_off():
    """The settings override `make install` and Binder put in the environment."""
    overrides = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false"
    assert "scripts/install_lab_settings.py" in (ROOT / "Makefile").read_text()


ARITHMETIC_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
# Ways a file could set or unset one of them (mentioning it in prose is fine).
SETTING = [r"^\s*(export\s+)?{v}\s*[?:]?=", r"\benv\b[^\n]*\b{v}=", r"unset\s+{v}",
           r"environ\[\s*[\"']{v}", r"(setdefault|pop|putenv|unsetenv|get)\(\s*[\"']{v}",
           r"[\"']{v}[\"']\s*:"]


def test_no_project_file_sets_the_arithmetic():
    """The notebooks' numbers hold on any CPU, so no project file forces numpy's or
    OpenBLAS's code paths (OPENBLAS_CORETYPE is also the administrator's to set: some
    processors need it). Only the Makefile's second nbval pass varies numpy's dispatch."""
    files = [p for p in ROOT.rglob("*") if p.is_file()
             and not any((part.startswith(".") and part != ".ci") or part in {"build", "node_modules"}
                         or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)
             and p.suffix in {"", ".py", ".sh", ".yml", ".yaml", ".toml", ".cfg", ".txt", ".ipynb"}]
    assert len(files) > 20
    for path in files:
        if path.name == "test_packaging.py":
            continue
        text = path.read_text(errors="ignore")
        for variable in ARITHMETIC_VARIABLES:
            if variable == "NPY_DISABLE_CPU_FEATURES" and path.name == "Makefile":
                continue  # the second nbval pass, checked below
            # A line starting `NAME=` sets it in a shell, Makefile or config file; in Python
            # such a line can only be prose (a docstring).
            patterns = SETTING[1:] if path.suffix in {".py", ".ipynb"} else SETTING
            for pattern in patterns:
                match = re.search(pattern.format(v=variable), text, re.M)
                assert match is None, f"{path.relative_to(ROOT)} sets {variable}: {match.group(0)!r}"
    makefile = (ROOT / "Makefile").read_text()
    assert not re.search(r"^export\s+(" + "|".join(ARITHMETIC_VARIABLES) + ")", makefile, re.M)
    assert "OPENBLAS_CORETYPE" not in makefile
    baseline = re.search(r"^NUMPY_BASELINE\s*:=\s*(.*)$", makefile, re.M).group(1)
    assert baseline.startswith("NPY_DISABLE_CPU_FEATURES=")
    assert "$(NUMPY_BASELINE) $(PY)" in makefile  # set for that one command only


def test_torch_extra_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["torch"] == ["torch==2.13.0"]
