"""The live preview, round 2 (issues 12 and 13): a watcher that survives a replaced folder and sees
every file the loader reads, a server that answers only its own origin, a live-reload script in
HTML pages only, and warnings shown on the page."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from conftest import MINI, copy_project
from factsheet.load import is_ignored, load_tree
from factsheet.serve import LIVE_SCRIPT, host_allowed, prepare_page, url_of, warning_banner, watch
from test_browser import COLOUR_RULES, axe_violations
from test_serve import TIMEOUT, Preview, edit, raw_status, start, stop


@pytest.fixture
def preview(mini_project: Path, tmp_path: Path):
    running = start(mini_project, tmp_path / "serve.log")
    yield running
    stop(running)


class Watcher:
    """The watcher of serve.py in a thread, collecting what it reports."""

    def __init__(self, project: Path):
        self.reports: list[list[Path]] = []
        self.stop, self.ready = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=watch, args=(project, self.reports.append, self.stop, self.ready), daemon=True)

    def __enter__(self) -> Watcher:
        self.thread.start()
        assert self.ready.wait(timeout=TIMEOUT)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def reported(self) -> set[Path]:
        return {path.resolve() for report in list(self.reports) for path in report}

    def wait_for(self, file: Path) -> None:
        deadline = time.monotonic() + TIMEOUT
        while file.resolve() not in self.reported():
            assert time.monotonic() < deadline, f"{file} was never reported; reports: {self.reports}"
            time.sleep(0.05)


# -- issue 12 item 5: a watched folder deleted and created again ------------------------------


def replace_by_copy(folder: Path, backup: Path) -> None:  # rm -rf content && cp -r backup content
    shutil.rmtree(folder)
    shutil.copytree(backup, folder)


def replace_by_move(folder: Path, backup: Path) -> None:  # mv content old && mv backup content
    folder.rename(folder.with_name("old"))
    backup.rename(folder)


def delete_then_copy_later(folder: Path, backup: Path) -> None:  # a pause while the folder is away
    shutil.rmtree(folder)
    time.sleep(1)
    shutil.copytree(backup, folder)


@pytest.mark.parametrize("replace", [replace_by_copy, replace_by_move, delete_then_copy_later])
@pytest.mark.parametrize(
    "folder, file",
    [
        ("content", "devices/alpha.yaml"),
        ("seeds", "alpha.txt"),
    ],
)
def test_the_watcher_sees_edits_after_a_watched_folder_is_deleted_and_created_again(tmp_path: Path, replace, folder: str, file: str):
    project = copy_project(MINI, tmp_path / "mini")
    backup = shutil.copytree(project / folder, tmp_path / "backup")
    with Watcher(project) as watcher:
        replace(project / folder, backup)
        watcher.wait_for(project / folder)  # the folder came back: everything in it may be new
        time.sleep(0.5)
        edited = project / folder / file
        edited.write_text(edited.read_text("utf-8") + "\n", "utf-8")
        watcher.wait_for(edited)


def test_the_watcher_sees_a_watched_folder_that_did_not_exist_when_it_started(tmp_path: Path):
    project = copy_project(MINI, tmp_path / "mini")
    seeds = project / "seeds"
    backup = seeds.rename(tmp_path / "backup")
    with Watcher(project) as watcher:
        backup.rename(seeds)
        watcher.wait_for(seeds)
        time.sleep(0.5)
        (seeds / "new.txt").write_text("text\n", "utf-8")
        watcher.wait_for(seeds / "new.txt")


def test_preview_serves_edits_after_content_is_deleted_and_copied_back(preview: Preview, tmp_path: Path):
    content = preview.project / "content"
    backup = shutil.copytree(content, tmp_path / "backup")
    replace_by_copy(content, backup)
    time.sleep(1)
    edit(content / "devices/alpha.yaml", "name: Alpha Phone", "name: Alpha Phone Returns")
    preview.wait_for("/devices/alpha/", "Alpha Phone Returns")


# -- issue 13 item 3: the loader and the watcher agree on the names they skip -----------------


@pytest.mark.parametrize(
    "path, ignored",
    [
        # hidden: skipped by the loader, ignored by the watcher
        (".alpha.yaml.swp", True),
        (".#alpha.yaml", True),
        (".git/index", True),
        ("devices/.alpha.yaml.swp", True),
        # editor leftovers: refused by the loader, so they must rebuild when they come and go
        ("devices/alpha.yaml~", False),
        ("devices/#alpha.yaml#", False),
        ("devices/4913", False),
        ("devices/alpha.yaml", False),
    ],
)
def test_only_hidden_names_are_ignored(path: str, ignored: bool):
    assert is_ignored(Path(path)) is ignored


def test_the_watcher_reports_exactly_the_files_the_loader_reads_or_refuses(tmp_path: Path):
    project = copy_project(MINI, tmp_path / "mini")
    devices = project / "content/devices"
    names = ["alpha.yaml~", "#alpha.yaml#", "4913", ".alpha.yaml.swp", ".#alpha.yaml", "flycheck_alpha.yaml", "alpha.yaml.bak"]
    with Watcher(project) as watcher:
        for name in names:
            (devices / name).write_text("name: x\n", "utf-8")
        watcher.wait_for(devices / names[0])
        time.sleep(0.5)  # the rest of the burst
    raw = load_tree(project)
    read_or_refused = {doc.path for doc in raw.documents} | {problem.file for problem in raw.problems}
    loader_reads = {name for name in names if f"content/devices/{name}" in read_or_refused}
    watcher_reports = {name for name in names if (devices / name).resolve() in watcher.reported()}
    assert loader_reads == watcher_reports == {"alpha.yaml~", "#alpha.yaml#", "4913", "flycheck_alpha.yaml", "alpha.yaml.bak"}


@pytest.mark.parametrize("leftover", ["alpha.yaml~", "#alpha.yaml#", "4913"])
def test_deleting_an_editor_leftover_brings_the_site_back(preview: Preview, leftover: str):
    device = preview.project / "content/devices/alpha.yaml"
    shutil.copy(device, device.with_name(leftover))
    preview.wait_for("/devices/alpha/", f"content/devices/{leftover}", status=500)
    edit(device, "name: Alpha Phone", "name: Alpha Phone Saved")
    device.with_name(leftover).unlink()
    preview.wait_for("/devices/alpha/", "Alpha Phone Saved")


# -- issue 12 item 9: same origin only, loopback names only, a warning beyond loopback --------


@pytest.mark.parametrize(
    "host_header, listen, allowed",
    [
        # listening on this computer only: its loopback names and addresses
        ("localhost:8000", "127.0.0.1", True),
        ("LOCALHOST:8000", "127.0.0.1", True),
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("[::1]:8000", "::1", True),
        ("[::1]:8000", "127.0.0.1", True),
        # DNS rebinding: a name of someone else's that resolves to 127.0.0.1
        ("evil.example:8000", "127.0.0.1", False),
        ("localhost.evil.example:8000", "127.0.0.1", False),
        ("127.0.0.1.nip.io:8000", "127.0.0.1", False),
        ("192.168.1.5:8000", "127.0.0.1", False),
        # malformed or missing
        ("", "127.0.0.1", False),
        (None, "127.0.0.1", False),
        ("localhost:port", "127.0.0.1", False),
        ("[::1", "127.0.0.1", False),
        ("evil.example@localhost:8000", "127.0.0.1", False),
        ("localhost:8000/", "127.0.0.1", False),
        # --host names another name or address: that one too
        ("192.168.1.5:8000", "192.168.1.5", True),
        ("mybox.lan:8000", "mybox.lan", True),
        ("MyBox.lan:8000", "mybox.lan", True),
        ("my_box:8000", "my_box", True),
        ("evil.example:8000", "mybox.lan", False),
        # every address: any address (a rebinding attack needs a name), still no foreign name
        ("192.168.1.5:8000", "0.0.0.0", True),
        ("[fe80::1]:8000", "::", True),
        ("evil.example:8000", "0.0.0.0", False),
    ],
)
def test_host_header_must_name_this_server(host_header: str | None, listen: str, allowed: bool):
    assert host_allowed(host_header, listen) is allowed


@pytest.mark.parametrize("path", ["/", "/facts.json", "/devices/alpha/", "/livereload.js", "/no-such-page"])
def test_requests_naming_a_foreign_host_are_refused(shared_preview: Preview, path: str):
    port = shared_preview.port
    request = "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    assert raw_status(port, request.format(path=path, host=f"evil.example:{port}").encode()) == 403
    assert raw_status(port, request.format(path=path, host=f"localhost:{port}").encode()) in {200, 404}


def handshake_status(port: int, origin: str | None, host: str) -> int:
    """Open the reload socket as a browser would; return the status: 101 accepted, 403 refused."""
    request = (
        f"GET /livereload HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (f"Origin: {origin}\r\n" if origin else "")
        + "\r\n"
    )
    return raw_status(port, request.encode())


@pytest.mark.parametrize(
    "origin, host, status",
    [
        # the page of the preview itself
        ("http://127.0.0.1:{port}", "127.0.0.1:{port}", 101),
        ("http://localhost:{port}", "localhost:{port}", 101),
        (None, "127.0.0.1:{port}", 101),  # not a browser: no page of another site behind it
        # another site's page in the same browser
        ("http://evil.example", "127.0.0.1:{port}", 403),
        ("http://127.0.0.1:{port}.evil.example", "127.0.0.1:{port}", 403),
        ("null", "127.0.0.1:{port}", 403),
        ("http://localhost:{port}", "127.0.0.1:{port}", 403),  # same computer, another origin
        ("http://127.0.0.1:1", "127.0.0.1:{port}", 403),
        # DNS rebinding: the attacker's name for this server, same origin as far as the browser knows
        ("http://evil.example:{port}", "evil.example:{port}", 403),
    ],
)
def test_reload_socket_accepts_only_its_own_origin(shared_preview: Preview, origin: str | None, host: str, status: int):
    port = shared_preview.port
    assert handshake_status(port, origin and origin.format(port=port), host.format(port=port)) == status


async def reload_socket(port: int, path: str = "/livereload"):
    """Return a LiveReload socket of the preview's own page, after the handshake livereload.js makes."""
    connection = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}{path}", headers={"Origin": f"http://127.0.0.1:{port}"}))
    await connection.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    assert json.loads(await connection.read_message())["command"] == "hello"
    await connection.write_message(json.dumps({"command": "info", "url": f"http://127.0.0.1:{port}/", "plugins": {}}))
    return connection


