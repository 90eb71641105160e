"""The two pictures: the partnership timeline and the device line-up, inline SVG drawn at build time.

From a small content: bars, marks and links, partial dates drawn fuzzy (never as a made-up day),
a start or end the sources do not give drawn fading; the same data as text; accessible, escaped,
small; with and without the optional `partnership` field. Then the real content, as it is and
with the field set as the report on issue 15 proposes (PROPOSED): valid HTML (test_quality.py), every link resolves,
under 15 KB, no axe violations, fits a 320 px phone.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from factsheet.pictures import LABELS, WIDTH, _Axis, lineup_picture, timeline_picture
from factsheet.pipeline import check_project
from factsheet.plan import plan_site
from test_quality import broken_links

SVG = "{http://www.w3.org/2000/svg}"
BUDGET = 15 * 1024  # bytes each picture (its figure: SVG, legend and text) may add to a page

# Which history entries of the real content name which partnership, and which mark its start or
# end (the values proposed for content/history.yaml; see the closing note).
PROPOSED = {
    "huawei-leica-partnership-begins": ("Huawei–Leica", "start"),
    "huawei-leica-end-rumoured": ("Huawei–Leica", "end"),
    "huawei-leica-partnership-probably-over": ("Huawei–Leica", "end"),
    "leica-huawei-boom": ("Huawei–Leica", None),
    "leica-huawei-joint-development": ("Huawei–Leica", None),
    "leica-sharp-japan-phone": ("Leica–Sharp", "start"),
    "oppo-oneplus-hasselblad": ("OPPO/OnePlus–Hasselblad", None),
    "vivo-zeiss": ("Vivo–Zeiss", None),
    "xiaomi-leica-partnership-rumoured": ("Xiaomi–Leica", None),
    "xda-kacskrz-evidence": ("Xiaomi–Leica", None),
    "xiaomi-leica-official-announcement": ("Xiaomi–Leica", "start"),
    "first-leica-phone-due-july": ("Xiaomi–Leica", None),
    "lei-jun-press-release-quote": ("Xiaomi–Leica", None),
    "xiaomi-12s-series-launch": ("Xiaomi–Leica", None),
    "leica-joins-xiaomi-after-huawei": ("Xiaomi–Leica", None),
}


def tag_history(project: Path, tags: dict[str, tuple[str, str | None]]) -> None:
    """Give the named entries of content/history.yaml a `partnership` (and `partnership_marks`), unless
    an entry has one (written right after its id, as proposed)."""
    history = project / "content" / "history.yaml"
    text = history.read_text("utf-8")
    for entry, (name, marks) in tags.items():
        line = f"  - id: {entry}\n"
        assert line in text, entry
        if line + "    partnership:" in text:  # the content carries it already
            continue
        text = text.replace(line, line + f"    partnership: {name}\n" + (f"    partnership_marks: {marks}\n" if marks else ""))
    history.write_text(text, "utf-8")


def event(eid: str, date: str, quote: str, title: str | None = None, standing: str = "report", extra: str = "") -> str:
    return (
        f'  - id: {eid}\n    date: "{date}"\n    title: "{title or eid}"\n    text: About {eid}.\n    standing: {standing}\n{extra}'
        f'    citations:\n      - source: alpha-news\n        quote: "{quote}"\n        translation: "Ours: {quote}"\n'
    )


# A small history: one partnership dated from 2016 to a rumoured end; one known only from a report
# (no start, no end); one with an exact day and a month; and events that name no partnership.
SMALL = (
    "events:\n"
    + event("ab-begins", "2016", "Alpha Phone launches", extra="    partnership: Alpha–Beta\n    partnership_marks: start\n")
    + event(
        "ab-end-rumoured",
        "late 2021-03/2021-06",
        "a spokesperson said",
        standing="rumour",
        extra="    partnership: Alpha–Beta\n    partnership_marks: end\n",
    )
    + event("gd-day", "2022-07-05", "It will not come to Europe", extra="    partnership: Gamma–Delta\n")
    + event("gd-month", "2022-07", "The Alpha Phone was", extra="    partnership: Gamma–Delta\n")
    + event("lone-open", "2022-07/..", "with a better camera", title="<b>Lone</b> & open")
    + event("lone-year", "2019", "Its successor is expected")
    + "background:\n"
    + event("ez-seen", "late 2022-03/2022-06", "expected next year", extra="    partnership: Epsilon <&> Zeta\n")
)


@pytest.fixture
def small(mini_project: Path) -> Path:
    (mini_project / "content" / "history.yaml").write_text(SMALL, "utf-8")
    return mini_project


def planned(project: Path) -> dict[str, dict]:
    """Return the context of each page of the project's plan, by URL."""
    return {page.url: page.context for page in plan_site(check_project(project).verified).pages}


