"""Use the course as a reader does: open each notebook in JupyterLab, run all cells, then
work every dashboard's controls with real mouse and keyboard input.

For every notebook: it runs to the end with no error or warning output. For every
dashboard: each slider is dragged (a real drag: sliders act on release), each dropdown and
toggle changed, each button clicked; after each, the figure must change and no error may
appear. Screenshots before and after go to build/screenshots/; the time from releasing a
control to the new figure (first and last frame) goes to build/browser_latency.json for
`make bench`.
"""

from __future__ import annotations

import json
import pathlib
import time

import pytest

ROOT = pathlib.Path(__file__).parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "build" / "screenshots"
LATENCY_FILE = ROOT / "build" / "browser_latency.json"
RUN_TIMEOUT_S = 240
MOVE_TIMEOUT_S = 30

pytestmark = pytest.mark.browser

# ------------------------------------------------------------------ page helpers

STATUS_JS = """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                        .map(e => e.textContent).join('|')"""
PENDING_JS = """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'))
                        .filter(e => /\\[[ *]?\\]/.test(e.textContent) && e.textContent.includes('*')).length"""
ERRORS_JS = """() => Array.from(document.querySelectorAll(
                  '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                  .map(e => e.textContent.slice(0, 300))"""
UNRUN_JS = """() => Array.from(document.querySelectorAll('.jp-CodeCell'))
                     .filter(c => c.querySelector('.jp-InputArea-editor').textContent.trim())
                     .filter(c => !/\\[\\d+\\]/.test(c.querySelector('.jp-InputArea-prompt').textContent)).length"""


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def kernel_idle(page) -> bool:
    return "Idle" in page.evaluate(STATUS_JS)


def open_and_run(page, lab_url: str, notebook: str) -> None:
    # A workspace of its own per notebook, reset: only this notebook is open, in front.
    workspace = notebook.removesuffix(".ipynb").replace("_", "-")
    page.goto(f"{lab_url}lab/workspaces/{workspace}/tree/{notebook}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    wait_until(lambda: kernel_idle(page), 90, "the kernel to start")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1.0)
    wait_until(lambda: kernel_idle(page) and page.evaluate(PENDING_JS) == 0
               and page.evaluate(UNRUN_JS) == 0, RUN_TIMEOUT_S, f"{notebook} to finish running")


# ------------------------------------------------------------------ dashboards

DASHBOARDS_JS = """() => Array.from(document.querySelectorAll('.widget-vbox'))
    .filter(box => Array.from(box.children).some(c => c.matches('img.widget-image')))"""


def dashboards(page):
    handle = page.evaluate_handle(DASHBOARDS_JS)
    count = page.evaluate("(boxes) => boxes.length", handle)
    return [handle.evaluate_handle(f"(boxes) => boxes[{i}]").as_element() for i in range(count)]


def watch_figure(box) -> None:
    """Start recording when the dashboard's image changes (its src is a new blob each frame)."""
    box.evaluate("""(box) => {
        const img = Array.from(box.children).find(c => c.matches('img.widget-image'));
        window.__figure = {start: performance.now(), changes: []};
        if (window.__observer) window.__observer.disconnect();
        window.__observer = new MutationObserver(() => window.__figure.changes.push(performance.now()));
        window.__observer.observe(img, {attributes: true, attributeFilter: ['src']});
    }""")


def mark_action(page) -> None:
    page.evaluate("() => { window.__figure.start = performance.now(); }")


def status_text(box) -> str:
    return box.evaluate("(box) => box.querySelector('.cu-status').textContent")


def busy(box) -> bool:
    return box.query_selector(".cu-busy") is not None


def settle(page, box, what: str) -> dict:
    """Wait for the figure to change and the dashboard to finish; return the latencies."""
    wait_until(lambda: page.evaluate("() => window.__figure.changes.length > 0"),
               MOVE_TIMEOUT_S, f"the figure to change after {what}")
    wait_until(lambda: not busy(box) and kernel_idle(page),
               MOVE_TIMEOUT_S, f"the dashboard to finish after {what}")
    time.sleep(0.3)  # a last frame may still be in flight
    record = page.evaluate("""() => ({first: window.__figure.changes[0] - window.__figure.start,
                                       last: window.__figure.changes[window.__figure.changes.length - 1]
                                             - window.__figure.start,
                                       frames: window.__figure.changes.length})""")
    assert "Something went wrong" not in status_text(box), f"{what}: {status_text(box)}"
    return record


def drag_slider(page, handle) -> None:
    handle.scroll_into_view_if_needed()
    track = handle.evaluate_handle("(h) => h.closest('.noUi-target')").as_element()
    box, track_box = handle.bounding_box(), track.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    direction = -1 if x > track_box["x"] + track_box["width"] / 2 else 1
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + direction * 0.2 * track_box["width"], y, steps=8)
    mark_action(page)
    page.mouse.up()


