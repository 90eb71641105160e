"""The real site in headless Chromium: accessibility, citations, search, phones, dark mode, console.

The site is served over loopback under a sub-path, as GitHub Pages serves a project site.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import require

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "/factsheet/"  # the sub-path the site is served under
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def site_pages(site: Path) -> list[str]:
    """Return the URL path (below the prefix) of every HTML page, the search bundle left out."""
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts]
    return sorted(p.removesuffix("index.html") for p in pages)


class SubPathHandler(SimpleHTTPRequestHandler):
    """Serves the site under PREFIX (and, for the 404 page's root-based links, at / too)."""

    def translate_path(self, path: str) -> str:
        if path.startswith(PREFIX):
            path = "/" + path[len(PREFIX) :]
        return super().translate_path(path)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    server.shutdown()
    server.server_close()


@functools.cache
def axe_source() -> str:
    return AXE.read_text()


def axe_violations(page, rules: list[str] | None = None) -> list[str]:
    require(AXE.is_file(), "axe-core is not installed (npm ci --ignore-scripts)")
    if page.evaluate("typeof axe") == "undefined":  # once per page load
        page.evaluate(axe_source())  # evaluated by the browser itself: the page's CSP forbids script tags it does not ship
    options = {"runOnly": {"type": "rule", "values": rules}} if rules else {"runOnly": {"type": "tag", "values": WCAG}}
    # Violations in full, one node per other result type: the same violations, about 40% less work.
    options["resultTypes"] = ["violations"]
    result = page.evaluate("options => axe.run(document, options)", options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in result["violations"]
    ]


# The dark scheme changes colours only (the same HTML, other custom properties): there axe runs
# its colour rules, the slowest half of its work, and the light scheme runs every WCAG rule.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def one_per_kind(paths: list[str]) -> list[str]:
    """Return one page of each kind (each device page is drawn by one template, so is each source page)."""
    kinds: dict[str, str] = {}
    for path in paths:
        edition, rest = ("de/", path[3:]) if path.startswith("de/") else ("", path)
        folder, _, name = rest.rstrip("/").rpartition("/")
        kinds.setdefault(edition + folder if folder and name else path, path)  # devices/x/ and de/devices/x/ are of kind (de/)devices
    return sorted(kinds.values())


class ElementKinds(HTMLParser):
    """Collects the kinds of element a page holds: tag, classes, role, ARIA attributes and (`lang`) language."""

    def __init__(self, lang: bool) -> None:
        super().__init__()
        self.lang = lang
        self.kinds: set[tuple] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        aria = tuple(sorted(name for name in named if name.startswith("aria-")))
        self.kinds.add((tag, named.get("class"), named.get("role"), aria, named.get("lang") if self.lang else None))


def element_kinds(site: Path, path: str, lang: bool = True) -> set[tuple]:
    parser = ElementKinds(lang)
    parser.feed((site / (path + "index.html" if path == "" or path.endswith("/") else path)).read_text("utf-8"))
    return parser.kinds


def axe_pages(site: Path, pages: list[str], scheme: str) -> list[str]:
    """Return the pages axe checks in `scheme` in the default run: one page of each kind in each
    edition, and then, until every kind of element on any page is among them, the page that adds the
    most kinds (a verdict, a disagreement or a note that only some device pages show is checked once
    at least). The dark scheme, where axe runs only its colour rules, changes colours only, and the
    stylesheet picks colours by element, class, role and ARIA attribute, never by language: there the
    English pages of each kind, and pages enough for every kind of element regardless of its language.
    The long run checks every page in both."""
    english, german = [p for p in pages if not p.startswith("de/")], [p for p in pages if p.startswith("de/")]
    chosen = one_per_kind(english) + (one_per_kind(german) if scheme == "light" else [])
    kinds = {path: element_kinds(site, path, lang=scheme == "light") for path in pages}
    left = set().union(*kinds.values()) - set().union(*(kinds[path] for path in chosen))
    while left:
        best = max(pages, key=lambda path: len(kinds[path] & left))
        chosen.append(best)
        left -= kinds[best]
    return sorted(chosen)


def look_at(page, url: str, schemes: tuple[str, ...]) -> dict:
    """Load a page and look at it: its width at 320 and 390 px, and at 1280 px axe in each of `schemes`:
    in the light scheme every WCAG rule, in the dark one axe's colour rules.

    The page loads in the light scheme at the phone width the last page was left at, and is measured
    there first: each change of size or scheme lays out or styles the whole page again, so a page
    axe does not check is resized once, not three times (CPU of the tour: 45 -> 40 s, Chromium's included)."""
    page.goto(url)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # the quotes too
    look: dict = {"width": {}, "background": {}, "axe": {}}
    width = page.viewport_size["width"]
    for phone in (390, 320) if width == 390 else (320, 390):
        if width != phone:
            page.set_viewport_size({"width": phone, "height": 900})
            width = phone
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        look["width"][phone] = scroll if scroll > inner else None
    if schemes:
        page.set_viewport_size({"width": 1280, "height": 900})
        for scheme in schemes:
            page.emulate_media(color_scheme=scheme)
            look["background"][scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
            look["axe"][scheme] = axe_violations(page, COLOUR_RULES if scheme == "dark" else None)
        page.emulate_media(color_scheme="light")  # for the next page
        page.set_viewport_size({"width": 320, "height": 900})
    return look


@pytest.fixture(scope="module")
def tour(browser, site_url: str, built_site: Path) -> dict[str, dict]:
    """Visit every page once and look at it every way the page tests below ask about; return what was
    seen, by path. A page is loaded once (a load costs more than every check after it), and the
    console errors of it all are kept. The search page answers a query too."""
    context = browser.new_context(viewport={"width": 320, "height": 900}, color_scheme="light")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    pages = site_pages(built_site)
    checked = {scheme: set(axe_pages(built_site, pages, scheme)) for scheme in ("light", "dark")}
    seen: dict[str, dict] = {}
    for path in pages:
        errors.clear()
        schemes = tuple(scheme for scheme in ("light", "dark") if path in checked[scheme])
        seen[path] = look_at(page, site_url + path, schemes) | {"errors": list(errors)}
    errors.clear()
    page.goto(site_url + "search/?q=Leica")
    page.locator("#search-results li").first.wait_for()  # the search bundle has loaded and answered
    seen["search/?q=Leica"] = {"errors": list(errors)}
    context.close()
    return seen


def assert_no_violations(looks: dict[str, dict], scheme: str) -> None:
    for path, look in looks.items():
        # The scheme's palette must really be in use, or the contrast check proves nothing.
        rgb = look["background"][scheme]
        brightness = sum(int(c) for c in rgb[rgb.index("(") + 1 : -1].split(",")[:3]) / 3
        assert (brightness < 64) == (scheme == "dark"), f"{path}: background {rgb} in the {scheme} scheme"
    assert {path: look["axe"][scheme] for path, look in looks.items() if look["axe"][scheme]} == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_axe_wcag_21_aa_violations_in_either_colour_scheme(tour, built_site, scheme) -> None:
    """Covers readable contrast in dark mode: axe's color-contrast rule runs on the dark palette.

    One page of each kind, and pages enough for every kind of element the site draws (see
    axe_pages); the long run checks every page."""
    checked = axe_pages(built_site, site_pages(built_site), scheme)
    looked = {path: look for path, look in tour.items() if path in checked}
    assert sorted(looked) == checked and all(scheme in look["axe"] for look in looked.values())
    assert any(path.startswith("de/") for path in looked) or scheme == "dark"
    assert_no_violations(looked, scheme)


@pytest.mark.slow
def test_no_page_left_out_of_the_default_run_has_axe_violations_in_either_colour_scheme(browser, site_url, built_site) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 900}, color_scheme="light")
    page = context.new_page()
    pages = site_pages(built_site)
    checked = {scheme: axe_pages(built_site, pages, scheme) for scheme in ("light", "dark")}
    looked = {}
    for path in pages:
        schemes = tuple(scheme for scheme in ("light", "dark") if path not in checked[scheme])
        if schemes:
            looked[path] = look_at(page, site_url + path, schemes)
    context.close()
    assert len(looked) > 0
    for scheme in ("light", "dark"):
        assert_no_violations({path: look for path, look in looked.items() if scheme in look["axe"]}, scheme)


