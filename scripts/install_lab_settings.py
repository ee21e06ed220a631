"""Install the course's JupyterLab settings into this Python environment.

JupyterLab asks on first open whether to fetch Jupyter news, in a pop-up that covers the
corner of the first dashboard. jupyter/overrides.json turns the news and the update check
off; JupyterLab reads it from {sys.prefix}/share/jupyter/lab/settings/overrides.json, so it
applies to this environment only (a reader's other JupyterLab installs are untouched).
`make install` (so `make lab` and `make test`) and binder/postBuild run this script; in a
conda environment run it once by hand: python scripts/install_lab_settings.py
"""

import pathlib
import shutil
import sys

SOURCE = pathlib.Path(__file__).parents[1] / "jupyter" / "overrides.json"
TARGET = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"

if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, TARGET)
    print(f"JupyterLab settings for the course: {TARGET}")
