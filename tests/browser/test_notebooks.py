"""Use the course as a reader does: open each notebook in JupyterLab, run all cells, then
work every dashboard's controls with real mouse and keyboard input.

For every notebook: it runs to the end with no error or warning output. For every
dashboard: each slider is dragged (a real drag: sliders act on release), each dropdown,
toggle group and checkbox changed, each button clicked; after each, the figure must change
and no error may appear. A slider greyed out at first is dragged as soon as another control
enables it. A button that leads to the setting already shown changes nothing, so then
another control is moved and the button clicked again: it must change the figure at last.

Screenshots before and after go to build/screenshots/. For `make bench`, the time from
releasing a control to the new figure (first and last frame) goes to
build/browser_latency.json, with the kind of update the dashboard recorded in the kernel
(trained, or cached: a setting seen before), and whether each notebook passed.
Each notebook's kernel is shut down after its test.
"""

from __future__ import annotations

import ast
import json
import pathlib
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "build" / "screenshots"
LATENCY_FILE = ROOT / "build" / "browser_latency.json"
RUN_TIMEOUT_S = 240
MOVE_TIMEOUT_S = 60   # one move, including the training it starts
SHOW_GRACE_S = 3      # after the kernel has answered: time for the page to show a new frame

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
# The notebook's panel in JupyterLab (the server's root is notebooks/, so path = file name).
PANEL_JS = """(path) => Array.from(window.jupyterapp.shell.widgets('main'))
                            .find(w => w.context && w.context.path === path)"""


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def within(predicate, timeout: float, interval: float = 0.1) -> bool:
    """Whether predicate() becomes true within timeout seconds (no failure if not)."""
    deadline = time.time() + timeout
    while True:
        if predicate():
            return True
        if time.time() >= deadline:
            return False
        time.sleep(interval)


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
    assert_no_news_pop_up(page)


# The effective value: the user's setting if any, else the default (which the environment's
# overrides.json sets).
NEWS_SETTING_JS = """async () => {
    const plugin = await window.jupyterapp.serviceManager.settings.fetch(
        '@jupyterlab/apputils-extension:notification');
    const user = plugin.settings || {};
    return 'fetchNews' in user ? user.fetchNews : plugin.schema.properties.fetchNews.default;
}"""


def assert_no_news_pop_up(page) -> None:
    """What a reader of `make lab` sees: the environment's settings override turns the news
    check off, so no pop-up covers the first dashboard."""
    setting = page.evaluate(NEWS_SETTING_JS)
    assert setting == "false", f"JupyterLab's fetchNews setting is {setting!r}, expected 'false' " \
        "(is jupyter/overrides.json installed? `make install` runs scripts/install_lab_settings.py)"
    assert page.get_by_text("official Jupyter news").count() == 0, "the news pop-up is showing"


# ------------------------------------------------------------------ the kernel's side

# Every dashboard in the kernel, with how many updates it has recorded and the last few
# (Dashboard.timings: kind "trained", "cached", ..., kernel-side seconds). Read through
# user_expressions of a silent request: nothing is added to the notebook or its history.
TIMINGS_EXPR = ("__import__('json').dumps([[id(d), len(d.timings), d.timings[-8:]] "
                "for d in __import__('gc').get_objects() if isinstance(d, "
                "__import__('sys').modules['course_utils.widgets._base'].Dashboard)])")
QUERY_JS = """async ([path, expr, timeout_ms]) => {
    const panel = (%s)(path);
    const kernel = panel.sessionContext.session.kernel;
    const request = kernel.requestExecute({code: '', silent: true, store_history: false,
                                           user_expressions: {x: expr}}).done;
    const late = new Promise((_, reject) => setTimeout(
        () => reject(new Error('the kernel did not answer within ' + timeout_ms + ' ms')), timeout_ms));
    const reply = await Promise.race([request, late]);
    const x = reply.content.user_expressions.x;
    if (x.status !== 'ok') throw new Error(x.ename + ': ' + x.evalue);
    return x.data['text/plain'];
}""" % PANEL_JS
SHUTDOWN_JS = """async (path) => {
    const panel = (%s)(path);
    if (panel) await panel.sessionContext.shutdown();
}""" % PANEL_JS


