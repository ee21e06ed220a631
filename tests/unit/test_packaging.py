"""pyproject.toml and environment.yml list the same dependencies."""

import pathlib
import re

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli, the same parser
    import tomli as tomllib

ROOT = pathlib.Path(__file__).parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_conda_and_pip_dependencies_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    for extra in ("lab", "test"):
        pip_names |= {_name(r) for r in project["optional-dependencies"][extra]}
    conda_names = set()
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        match = re.match(r"^  - ([A-Za-z0-9_.\-]+)", line)
        if in_dependencies and match and match.group(1) not in ("python", "pip"):
            conda_names.add(_name(match.group(1)))
    assert pip_names == conda_names, (
        f"only in pyproject.toml: {sorted(pip_names - conda_names)}; "
        f"only in environment.yml: {sorted(conda_names - pip_names)}")


def test_torch_extra_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["torch"] == ["torch==2.13.0"]


def test_scripts_use_the_makefiles_arithmetic():
    """scripts/_env.py (for sweeps run by hand) sets what the Makefile exports."""
    import sys
    sys.path.insert(0, str(ROOT / "scripts"))
    import _env

    makefile = (ROOT / "Makefile").read_text()
    for name, value in _env.ARITHMETIC.items():
        assert f"export {name} ?= {value}\n" in makefile, name
