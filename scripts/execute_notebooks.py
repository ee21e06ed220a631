"""Re-execute notebooks in place, each in a fresh kernel, as `make notebooks` does.

    python scripts/execute_notebooks.py notebooks/03_initialization.ipynb [...]

The kernel starts in notebooks/ (as in JupyterLab). Widget state is not stored: each
dashboard stores a PNG of its figure for readers without a kernel. Fails (exit 1) when a
cell errors, writes to stderr (a warning left in the reading) or a notebook takes over 30 s.
"""

from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TIME_BUDGET_S = 30.0


def execute(path: pathlib.Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    problems = []
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # timestamps would change on every run
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: {output['ename']}: {output['evalue']}")
            if output.get("name") == "stderr":
                problems.append(f"cell {index}: stderr: {output['text'][:200]!r}")
    if seconds > TIME_BUDGET_S:
        problems.append(f"took {seconds:.1f} s (budget {TIME_BUDGET_S:.0f} s)")
    nbformat.write(nb, path)
    print(f"{path}: executed in {seconds:.1f} s" + ("" if not problems else ", with problems:"))
    for problem in problems:
        print("   ", problem)
    return problems


def main(paths) -> int:
    failed = False
    for path in paths:
        failed |= bool(execute(pathlib.Path(path)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
