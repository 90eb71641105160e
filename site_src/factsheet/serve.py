"""Live preview: build into a private folder, serve it, rebuild on save, reload the browser.

The site is served from memory and switched only after a build has finished, so a reader
never sees a half-built site; while the content is broken, every page is replaced by the
list of located errors, and the next good save brings the site back without a restart.
A save re-checks everything but re-renders only the pages it touches (incremental.py);
the search index is left out of the preview (the search page finds nothing there).
"""

from __future__ import annotations

import html
import logging
import mimetypes
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import jinja2
import watchfiles
from livereload import Server
from livereload.handlers import LiveReloadHandler
from tornado.ioloop import IOLoop

from .incremental import Build, rebuild
from .problems import ContentError, summarize

WATCHED = ("content", "seeds", "templates")  # the sources of the site; never the output
SETTLE_MS = 50  # saves less than this apart (an editor writing several files) make one rebuild
MAX_PATH = 2_000  # longer request paths cannot name a file of the site
# The published pages forbid inline scripts; livereload injects one, so the preview drops the policy.
CSP_META = re.compile(rb'<meta http-equiv="Content-Security-Policy"[^>]*>\n?')


@dataclass(frozen=True)
class Served:
    """What the server answers with: the files of the last good build, and the errors of the latest one."""

    files: Mapping[str, bytes] | None
    errors: tuple[str, ...] = ()


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

    def __init__(self, project: Path):
        self.project = project
        self.served = Served(None, ("error: the site has not been built yet",))
        self.build: Build | None = None  # the last good build
        self.pending: set[Path] = set()  # files changed since the last good build

    def rebuild(self, changed: Iterable[Path] = ()) -> Served:
        """Check everything again, re-render the pages the changes touch; return what to serve next."""
        self.pending.update(changed)
        started = time.perf_counter()
        try:
            build = rebuild(self.project, self.build, sorted(self.pending))
        except Exception as error:  # noqa: BLE001 - any failure is shown to the editor, the server lives on
            lines = describe_failure(error)
            print("\n".join(lines) + "\nthe browser shows these errors until they are fixed", file=sys.stderr, flush=True)
            return Served(self.served.files, tuple(lines))
        self.build = build
        self.pending.clear()
        for warning in build.warnings:
            print(warning, file=sys.stderr)
        print(f"built {build.plan.html_pages} pages in {time.perf_counter() - started:.2f} s "
              f"({len(build.changed)} changed); {summarize(build.warnings)}", flush=True)
        return Served(build.files)

    def update(self, changed: Iterable[Path] = ()) -> None:
        """Rebuild and switch the served site in one assignment (a build's files are never changed later)."""
        self.served = self.rebuild(changed)

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        """Answer one request; a crafted request gets an error status, never an exception."""
        method = environ.get("REQUEST_METHOD", "")
        try:
            status, headers, body = self.respond(method, environ.get("PATH_INFO", ""))
        except Exception:  # noqa: BLE001 - a bug must not take the preview down
            traceback.print_exc()
            status, headers, body = "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], b"internal error\n"
        if dict(headers).get("Content-Type", "").startswith("text/html"):
            body = CSP_META.sub(b"", body, count=1)
        headers += [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
        start_response(status, headers)
        return [b"" if method == "HEAD" else body]

    def respond(self, method: str, path: str) -> tuple[str, list[tuple[str, str]], bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=utf-8")], b"read-only preview\n"
        served = self.served  # one read: the root and the errors belong to the same build
        if served.errors:
            return "500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8")], error_page(served.errors)
        parts = url_parts(path)
        files = served.files
        if parts is None or files is None:
            return not_found(files)
        name = "/".join(parts)  # a key of the site's files: nothing outside them can be named
        if name in files:
            return "200 OK", [("Content-Type", content_type(PurePosixPath(name)))], files[name]
        index = f"{name}/index.html" if name else "index.html"
        if index in files:
            if not path.endswith("/"):
                # Relative links on the page only work from the directory URL.
                location = "/" + "".join(quote(p) + "/" for p in parts)
                return "301 Moved Permanently", [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], b""
            return "200 OK", [("Content-Type", "text/html; charset=utf-8")], files[index]
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


def not_found(files: Mapping[str, bytes] | None) -> tuple[str, list[tuple[str, str]], bytes]:
    body = (files or {}).get("404.html") or b"<!doctype html><title>Not found</title><p>Not found.</p>"
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
""".encode("utf-8")


def watch(project: Path, on_change, stop: threading.Event) -> None:
    """Call `on_change` with the changed files once per settled burst of changes to the watched
    folders, until `stop` is set. The OS reports the changes (watchfiles: inotify and the like),
    so a site of thousands of files costs nothing while idle and a save is seen at once; a save
    during a build is reported after it."""
    folders = [project / name for name in WATCHED if (project / name).is_dir()]
    for changes in watchfiles.watch(*folders, stop_event=stop, step=SETTLE_MS, raise_interrupt=False):
        on_change(sorted({Path(path) for _, path in changes}))


def serve(project: Path, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve a live preview of `project` until interrupted; return the exit status."""
    project = project.resolve()
    preview = Preview(project)
    preview.update()
    # Requests are answered by our WSGI app; livereload adds the script and the reload socket.
    # Its own watcher stays idle: it would poll the current folder, output included.
    server = Server(app=preview)
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    try:
        server.application(port, host, debug=False)
    except OSError as error:
        print(f"error: cannot listen on {host}:{port} ({error.strerror}); pick another with --port", file=sys.stderr)
        return 1
    loop = IOLoop.current()

    def changed(paths: list[Path]) -> None:
        preview.update(paths)
        loop.add_callback(LiveReloadHandler.reload_waiters, "*")

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(project, changed, stop), daemon=True)
    watcher.start()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on kill as on Ctrl-C
    print(f"serving {project} on http://{host}:{port}/ (watching {', '.join(WATCHED)}; Ctrl-C stops)", flush=True)
    try:
        loop.start()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        stop.set()
        watcher.join(timeout=5)
    return 0