def exercise_dashboard(page, box, name: str) -> list[dict]:
    """Work every control of one dashboard; return one latency record per control move."""
    records = []
    box.scroll_into_view_if_needed()
    box.screenshot(path=str(SHOTS / f"{name}_before.png"))

    for i, handle in enumerate(box.query_selector_all(".widget-slider .noUi-handle")):
        if handle.evaluate("(h) => h.closest('.noUi-target').hasAttribute('disabled')"):
            continue  # greyed out: the dashboard says this control does nothing now
        watch_figure(box)
        drag_slider(page, handle)
        records.append({"control": f"slider {i}", **settle(page, box, f"dragging slider {i}")})

    for i, select in enumerate(box.query_selector_all(".widget-dropdown select")):
        options = select.evaluate("(s) => Array.from(s.options).map(o => o.value)")
        current = select.evaluate("(s) => s.value")
        choice = next(o for o in options if o != current)
        watch_figure(box)
        select.scroll_into_view_if_needed()
        mark_action(page)
        select.select_option(choice)
        records.append({"control": f"dropdown {i}", **settle(page, box, f"choosing {choice!r}")})

    for i, group in enumerate(box.query_selector_all(".widget-toggle-buttons")):
        buttons = group.query_selector_all("button:not(.mod-active)")
        if not buttons:
            continue
        watch_figure(box)
        buttons[0].scroll_into_view_if_needed()
        mark_action(page)
        buttons[0].click()
        if group.evaluate("(g) => g.classList.contains('cu-no-redraw')"):
            # A selector for other controls (declared so by the dashboard): no new figure.
            time.sleep(0.5)
            assert "Something went wrong" not in status_text(box)
            continue
        records.append({"control": f"toggle {i}", **settle(page, box, f"toggle group {i}")})

    for i, button in enumerate(box.query_selector_all("button.widget-button")):
        watch_figure(box)
        button.scroll_into_view_if_needed()
        mark_action(page)
        button.click()
        # A button may lead to a setting already shown (e.g. "He scale" when He is chosen).
        try:
            records.append({"control": f"button {i}", **settle(page, box, f"button {i}")})
        except AssertionError:
            assert "Something went wrong" not in status_text(box)

    box.scroll_into_view_if_needed()
    box.screenshot(path=str(SHOTS / f"{name}_after.png"))
    return records


def _save_latencies(notebook: str, records: list) -> None:
    LATENCY_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(LATENCY_FILE.read_text()) if LATENCY_FILE.exists() else {}
    data[notebook] = records
    LATENCY_FILE.write_text(json.dumps(data, indent=1))


# ------------------------------------------------------------------ the test


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_dashboards_respond(lab_url, browser, notebook):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    console_errors = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        open_and_run(page, lab_url, notebook)
        assert page.evaluate(ERRORS_JS) == [], f"{notebook} wrote to stderr"
        assert page.query_selector(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']") is None
        records = []
        for k, box in enumerate(dashboards(page)):
            name = f"{notebook.removesuffix('.ipynb')}_dashboard{k + 1}"
            records += [{"dashboard": name, **r} for r in exercise_dashboard(page, box, name)]
        _save_latencies(notebook, records)
        assert page.evaluate(ERRORS_JS) == [], f"{notebook}: stderr after using the dashboards"
        assert not console_errors, f"errors in the page: {console_errors[:3]}"
    finally:
        page.close()
