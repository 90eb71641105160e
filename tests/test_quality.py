"""Measured quality of every page of the real built site: valid HTML, working links, small pages."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import html_pages

REPO = Path(__file__).resolve().parents[1]
BUDGET = 100 * 1024  # bytes per page with its CSS, JS and images; the search index is excepted


class PageLinks(HTMLParser):
    """Collects a page's ids, its links (href, src, form action) and the assets it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.assets: list[str] = []
        self.scripts: list[dict[str, str | None]] = []  # executable scripts only

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src", "action"):
            if a.get(key) is not None:
                self.links.append(a[key])
        if tag == "link" and a.get("rel") in ("stylesheet", "icon") and a.get("href"):
            self.assets.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.assets.append(a["src"])
        if tag == "script" and (a.get("type") or "text/javascript").lower() in ("text/javascript", "module"):
            self.scripts.append(a)  # data blocks (JSON-LD) are not scripts: they neither run nor block


def parse(page: Path) -> PageLinks:
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def resolve(site: Path, page: Path, link: str) -> tuple[Path | None, str]:
    """Return the file an internal link points at (None for external links) and its fragment."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None, ""
    if not parts.path:
        return page, parts.fragment
    base = site if parts.path.startswith("/") else page.parent
    target = (base / unquote(parts.path).lstrip("/")).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


def broken_links(site: Path) -> list[str]:
    """Return every internal link or #fragment of the site that leads nowhere, as 'page: link'."""
    site = site.resolve()
    parsed = {page.resolve(): parse(page) for page in html_pages(site)}
    problems = []
    for page, links in parsed.items():
        for link in links.links:
            target, fragment = resolve(site, page, link)
            if target is None:
                continue
            where = f"{page.relative_to(site)}: {link}"
            if not target.is_file() or site not in target.parents:
                problems.append(f"{where} (no such file)")
            elif fragment and target.suffix == ".html" and fragment not in (parsed.get(target) or parse(target)).ids:
                problems.append(f"{where} (no element with id '{fragment}')")
    return problems


def page_weight(site: Path, page: Path) -> int:
    """Return the bytes a first visit to `page` transfers: the HTML and every asset it loads."""
    assets = set()
    for link in parse(page).assets:
        target, _ = resolve(site.resolve(), page.resolve(), link)
        if target is not None and target.is_file():
            assets.add(target)
    return page.stat().st_size + sum(a.stat().st_size for a in assets)


# --- the checkers themselves catch what they should (so a green run means something) ---