def kernel_timings(page, notebook: str) -> dict:
    """{dashboard id: (number of updates, the last few)}. The kernel answers only after
    handling every message sent before (shell messages run in order), so this also waits
    for the move just made to be done in the kernel."""
    text = page.evaluate(QUERY_JS, [notebook, TIMINGS_EXPR, MOVE_TIMEOUT_S * 1000])
    return {key: (count, last) for key, count, last in json.loads(ast.literal_eval(text))}


def new_updates(before: dict, after: dict) -> list[dict]:
    updates = []
    for key, (count, last) in after.items():
        added = count - before.get(key, (0, []))[0]
        if added > 0:
            updates += last[-added:]
    return updates


def shut_down_kernel(page, lab_url: str, notebook: str) -> None:
    """Shut the notebook's kernel down, and check with the server that it is gone."""
    def sessions():
        with urllib.request.urlopen(lab_url + "api/sessions", timeout=10) as reply:
            return [s for s in json.load(reply) if s.get("path", "").endswith(notebook)]

    try:
        page.evaluate(SHUTDOWN_JS, notebook)
    except Exception:  # e.g. the page crashed: the server is asked below
        pass
    if within(lambda: not sessions(), 15, interval=0.5):
        return
    # Through the server's REST API, with the browser's cookies and its XSRF token.
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
    for session in sessions():
        page.context.request.delete(f"{lab_url}api/sessions/{session['id']}",
                                    headers={"X-XSRFToken": xsrf})
    wait_until(lambda: not sessions(), 30, f"{notebook}'s kernel to shut down")


# ------------------------------------------------------------------ dashboards

DASHBOARDS_JS = """() => Array.from(document.querySelectorAll('.widget-vbox'))
    .filter(box => Array.from(box.children).some(c => c.matches('img.widget-image')))"""
# What the controls show: slider readouts, dropdown choices, pressed toggles, checkboxes.
CONTROLS_JS = """(box) => JSON.stringify([
    Array.from(box.querySelectorAll('.widget-slider .widget-readout')).map(e => e.textContent),
    Array.from(box.querySelectorAll('.widget-dropdown select')).map(s => s.value),
    Array.from(box.querySelectorAll('.widget-toggle-buttons'))
         .map(g => Array.from(g.querySelectorAll('button.mod-active')).map(b => b.textContent)),
    Array.from(box.querySelectorAll('.widget-checkbox input')).map(i => i.checked)])"""
# Where a control sits relative to a button: in its row, just before it = 1, two before = 2,
# ...; in its row after it = 100, 101, ...; elsewhere 1000.
ROW_RANK_JS = """(button, el) => {
    const row = button.closest('.widget-hbox');
    if (!row || !row.contains(el)) return 1000;
    const cells = Array.from(row.children);
    const at = cells.findIndex(c => c.contains(button)), it = cells.findIndex(c => c.contains(el));
    return it < at ? at - it : 99 + it - at;
}"""
SLIDERS = ".widget-slider .noUi-handle"
DROPDOWNS = ".widget-dropdown select"
TOGGLES = ".widget-toggle-buttons"
CHECKBOXES = ".widget-checkbox input[type=checkbox]"
BUTTONS = "button.widget-button"


def dashboards(page):
    handle = page.evaluate_handle(DASHBOARDS_JS)
    count = page.evaluate("(boxes) => boxes.length", handle)
    return [handle.evaluate_handle(f"(boxes) => boxes[{i}]").as_element() for i in range(count)]


