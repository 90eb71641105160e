"""The published site works under a sub-path: every link and anchor resolves, and so does the 404 page."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest

from conftest import MINI, REPO, copy_project
from factsheet.pipeline import build_project

BASE = "https://owner.github.io/some-repo/"
MOUNT = "/some-repo/"


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serve a site folder at a mount path the way GitHub Pages does: /404.html for anything missing."""

    mount = "/"

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def send_head(self):
        path = urlsplit(self.path).path
        site = Path(self.directory)
        relative = path[len(self.mount) :] if path.startswith(self.mount) else None
        target = site / relative if relative is not None else None
        if target is not None and target.is_dir() and path.endswith("/"):
            target = target / "index.html"
        if target is None or ".." in Path(relative).parts or not target.is_file():
            body = (site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return BytesIO(body)
        self.path = "/" + target.relative_to(site).as_posix()
        return super().send_head()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[tuple[str, str, str]]:
    """Build a project and serve it; yield (server origin, mount path, base URL the build was given)."""
    source, base_url, mount = request.param
    project = copy_project(source, tmp_path_factory.mktemp("crawl") / "project")
    out = project.parent / "_site"
    build_project(project, out, strict=True, base_url=base_url)
    handler = functools.partial(type("Handler", (PagesHandler,), {"mount": mount}), directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", mount, base_url
    finally:
        server.shutdown()
        server.server_close()


class Links(HTMLParser):
    """Collect the ids of a page and every URL it points at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []  # (tag.attribute, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for attribute in ("href", "src"):
            if attrs.get(attribute) and tag in ("a", "link", "script", "img", "iframe", "source"):
                self.urls.append((f"{tag}.{attribute}", attrs[attribute]))
        if tag == "meta" and attrs.get("property") == "og:url":
            self.urls.append(("meta.og:url", attrs["content"]))


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def urls_in(content_type: str, url: str, body: bytes) -> list[str]:
    """Return the URLs a non-HTML file of the site points at (sitemap, feed, export, robots.txt)."""
    if url.endswith("robots.txt"):
        return re.findall(r"^Sitemap: (\S+)$", body.decode(), re.M)
    if url.endswith(".xml"):
        root = ET.fromstring(body)
        return [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")] + [
            e.get("href") for e in root.iter("{http://www.w3.org/2005/Atom}link")
        ]
    if url.endswith("facts.json"):
        data = json.loads(body)
        return (
            [f["url"] for f in data["facts"]]
            + [c["url"] for f in data["facts"] for c in f["citations"]]
            + [v["url"] for v in data["europe"]]
        )
    return []


def crawl(origin: str, mount: str, base_url: str) -> tuple[dict[str, int], list[str]]:
    """Follow every link from the mount point; return each fetched URL's status and the broken links found."""
    start = origin + mount

    def local(url: str, referrer: str) -> str | None:
        url = urljoin(referrer, url)
        if base_url and url.startswith(base_url):  # the absolute URLs of the published site
            url = start + url[len(base_url) :]
        return url if url.startswith(origin) else None

    statuses: dict[str, int] = {}
    ids: dict[str, set[str]] = {}
    anchors: list[tuple[str, str, str]] = []  # (referrer, target, fragment)
    queue = [start, start + "robots.txt"]
    broken = []
    while queue:
        url = queue.pop()
        if url in statuses:
            continue
        status, content_type, body = fetch(url)
        statuses[url] = status
        if status != 200:
            continue
        if content_type == "text/html":
            parser = Links()
            parser.feed(body.decode("utf-8"))
            ids[url] = parser.ids
            found = [u for _, u in parser.urls]
        else:
            found = urls_in(content_type, url, body)
        for link in found:
            target = local(link, url)
            if target is None:
                continue
            target, fragment = urldefrag(target)
            if fragment:
                anchors.append((url, target, fragment))
            if target not in statuses:
                queue.append(target)
    for url, status in statuses.items():
        if status != 200:
            broken.append(f"{url}: HTTP {status}")
    for referrer, target, fragment in anchors:
        if statuses.get(target) == 200 and fragment not in ids.get(target, set()):
            broken.append(f"{referrer} → {target}#{fragment}: no such id")
    return statuses, sorted(set(broken))


SUB_PATH = pytest.mark.parametrize("served", [(MINI, BASE, MOUNT), (REPO, BASE, MOUNT)], indirect=True, ids=["mini", "real site"])
BOTH = pytest.mark.parametrize(
    "served", [(MINI, BASE, MOUNT), (MINI, "", "/")], indirect=True, ids=["sub-path with base URL", "root without base URL"]
)


@SUB_PATH
def test_every_link_and_anchor_resolves_under_a_sub_path(served):
    origin, mount, base_url = served
    statuses, broken = crawl(origin, mount, base_url)
    assert broken == []
    reached = {url[len(origin + mount) :] for url in statuses}
    # the crawl reached every kind of output, not just the home page
    for expected in [
        "",
        "history/index.html",
        "europe/index.html",
        "sources/index.html",
        "static/site.css",
        "static/favicon.svg",
        "robots.txt",
        "sitemap.xml",
        "feed.xml",
        "facts.json",
    ]:
        assert expected in reached
    assert any(re.match(r"devices/[a-z0-9-]+/index\.html$", url) for url in reached)
    assert any(re.match(r"sources/[a-z0-9-]+/index\.html$", url) for url in reached)


@BOTH
@pytest.mark.parametrize("missing", ["nope", "devices/gamma/", "a/b/c/d/e/deep.html"])
def test_missing_path_gets_a_404_page_whose_stylesheet_and_links_resolve(served, missing: str):
    origin, mount, base_url = served
    url = origin + mount + missing
    status, content_type, body = fetch(url)
    assert status == 404 and content_type == "text/html"
    parser = Links()
    parser.feed(body.decode("utf-8"))
    stylesheets = [u for kind, u in parser.urls if kind == "link.href" and u.endswith(".css")]
    assert stylesheets, "the 404 page has no stylesheet"
    links = [u for kind, u in parser.urls if kind in ("a.href", "link.href") and not u.startswith("#")]
    assert len(links) >= 3
    for link in stylesheets + links:
        target, _ = urldefrag(urljoin(url, link))
        assert fetch(target)[0] == 200, f"{link} on the 404 page at /{missing} is broken"
    css = fetch(urljoin(url, stylesheets[0]))
    assert css[1] == "text/css"
