"""End to end: the real content builds, every fact links to a highlighted passage that exists,
and every page can be reached from the home page."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from conftest import REPO
from factsheet.pipeline import check_project
from factsheet.problems import ContentError


class Links(HTMLParser):
    """Collects ids, links and highlighted passages of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, dict]] = []
        self.marks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
            if tag == "mark":
                self.marks.add(attributes["id"])
        if tag == "a" and "href" in attributes:
            self.links.append((attributes["href"], attributes))


def parse_site(site: Path) -> dict[str, Links]:
    pages = {}
    for file in site.rglob("*.html"):
        parser = Links()
        parser.feed(file.read_text(encoding="utf-8"))
        pages[file.relative_to(site).as_posix()] = parser
    return pages


def resolve(page: str, href: str) -> tuple[str, str]:
    """Return the site-relative file and fragment an internal link points at."""
    path, fragment = urldefrag(href)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    return target, fragment


def is_internal(href: str) -> bool:
    return not urlsplit(href).scheme and not href.startswith("//")


@pytest.fixture(scope="module")
def pages(built_site: Path) -> dict[str, Links]:
    return parse_site(built_site)


def test_every_citation_lands_on_a_highlighted_passage_of_its_source(pages) -> None:
    citations = 0
    for name, page in pages.items():
        for href, attributes in page.links:
            if "cite" not in attributes.get("class", "").split():
                continue
            citations += 1
            target, fragment = resolve(name, href)
            # A citation leads to the source page of its own edition.
            assert target.startswith("de/sources/" if name.startswith("de/") else "sources/"), (name, href)
            assert fragment in pages[target].marks, f"{name}: {href} lands on no highlighted passage"
    facts = len(check_project(REPO).verified.content.claims)
    assert citations >= facts


def test_every_fact_appears_with_its_anchor_and_citations(pages) -> None:
    verified = check_project(REPO).verified
    for claim_id, located in verified.content.claims.items():
        owner = (
            ("background/index.html" if located.path[0] == "background" else "history/index.html")
            if located.owner.kind == "history"
            else f"devices/{located.owner.id}/index.html"
        )
        assert claim_id in pages[owner].ids
        assert located.claim.citations


def test_every_device_and_source_has_a_page(pages) -> None:
    content = check_project(REPO).verified.content
    for device_id in content.devices:
        assert f"devices/{device_id}/index.html" in pages
    for source_id in content.sources:
        assert f"sources/{source_id}/index.html" in pages


def test_every_page_is_reachable_from_the_home_page(pages) -> None:
    seen, queue = {"index.html"}, ["index.html"]
    while queue:
        name = queue.pop()
        for href, _ in pages[name].links:
            if not is_internal(href):
                continue
            target, _ = resolve(name, href)
            if target in pages and target not in seen:
                seen.add(target)
                queue.append(target)
    assert set(pages) - seen <= {"404.html", "de/404.html"}


def test_internal_links_and_anchors_all_resolve(pages, built_site: Path) -> None:
    broken = []
    for name, page in pages.items():
        if name.endswith("404.html"):
            continue  # served at any depth; tested where it is published
        for href, _ in page.links:
            if not is_internal(href):
                continue
            target, fragment = resolve(name, href)
            if not (built_site / target).is_file():
                broken.append(f"{name}: {href}")
            elif fragment and target in pages and fragment not in pages[target].ids:
                broken.append(f"{name}: {href} (no #{fragment})")
    assert broken == []


def test_quotes_keep_the_language_of_their_source(built_site: Path) -> None:
    content = check_project(REPO).verified.content
    device = content.devices["xiaomi-12s-ultra"]
    html = (built_site / "devices" / "xiaomi-12s-ultra" / "index.html").read_text(encoding="utf-8")
    expected = [content.sources[c.source].language for fact in device.facts for c in fact.citations]
    found = [part.split('"')[0] for part in html.split('<blockquote lang="')[1:]]
    assert sorted(found) == sorted(expected) and "de" in found


def test_a_changed_quote_fails_the_build_at_its_position(real_project: Path) -> None:
    device = real_project / "content" / "devices" / "xiaomi-12s-ultra.yaml"
    original = device.read_text()
    quote_line = next(i for i, line in enumerate(original.splitlines(), 1) if "quote:" in line)
    changed = original.splitlines()
    changed[quote_line - 1] = changed[quote_line - 1].replace("quote: ", "quote: Angeblich ", 1).replace('Angeblich "', '"Angeblich ', 1)
    device.write_text("\n".join(changed) + "\n")
    with pytest.raises(ContentError) as error:
        check_project(real_project)
    [problem] = error.value.errors
    assert (problem.file, problem.line) == ("content/devices/xiaomi-12s-ultra.yaml", quote_line)
    assert problem.message.startswith("quote not found in source")


def test_an_inferred_date_says_how_it_was_found(built_site: Path) -> None:
    content = check_project(REPO).verified.content
    noted = [event for event in content.history.events if event.date_note]
    assert noted, "the history has inferred dates; each should say how it was found"
    html = (built_site / "history" / "index.html").read_text(encoding="utf-8")
    for event in noted:
        article = html.split(f'id="{event.id}"', 1)[1].split("</article>", 1)[0]
        assert 'class="date-note"' in article and "inferred" in article.lower(), event.id
