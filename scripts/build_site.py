"""Build the course's static website into build/site/ (`make site`).

    python scripts/build_site.py            # then: python -m http.server -d build/site

Nothing is executed: the pages show the notebooks as stored (the outputs nbval checks).
Sources are gathered in build/site-src/:
- site/conf.py, site/glossary.md and site/favicon.svg as they are;
- index.md: the README, with the notebook names in its table turned into links, and the
  table of contents (every notebook in order, then the glossary and the claims page);
- the notebooks, each dashboard's stored output kept as the picture it stored (the live
  widget needs a kernel), followed by a one-line note on how to run it live; links to
  files outside the site (solutions/, data/, ...) become their names, as in the README;
- claims.md: generated from tests/claims/, each notebook's claims with the test that checks
  each one (the test's name and the first line of its docstring).
Then Sphinx (myst-nb, sphinx-book-theme, MathJax bundled by sphinx-mathjax-offline) builds
the HTML. Fails on any Sphinx warning, so a broken link or a missing page stops the build.
"""

from __future__ import annotations

import ast
import json
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).parents[1]
SRC = ROOT / "build" / "site-src"
OUT = ROOT / "build" / "site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_NOTE = ("*A live dashboard: above is the picture it stored. To move its controls, run "
             "the notebook in JupyterLab: `make lab` in a clone of the course (or Binder).*")


def notebooks() -> list[pathlib.Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def title_of(notebook: pathlib.Path) -> str:
    """The notebook's first heading, without its '#'."""
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def page_notebook(notebook: pathlib.Path) -> dict:
    """The notebook as the site shows it: a dashboard's output keeps its stored PNG (the
    widget view needs a kernel), and a note on running it live follows the cell."""
    nb = json.loads(notebook.read_text())
    cells = []
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":  # links to files outside the site, as in the README
            cell["source"] = [re.sub(MARKDOWN_LINK, _site_link, "".join(cell["source"]))]
        cells.append(cell)
        outputs = cell.get("outputs", [])
        if not any(WIDGET_VIEW in output.get("data", {}) for output in outputs):
            continue
        for output in outputs:
            output.get("data", {}).pop(WIDGET_VIEW, None)
        cells.append({"cell_type": "markdown", "id": f"live-note-{k}", "metadata": {},
                      "source": [LIVE_NOTE]})
    nb["cells"] = cells
    return nb


MARKDOWN_LINK = r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)"  # a link, not an image


def _site_link(match: re.Match) -> str:
    """A README link as the site shows it: pages of the site stay links, files of the
    repository (LICENSE, ...) become their names in code type (they are not on the site)."""
    text, target = match.group(1), match.group(2)
    if target.startswith(("http://", "https://", "#")):
        return match.group(0)
    if target.startswith("site/"):
        return f"[{text}]({target.removeprefix('site/')})"
    if target.split("#")[0] in {notebook.name for notebook in notebooks()}:
        return match.group(0)  # another page of the site
    target = target.removeprefix("../")  # a notebook's link to the repository's top
    return text if text == target else f"{text} (`{target}` in the repository)"


def index_page() -> str:
    """The README as the landing page, notebook names linked, and the table of contents."""
    readme = re.sub(MARKDOWN_LINK, _site_link, (ROOT / "README.md").read_text())
    for notebook in notebooks():
        readme = readme.replace(f"| `{notebook.stem}` |", f"| [{notebook.stem}]({notebook.name}) |")
    toc = "\n".join([notebook.name for notebook in notebooks()] + ["glossary", "claims"])
    return readme + f"\n\n```{{toctree}}\n:maxdepth: 1\n:caption: The course\n\n{toc}\n```\n"


def claims_of(test_file: pathlib.Path) -> list[tuple[str, str]]:
    """(test name, first docstring line) of each test function in a claims test file."""
    tree = ast.parse(test_file.read_text())
    claims = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node) or node.name.removeprefix("test_").replace("_", " ")
            claims.append((node.name, " ".join(doc.split("\n\n")[0].split())))
    return claims


def claims_page() -> str:
    lines = ["# Every claim, and the test that checks it", "",
             "Each notebook's claims are also tests in `tests/claims/` (one file per notebook), "
             "run by `make test` beside the notebooks themselves. This page is generated from "
             "those files when the site is built: each row is one test, with what it checks "
             "(the first line of its docstring).", ""]
    for notebook in notebooks():
        test_file = ROOT / "tests" / "claims" / f"test_{notebook.stem}.py"
        if not test_file.exists():
            continue
        claims = claims_of(test_file)
        lines += [f"## [{title_of(notebook)}]({notebook.name})", "",
                  f"{len(claims)} tests in `tests/claims/{test_file.name}`.", "",
                  "| claim | test |", "|---|---|"]
        for name, doc in claims:
            doc = doc.replace("|", "\\|").replace("$", "\\$")
            lines.append(f"| {doc} | `{name}` |")
        lines.append("")
    return "\n".join(lines)


def gather_sources() -> None:
    shutil.rmtree(SRC, ignore_errors=True)
    SRC.mkdir(parents=True)
    for name in ("conf.py", "glossary.md", "favicon.svg"):
        shutil.copyfile(ROOT / "site" / name, SRC / name)
    (SRC / "index.md").write_text(index_page())
    (SRC / "claims.md").write_text(claims_page())
    for notebook in notebooks():
        (SRC / notebook.name).write_text(json.dumps(page_notebook(notebook), indent=1))


def main() -> int:
    start = time.perf_counter()
    gather_sources()
    shutil.rmtree(OUT, ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
                             "-q", str(SRC), str(OUT)])
    if result.returncode:
        return result.returncode
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"site built in {time.perf_counter() - start:.0f} s: {OUT} ({size / 1e6:.1f} MB); "
          f"serve it with: python -m http.server -d {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