def layers(figure: str) -> tuple[ET.Element, ET.Element]:
    """Return the figure's two SVGs, parsed (they must be well-formed XML): the image, and its linked layer."""
    found = re.findall(r"<svg.*?</svg>", figure, re.S)
    assert len(found) == 2, "expected the image and its linked layer"
    image, linked = (ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)) for svg in found)
    return image, linked


def svg_of(figure: str) -> ET.Element:
    return layers(figure)[0]


def linked_of(figure: str) -> ET.Element:
    return layers(figure)[1]


def links(svg: ET.Element) -> dict[str, list[ET.Element]]:
    """Return the links of the SVG by their target, each with what it draws."""
    found: dict[str, list[ET.Element]] = {}
    for a in svg.iter(f"{SVG}a"):
        found.setdefault(a.get("href", ""), []).append(a)
    return found


def mark_of(svg: ET.Element) -> dict[str, ET.Element]:
    """Return the event marks (dots, rings, fuzzy spans) of the linked layer by their target."""
    return {
        a.get("href", ""): shape(a)
        for a in svg.iter(f"{SVG}a")
        if shape(a).tag == f"{SVG}circle" or "pic-vague" in (shape(a).get("class") or "")
    }


def shape(a: ET.Element) -> ET.Element:
    return next(e for e in a if e.tag != f"{SVG}title")


def span(element: ET.Element) -> tuple[float, float]:
    x, width = float(element.get("x", 0)), float(element.get("width", 0))
    return x, x + width


# --- the timeline, from a small content ------------------------------------------------------------


def test_timeline_draws_a_bar_per_partnership_and_a_linked_mark_per_event(small: Path) -> None:
    timeline = planned(small)["history/"]["timeline"]
    # Partnerships in order of the first day the sources place them at; then the events naming none.
    assert [lane.name for lane in timeline.lanes] == ["Alpha–Beta", "Epsilon <&> Zeta", "Gamma–Delta"]
    assert [e.id for e in timeline.other.entries] == ["lone-year", "lone-open"]
    image, linked = layers(timeline_picture(timeline, lambda target: target))
    labels = [t.text for t in image.iter(f"{SVG}text") if t.get("class") == "pic-label"]
    assert labels == ["Alpha–Beta", "Epsilon <&> Zeta", "Gamma–Delta", LABELS["timeline.other"]]
    found = links(linked)
    # Each bar links to the entry that dates its start (or, with none, its first entry); each event is a mark.
    assert {href: len(a) for href, a in found.items()} == {
        "history/#ab-begins": 2,  # the bar, and the event's mark
        "history/#ab-end-rumoured": 2,  # the bar's rumoured end, and the event's mark
        "background/#ez-seen": 1,  # a partnership known only from background: its bar, no mark
        "history/#gd-month": 2,  # the bar, from its earliest event, and the mark
        "history/#gd-day": 1,
        "history/#lone-open": 1,
        "history/#lone-year": 1,
    }
    assert len(mark_of(linked)) == 6  # every event once


