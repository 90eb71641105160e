"""Live preview: build into a private folder, serve it, rebuild on save, reload the browser.

The site is served from memory and switched only after a build has finished, so a reader
never sees a half-built site; while the content is broken, every page is replaced by the
list of located errors, and the next good save brings the site back without a restart.
A save re-checks everything but re-renders only the pages it touches (incremental.py);
the search index is left out of the preview (the search page finds nothing there). Warnings
show as a banner above every page: the publish build (--strict) fails on them.

The preview holds the draft, so it answers only its own pages: a request must name it by a
loopback name or address (or the --host name), so that another site's name resolving here
(DNS rebinding) is refused, and the reload socket takes only its own origin.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import json
import logging
import mimetypes
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import jinja2
import livereload
import watchfiles
from tornado.ioloop import IOLoop
from tornado.web import Application, FallbackHandler, HTTPError
from tornado.websocket import WebSocketClosedError, WebSocketHandler
from tornado.wsgi import WSGIContainer

from .incremental import Build, rebuild
from .load import is_ignored
from .pipeline import collector_paused
from .problems import ContentError, summarize
from .write import Data, whole

WATCHED = ("content", "seeds", "templates")  # the sources of the site; never the output
# The watcher looks at what the OS reported every SETTLE_MS and reports a burst once a look finds
# nothing new since the one before: a save is rebuilt 20-40 ms after it, and saves less than 20 ms apart
# (an editor or git writing several files) make one rebuild. 5 ms saved a save ~20 ms, but on a busy
# machine two saves made one after the other were then often more than 5 ms apart and built twice.
SETTLE_MS = 20
REARM_MS = 300  # how often the watcher looks for a watched folder that was deleted and came back
MAX_PATH = 2_000  # longer request paths cannot name a file of the site
EVERY_ADDRESS = ("0.0.0.0", "::", "")  # --host values that listen on all of this computer's addresses
TEXT = ("Content-Type", "text/plain; charset=utf-8")
REFUSED_HOST = (
    b"this preview answers only to localhost, 127.0.0.1, [::1] and the name given with --host "
    b"(with --host 0.0.0.0, to any address of this computer); open it by one of those\n"
)
# The published pages forbid inline scripts; the preview adds one, so it drops the policy.
CSP_META = re.compile(rb'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')
# livereload.js (from the livereload package) finds the reload socket from its own address; the
# page's host name is passed in full, as an IPv6 address in brackets would not be parsed from it.
# It opens ws://<host>:<port>/livereload, so the port carries a path naming the build the page came
# from ("8000/livereload/7?" makes ws://…:8000/livereload/7?/livereload): a build that ends while
# the page loads, before its socket listens, is then caught when the socket connects.
LIVE_SCRIPT = (
    b'<script>(function(){var s=document.createElement("script");'
    b's.src="/livereload.js?host="+location.hostname+"&port="+(location.port||80)+"/livereload/%d?";'
    b"document.head.appendChild(s);})();</script>"
)
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
BODY_START = re.compile(rb"<body[^>]*>")
# Its own colours in both schemes (whatever the page's are), in the flow of the page: it pushes the
# page down and hides none of it.
BANNER_STYLE = b"""<style>
.preview-warnings { margin: 0; padding: .75rem 1rem; border-bottom: 3px solid #8a5a00;
  background: #fff4ce; color: #3b2a00; font: 1rem/1.5 system-ui, sans-serif; }
.preview-warnings * { color: inherit; background: transparent; }
.preview-warnings p, .preview-warnings ul { margin: 0; }
.preview-warnings code { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
@media (prefers-color-scheme: dark) {
  .preview-warnings { background: #3b2a00; color: #ffe7a3; border-color: #f0b400; }
}
</style>"""


@dataclass(frozen=True)
class Served:
    """What the server answers with: the files of the last good build, and the errors of the latest one."""

    files: Mapping[str, Data] | None  # facts.json may be in pieces
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # of the last good build, shown above its pages
    version: int = 0  # counts the builds, failed ones too: a page names the one it was served from


def describe_failure(error: Exception) -> list[str]:
    """Return a failed build's problems as `file:line:col: error: ...` lines, as the CLI prints them."""
    if isinstance(error, ContentError):
        return [str(p) for p in error.problems] + [summarize(error.problems)]
    if isinstance(error, jinja2.TemplateSyntaxError):
        return [f"templates/{error.name or error.filename}:{error.lineno}:1: error: {error.message}"]
    frame = traceback.extract_tb(error.__traceback__)[-1:]
    where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
    return [f"error: {type(error).__name__}: {error}{where}"]


class Preview:
    """The site being previewed: rebuilt on demand, answered as a WSGI application."""

    def __init__(self, project: Path, host: str = "127.0.0.1"):
        self.project = project
        self.host = host  # what --host said: the name requests may use besides the loopback ones
        self.served = Served(None, ("error: the site has not been built yet",))
        self.build: Build | None = None  # the last good build
        self.pending: set[Path] = set()  # files changed since the last good build

    def rebuild(self, changed: Iterable[Path] = ()) -> Served:
        """Check everything again, re-render the pages the changes touch; return what to serve next."""
        self.pending.update(changed)
        started = time.perf_counter()
        try:
            # The watcher reports every change: the files it did not name are not looked at again.
            # What a build keeps lives until the next rebuild: out of the cycle collector's way, or
            # its first pass walks all of it (0.24 s of CPU at 1,000 devices, 0.4 s at 10,000).
            with collector_paused(keep=True):
                build = rebuild(self.project, self.build, sorted(self.pending), complete=True)
        except Exception as error:  # noqa: BLE001 - any failure is shown to the editor, the server lives on
            lines = describe_failure(error)
            print("\n".join(lines) + "\nthe browser shows these errors until they are fixed", file=sys.stderr, flush=True)
            return Served(self.served.files, tuple(lines))
        self.build = build
        self.pending.clear()
        for warning in build.warnings:
            print(warning, file=sys.stderr)
        print(
            f"built {build.plan.html_pages} pages in {time.perf_counter() - started:.2f} s "
            f"({len(build.changed)} changed); {summarize(build.warnings)}",
            flush=True,
        )
        return Served(build.files, warnings=tuple(str(w) for w in build.warnings))

    def update(self, changed: Iterable[Path] = ()) -> None:
        """Rebuild and switch the served site in one assignment (a build's files are never changed later)."""
        self.served = dataclasses.replace(self.rebuild(changed), version=self.served.version + 1)

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        """Answer one request; a crafted request gets an error status, never an exception."""
        method = environ.get("REQUEST_METHOD", "")
        served = self.served  # one read: the files, errors and warnings belong to the same build
        try:
            if host_allowed(environ.get("HTTP_HOST"), self.host):
                status, headers, body = self.respond(method, environ.get("PATH_INFO", ""), served)
            else:
                status, headers, body = "403 Forbidden", [TEXT], REFUSED_HOST
        except Exception:  # noqa: BLE001 - a bug must not take the preview down
            traceback.print_exc()
            status, headers, body = "500 Internal Server Error", [TEXT], b"internal error\n"
        if dict(headers).get("Content-Type", "").startswith("text/html"):
            body = prepare_page(body, served.warnings, served.version)
        headers += [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
        start_response(status, headers)
        return [b"" if method == "HEAD" else body]

    def respond(self, method: str, path: str, served: Served) -> tuple[str, list[tuple[str, str]], bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", [("Allow", "GET, HEAD"), TEXT], b"read-only preview\n"
        if path == "/livereload.js":
            return "200 OK", [("Content-Type", "application/javascript; charset=utf-8")], livereload_js()
        if served.errors:
            return "500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8")], error_page(served.errors)
        parts = url_parts(path)
        files = served.files
        if parts is None or files is None:
            return not_found(files)
        name = "/".join(parts)  # a key of the site's files: nothing outside them can be named
        if name in files:
            return "200 OK", [("Content-Type", content_type(PurePosixPath(name)))], whole(files[name])  # facts.json comes in pieces
        index = f"{name}/index.html" if name else "index.html"
        if index in files:
            if not path.endswith("/"):
                # Relative links on the page only work from the directory URL.
                location = "/" + "".join(quote(p) + "/" for p in parts)
                return "301 Moved Permanently", [("Location", location), TEXT], b""
            return "200 OK", [("Content-Type", "text/html; charset=utf-8")], whole(files[index])
        return not_found(files)


def url_parts(path: str) -> list[str] | None:
    """Return the path segments of a request inside the site, or None for anything that could leave it.

    The WSGI path arrives percent-decoded (so `%2e%2e` is already `..`) as Latin-1 text.
    """
    if len(path) > MAX_PATH:
        return None
    try:
        text = path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    parts = [p for p in text.split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return parts


def host_allowed(header: str | None, listen: str) -> bool:
    """Return whether a request's Host header names this preview: a loopback name or address, the
    --host value, or any address when listening on every address. Any other name is refused: a
    web page's own name that resolves here (DNS rebinding) must not read the draft."""
    if not header or not re.fullmatch(r"[\w.\-\[\]:%]+", header, re.ASCII):
        return False
    try:
        parts = urlsplit("//" + header)
        name, _ = parts.hostname, parts.port  # .port raises ValueError for a port that is no number
    except ValueError:
        return False
    if not name:
        return False
    address = ip_address(name)
    if name == "localhost" or (address is not None and address.is_loopback):
        return True
    if listen in EVERY_ADDRESS:
        return address is not None
    wanted = ip_address(listen)
    return address == wanted if wanted is not None else name == listen.lower()


def ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def listens_beyond_loopback(host: str) -> bool:
    address = ip_address(host)
    return host != "localhost" and not (address is not None and address.is_loopback)


def url_of(host: str, port: int) -> str:
    """Return the address of the preview as a browser takes it: an IPv6 address in brackets."""
    if ":" in host:
        return f"http://[{quote(host, safe=':')}]:{port}/"
    return f"http://{host}:{port}/"


@functools.cache
def livereload_js() -> bytes:
    return (Path(livereload.__file__).parent / "vendors" / "livereload.js").read_bytes()


def prepare_page(page: bytes, warnings: tuple[str, ...], version: int = 0) -> bytes:
    """Return an HTML page of build `version` as the preview serves it: without its script policy,
    with the reload script before the first `</head>`, and the warnings (if any) at the top of its body."""
    page = CSP_META.sub(b"", page, count=1)
    head_end = page.find(b"</head>")
    if head_end < 0:
        return page
    page = page[:head_end] + LIVE_SCRIPT % version + (BANNER_STYLE if warnings else b"") + page[head_end:]
    body = BODY_START.search(page, head_end)
    if warnings and body:
        page = page[: body.end()] + warning_banner(warnings) + page[body.end() :]
    return page


def warning_banner(warnings: tuple[str, ...]) -> bytes:
    """Return the banner listing a build's warnings (escaped), a labelled landmark of the page."""
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in warnings)
    count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    return f"""<aside class="preview-warnings" aria-label="Build warnings">
<p><strong>{count}</strong>: the preview shows the site, but <code>make check</code> and the publish build
(<code>--strict</code>) fail until {"they are" if len(warnings) != 1 else "it is"} fixed.</p>
<ul>
{items}
</ul>
</aside>
""".encode()


def not_found(files: Mapping[str, Data] | None) -> tuple[str, list[tuple[str, str]], bytes]:
    body = whole((files or {}).get("404.html") or b"<!doctype html><title>Not found</title><p>Not found.</p>")
    return "404 Not Found", [("Content-Type", "text/html; charset=utf-8")], body


def content_type(file: PurePosixPath) -> str:
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json", "application/xml", "image/svg+xml"):
        kind += "; charset=utf-8"
    return kind


def error_page(lines: tuple[str, ...]) -> bytes:
    """Return the page shown in place of every page while the content is broken (reloads when fixed)."""
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed · preview</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
h1 {{ color: #a00; }} li {{ margin: .5rem 0; }} code {{ white-space: pre-wrap; word-break: break-word; }}
</style>
</head>
<body>
<main>
<h1>The site could not be built</h1>
<p>Fix the problems below and save; this page reloads by itself.</p>
<ol>
{items}
</ol>
</main>
</body>
</html>
""".encode()


def watch(project: Path, on_change, stop: threading.Event, ready: threading.Event | None = None) -> None:
    """Call `on_change` with the changed files once per settled burst of changes to the watched
    folders, until `stop` is set. The OS reports the changes (watchfiles: inotify and the like),
    so a site of thousands of files costs next to nothing while idle and a save is reported
    within two SETTLE_MS; a save during a build is reported after it. Only the names the loader
    skips are ignored (one list, in load.py). A watched folder that is deleted, moved away or
    created is watched again once it is there, and reported whole: its files were not watched
    while it was away. `ready` is set once the folders are watched (within REARM_MS)."""
    project = project.resolve()

    def wanted(change: watchfiles.Change, path: str) -> bool:
        return not Path(path).is_relative_to(project) or not is_ignored(Path(path).relative_to(project))

    def present() -> list[Path]:
        return [project / name for name in WATCHED if (project / name).is_dir()]

    folders, returned = present(), []
    while not stop.is_set():
        if not folders:
            if ready is not None:
                ready.set()  # nothing to watch yet
            stop.wait(REARM_MS / 1000)
            folders = returned = present()
            continue
        try:
            for changes in watchfiles.watch(
                *folders,
                watch_filter=wanted,
                stop_event=stop,
                step=SETTLE_MS,
                rust_timeout=REARM_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                if ready is not None:
                    ready.set()
                # Reported once this watch is armed, so that nothing written after it is missed.
                paths = sorted({Path(path) for _, path in changes} | set(returned))
                returned = []
                if paths:
                    on_change(paths)
                gone = {Path(path) for change, path in changes if change == watchfiles.Change.deleted} & set(folders)
                now = present()
                if gone or now != folders:
                    returned = [folder for folder in now if folder in gone or folder not in folders]
                    folders = now
                    break
        except FileNotFoundError:  # a folder went between the look and the watch
            folders = present()


class ReloadSocket(WebSocketHandler):
    """The browser's end of live reload, in the protocol livereload.js speaks: a handshake, then a
    'reload' message after each build. tornado refuses a page of another origin; prepare() refuses
    a Host that does not name the preview."""

    PROTOCOL = "http://livereload.com/protocols/official-7"

    def initialize(self, sockets: set, host: str, preview: Preview) -> None:
        self.sockets, self.host, self.preview = sockets, host, preview
        self.version: int | None = None  # the build of the page; None from a page that does not say

    def open(self, version: str | None = None) -> None:
        self.version = int(version) if version else None

    def prepare(self) -> None:
        if not host_allowed(self.request.headers.get("Host"), self.host):
            raise HTTPError(403)

    def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message).get("command")
        except (ValueError, AttributeError):
            return
        if command == "hello":
            self.write_message({"command": "hello", "protocols": [self.PROTOCOL], "serverName": "factsheet preview"})
        elif command == "info":  # the page is ready for reloads
            self.sockets.add(self)
            # Builds end on the watcher's thread and reload the sockets on this one, after `served` is
            # replaced: a build this socket was too late for shows here as a newer version.
            if self.version is not None and self.version != self.preview.served.version:
                self.write_message(RELOAD)

    def on_close(self) -> None:
        self.sockets.discard(self)


def reload_browsers(sockets: set[ReloadSocket]) -> None:
    for socket in list(sockets):
        try:
            socket.write_message(RELOAD)
        except WebSocketClosedError:
            sockets.discard(socket)


def serve(project: Path, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve a live preview of `project` until interrupted; return the exit status."""
    project = project.resolve()
    preview = Preview(project, host)
    preview.update()
    sockets: set[ReloadSocket] = set()
    app = Application(
        [
            (r"/livereload(?:/(\d{1,9}))?", ReloadSocket, {"sockets": sockets, "host": host, "preview": preview}),
            (r".*", FallbackHandler, {"fallback": WSGIContainer(preview)}),
        ]
    )
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    url = url_of(host, port)
    try:
        app.listen(port, address=host)
    except OSError as error:
        print(f"error: cannot listen on {url} ({error.strerror}); pick another with --port", file=sys.stderr)
        return 1
    if listens_beyond_loopback(host):
        print(
            f"warning: the preview listens beyond this computer ({url}): anyone on your network can read the "
            "draft site, facts.json included; leave out --host to keep it on 127.0.0.1",
            file=sys.stderr,
            flush=True,
        )
    loop = IOLoop.current()

    def changed(paths: list[Path]) -> None:
        preview.update(paths)
        loop.add_callback(reload_browsers, sockets)

    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(project, changed, stop, ready), daemon=True)
    watcher.start()
    ready.wait(timeout=5)  # a save right after "serving" is seen
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on kill as on Ctrl-C
    print(f"serving {project} on {url} (watching {', '.join(WATCHED)}; Ctrl-C stops)", flush=True)
    try:
        loop.start()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        stop.set()
        watcher.join(timeout=5)
    return 0