def test_another_site_cannot_reload_the_preview(preview: Preview):
    async def scenario() -> tuple[int, list[str]]:
        connection = await reload_socket(preview.port)
        status = raw_status(
            preview.port,
            b"GET /forcereload HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n" % preview.port,
        )
        messages = []
        try:
            messages.append(await asyncio.wait_for(connection.read_message(), 1.5))
        except TimeoutError:
            pass
        # A real save still reloads it: the socket was listening all along.
        edit(preview.project / "content/devices/alpha.yaml", "name: Alpha Phone", "name: Alpha Phone Reloaded")
        messages.append(await asyncio.wait_for(connection.read_message(), TIMEOUT))
        connection.close()
        assert await connection.read_message() is None  # closed by both ends
        return status, messages

    # In a thread of its own: the shared browser's Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as apart:
        status, messages = apart.submit(asyncio.run, scenario()).result()
    assert status == 404
    assert len(messages) == 1 and json.loads(messages[0])["command"] == "reload"


def test_a_page_whose_build_was_replaced_before_its_socket_connected_is_reloaded_at_once(preview: Preview):
    """A save while a page loads: the build ends before the page's reload socket is listening, so
    the page learns of it when the socket connects, not at the next save."""
    page = preview.get("/devices/alpha/")[1]
    path = re.search(r'"/livereload/(\d+)\?"', page)
    assert path, "the page names the build it was served from"
    edit(preview.project / "content/devices/alpha.yaml", "name: Alpha Phone", "name: Alpha Phone Mark II")
    preview.wait_for("/devices/alpha/", "Alpha Phone Mark II")
    current = re.search(r'"/livereload/(\d+)\?"', preview.get("/devices/alpha/")[1])
    assert current and current[1] != path[1]

    async def first_message(socket_path: str) -> str | None:
        connection = await reload_socket(preview.port, socket_path)
        try:
            return await asyncio.wait_for(connection.read_message(), 1.0)
        except TimeoutError:
            return None
        finally:
            connection.close()
            while await connection.read_message() is not None:  # until closed by both ends
                pass

    with ThreadPoolExecutor(1) as apart:  # the shared browser's Playwright keeps an event loop in this thread
        stale = apart.submit(asyncio.run, first_message(f"/livereload/{path[1]}")).result()
        fresh = apart.submit(asyncio.run, first_message(f"/livereload/{current[1]}")).result()
    assert stale is not None and json.loads(stale)["command"] == "reload"
    assert fresh is None  # a page of the latest build is left alone


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize(
    "host, address, warned",
    [
        ("127.0.0.1", "http://127.0.0.1:{port}/", False),
        ("localhost", "http://localhost:{port}/", False),
        ("0.0.0.0", "http://0.0.0.0:{port}/", True),
        pytest.param("::1", "http://[::1]:{port}/", False, marks=pytest.mark.skipif(not ipv6_available(), reason="no IPv6")),
        pytest.param("::", "http://[::]:{port}/", True, marks=pytest.mark.skipif(not ipv6_available(), reason="no IPv6")),
    ],
)
def test_prints_its_address_and_warns_when_it_listens_beyond_this_computer(preview_on, host: str, address: str, warned: bool):
    running = preview_on(host)
    log = running.log.read_text()
    assert address.format(port=running.port) in log
    assert ("warning: the preview listens beyond this computer" in log) is warned