def test_partial_dates_are_drawn_as_fuzzy_spans_never_as_a_made_up_day(small: Path) -> None:
    timeline = planned(small)["history/"]["timeline"]
    axis = _Axis(timeline.first, timeline.last)
    marks = mark_of(linked_of(timeline_picture(timeline, lambda target: target)))
    # A year is a span over all of it, a range spans from its first possible day to its last.
    year = marks["history/#lone-year"]
    assert "pic-vague" in year.get("class") and span(year) == pytest.approx(
        (axis.x(datetime.date(2019, 1, 1)), axis.x(datetime.date(2019, 12, 31))), abs=0.11
    )
    ranged = marks["history/#ab-end-rumoured"]
    assert span(ranged) == pytest.approx((axis.x(datetime.date(2021, 3, 21)), axis.x(datetime.date(2021, 6, 30))), abs=0.11)
    # An open range ("2022-07/..") starts where it may start, and is a span too.
    opened = marks["history/#lone-open"]
    assert "pic-vague" in opened.get("class") and span(opened)[0] == pytest.approx(axis.x(datetime.date(2022, 7, 1)), abs=0.11)
    # Only a date known to the day is a filled dot; a month is a ring.
    assert marks["history/#gd-day"].get("class") == "pic-day"
    assert marks["history/#gd-month"].get("class") == "pic-month"
    assert [m for m in marks.values() if m.get("class") == "pic-day"] == [marks["history/#gd-day"]]


def test_a_start_or_end_the_sources_do_not_give_fades_and_a_rumoured_end_is_dashed(small: Path) -> None:
    timeline = planned(small)["history/"]["timeline"]
    axis = _Axis(timeline.first, timeline.last)
    figure = timeline_picture(timeline, lambda target: target)
    linked = linked_of(figure)
    found = links(linked)
    # Known only from a report: the bar fades in up to the report's first day, and fades out after it.
    bar = shape(found["background/#ez-seen"][0])
    assert bar.get("fill") == "url(#timeline-in)"
    assert span(bar)[1] == pytest.approx(axis.x(datetime.date(2022, 3, 21)), abs=0.11)
    faded = [r for r in linked.iter(f"{SVG}rect") if r.get("fill") == "url(#timeline-out)"]
    assert len(faded) == 2  # Gamma–Delta's end and Epsilon–Zeta's: neither is given
    # Started in 2016 (no day given): fuzzy over the whole year, then solid up to the rumoured end, then dashed.
    fuzzy, solid = [e for e in found["history/#ab-begins"][0] if e.tag == f"{SVG}rect"]
    assert fuzzy.get("fill") == "url(#timeline-in)"
    assert span(fuzzy) == pytest.approx((axis.x(datetime.date(2016, 1, 1)), axis.x(datetime.date(2016, 12, 31))), abs=0.11)
    assert span(solid)[1] == pytest.approx(axis.x(datetime.date(2021, 3, 21)), abs=0.11)
    likely = [e for e in linked.iter(f"{SVG}line") if e.get("class") == "pic-likely"]
    assert len(likely) == 1 and float(likely[0].get("x2")) == pytest.approx(axis.x(datetime.date(2021, 6, 30)), abs=0.11)
    # Started in July 2022 (no day given): fuzzy over the month, though an event of the 5th is in it.
    start = [e for e in found["history/#gd-month"][0] if e.tag == f"{SVG}rect"]
    assert span(start[0])[0] == pytest.approx(axis.x(datetime.date(2022, 7, 1)), abs=0.11)
    # The text says what is known, and what is not.
    text = re.sub(r"<[^>]+>", "", figure.split("<details", 1)[1])
    assert "Alpha–Beta: start: 2016, likely end: late March–June 2021 (rumour)" in text
    assert "Epsilon &lt;&amp;&gt; Zeta: start not given, end not given" in text
    assert "Gamma–Delta: start: July 2022, end not given" in text


def test_timeline_without_the_partnership_field_draws_the_events_alone(mini_project: Path) -> None:
    context = planned(mini_project)
    timeline = context["history/"]["timeline"]
    assert timeline.lanes == () and [e.id for e in timeline.other.entries] == ["alpha-launch"]
    for compact in (False, True):  # the home page's small picture, with no bar to draw, draws the events
        figure = timeline_picture(timeline, lambda target: target, compact=compact)
        image, linked = layers(figure)
        assert set(links(linked)) == {"history/#alpha-launch"}
        assert [t.text for t in image.iter(f"{SVG}text") if t.get("class") == "pic-label"] == [LABELS["timeline.unnamed"]]
        assert LABELS["timeline.legend.bar"] not in figure  # the legend explains only what is drawn


def test_small_timeline_draws_the_bars_only(small: Path) -> None:
    linked = linked_of(timeline_picture(planned(small)[""]["timeline"], lambda target: target, compact=True))
    assert mark_of(linked) == {}
    assert set(links(linked)) == {"history/#ab-begins", "history/#ab-end-rumoured", "history/#gd-month", "background/#ez-seen"}


