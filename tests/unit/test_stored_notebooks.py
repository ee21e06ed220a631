"""The notebooks as stored, which readers see before running anything (on GitHub, in an
HTML export): each opens with the python3 kernel, holds no error or warning output, and no
output so large that the page is slow to load."""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
MAX_OUTPUT_BYTES = 300_000  # one output, as stored (a PNG is base64 text in the JSON)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_is_executed_clean_and_light(path):
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            where = f"{path.name}, cell {index}"
            assert output["output_type"] != "error", where
            assert output.get("name") != "stderr", f"{where}: a warning is stored"
            size = len(json.dumps(output))
            assert size <= MAX_OUTPUT_BYTES, (
                f"{where}: an output of {size:,} bytes; make the figure smaller or simpler")
