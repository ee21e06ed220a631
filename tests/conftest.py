"""Shared test set-up: a non-interactive matplotlib backend and the markers by folder."""

import matplotlib

matplotlib.use("Agg")

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