@pytest.mark.parametrize(
    "host, port, url",
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000/"),
        ("localhost", 80, "http://localhost:80/"),
        ("::", 8767, "http://[::]:8767/"),
        ("::1", 8000, "http://[::1]:8000/"),
        ("fe80::1%eth0", 8000, "http://[fe80::1%25eth0]:8000/"),
    ],
)
def test_url_of_brackets_ipv6_addresses(host: str, port: int, url: str):
    assert url_of(host, port) == url


# -- issue 12 item 10: the live-reload script in HTML pages only, once --------------------------


@pytest.mark.parametrize(
    "page, scripts",
    [
        (b"<html><head><title>t</title></head><body></body></html>", 1),
        # a second </head> (in text, an attribute, a script) gets no second script
        (b"<html><head><title>t</title></head><body><pre></head></pre></body></html>", 1),
        (b"<html><head></head><body><script>var s = '</head>';</script></body></html>", 1),
        # no head to put it in: left alone
        (b"<!doctype html><p>bare", 0),
    ],
)
def test_the_reload_script_is_added_once_before_the_first_head_end(page: bytes, scripts: int):
    prepared = prepare_page(page, (), 7)
    assert prepared.count(b"livereload.js") == scripts
    script = LIVE_SCRIPT % 7
    if scripts:
        assert b'"/livereload/7?"' in script  # the build the page came from
        assert prepared.index(script) + len(script) == prepared.index(b"</head>")
    assert prepared.replace(script, b"") == page  # nothing else changed


