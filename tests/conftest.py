"""Shared test set-up: a non-interactive matplotlib backend and the markers by folder."""

import matplotlib

matplotlib.use("Agg")

import os
import pathlib

import pytest

_MARKERS = {"unit": pytest.mark.unit, "claims": pytest.mark.claims, "browser": pytest.mark.browser}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
            continue
        for folder, marker in _MARKERS.items():
            if folder in path.parts:
                item.add_marker(marker)


def pytest_report_header(config):
    """Say so when the tests run without the arithmetic the stored numbers were made with."""
    missing = [name for name in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")
               if name not in os.environ]
    if missing:
        return (f"note: {', '.join(missing)} not set (the Makefile sets them): on a CPU with "
                "AVX-512, long runs may print numbers that differ from the stored ones; "
                "run the tests with `make test`")
    return None
