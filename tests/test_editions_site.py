"""The two editions as published: counterparts, hreflang, lang attributes, fallbacks, dates, catalogs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import MINI, REPO, copy_project
from factsheet.i18n import catalog_path, date_formatter
from factsheet.model import parse_partial_date
from factsheet.pipeline import build_project
from factsheet.render import Edition

BASE = "https://owner.github.io/repo/"
TEMPLATES = REPO / "templates"


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the text inside elements of a class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(file: Path) -> list[tuple[str, dict[str, str]]]:
    parser = Tags()
    parser.feed(file.read_text(encoding="utf-8"))
    return parser.tags


def html_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


@pytest.fixture(scope="module")
def mini_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(MINI, tmp_path_factory.mktemp("editions") / "mini")
    build_project(project, project.parent / "_site", strict=True, base_url=BASE, search=False)
    return project.parent / "_site"


def target_of(page: str, href: str) -> str:
    """Return the site file an href of `page` leads to (absolute under BASE, or relative)."""
    if href.startswith(BASE):
        path = href[len(BASE) :]
    elif href.startswith(urlsplit(BASE).path):  # the 404 pages link from the site's root path
        path = href[len(urlsplit(BASE).path) :]
    else:
        path = urlsplit(urljoin("https://site.invalid/" + page, href)).path.lstrip("/")
    path = path.split("#")[0]
    return path + "index.html" if path == "" or path.endswith("/") else path


@pytest.mark.parametrize("which", ["mini", "real site"])
def test_every_page_has_its_counterpart_and_the_hreflang_pairs_are_reciprocal(which: str, mini_site: Path, built_site: Path) -> None:
    site = mini_site if which == "mini" else built_site
    pages = html_pages(site)
    english = [p for p in pages if not p.startswith("de/")]
    assert sorted("de/" + p for p in english) == [p for p in pages if p.startswith("de/")]
    alternates: dict[str, dict[str, str]] = {}
    for page in pages:
        found = {a["hreflang"]: target_of(page, a["href"]) for t, a in tags(site / page) if t == "link" and a.get("hreflang")}
        if not page.endswith("404.html") and not page.endswith("search/index.html"):  # out of the sitemap: no alternates
            assert set(found) == {"en", "de", "x-default"}, page
            assert found["de" if page.startswith("de/") else "en"] == page, f"{page} does not name itself"
            assert found["x-default"] == found["en"]
            alternates[page] = found
        # The language switcher leads to the counterpart, in its own language.
        switch = [a for t, a in tags(site / page) if t == "a" and a.get("hreflang")]
        assert len(switch) == 1, page
        other = switch[0]["hreflang"]
        assert switch[0]["lang"] == other and other == ("en" if page.startswith("de/") else "de")
        assert target_of(page, switch[0]["href"]) == (page[3:] if page.startswith("de/") else "de/" + page)
    for page, found in alternates.items():
        for lang, other in found.items():
            assert alternates[other] == found, f"{page} names {other} as {lang}, which does not name it back"


def test_html_lang_is_the_editions_and_quotes_keep_their_sources(built_site: Path) -> None:
    content_lang = {"de", "en"}
    for page in html_pages(built_site):
        found = tags(built_site / page)
        assert found[0] == ("html", {"lang": "de" if page.startswith("de/") else "en"}), page
        for tag, attrs in found:
            if "lang" in attrs:
                assert attrs["lang"] in content_lang | {"it"}, (page, tag, attrs)
            if tag == "blockquote":
                assert attrs.get("lang"), f"{page}: a quote without lang"
            if "untranslated" in attrs.get("class", "").split():
                assert attrs.get("lang") == "en" and page.startswith("de/"), (page, attrs)


def test_a_german_page_shows_german_texts_and_no_fallback_when_all_are_written(mini_site: Path) -> None:
    html = (mini_site / "de/devices/beta/index.html").read_text(encoding="utf-8")
    assert "Ein Nachfolger wird im nächsten Jahr erwartet." in html
    assert "A successor is expected next year." not in html
    assert "untranslated" not in html
    assert "Kommt es nach Europa?" in html and '<time datetime="2022-07">Juli 2022</time>' in html


def test_a_missing_german_text_shows_the_english_marked_and_tagged(mini_project: Path, tmp_path: Path) -> None:
    beta = mini_project / "content/devices/beta.yaml"
    beta.write_text(
        beta.read_text(encoding="utf-8").replace("    text_de: Ein Nachfolger wird im nächsten Jahr erwartet.\n", ""), encoding="utf-8"
    )
    (mini_project / "content/pages/about.de.md").unlink()
    out = tmp_path / "_site"
    build_project(mini_project, out, search=False)
    german = (out / "de/devices/beta/index.html").read_text(encoding="utf-8")
    assert (
        '<span lang="en" class="untranslated">A successor is expected next year.</span> '
        '<span class="untranslated-note">(noch nicht übersetzt)</span>'
    ) in german
    assert "untranslated" not in (out / "devices/beta/index.html").read_text(encoding="utf-8")
    about = (out / "de/about/index.html").read_text(encoding="utf-8")
    assert '<h1 lang="en">About</h1>' in about
    assert '<p class="untranslated-note">Diese Seite ist noch nicht übersetzt; sie wird auf Englisch gezeigt.</p><div lang="en">' in about


def test_an_english_quote_gets_the_german_translation_on_the_german_edition_only(mini_project: Path, tmp_path: Path) -> None:
    source = mini_project / "content/sources/alpha-news.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("language: de", "language: en"), encoding="utf-8")
    beta = mini_project / "content/devices/beta.yaml"
    text = beta.read_text(encoding="utf-8")
    text = re.sub(r"        translation: .*\n", "        translation_de: Sein Nachfolger wird im nächsten Jahr erwartet.\n", text)
    beta.write_text(text, encoding="utf-8")
    out = tmp_path / "_site"
    build_project(mini_project, out, search=False)
    german = (out / "de/devices/beta/index.html").read_text(encoding="utf-8")
    assert '<blockquote lang="en">' in german
    assert (
        '<p class="translation" lang="de"><span class="translation-label">Unsere Übersetzung:</span> '
        "Sein Nachfolger wird im nächsten Jahr erwartet.</p>"
    ) in german
    assert "Sein Nachfolger" not in (out / "devices/beta/index.html").read_text(encoding="utf-8")
    assert "Unsere Übersetzung:</span> Sein Nachfolger" in (out / "de/sources/alpha-news/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "german", "english"),
    [
        # a year, a month, a day
        ("2022", "2022", "2022"),
        ("2022-07", "Juli 2022", "July 2022"),
        ("2022-07-05", "5. Juli 2022", "5 July 2022"),
        # part of a year or a month
        ("early 2022", "Anfang 2022", "early 2022"),
        ("mid 2022", "Mitte 2022", "mid 2022"),
        ("late 2022-03", "Ende März 2022", "late March 2022"),
        # ranges, closed and open
        ("2022-04/2022-06", "April–Juni 2022", "April–June 2022"),
        ("late 2022-03/2022-06", "Ende März–Juni 2022", "late March–June 2022"),
        ("2016/2022-07", "2016 – Juli 2022", "2016 – July 2022"),
        ("2022-07-05/2022-07-09", "5. Juli 2022 – 9. Juli 2022", "5 July 2022 – 9 July 2022"),
        ("2022-07/..", "Juli 2022 oder später", "July 2022 or later"),
        ("mid 2022/..", "Mitte 2022 oder später", "mid 2022 or later"),
    ],
)
def test_dates_are_written_for_each_editions_readers(written: str, german: str, english: str) -> None:
    date = parse_partial_date(written)
    assert Edition("de", TEMPLATES).when(date) == german
    assert date_formatter("en", lambda text: text)(date) == english == str(date)


def test_the_catalog_translates_every_string_of_the_templates_and_the_plan() -> None:
    method_map = [("site_src/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.xml", "jinja2")]
    options = {"templates/**": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    wanted = {
        found[2] if isinstance(found[2], str) else found[2][0]
        for found in extract_from_dir(str(REPO), method_map, options, keywords=keywords)
        if not found[0].startswith((".venv", "node_modules", "bench", "tests"))
    }
    with catalog_path(TEMPLATES, "de").open("rb") as file:
        catalog = read_po(file, locale="de")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    assert sorted(wanted - set(translated)) == [], "run `make i18n` and translate the new strings"
    untranslated = [m.id for m in translated.values() if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []


def test_the_sitemap_lists_each_page_in_both_editions_with_alternates(mini_site: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = ET.parse(mini_site / "sitemap.xml").getroot().findall("s:url", ns)
    locs = [u.findtext("s:loc", namespaces=ns) for u in urls]
    assert BASE + "devices/alpha/" in locs and BASE + "de/devices/alpha/" in locs
    assert len(locs) == len(set(locs)) and len([loc for loc in locs if loc.startswith(BASE + "de/")]) * 2 == len(locs)
    for url in urls:
        links = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", ns)}
        loc = url.findtext("s:loc", namespaces=ns)
        english = loc.replace(BASE + "de/", BASE)
        assert links == {"en": english, "de": english.replace(BASE, BASE + "de/"), "x-default": english}


def test_each_edition_has_its_own_feed_in_its_language(mini_site: Path) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(mini_site / "de/feed.xml").getroot()
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert feed.find(f"{atom}link[@rel='self']").get("href") == BASE + "de/feed.xml"
    titles = [e.findtext(f"{atom}title") for e in feed.findall(f"{atom}entry")]
    assert "Alpha Phone vorgestellt" in titles
    assert all(e.findtext(f"{atom}id").startswith(BASE + "de/") for e in feed.findall(f"{atom}entry"))
    german_home = (mini_site / "de/index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml" href="feed.xml"' in german_home


def test_the_export_carries_both_languages(mini_site: Path) -> None:
    export = json.loads((mini_site / "facts.json").read_text(encoding="utf-8"))
    assert export["site"]["languages"] == ["en", "de"]
    fact = next(f for f in export["facts"] if f["id"] == "alpha-launch")
    assert (fact["title_de"], fact["url_de"]) == ("Alpha Phone vorgestellt", BASE + "de/history/#alpha-launch")


def test_search_is_indexed_per_language(built_site: Path) -> None:
    entry = json.loads((built_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    languages = entry["languages"]
    assert set(languages) == {"en", "de"}
    assert languages["de"]["page_count"] == languages["en"]["page_count"] > 0
    search = (built_site / "de/search/index.html").read_text(encoding="utf-8")
    assert 'data-searching="Suche läuft …"' in search


def test_a_german_quote_needs_no_translation_on_the_german_edition(built_site: Path) -> None:
    german_quotes = 0
    for page in (built_site / "de").rglob("*.html"):
        for details in re.findall(r'<details class="quote">.*?</details>', page.read_text("utf-8"), re.S):
            if '<blockquote lang="de">' in details:
                assert 'class="translation"' not in details, page
                german_quotes += 1
    assert german_quotes > 100