@pytest.mark.parametrize("edition", ["", "de/"], ids=["English", "German"])
def test_following_a_citation_lands_on_its_highlighted_passage(page_in, site_url, edition) -> None:
    page = page_in()
    page.goto(site_url + edition + "devices/xiaomi-12s-ultra/")
    cite = page.locator("a.cite").first
    passage = cite.get_attribute("href").split("#", 1)[1]
    plain = page.evaluate(
        "() => { const m = document.createElement('mark'); document.body.append(m); return getComputedStyle(m).backgroundColor; }"
    )
    cite.click()
    page.wait_for_url(f"**#{passage}")
    # Scrolled into view (smoothly, where motion is welcome): wait until the passage is on screen.
    page.wait_for_function(
        "() => { const r = document.querySelector(':target')?.getBoundingClientRect(); return r && r.top >= 0 && r.top < innerHeight; }",
        timeout=5_000,
    )
    target = page.evaluate("""() => { const t = document.querySelector(':target');
        if (!t) return null;
        const s = getComputedStyle(t);
        return {tag: t.tagName, id: t.id, bg: s.backgroundColor, outline: s.outlineStyle}; }""")
    assert target is not None and target["tag"] == "MARK" and target["id"] == passage
    assert target["outline"] != "none" and target["bg"] != plain  # visibly marked, unlike other passages


