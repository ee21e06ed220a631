"""A JupyterLab server and a headless Chromium for the browser tests, started for the
tests only and always stopped, even on failure.

The server runs on 127.0.0.1 on a free port, with the token disabled (only here), over a
temporary copy of notebooks/ and data/ (JupyterLab autosaves what it runs; the stored
notebooks must not change), with one setting of its own: every cell kept in the page (no
virtual scrolling), so the tests can find every output. The news pop-up is left to the
course's environment (jupyter/overrides.json, installed by `make install`), so the tests
see what a reader sees; test_notebooks.py checks that it stays away.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _wait_for_server(url: str, process, log_path: pathlib.Path, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early with code {process.returncode}; "
                               f"end of its log:\n{_log_tail(log_path)}")
        try:
            urllib.request.urlopen(url + "api/status", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer at {url} within {timeout} s; end of its "
                       f"log:\n{_log_tail(log_path)}")


def _signal_group(pid: int, sig) -> None:
    """Send sig to the server's process group (it and its kernels); gone already is fine."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _stop_server(server) -> None:
    """SIGTERM (JupyterLab then shuts its kernels down), SIGKILL whatever is left."""
    try:
        _signal_group(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    finally:
        _signal_group(server.pid, signal.SIGKILL)  # stray kernels, or a server that hung
        server.wait(timeout=20)


@pytest.fixture(scope="session")
def lab_url():
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="course-browser-"))
    log = server = None
    try:
        course = workdir / "course"
        shutil.copytree(ROOT / "notebooks", course / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        shutil.copytree(ROOT / "data", course / "data")
        settings = workdir / "settings"
        for name, values in SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        port = _free_port()
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(workdir / "runtime"))
        log = open(workdir / "server.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
             # The port was free a moment ago; if it is taken now, fail rather than move.
             "--ServerApp.port_retries=0",
             "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
             "--allow-root", "--LabApp.expose_app_in_browser=True",
             f"--ServerApp.root_dir={course / 'notebooks'}"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        url = f"http://127.0.0.1:{port}/"
        _wait_for_server(url, server, workdir / "server.log")
        yield url
    finally:
        # Each step runs even if the one before it fails; the first failure is reported.
        try:
            if server is not None:
                _stop_server(server)
        finally:
            try:
                if log is not None:
                    log.close()
            finally:
                shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
