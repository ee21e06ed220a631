"""The static website (`make site`), read as a visitor would: every page of build/site/
opened in headless Chromium from a local static server, with the network otherwise closed.

For every page: no console error, no failed request and no request to another host (the
site must read offline: theme, fonts and MathJax bundled); math rendered by MathJax and no
raw `$...$` left in the prose; every image loaded; every internal link (and its #anchor)
resolves to a page of the site.
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import re
import threading
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).parents[2]
SITE = ROOT / "build" / "site"
PAGES = sorted(p.name for p in SITE.glob("*.html")) if SITE.exists() else []
NOTEBOOK_PAGES = [p for p in PAGES if re.match(r"\d\d_", p)]

pytestmark = pytest.mark.browser

# Sphinx loads MathJax only on pages with math (elements of class "math").
MATH_READY_JS = """async () => {
    if (!document.querySelector('.math')) return 0;
    if (!window.MathJax) return -1;
    if (MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    return document.querySelectorAll('mjx-container').length;
}"""
# Prose only: code, outputs and MathJax's own output may hold dollar signs legitimately.
RAW_MATH_JS = r"""() => {
    const root = document.querySelector('article') || document.body;
    const clone = root.cloneNode(true);
    clone.querySelectorAll('pre, code, .highlight, .output, .cell_output, mjx-container, script, style')
         .forEach(e => e.remove());
    return (clone.textContent.match(/\$[^$\n]{1,200}\$/g) || []).slice(0, 5);
}"""
IMAGES_JS = """() => Array.from(document.images)
    .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"""
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    if not PAGES:
        pytest.fail(f"no site in {SITE}: build it with `make site` (make test does)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _target_resolves(url: str, site_url: str) -> str | None:
    """None if an internal link's page (and #anchor) exists in the built site, else why not."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path.removeprefix(urllib.parse.urlsplit(site_url).path))
    target = SITE / (path or "index.html")
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{url}: no such file"
    if parts.fragment and target.suffix == ".html":
        anchor = urllib.parse.unquote(parts.fragment)
        if f'id="{anchor}"' not in target.read_text(errors="replace"):
            return f"{url}: no #{anchor} in {target.name}"
    return None


def test_site_has_every_notebook_and_the_extra_pages():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.removesuffix(".html") for p in NOTEBOOK_PAGES] == notebooks
    assert {"index.html", "glossary.html", "claims.html"} <= set(PAGES)


@pytest.mark.parametrize("page_name", PAGES)
def test_page_reads_offline(browser, site_url, page_name):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text[:200]}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {str(e)[:200]}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: None if r.url.startswith((site_url, "data:", "blob:"))
            else problems.append(f"request to another host: {r.url}"))
    try:
        page.goto(site_url + page_name, wait_until="load")
        math = page.evaluate(MATH_READY_JS)
        assert math >= 0, f"{page_name}: has math but MathJax is not loaded"
        if page_name in NOTEBOOK_PAGES and page_name != "00_start_here.html":
            assert math > 0, f"{page_name}: no rendered math"
        assert page.evaluate(RAW_MATH_JS) == [], f"{page_name}: raw $...$ left unrendered"
        assert page.evaluate(IMAGES_JS) == [], f"{page_name}: images that did not load"
        broken = [why for url in set(page.evaluate(LINKS_JS)) if url.startswith(site_url)
                  for why in [_target_resolves(url, site_url)] if why]
        assert not broken, f"{page_name}: broken internal links: {broken[:5]}"
        page.wait_for_timeout(200)  # late requests (fonts) are reported too
        assert not problems, f"{page_name}: {problems[:5]}"
    finally:
        page.close()