@pytest.mark.parametrize(
    "html, expected",
    [
        # fine
        ('<a href="b.html">b</a><a href="#top" id="top">top</a>', []),
        ('<a href="https://example.org/missing">external</a>', []),
        ('<a href="b.html#here">b</a>', []),
        ('<a href="./">folder index</a>', []),
        # a missing file
        ('<a href="c.html">c</a>', ["a.html: c.html (no such file)"]),
        ('<link rel="stylesheet" href="static/none.css">', ["a.html: static/none.css (no such file)"]),
        # a missing anchor, here or on another page
        ('<a href="#nowhere">x</a>', ["a.html: #nowhere (no element with id 'nowhere')"]),
        ('<a href="b.html#gone">x</a>', ["a.html: b.html#gone (no element with id 'gone')"]),
        # a link that climbs out of the site
        ('<a href="../outside.html">x</a>', ["a.html: ../outside.html (no such file)"]),
    ],
)
def test_link_checker_reports_missing_files_and_anchors(tmp_path: Path, html: str, expected: list[str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "outside.html").write_text("<p>outside</p>")
    (site / "a.html").write_text(html)
    (site / "b.html").write_text('<p id="here">b</p>')
    (site / "index.html").write_text("<p>home</p>")
    assert broken_links(site) == expected


def test_page_weight_counts_the_page_and_each_asset_once(tmp_path: Path) -> None:
    (tmp_path / "s.css").write_bytes(b"x" * 1000)
    (tmp_path / "p.js").write_bytes(b"y" * 500)
    page = tmp_path / "index.html"
    page.write_text('<link rel="stylesheet" href="s.css"><link rel="stylesheet" href="s.css"><script type="module" src="p.js"></script>')
    assert page_weight(tmp_path, page) == page.stat().st_size + 1500


# --- the real site ---


def test_site_has_every_kind_of_page(built_site: Path) -> None:
    names = {p.relative_to(built_site).as_posix() for p in html_pages(built_site)}
    for expected in ("index.html", "history/index.html", "europe/index.html", "sources/index.html", "search/index.html", "404.html"):
        assert expected in names
    assert any(n.startswith("devices/") for n in names) and any(n.startswith("sources/") and n.count("/") == 2 for n in names)


def test_every_page_is_valid_html_for_the_nu_checker(built_site: Path, nu_errors: dict[Path, list[str]]) -> None:
    pages = html_pages(built_site)
    assert set(pages) <= set(nu_errors)  # every page was checked
    errors = [
        f"{path.relative_to(built_site)}:{error}" for path, found in nu_errors.items() if built_site in path.parents for error in found
    ]
    assert errors == [], f"{len(errors)} Nu Html Checker errors in {len(pages)} pages:\n" + "\n".join(errors)


def test_the_pages_with_pictures_are_valid_html_with_the_proposed_partnership_field(
    tagged_site: Path, nu_errors: dict[Path, list[str]]
) -> None:
    # The tagged site is the real content with the `partnership` values test_pictures.py proposes.
    pages = [tagged_site / "index.html", tagged_site / "history" / "index.html"]
    assert {page: nu_errors[page] for page in pages} == {page: [] for page in pages}


def test_no_internal_link_or_anchor_is_broken(built_site: Path) -> None:
    assert broken_links(built_site) == []


def test_every_page_with_its_assets_stays_under_100_kb(built_site: Path) -> None:
    weights = {p.relative_to(built_site).as_posix(): page_weight(built_site, p) for p in html_pages(built_site)}
    heavy = {name: f"{w / 1024:.1f} KB" for name, w in weights.items() if w > BUDGET}
    assert heavy == {}, f"pages over {BUDGET // 1024} KB"


def test_no_script_blocks_rendering_and_nothing_loads_from_other_hosts(built_site: Path) -> None:
    problems = []
    for page in html_pages(built_site):
        links = parse(page)
        for script in links.scripts:
            if not (script.get("type") == "module" or "defer" in script or "async" in script):
                problems.append(f"{page.relative_to(built_site)}: render-blocking script {script}")
        problems += [f"{page.relative_to(built_site)}: loads {a}" for a in links.assets if urlsplit(a).scheme or a.startswith("//")]
    assert problems == []


def test_only_the_search_page_carries_a_script(built_site: Path) -> None:
    # Every other page is complete without JavaScript: it has none to miss.
    with_scripts = [p.relative_to(built_site).as_posix() for p in html_pages(built_site) if parse(p).scripts]
    assert with_scripts == ["de/search/index.html", "search/index.html"]


class TimelineDates(HTMLParser):
    """Collects each timeline entry's marker class and the date it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[list[str]] = []  # [class, datetime, text]
        self.in_date = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and (a.get("class") or "").startswith("precision-"):
            self.entries.append([a["class"], "", ""])
        elif tag == "time" and self.entries and not self.entries[-1][1]:
            self.entries[-1][1] = a.get("datetime") or ""
            self.in_date = True

    def handle_endtag(self, tag: str) -> None:
        self.in_date = self.in_date and tag != "time"

    def handle_data(self, data: str) -> None:
        if self.in_date:
            self.entries[-1][2] += data


def test_timeline_shows_each_date_only_as_precisely_as_it_is_known(built_site: Path) -> None:
    parser = TimelineDates()
    parser.feed((built_site / "history" / "index.html").read_text(encoding="utf-8"))
    assert parser.entries, "the history page has no timeline"
    for marker, iso, text in parser.entries:
        vague = text.split()[0] in ("early", "mid", "late") or "–" in text or text.endswith(" or later")  # part of a period, or a range
        text = text.removesuffix(" or later")
        expected = {
            1: "precision-year",
            2: "precision-year" if vague else "precision-month",
            3: "precision-year" if vague else "precision-day",
        }[iso.count("-") + 1]
        assert marker == expected, f"{text!r} ({iso}) is drawn as {marker}"
        # The shown date ends in the year, and a year-only date shows nothing more precise.
        assert text.split()[-1] == iso[:4] and (iso.count("-") > 0 or text in (iso, f"{text.split()[0]} {iso}"))