@pytest.mark.parametrize(
    ("edition", "box", "found"),
    [("", "Search the fact sheet", "for “12S Ultra”"), ("de/", "Das Faktenblatt durchsuchen", "zu „12S Ultra“")],
    ids=["English", "German"],
)
def test_searching_for_12s_ultra_reaches_its_page(page_in, site_url, edition, box, found) -> None:
    # Each edition searches its own pages (Pagefind's index of the page's <html lang>) and says so in its language.
    page = page_in()
    page.goto(site_url + edition)
    page.get_by_role("searchbox", name=box).fill("12S Ultra")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{edition}search/**q=12S*")
    result = page.locator("#search-results").get_by_role("link", name="Xiaomi 12S Ultra", exact=True)
    result.wait_for(timeout=10_000)
    assert found in page.locator("#search-status").inner_text()
    result.click()
    page.wait_for_load_state()
    assert page.url.startswith(site_url + edition + "devices/xiaomi-12s-ultra/")
    assert page.locator("h1").inner_text() == "Xiaomi 12S Ultra"


def word_only_in_translations(site: Path) -> str:
    """Return a word that the site shows only inside its own translations of quotes."""
    facts = json.loads((site / "facts.json").read_text("utf-8"))
    translated = " ".join(c["translation"] or "" for fact in facts["facts"] for c in fact["citations"])
    elsewhere = "".join(
        re.sub(r'<p class="translation".*?</p>', "", page.read_text("utf-8"), flags=re.S).lower()
        for page in site.rglob("*.html")
        if "pagefind" not in page.parts
    )
    return next(w for w in sorted(set(re.findall(r"[a-z]{8,}", translated.lower()))) if w not in elsewhere)


def test_search_finds_a_quote_by_the_words_of_its_translation(page_in, site_url, built_site) -> None:
    word = word_only_in_translations(built_site)
    page = page_in()
    page.goto(site_url + f"search/?q={word}")
    page.locator("#search-results li").first.wait_for(timeout=10_000)
    assert page.locator("#search-results li").count() >= 1


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways_on_a_phone(tour, built_site, width) -> None:
    assert sorted(tour) == sorted(site_pages(built_site) + ["search/?q=Leica"])  # every page was visited
    wide = {path: look["width"][width] for path, look in tour.items() if "width" in look and look["width"][width]}
    assert wide == {}, f"pages wider than {width} px"


def test_no_page_logs_a_console_error(tour) -> None:
    assert [error for look in tour.values() for error in look["errors"]] == []


def test_search_page_without_javascript_points_to_the_device_list(page_in, site_url) -> None:
    page = page_in(javascript=False)
    page.goto(site_url + "search/?q=Leica")
    notice = page.locator("main .notice")
    assert notice.is_visible() and "Search needs JavaScript" in notice.inner_text()
    page.get_by_role("link", name="device list").click()
    page.wait_for_load_state()
    assert page.locator("#devices a").count() > 0 and page.locator("#devices").is_visible()


def test_device_pages_read_in_full_without_javascript(page_in, site_url) -> None:
    page = page_in(javascript=False)
    page.goto(site_url + "devices/xiaomi-12s-ultra/")
    assert page.locator(".key-facts").is_visible()
    assert page.locator("article.claim").count() > 0 and page.locator("article.claim").first.is_visible()
    page.locator("details.quote summary").first.click()  # quotes open without JavaScript too
    assert page.locator("details.quote blockquote").first.is_visible()


def test_printed_pages_show_every_quote_as_a_reference(page_in, site_url) -> None:
    page = page_in()
    page.goto(site_url + "devices/xiaomi-12s-ultra/")
    page.emulate_media(media="print")
    quote = page.locator("details.quote").first
    assert quote.get_attribute("open") is None  # closed on screen, printed anyway
    assert quote.locator("blockquote").is_visible() and quote.locator("summary cite").is_visible()
    assert not page.locator(".site-header").is_visible()