def test_files_that_are_not_html_are_served_byte_for_byte(preview: Preview):
    project = preview.project
    edit(project / "content/devices/alpha.yaml", "presented in *Berlin*.", "presented in *Berlin* </head>.")
    edit(project / "templates/static/site.css", "", "/* </head> */\n")
    preview.wait_for("/devices/alpha/", "Berlin</em> &lt;/head&gt;")
    status, facts = preview.get("/facts.json")
    assert status == 200
    assert "</head>" in json.dumps(json.loads(facts))  # valid JSON, the text as written
    assert "livereload" not in facts
    status, css = preview.get("/static/site.css")
    assert css == (project / "templates/static/site.css").read_text("utf-8")
    page = preview.get("/devices/alpha/")[1]
    assert page.count("livereload.js") == 1


# -- issue 13 item 4: warnings on the page -------------------------------------------------------


def test_warnings_show_as_a_banner_above_the_page_until_fixed(preview: Preview):
    orphan = preview.project / "seeds/orphan.txt"
    orphan.write_text("An archived text no source describes.\n", "utf-8")
    page = preview.wait_for("/devices/alpha/", "no source in content/sources/ describes this archived text")
    assert "Alpha Phone" in page  # the page is still there, below the banner
    assert page.count('aria-label="Build warnings"') == 1
    assert page.index('aria-label="Build warnings"') < page.index("Alpha Phone</h1>")
    assert "seeds/orphan.txt" in preview.get("/")[1]  # on every page
    assert "Build warnings" not in preview.get("/facts.json")[1]

    orphan.unlink()
    deadline = time.monotonic() + TIMEOUT
    while "Build warnings" in preview.get("/devices/alpha/")[1]:
        assert time.monotonic() < deadline, "the banner stayed after the warning was fixed"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "warning, shown",
    [
        ("content/devices/a.yaml:3:9: warning: <script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("content/devices/a.yaml:3:9: warning: 'x' & \"y\"", "&#x27;x&#x27; &amp; &quot;y&quot;"),
    ],
)
def test_warning_banner_escapes_the_text(warning: str, shown: str):
    banner = warning_banner((warning,)).decode("utf-8")
    assert shown in banner
    assert "<script>alert" not in banner