def watch_figure(box) -> None:
    """Start recording when the dashboard's image changes (its src is a new blob each frame),
    and when the reader's input reaches the page: the release of a pointer, a click, a
    changed selection (listened for on the document, before any widget sees it)."""
    box.evaluate("""(box) => {
        const img = Array.from(box.children).find(c => c.matches('img.widget-image'));
        window.__figure = {start: performance.now(), input: null, changes: []};
        if (window.__observer) window.__observer.disconnect();
        window.__observer = new MutationObserver(() => window.__figure.changes.push(performance.now()));
        window.__observer.observe(img, {attributes: true, attributeFilter: ['src']});
        if (!window.__inputListener) {
            window.__inputListener = () => {
                if (window.__figure.changes.length === 0) window.__figure.input = performance.now();
            };
            for (const type of ['pointerup', 'mouseup', 'click', 'change'])
                document.addEventListener(type, window.__inputListener, true);
        }
    }""")


# Resolves when the page's main thread has a moment with nothing to do (or after 2 s).
IDLE_JS = """() => new Promise(resolve => requestIdleCallback(() => resolve(), {timeout: 2000}))"""


def settle(page) -> None:
    """Wait until the page has finished what it was doing (drawing the outputs scrolled into
    view, the last move's frame) before the next input: a reader moves a control seconds
    apart, not while the page is still busy with the one before."""
    page.evaluate(IDLE_JS)


def mark_action(page) -> None:
    """Just before the input: Playwright then checks the element is ready, which a reader's
    click does not wait for, so the latency is counted from the input event itself (the
    last one before the first new frame), and from here only if none was seen."""
    page.evaluate("() => { window.__figure.start = performance.now(); window.__figure.input = null; }")


# Release of the control (its input event) -> the first and the last new frame, in ms.
LATENCY_JS = """() => {
    const f = window.__figure, t0 = f.input === null ? f.start : f.input;
    return {first: f.changes[0] - t0, last: f.changes[f.changes.length - 1] - t0,
            frames: f.changes.length, from_input: f.input !== null};
}"""


def figure_changed(page) -> bool:
    return page.evaluate("() => window.__figure.changes.length > 0")


def status_text(box) -> str:
    return box.evaluate("(box) => box.querySelector('.cu-status').textContent")


def busy(box) -> bool:
    return box.query_selector(".cu-busy") is not None


def controls_shown(box) -> str:
    return box.evaluate(CONTROLS_JS)


def slider_enabled(handle) -> bool:
    return not handle.evaluate("(h) => h.closest('.noUi-target').hasAttribute('disabled')")


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


