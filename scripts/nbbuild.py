"""A tiny helper for writing notebooks from Python: md("...") and code("...") cells.

Used while authoring (`python my_outline.py` writes the .ipynb, then `make notebooks`
executes it); the stored .ipynb files are the source of truth, edited in JupyterLab.
"""

from __future__ import annotations

import textwrap

import nbformat

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str):
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str):
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))


def write(path, cells) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
