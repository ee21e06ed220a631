"""What the exercise tests read from notebooks: a notebook's code run as the notebook runs it,
and its code cells' stored text outputs. Imported by tests/unit/test_exercises_NN.py."""

import matplotlib.pyplot as plt
import nbformat


def run_code_cells(path, namespace: dict | None = None) -> dict:
    """Execute every code cell of the notebook at `path`, in order, in one namespace (as the
    notebook's kernel would), close the figures it drew, and return the namespace."""
    namespace = {} if namespace is None else namespace
    try:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(cell.source, namespace)
    finally:
        plt.close("all")
    return namespace


def stored_outputs(path) -> list:
    """(source, stored text) of each code cell: its streams and text/plain results."""
    cells = nbformat.read(path, as_version=4).cells
    return [(cell.source, "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                                  for o in cell.outputs))
            for cell in cells if cell.cell_type == "code"]