class DashboardDriver:
    """Works the controls of one dashboard and records every move."""

    def __init__(self, page, box, notebook: str):
        self.page, self.box, self.notebook = page, box, notebook
        self.records: list[dict] = []
        self.dragged: set[int] = set()
        self.timings = kernel_timings(page, notebook)

    # -------------------------------------------------------------- one move

    def move(self, control: str, act) -> dict | None:
        """Do act() (which ends with mark_action and the real input), wait until the kernel
        and the page are done; return the latency record, or None if the figure did not
        change. Fails if the dashboard reports an error."""
        page, box = self.page, self.box
        settle(page)
        watch_figure(box)
        act()
        time.sleep(0.1)  # the input's message is on its way to the kernel before the query
        timings = kernel_timings(page, self.notebook)  # once the kernel has handled the move
        wait_until(lambda: not busy(box) and kernel_idle(page), MOVE_TIMEOUT_S,
                   f"the dashboard to finish after {control}")
        changed = within(lambda: figure_changed(page), SHOW_GRACE_S)
        if changed:  # every frame has been sent; wait until the page has shown the last
            count, shown = 0, page.evaluate("() => window.__figure.changes.length")
            while shown != count:
                count = shown
                time.sleep(0.15)
                shown = page.evaluate("() => window.__figure.changes.length")
        status = status_text(box)
        assert "Something went wrong" not in status, f"{control}: {status}"
        updates = new_updates(self.timings, timings)
        if changed and not updates:  # in case the query overtook the move: ask again
            timings = kernel_timings(page, self.notebook)
            updates = new_updates(self.timings, timings)
        self.timings = timings
        if not changed:
            return None
        record = page.evaluate(LATENCY_JS)
        kinds = sorted({u["kind"] for u in updates})
        record = {"control": control, **record,
                  "kind": "+".join(kinds) if kinds else "unrecorded",
                  "kernel_total": 1000 * sum(u["total_s"] for u in updates),
                  "kernel_first": 1000 * updates[0]["first_frame_s"] if updates else None,
                  "updates": len(updates)}
        self.records.append(record)
        return record

    def must_change(self, control: str, act) -> dict:
        record = self.move(control, act)
        assert record is not None, f"{control}: the figure did not change"
        return record

    # -------------------------------------------------------------- each kind of control

    def drag(self, i: int) -> None:
        handle = self.box.query_selector_all(SLIDERS)[i]
        self.must_change(f"slider {i}", lambda: drag_slider(self.page, handle))
        self.dragged.add(i)

    def drag_new_sliders(self) -> None:
        """Drag every enabled slider not dragged yet (another control may have enabled it)."""
        for i, handle in enumerate(self.box.query_selector_all(SLIDERS)):
            if i not in self.dragged and slider_enabled(handle):
                self.drag(i)

    def choose(self, i: int, choice: str | None = None, control: str = "") -> str:
        """Choose `choice` (default: another option) in dropdown i; return what it was."""
        select = self.box.query_selector_all(DROPDOWNS)[i]
        options = select.evaluate("(s) => Array.from(s.options).map(o => o.value)")
        current = select.evaluate("(s) => s.value")
        choice = choice if choice is not None else next(o for o in options if o != current)

        def act():
            select.scroll_into_view_if_needed()
            mark_action(self.page)
            select.select_option(choice)
        self.must_change(control or f"dropdown {i}", act)
        return current

    def toggle(self, i: int, label: str | None = None, control: str = "") -> str | None:
        """Press button `label` (default: the first not pressed) of toggle group i; return
        the label pressed before."""
        group = self.box.query_selector_all(TOGGLES)[i]
        current = group.query_selector("button.mod-active")
        current = current.text_content() if current is not None else None
        buttons = [b for b in group.query_selector_all("button:not(.mod-active)")
                   if label is None or b.text_content() == label]
        if not buttons:
            return None
        act = self._clicker(buttons[0])
        if group.evaluate("(g) => g.classList.contains('cu-no-redraw')"):
            # A selector for other controls (declared so by the dashboard): no new figure.
            self.move(control or f"toggle {i}", act)
        else:
            self.must_change(control or f"toggle {i}", act)
        return current

    def check(self, i: int, control: str = "") -> None:
        box = self.box.query_selector_all(CHECKBOXES)[i]
        self.must_change(control or f"checkbox {i}", self._clicker(box))

    def press(self, i: int) -> None:
        """Click button i. If it changes nothing, it led to the setting already shown: move
        the other controls one at a time, clicking it again after each, until it does."""
        button = self.box.query_selector_all(BUTTONS)[i]
        control = f"button {i} ({button.text_content()})"

        def click_changes() -> bool:
            before = controls_shown(self.box)
            if self.move(control, self._clicker(button)) is not None:
                return True
            assert controls_shown(self.box) == before, \
                f"{control}: the controls changed but the figure did not"
            return False

        if click_changes():
            return
        for other in self._other_moves(button):
            other()
            if click_changes():
                return
        raise AssertionError(f"{control} never changed the figure, whatever the other "
                             f"controls were set to")

    def _other_moves(self, button) -> list:
        """Moves of the other controls, one at a time (each itself checked): first those in
        the button's row, nearest before it first (what a button sets usually sits just
        before it), then the rest."""
        box, moves = self.box, []
        for i, handle in enumerate(box.query_selector_all(SLIDERS)):
            moves.append((handle, lambda i=i: self._drag_if_enabled(i)))
        for i, select in enumerate(box.query_selector_all(DROPDOWNS)):
            moves.append((select, lambda i=i: self.choose(i)))
        for i, group in enumerate(box.query_selector_all(TOGGLES)):
            if not group.evaluate("(g) => g.classList.contains('cu-no-redraw')"):
                moves.append((group, lambda i=i: self.toggle(i)))
        for i, check in enumerate(box.query_selector_all(CHECKBOXES)):
            moves.append((check, lambda i=i: self.check(i)))
        ranks = [button.evaluate(ROW_RANK_JS, element) for element, _ in moves]
        return [move for _, (_, move) in sorted(zip(ranks, moves), key=lambda pair: pair[0])]

    def _drag_if_enabled(self, i: int) -> None:
        if slider_enabled(self.box.query_selector_all(SLIDERS)[i]):
            self.drag(i)

    def _clicker(self, element):
        def act():
            element.scroll_into_view_if_needed()
            mark_action(self.page)
            element.click()
        return act

    # -------------------------------------------------------------- all of them

    def exercise(self) -> list[str]:
        """Work every control; return the sliders that were never enabled. Each dropdown,
        toggle group and checkbox is changed, then (after dragging any slider that change
        enabled) set back: going back is the way readers compare, and the dashboard may
        answer it from its cache."""
        box = self.box
        self.drag_new_sliders()
        for i in range(len(box.query_selector_all(DROPDOWNS))):
            before = self.choose(i)
            self.drag_new_sliders()
            self.choose(i, before, control=f"dropdown {i} back")
        for i in range(len(box.query_selector_all(TOGGLES))):
            before = self.toggle(i)
            self.drag_new_sliders()
            if before is not None:
                self.toggle(i, before, control=f"toggle {i} back")
        for i in range(len(box.query_selector_all(CHECKBOXES))):
            self.check(i)
            self.drag_new_sliders()
            self.check(i, control=f"checkbox {i} back")
        for i in range(len(box.query_selector_all(BUTTONS))):
            self.press(i)
            self.drag_new_sliders()
        return [f"slider {i}" for i in range(len(box.query_selector_all(SLIDERS)))
                if i not in self.dragged]