def test_partnership_marks_without_a_partnership_is_a_located_error(mini_project: Path) -> None:
    from factsheet.problems import ContentError

    history = mini_project / "content" / "history.yaml"
    history.write_text(history.read_text().replace("    devices: [alpha]\n", "    devices: [alpha]\n    partnership_marks: end\n"))
    with pytest.raises(ContentError) as error:
        check_project(mini_project)
    assert [str(p) for p in error.value.problems] == [
        "content/history.yaml:2:5: error: `partnership_marks` needs `partnership:` naming the partnership it marks"
    ]


# --- the line-up -----------------------------------------------------------------------------------


def test_lineup_links_every_device_with_its_verdict_and_draws_predecessor_to_successor(small: Path) -> None:
    figure = lineup_picture(planned(small)[""]["lineup"], lambda target: target)
    image, linked = layers(figure)
    found = {href: a[0] for href, a in links(linked).items()}
    assert set(found) == {"devices/alpha/", "devices/beta/"}
    texts = {href: " ".join("".join(t.itertext()) for t in a.iter(f"{SVG}text")) for href, a in found.items()}
    assert texts["devices/alpha/"] == "Alpha Phone Europe: No · official statement"
    assert texts["devices/beta/"] == "Beta Phone Europe: Expected · rumour only"
    assert "pic-answer-no" in shape(found["devices/alpha/"]).get("class")
    assert "pic-unannounced" in shape(found["devices/beta/"]).get("class")  # expected, not announced: dashed
    edges = [p for p in image.iter(f"{SVG}path") if "pic-edge" in (p.get("class") or "")]
    assert [e.find(f"{SVG}title").text for e in edges] == ["Alpha Phone → Beta Phone"]
    text = re.sub(r"<[^>]+>", "", figure.split("<details", 1)[1])
    assert "Alpha Phone: Europe: No (official statement); successor: Beta Phone" in text
    assert "Beta Phone: Europe: Expected (rumour only); predecessor: Alpha Phone" in text


def test_lineup_groups_devices_by_series(small: Path) -> None:
    for name in ("alpha", "beta"):
        device = small / "content" / "devices" / f"{name}.yaml"
        device.write_text(device.read_text().replace("maker: Alpha\n", "maker: Alpha\nseries: Alpha One series\n"))
    lineup = planned(small)[""]["lineup"]
    assert [(g.series, [n.id for n in g.nodes]) for g in lineup.groups] == [("Alpha One series", ["alpha", "beta"])]
    image = svg_of(lineup_picture(lineup, lambda target: target))
    assert [t.text for t in image.iter(f"{SVG}text") if t.get("class") == "pic-series"] == ["Alpha One series"]


# --- both pictures: accessible, escaped, their words replaceable ---------------------------------


def pictures_of(small: Path) -> list[str]:
    context = planned(small)
    return [
        timeline_picture(context["history/"]["timeline"], lambda t: t),
        timeline_picture(context[""]["timeline"], lambda t: t, compact=True),
        lineup_picture(context[""]["lineup"], lambda t: t),
    ]


def test_pictures_are_images_with_a_title_a_description_and_the_same_data_as_text(small: Path) -> None:
    for figure in pictures_of(small):
        image, linked = layers(figure)
        assert image.get("role") == "img" and image.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
        assert "width" not in image.attrib and "height" not in image.attrib  # sized by the stylesheet: 100% wide
        title, desc = image.find(f"{SVG}title"), image.find(f"{SVG}desc")
        assert image.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}" and title.text and desc.text
        assert not list(image.iter(f"{SVG}a"))  # nothing interactive inside an image
        # The linked layer lies exactly over the image, for pointers only; the text beside holds every link.
        assert linked.get("viewBox") == image.get("viewBox") and linked.get("aria-hidden") == "true"
        assert {a.get("tabindex") for a in linked.iter(f"{SVG}a")} == {"-1"}
        text_links = set(re.findall(r'href="([^"]+)"', figure.split("<figcaption>", 1)[1]))
        assert set(links(linked)) <= text_links


