"""The live preview: `build.py serve` in a process of its own against a copy of the mini project."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import MINI, REPO, Forked, copy_project
from factsheet import cli
from factsheet.serve import url_parts, watch

TIMEOUT = 60  # generous: a quiet machine starts and rebuilds in a second or two; a loaded one (other builds running) much later


@dataclass
class Preview:
    url: str
    port: int
    project: Path
    process: Server
    log: Path

    def get(self, path: str) -> tuple[int, str]:
        """Return the status and text of one request."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=TIMEOUT) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def wait_for(self, path: str, text: str, status: int = 200) -> str:
        """Poll `path` until it answers `status` with `text` in the body; return the body."""
        deadline = time.monotonic() + TIMEOUT
        seen: tuple[int, str] = (0, "")
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server stopped:\n{self.log.read_text()}"
            seen = self.get(path)
            if seen[0] == status and text in seen[1]:
                return seen[1]
            time.sleep(0.05)
        raise AssertionError(f"{path} never answered {status} with {text!r}; last answer {seen[0]}:\n{seen[1][:2000]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server(Forked):
    """`build.py serve ARGUMENTS` in a forked child of this process (see Forked), its output in `log`, with
    the web server imported already too, and none of this process's pipes, sockets and files."""

    def __init__(self, arguments: list[str], log: Path):
        def serve() -> int:
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.chdir(REPO)
            # The shared browser's Playwright keeps an event loop running in this thread: the server starts its own.
            asyncio.events._set_running_loop(None)
            asyncio.set_event_loop(asyncio.new_event_loop())
            return cli.main(arguments)

        written = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            super().__init__(serve, written, written)
        finally:
            os.close(written)


def start(project: Path, log: Path, *options: str) -> Preview:
    port = free_port()
    log.write_bytes(b"")
    process = Server(["serve", "--project", str(project), "--port", str(port), *options], log)
    preview = Preview(f"http://127.0.0.1:{port}", port, project, process, log)
    deadline = time.monotonic() + TIMEOUT
    while "serving" not in log.read_text():
        assert process.poll() is None and time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
        time.sleep(0.05)
    return preview


def stop(preview: Preview) -> None:
    preview.process.terminate()
    preview.process.wait(timeout=TIMEOUT)


@pytest.fixture
def preview(mini_project: Path, tmp_path: Path):
    """A preview of its own, for tests that edit the project."""
    running = start(mini_project, tmp_path / "serve.log")
    yield running
    stop(running)


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


def test_saved_edit_is_served_and_a_broken_edit_shows_located_errors_until_fixed(preview: Preview):
    device = preview.project / "content/devices/alpha.yaml"
    preview.wait_for("/devices/alpha/", "Alpha Phone")

    edit(device, "name: Alpha Phone", "name: Alpha Phone Mark II")
    preview.wait_for("/devices/alpha/", "Alpha Phone Mark II")

    edit(device, "status: announced", "status: anounced")
    for path in ("/", "/devices/alpha/", "/sources/alpha-news/", "/no-such-page/"):
        page = preview.wait_for(path, "content/devices/alpha.yaml:3:9: error: &#x27;anounced&#x27; is not allowed", status=500)
        assert "did you mean &#x27;announced&#x27;?" in page
        assert "livereload.js" in page  # the error page reloads itself once the file is fixed
    assert "content/devices/alpha.yaml:3:9: error:" in preview.log.read_text()

    edit(device, "status: anounced", "status: announced")
    page = preview.wait_for("/devices/alpha/", "Alpha Phone Mark II")
    assert "livereload.js" in page
    assert preview.process.poll() is None


def test_deleted_seed_gives_an_error_page_and_the_server_keeps_running(preview: Preview):
    seed = preview.project / "seeds/alpha.txt"
    text = seed.read_bytes()
    seed.unlink()
    page = preview.wait_for("/", "content/sources/alpha-news.yaml:4:7: error: no file seeds/alpha.txt", status=500)
    assert "the archived text must be in seeds/" in page

    seed.write_bytes(text)
    preview.wait_for("/sources/alpha-news/", "Alpha Phone launches")


def test_burst_of_saves_to_content_and_templates_is_built_once(preview: Preview):
    project = preview.project
    builds_before = preview.log.read_text().count("built ")
    edit(project / "content/devices/alpha.yaml", "name: Alpha Phone", "name: Alpha One")
    edit(project / "content/devices/beta.yaml", "name: Beta Phone", "name: Beta Two")
    edit(project / "templates/static/site.css", "", "/* edited */\n")
    edit(project / "content/site.yaml", "title: Mini fact sheet", "title: Mini sheet three")
    page = preview.wait_for("/", "Mini sheet three")
    assert "Alpha One" in page and "Beta Two" in page
    assert "/* edited */" in preview.get("/static/site.css")[1]
    assert preview.log.read_text().count("built ") == builds_before + 1


def test_directories_serve_index_and_unknown_paths_serve_the_404_page(shared_preview: Preview):
    status, home = shared_preview.get("/")
    assert status == 200 and "Alpha Phone" in home
    status, page = shared_preview.get("/devices/alpha")  # redirected to the directory URL, where relative links work
    assert status == 200 and "Alpha Phone" in page
    status, page = shared_preview.get("/devices/gamma/")
    assert status == 404
    assert "Page not found" in page


def raw_status(port: int, request: bytes) -> int:
    """Send bytes as they are (no client normalising the path); return the status, or 0 if closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            try:
                chunk = connection.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


@pytest.mark.parametrize(
    "target, expected",
    [
        # plain and encoded traversal out of the built site (its parent holds the other builds)
        (b"/../build-1/index.html", {404}),
        (b"/%2e%2e/build-1/index.html", {404}),
        (b"/%2E%2E/%2E%2E/etc/passwd", {404}),
        (b"/..%2fbuild-1%2findex.html", {404}),
        (b"/static/..%2f..%2f..%2fetc%2fpasswd", {404}),
        (b"/static/..%5c..%5cetc%5cpasswd", {404}),
        # absolute paths
        (b"//etc/passwd", {404}),
        (b"/%2fetc%2fpasswd", {404}),
        (b"http://127.0.0.1/../etc/passwd", {404}),
        # bad bytes
        (b"/%00", {404}),
        (b"/%ff%fe/", {404}),
        (b"/\xff\xfe", {400, 404}),
        # huge path
        (b"/" + b"a" * 5_000, {404}),
        (b"/" + b"a/" * 200_000, {400, 414, 431, 0}),
    ],
)
def test_requests_outside_the_site_get_404_and_the_server_keeps_answering(shared_preview: Preview, target: bytes, expected: set[int]):
    status = raw_status(shared_preview.port, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status in expected
    assert shared_preview.get("/")[0] == 200


@pytest.mark.parametrize(
    "request_line, expected",
    [
        (b"POST / HTTP/1.1", {405}),
        (b"DELETE /index.html HTTP/1.1", {405}),
        (b"BREW / HTTP/1.1", {405}),
        (b"GET / HTTP/9.9", {400, 505, 0}),
        (b"\x00\x01\x02", {400, 0}),
    ],
)
def test_odd_requests_are_refused_and_the_server_keeps_answering(shared_preview: Preview, request_line: bytes, expected: set[int]):
    status = raw_status(shared_preview.port, request_line + b"\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert status in expected
    assert shared_preview.get("/")[0] == 200


def listening_addresses(port: int) -> set[str]:
    """Return the IPv4 addresses a port is listening on, from the kernel's socket table."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the Linux socket table")
@pytest.mark.parametrize(
    "options, address",
    [
        ((), "127.0.0.1"),
        (("--host", "0.0.0.0"), "0.0.0.0"),
    ],
)
def test_listens_on_localhost_unless_told_otherwise(preview_on, options: tuple, address: str):
    assert listening_addresses(preview_on(options[1] if options else None).port) == {address}


@pytest.mark.parametrize(
    "path, parts",
    [
        # inside the site
        ("/", []),
        ("/devices/alpha/", ["devices", "alpha"]),
        ("/static//site.css", ["static", "site.css"]),
        ("/s\xc3\xa9ite/", ["séite"]),  # UTF-8 bytes as the WSGI server hands them over (Latin-1)
        # could leave it
        ("/../x", None),
        ("/a/./b", None),
        ("/a\\..\\b", None),
        ("/a\x00b", None),
        ("/\xff", None),
        ("/" + "a" * 3_000, None),
    ],
)
def test_url_parts_refuses_every_path_that_could_leave_the_site(path: str, parts: list[str] | None):
    assert url_parts(path) == parts


@pytest.mark.browser
def test_open_browser_reloads_on_save_shows_errors_and_recovers(preview: Preview, page_in):
    device = preview.project / "content/devices/alpha.yaml"
    page = page_in()
    page.goto(preview.url + "/devices/alpha/")
    # Connected: the reload socket has agreed a protocol (then it registers the page).
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol >= 7", timeout=TIMEOUT * 1000)
    page.evaluate("window.notReloaded = true")

    edit(device, "name: Alpha Phone", "name: Alpha Phone Mark II")
    page.wait_for_function("() => document.body.innerText.includes('Alpha Phone Mark II')", timeout=TIMEOUT * 1000)
    assert page.evaluate("window.notReloaded") is None  # the page was reloaded for us

    edit(device, "status: announced", "status: anounced")
    page.wait_for_function("() => document.body.innerText.includes('content/devices/alpha.yaml:3:9: error:')", timeout=TIMEOUT * 1000)

    edit(device, "status: anounced", "status: announced")
    page.wait_for_function("() => document.title.startsWith('Alpha Phone Mark II')", timeout=TIMEOUT * 1000)


def test_the_watcher_reports_a_burst_of_saves_once_with_every_file_it_changed(tmp_path: Path):
    project = copy_project(MINI, tmp_path / "mini")
    calls: list[list[Path]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(project, calls.append, stop), daemon=True)
    watcher.start()
    try:
        time.sleep(0.5)  # the watcher is set up
        assert calls == []  # nothing changed, nothing reported
        alpha, beta = project / "content/devices/alpha.yaml", project / "content/devices/beta.yaml"
        alpha.write_text(alpha.read_text("utf-8") + "\n", "utf-8")
        beta.write_text(beta.read_text("utf-8") + "\n", "utf-8")
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)  # a second report would come in this time
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert len(calls) == 1
    assert {path.resolve() for path in calls[0]} >= {alpha.resolve(), beta.resolve()}