def _save_latencies(notebook: str, result: dict) -> None:
    LATENCY_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(LATENCY_FILE.read_text()) if LATENCY_FILE.exists() else {}
    data = {name: r for name, r in data.items() if isinstance(r, dict)}  # drop an older format
    data[notebook] = result
    LATENCY_FILE.write_text(json.dumps(data, indent=1))


# ------------------------------------------------------------------ the test


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_dashboards_respond(lab_url, browser, notebook):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    console_errors = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    result = {"passed": False, "error": None, "records": [], "never_enabled": []}
    try:
        try:
            open_and_run(page, lab_url, notebook)
            assert page.evaluate(ERRORS_JS) == [], f"{notebook} wrote to stderr"
            assert page.query_selector(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']") is None
            for k, box in enumerate(dashboards(page)):
                name = f"{notebook.removesuffix('.ipynb')}_dashboard{k + 1}"
                box.scroll_into_view_if_needed()
                box.screenshot(path=str(SHOTS / f"{name}_before.png"))
                driver = DashboardDriver(page, box, notebook)
                try:
                    never = driver.exercise()
                finally:
                    result["records"] += [{"dashboard": name, **r} for r in driver.records]
                result["never_enabled"] += [f"{name} {s}" for s in never]
                box.scroll_into_view_if_needed()
                box.screenshot(path=str(SHOTS / f"{name}_after.png"))
            assert page.evaluate(ERRORS_JS) == [], f"{notebook}: stderr after using the dashboards"
            assert not console_errors, f"errors in the page: {console_errors[:3]}"
            result["passed"] = True
        except Exception as error:
            result["error"] = f"{type(error).__name__}: {str(error)[:300]}"
            raise
        finally:
            _save_latencies(notebook, result)
            try:
                shut_down_kernel(page, lab_url, notebook)
            except Exception:
                if result["passed"]:
                    raise  # else the test's own failure is the one to report
    finally:
        page.close()