def test_pictures_escape_the_contents_text(small: Path) -> None:
    for figure in pictures_of(small):
        assert "<b>" not in figure and "Epsilon <&> Zeta" not in figure
    assert "&lt;b&gt;Lone&lt;/b&gt; &amp; open" in pictures_of(small)[0]


def test_every_word_of_the_pictures_comes_from_their_labels(small: Path) -> None:
    # A German edition passes its own labels: then no English word of the pictures' own is left.
    context = planned(small)
    marked = {key: "§" + value for key, value in LABELS.items()}
    figures = [
        timeline_picture(context["history/"]["timeline"], lambda t: t, labels=marked),
        timeline_picture(context[""]["timeline"], lambda t: t, labels=marked, compact=True),
        lineup_picture(context[""]["lineup"], lambda t: t, labels=marked),
    ]
    # The standings ("report", "official") are words of the content's verdicts too, which plan words.
    plains = sorted({v.split("{", 1)[0] for k, v in LABELS.items() if not k.startswith("standing.")} - {""}, key=len, reverse=True)
    for figure in figures:
        rest = str(figure)
        for plain in plains:
            rest = rest.replace("§" + plain, "")
        assert [p for p in plains if len(p) > 3 and p in rest] == []


# --- the real content, as it is and with the proposed field ---------------------------------------


def figures(page: Path) -> dict[str, str]:
    html = page.read_text("utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r'<figure class="picture picture-([a-z-]+)">.*?</figure>', html, re.S)}


def test_proposed_partnerships_draw_the_five_partnerships(tagged_site: Path) -> None:
    history = figures(tagged_site / "history" / "index.html")["timeline"]
    names = [t.text for t in svg_of(history).iter(f"{SVG}text") if t.get("class") == "pic-label"]
    assert names == ["Huawei–Leica", "Leica–Sharp", "OPPO/OnePlus–Hasselblad", "Vivo–Zeiss", "Xiaomi–Leica", "Other events"]


@pytest.mark.parametrize("which", ["as it is", "with the proposed field"])
def test_each_picture_adds_under_15_kb_to_its_page(built_site: Path, tagged_site: Path, which: str) -> None:
    site = built_site if which == "as it is" else tagged_site
    found = {}
    for page in ("index.html", "history/index.html"):
        for name, figure in figures(site / page).items():
            found[f"{page} {name}"] = len(figure.encode("utf-8"))
    assert set(found) == {"index.html lineup", "index.html timeline-small", "history/index.html timeline"}
    assert {k: v for k, v in found.items() if v >= BUDGET} == {}


def test_every_link_of_the_pictures_resolves(tagged_site: Path) -> None:
    assert broken_links(tagged_site) == []  # the real site's own links are checked by test_quality


# --- in the browser: a 320 px phone, both colour schemes, axe ---------------------------------------


@pytest.mark.browser
def test_pictures_fit_a_320_px_phone_follow_the_colour_scheme_and_pass_axe(browser, tagged_site: Path) -> None:
    from test_browser import COLOUR_RULES, axe_violations

    colours, problems = {}, []
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 320, "height": 800}, color_scheme=scheme)
        page = context.new_page()
        for path in ("index.html", "history/index.html"):
            page.goto((tagged_site / path).as_uri())
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
            if scroll > inner:
                problems.append(f"{scheme} {path}: {scroll} px wide")
            for box in page.locator("svg.pic").all():
                width = box.bounding_box()["width"]
                if not 250 <= width <= 320:
                    problems.append(f"{scheme} {path}: a picture {width} px wide")
            # The smallest text of a picture stays readable on the phone.
            smallest = page.evaluate(
                "Math.min(...[...document.querySelectorAll('svg.pic text')].map(t => t.getBoundingClientRect().height))"
            )
            if smallest < 7:
                problems.append(f"{scheme} {path}: text {smallest:.1f} px high")
            problems += [f"{scheme} {path}: {v}" for v in axe_violations(page, COLOUR_RULES if scheme == "dark" else None)]
        colours[scheme] = page.evaluate("getComputedStyle(document.querySelector('.pic-bar')).fill")
        context.close()
    assert problems == []
    assert colours["light"] != colours["dark"]  # the bars follow the scheme