def test_pages_without_warnings_get_no_banner():
    page = b"<html><head></head><body class=x><h1>Page</h1></body></html>"
    assert b"Build warnings" not in prepare_page(page, ())
    warned = prepare_page(page, ("seeds/x.txt: warning: no source",))
    assert warned.index(b"<body class=x>") < warned.index(b"Build warnings") < warned.index(b"<h1>Page</h1>")


@pytest.fixture(scope="module")
def warned_preview(tmp_path_factory: pytest.TempPathFactory):
    """A preview whose build warns (an archived text no source describes), for the tests that only look at it."""
    folder = tmp_path_factory.mktemp("warned")
    project = copy_project(MINI, folder / "mini")
    (project / "seeds/orphan.txt").write_text("An archived text no source describes.\n", "utf-8")
    running = start(project, folder / "serve.log")
    running.wait_for("/devices/alpha/", "Build warnings")
    yield running
    stop(running)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_warning_banner_has_no_axe_violations_in_either_colour_scheme(warned_preview: Preview, page_in, scheme: str):
    page = page_in(scheme=scheme)
    page.goto(warned_preview.url + "/devices/alpha/")
    assert page.get_by_role("complementary", name="Build warnings").is_visible()
    # The dark scheme changes colours only: there axe runs its colour rules, as in test_browser's tour.
    assert axe_violations(page, COLOUR_RULES if scheme == "dark" else None) == []


@pytest.mark.browser
@pytest.mark.skipif(not ipv6_available(), reason="no IPv6")
def test_a_page_opened_by_an_ipv6_address_connects_to_the_reload_socket(preview_on, page_in):
    page = page_in()
    page.goto(f"http://[::1]:{preview_on('::1').port}/devices/alpha/")
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol >= 7", timeout=TIMEOUT * 1000)
