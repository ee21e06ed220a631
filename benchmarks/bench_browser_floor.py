"""The floor under every dashboard's browser latency: the same JupyterLab, headless Chromium
and slider drag as tests/browser, but the kernel does nothing except hand the image one of
two ready frames of a real dashboard (06's). Four sliders: the image alone; a status line
first, as every dashboard writes one; also the busy mark on and off, as Dashboard.update
does; and all that followed by 0.4 s of training, as a retrain move keeps the kernel busy
after its first frame. They sit at the end of a long page (a copy of
06_batch_normalization, run), as a reader's dashboards do.

What this measures is the round trip itself (the release, the message to the kernel
through the server and back, the page swapping the image), which no change to the
course's code can make shorter: a dashboard's browser latency is this floor plus its own
work in the kernel.

    python benchmarks/bench_browser_floor.py [notebook to append the sliders to, or ""]
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
import numpy as np

ROOT = pathlib.Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

MOVES = 12  # drags per slider

FLOOR_CODE = '''\
import ipywidgets as widgets

import course_utils as cu

dashboard = cu.widgets.batchnorm_dashboard()  # two frames of a real dashboard
frames = [dashboard.view.png]
dashboard.set(batch_norm=not dashboard.controls["batch_norm"].value)
frames.append(dashboard.view.png)
image = widgets.Image(value=frames[0], format="png")
status = widgets.HTML("ready")
plain = widgets.IntSlider(value=5, min=0, max=10, continuous_update=False, description="image")
with_status = widgets.IntSlider(value=5, min=0, max=10, continuous_update=False,
                                description="+ status")
as_dashboard = widgets.IntSlider(value=5, min=0, max=10, continuous_update=False,
                                 description="+ busy class")
then_training = widgets.IntSlider(value=5, min=0, max=10, continuous_update=False,
                                  description="+ training")
X, Y, _, _ = cu.datasets.load_circles()
spec = cu.Spec((2, 12, 12, 12, 1), activation="relu")

def swap(change):  # the other frame, whatever value the drag ended on
    image.value = frames[1] if image.value == frames[0] else frames[0]

def both(change):
    status.value = f"value {change.new}"
    swap(change)

def like_a_dashboard(change):  # what Dashboard.update sends: busy, status, image, not busy
    status.add_class("cu-busy")
    both(change)
    status.remove_class("cu-busy")

def then_train(change):  # a new frame, then 0.4 s of training as a retrain move does
    like_a_dashboard(change)
    cu.train(spec, cu.init_params(spec, rng=0), X, Y, cu.optimizers.sgd(0.1), steps=1500,
             progress=False)

plain.observe(swap, names="value")
then_training.observe(then_train, names="value")
as_dashboard.observe(like_a_dashboard, names="value")
with_status.observe(both, names="value")
print(f"frame: {len(frames[0]):,} bytes PNG")
widgets.VBox([widgets.HBox([plain, with_status, as_dashboard, then_training]), status, image])
'''


def _notebook(directory: pathlib.Path, host: str | None) -> str:
    """The floor's cell alone, or appended to a copy of notebooks/<host> (a long page)."""
    if not host:
        nb = nbformat.v4.new_notebook()
    else:
        nb = nbformat.read(ROOT / "notebooks" / host, as_version=4)
        shutil.copytree(ROOT / "data", directory.parent / "data", dirs_exist_ok=True)
    nb.cells.append(nbformat.v4.new_code_cell(FLOOR_CODE))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, directory / "floor.ipynb")
    return "floor.ipynb"


HOST = "06_batch_normalization.ipynb"


def run(host: str | None = HOST) -> dict | None:
    if not (pathlib.Path("/usr/bin/chromium").exists() or shutil.which("chromium")):
        return None
    import conftest
    from playwright.sync_api import sync_playwright
    from test_notebooks import (DASHBOARDS_JS, LATENCY_JS, SLIDERS, drag_slider,
                                figure_changed, open_and_run, wait_until, watch_figure)

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="course-floor-")) / "notebooks"
    workdir.mkdir()
    server = log = None
    try:
        name = _notebook(workdir, host)
        port = conftest._free_port()
        log = open(workdir / "server.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
             "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
             "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
             "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={workdir}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
                     JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces")))
        url = f"http://127.0.0.1:{port}/"
        conftest._wait_for_server(url, server, workdir / "server.log")
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=conftest.CHROMIUM,
                                                 args=conftest.CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            open_and_run(page, url, name)
            box = page.evaluate_handle(DASHBOARDS_JS).evaluate_handle(
                "(boxes) => boxes[boxes.length - 1]").as_element()
            box.scroll_into_view_if_needed()
            for which, label in enumerate(("image only", "status, then image",
                                              "as a dashboard", "then 0.4 s of training")):
                times = []
                for _ in range(MOVES):
                    handle = box.query_selector_all(SLIDERS)[which]
                    watch_figure(box)
                    drag_slider(page, handle)
                    wait_until(lambda: figure_changed(page), 10, "the image to change", 0.01)
                    times.append(page.evaluate(LATENCY_JS)["first"])
                    time.sleep(0.8)
                results[label] = times
            browser.close()
        return results
    finally:
        if server is not None:
            conftest._stop_server(server)
        if log is not None:
            log.close()
        shutil.rmtree(workdir.parent, ignore_errors=True)


def report(result) -> str:
    if result is None:
        return "browser floor: skipped (no Chromium at /usr/bin/chromium)"
    lines = ["browser floor: sliders whose kernel side only hands over a ready frame, at the end "
             "of a long page (release -> new image in the page):"]
    for label, times in result.items():
        lines.append(f"  {label:20} n={len(times):2}  median {np.median(times):5.0f} ms, "
                     f"p90 {np.percentile(times, 90):5.0f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1] if len(sys.argv) > 1 else HOST)))
