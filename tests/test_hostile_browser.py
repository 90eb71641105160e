"""No injection, in a real browser: pages built from the XSS corpus run no script, and the site's own
pages break nothing of their Content-Security-Policy.

Every escaped payload of tests/payloads/xss.txt goes into every text field at once (and every
payload, links to code included, into a quote); each page is opened in headless Chromium with
JavaScript on. A payload that ran would open a dialog (they all call alert) or trip the CSP.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import MINI, copy_project
from factsheet.pipeline import build_project
from payloads import inject, xss_payloads

pytestmark = pytest.mark.browser


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The mini site built from every payload at once, served over loopback: (root URL, page paths)."""
    root = tmp_path_factory.mktemp("xss")
    project = copy_project(MINI, root / "mini")
    payloads = xss_payloads()
    for payload in payloads["refused"]:
        inject(project, payload, everywhere=False)
    inject(project, " ".join(payloads["escaped"]))
    out = root / "site"
    build_project(project, out)
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if "pagefind" not in p.parts)
    server, url = serve(out)
    yield url, pages
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def own_site(built_site: Path) -> Iterator[str]:
    server, url = serve(built_site)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tab(browser) -> Iterator[object]:
    """One browser tab for every visit of this module: a fresh context per visit costs more than the visit."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def visit(page, url: str, then=None) -> tuple[list[str], list[str]]:
    """Open `url` in `page`; return the dialogs it opened and the console errors it logged (CSP violations among them)."""
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_error(error) -> None:
        errors.append(str(error))

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.goto(url, wait_until="load")
    if then:
        then(page)
    page.wait_for_timeout(50)  # let an onerror/onload handler of a broken image fire, if one exists
    page.goto("about:blank")  # nothing of this page runs on while the next one loads
    page.remove_listener("dialog", on_dialog)
    page.remove_listener("console", on_console)
    page.remove_listener("pageerror", on_error)
    return dialogs, errors


def test_no_payload_runs_a_script_on_any_page(tab, payload_site) -> None:
    url, pages = payload_site
    assert len(pages) >= 8
    ran = {}
    for path in pages:
        dialogs, errors = visit(tab, url + path)
        if dialogs or errors:
            ran[path] = dialogs + errors
    assert ran == {}


def test_no_payload_runs_in_search_results(tab, payload_site) -> None:
    url, _ = payload_site

    def search(page) -> None:
        page.locator("#search-results li").first.wait_for(timeout=10_000)

    dialogs, errors = visit(tab, url + "search/index.html?q=alert", search)
    assert dialogs == [] and errors == []


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "devices/xiaomi-12s-ultra/index.html",
        "sources/index.html",
        "europe/index.html",
        "history/index.html",
        "about/index.html",
        "404.html",
        "search/index.html?q=Leica",
    ],
)
def test_the_sites_own_pages_break_no_content_security_rule(tab, own_site, path) -> None:
    def settle(page) -> None:
        if "?q=" in path:
            page.locator("#search-results li").first.wait_for(timeout=10_000)  # the search bundle loaded and ran

    dialogs, errors = visit(tab, own_site + path, settle)
    assert errors == [] and dialogs == []


def test_the_policy_blocks_an_inline_script_and_reports_it(tab, own_site) -> None:
    def smuggle(page) -> None:
        from playwright.sync_api import Error as PlaywrightError

        with pytest.raises(PlaywrightError):  # the policy refuses the script: adding it fails
            page.add_script_tag(content="alert('inline ran')")

    dialogs, errors = visit(tab, own_site + "index.html", smuggle)
    assert dialogs == []
    assert any("Content Security Policy" in error for error in errors), errors
