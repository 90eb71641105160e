"""The two pictures, drawn at build time as inline SVG: the partnership timeline and the device line-up.

`plan_timeline` and `plan_lineup` turn planned data into plain data (no markup, no links);
`timeline_picture` and `lineup_picture` turn that into a <figure>: the SVG (role="img", a title
and a description), a legend, and the same data as a list, all escaped. Every reader-visible
word comes from `LABELS` (or the `labels` argument, for another language) and every date
through `date_text`, so another edition passes its own. Colours are the stylesheet's custom
properties (site.css, "Pictures"), so the pictures follow the light, dark and print schemes.
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup, escape

from .i18n import N_
from .model import Device, Event, PartialDate

# Every reader-visible string of both pictures. A German edition passes its own dict with the
# same keys (see `labels` below); `{…}` fields are filled in with str.format.
LABELS: dict[str, str] = {
    "timeline.title": N_("The camera partnerships over the years"),
    "timeline.summary": N_("{count} partnerships named by the sources, and their dated events, {first} to {last}."),
    "timeline.summary_unnamed": N_("The dated events, {first} to {last}; the content names no partnership for them."),
    "timeline.text": N_("The timeline as text"),
    "timeline.legend.bar": N_("partnership, as far as the sources date it"),
    "timeline.legend.fade": N_("fading: start or end not given"),
    "timeline.legend.likely": N_("dashed: end only rumoured or likely"),
    "timeline.legend.day": N_("event, exact day"),
    "timeline.legend.month": N_("event, month"),
    "timeline.legend.vague": N_("event known to a year, part of one, or a range"),
    "timeline.other": N_("Other events"),
    "timeline.unnamed": N_("Events (no partnership named in the content)"),
    "timeline.start": N_("start: {date}"),
    "timeline.start_not_given": N_("start not given"),
    "timeline.end": N_("end: {date}"),
    "timeline.likely_end": N_("likely end: {date} ({standing})"),
    "timeline.end_not_given": N_("end not given"),
    "timeline.reported": N_("reported {date}, date not given"),
    "timeline.entry": N_("{title} ({date})"),
    "timeline.entry_standing": N_("{title} ({date}, {standing})"),
    "lineup.title": N_("The device line-up"),
    "lineup.summary": N_(
        "{count} devices, grouped by series, each with its predecessor and successor and its answer to “Will it come to Europe?”."
    ),
    "lineup.text": N_("The line-up as text"),
    "lineup.no_series": N_("No series given"),
    "lineup.europe": N_("Europe: {label}"),
    "lineup.evidence": N_("{label} ({evidence})"),
    "lineup.predecessor": N_("predecessor: {name}"),
    "lineup.successor": N_("successor: {name}"),
    "lineup.shipped_as": N_("shipped as {name}"),
    "lineup.legend.successor": N_("predecessor to successor"),
    "lineup.legend.shipped_as": N_("a name not used, to the phone it shipped as"),
    "lineup.legend.unannounced": N_("dashed box: not announced (expected or rumoured)"),
    "standing.official": N_("official"),
    "standing.report": N_("report"),
    "standing.rumour": N_("rumour"),
    "standing.opinion": N_("opinion"),
}

Labels = Mapping[str, str]
Translate = Callable[[str], str]
# The same words as plan's: one message in the catalogs.
SHIPPED_AS = N_("shipped as the %(name)s")  # a renamed device's evidence, here, in the plan and on the pages
DateText = Callable[[PartialDate], str]
Link = Callable[[str], str]

# The drawing's own units: 360 wide, so that its 12-unit text is still about 10 px on a 320 px phone.
WIDTH = 360
PAD = 10
FADE_DAYS = 300  # how far a bar fades out (or in) where the sources give no end (or start)


# --- the timeline: planned data ------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One history event or background fact, as the timeline needs it."""

    id: str
    href: str  # site-relative: history/#id or background/#id
    title: str
    date: PartialDate
    standing: str
    background: bool  # no date of its own: `date` is when it was reported, never drawn as a mark
    marks: str | None = None  # "start" | "end" | None
    title_de: str | None = None  # the German edition's title, where the content gives one


@dataclass(frozen=True)
class Lane:
    """One partnership (or, with `name` None, the events that name none) and its entries, oldest first."""

    name: str | None
    entries: tuple[Entry, ...]

    @property
    def events(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if not e.background)

    @property
    def start(self) -> Entry | None:
        """Return the entry that dates the start: one marked so, else the earliest event; None when no event dates it."""
        marked = [e for e in self.events if e.marks == "start"]
        return (marked or list(self.events) or [None])[0]  # type: ignore[list-item]

    @property
    def ends(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.marks == "end")

    @property
    def known_from(self) -> datetime.date:
        """Return the first day the sources place the partnership at (its start, or its earliest evidence)."""
        start = self.start
        return start.date.first_day if start else min(e.date.first_day for e in self.entries)

    @property
    def known_until(self) -> datetime.date:
        """Return the last day the sources certainly place the partnership at: the latest entry's first day."""
        return max(e.date.first_day for e in self.entries)


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]  # the partnerships, in order of their first known day
    other: Lane | None  # the events that name no partnership
    first: datetime.date  # the axis: 1 January of the first year ...
    last: datetime.date  # ... to 31 December of the last


def _entry(view, background: bool) -> Entry:
    claim = view.claim
    marks = claim.partnership_marks if isinstance(claim, Event) else None
    return Entry(view.id, view.href, claim.title, claim.date, claim.standing, background, marks, getattr(claim, "title_de", None))


def plan_timeline(events: Iterable, background: Iterable, as_of: PartialDate) -> Timeline:
    """Return the partnerships (events and background facts that name one, by their `partnership`) and
    the events that name none, over an axis from the first year any of them falls in to the year after
    the latest (where a bar without an end fades out)."""
    named: dict[str, list[Entry]] = {}
    other: list[Entry] = []
    for views, is_background in ((events, False), (background, True)):
        for view in views:
            partnership = getattr(view.claim, "partnership", None)
            if partnership:
                named.setdefault(partnership, []).append(_entry(view, is_background))
            elif not is_background:  # background naming no partnership has no place on a timeline
                other.append(_entry(view, False))
    order = lambda e: (e.date.first_day, e.date.last_day, e.id)  # noqa: E731
    lanes = [Lane(name, tuple(sorted(entries, key=order))) for name, entries in named.items()]
    lanes.sort(key=lambda lane: (lane.known_from, str(lane.name)))
    other_lane = Lane(None, tuple(sorted(other, key=order))) if other else None
    every = [e for lane in lanes for e in lane.entries] + list(other_lane.entries if other_lane else ())
    first_year = min([e.date.first_day.year for e in every] + [as_of.first_day.year])
    # Bars without a start fade in over FADE_DAYS before their first evidence: the axis shows that too.
    first_year = min([first_year] + [(lane.known_from - datetime.timedelta(FADE_DAYS)).year for lane in lanes if lane.start is None])
    latest = max([e.date.first_day if e.date.open_end else e.date.last_day for e in every] + [as_of.last_day])
    last_year = (latest + datetime.timedelta(FADE_DAYS // 2)).year
    return Timeline(tuple(lanes), other_lane, datetime.date(first_year, 1, 1), datetime.date(last_year, 12, 31))


# --- the timeline: text ----------------------------------------------------------------------------


def _entry_text(entry: Entry, labels: Labels, date_text: DateText) -> str:
    date = labels["timeline.reported"].format(date=date_text(entry.date)) if entry.background else date_text(entry.date)
    if entry.standing in ("rumour", "opinion"):
        return labels["timeline.entry_standing"].format(title=entry.title, date=date, standing=labels[f"standing.{entry.standing}"])
    return labels["timeline.entry"].format(title=entry.title, date=date)


def _lane_facts(lane: Lane, labels: Labels, date_text: DateText) -> list[tuple[str, Entry | None]]:
    """Return what is known of a partnership's start and end, each with the entry that says it."""
    start = lane.start
    facts: list[tuple[str, Entry | None]] = [
        (labels["timeline.start"].format(date=date_text(start.date)), start) if start else (labels["timeline.start_not_given"], None)
    ]
    ends = lane.ends
    if not ends:
        facts.append((labels["timeline.end_not_given"], None))
    for end in ends:
        likely = end.standing != "official" or end.background
        word = "timeline.likely_end" if likely else "timeline.end"
        shown = labels["timeline.reported"].format(date=date_text(end.date)) if end.background else date_text(end.date)
        facts.append((labels[word].format(date=shown, standing=labels[f"standing.{end.standing}"]), end))
    return facts


def _timeline_text(timeline: Timeline, link: Link, labels: Labels, date_text: DateText, compact: bool) -> str:
    items = []
    for lane in timeline.lanes:
        parts = []
        for text, entry in _lane_facts(lane, labels, date_text):
            parts.append(f'<a href="{escape(link(entry.href))}">{escape(text)}</a>' if entry else str(escape(text)))
        first = lane.start or lane.entries[0]  # what the bar links to
        line = f'<strong><a href="{escape(link(first.href))}">{escape(lane.name)}</a></strong>: {", ".join(parts)}'
        if not compact:
            rest = [e for e in lane.entries if e is not lane.start and e.marks != "end"]
            if rest:
                line += "; " + ", ".join(f'<a href="{escape(link(e.href))}">{escape(_entry_text(e, labels, date_text))}</a>' for e in rest)
        items.append(f"<li>{line}</li>")
    if timeline.other and _shows_events(timeline, compact):
        heading = labels["timeline.other"] if timeline.lanes else labels["timeline.unnamed"]
        listed = ", ".join(
            f'<a href="{escape(link(e.href))}">{escape(_entry_text(e, labels, date_text))}</a>' for e in timeline.other.entries
        )
        items.append(f"<li><strong>{escape(heading)}</strong>: {listed}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _timeline_summary(timeline: Timeline, labels: Labels, date_text: DateText) -> str:
    """Return the description: how many partnerships over which years, and what is known of each."""
    summary = "timeline.summary" if timeline.lanes else "timeline.summary_unnamed"
    head = labels[summary].format(count=len(timeline.lanes), first=timeline.first.year, last=timeline.last.year)
    lanes = [f"{lane.name}: {', '.join(text for text, _ in _lane_facts(lane, labels, date_text))}." for lane in timeline.lanes]
    return " ".join([head, *lanes])


# --- the timeline: drawing -------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Axis:
    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        self.first, self.days = first, (last - first).days + 1

    def x(self, day: datetime.date) -> float:
        day = min(max(day, self.first), self.first + datetime.timedelta(self.days))
        return PAD + (day - self.first).days / self.days * (WIDTH - 2 * PAD)


def _day_at(axis: _Axis, x: float) -> datetime.date:
    return axis.first + datetime.timedelta(round((x - PAD) / (WIDTH - 2 * PAD) * axis.days))


def _precision(date: PartialDate) -> str:
    """Return how a mark is drawn: day (filled dot), month (ring), vague (a fuzzy span: a year, part of one, a range)."""
    if date.until or date.open_end or date.part or not date.month:
        return "vague"
    return "day" if date.day else "month"


def _mark_span(axis: _Axis, date: PartialDate) -> tuple[float, float]:
    if _precision(date) != "vague":
        x = axis.x(date.first_day + (date.last_day - date.first_day) / 2)
        return x - 4, x + 4
    end = date.first_day + datetime.timedelta(FADE_DAYS // 3) if date.open_end else date.last_day
    x0, x1 = axis.x(date.first_day), axis.x(end)
    if x1 - x0 < 6:  # too short to see: widen around its middle
        mid = (x0 + x1) / 2
        x0, x1 = mid - 3, mid + 3
    return x0, x1


def _a(href: str, title: str, body: str) -> str:
    # Pointer users follow a bar or mark; keyboards and screen readers use the list beside the
    # picture, which holds the same links (see _figure).
    return f'<a href="{escape(href)}" tabindex="-1"><title>{escape(title)}</title>{body}</a>'


def _bar(lane: Lane, axis: _Axis, y: float, pid: str, link: Link, labels: Labels, date_text: DateText) -> list[str]:
    """Return the SVG of a partnership's bar: a fuzzy or fading start, the solid stretch, a dashed or fading end."""
    h = 8
    out = []
    start, ends = lane.start, lane.ends
    first_link = start or lane.entries[0]
    facts = ", ".join(text for text, _ in _lane_facts(lane, labels, date_text))
    if start is not None:
        # A start known to the month or the year is fuzzy over all of it: no day is made up.
        x0, solid_from = (
            axis.x(start.date.first_day),
            axis.x(start.date.first_day if start.date.day or start.date.open_end else start.date.last_day),
        )
    else:  # no start given: fade in towards the first evidence
        solid_from = axis.x(lane.known_from)
        x0 = axis.x(lane.known_from - datetime.timedelta(FADE_DAYS))
    if ends:
        end_from = axis.x(min(e.date.first_day for e in ends))
        end_to = axis.x(max(e.date.first_day if e.date.open_end else e.date.last_day for e in ends))
    else:  # no end given: fade out from the latest evidence, or from where the start is certain
        end_from = max(axis.x(lane.known_until), solid_from)
        end_to = axis.x(max(lane.known_until, _day_at(axis, end_from)) + datetime.timedelta(FADE_DAYS))
    solid_from = min(solid_from, end_from)
    parts = []
    if solid_from - x0 > 0.5:
        parts.append(f'<rect x="{_num(x0)}" y="{_num(y)}" width="{_num(solid_from - x0)}" height="{h}" fill="url(#{pid}-in)"/>')
    if end_from - solid_from > 0.5:
        parts.append(f'<rect class="pic-bar" x="{_num(solid_from)}" y="{_num(y)}" width="{_num(end_from - solid_from)}" height="{h}"/>')
    if not parts:  # start and end fall together: a sliver, so the bar is there to follow
        parts.append(f'<rect class="pic-bar" x="{_num(solid_from - 1.5)}" y="{_num(y)}" width="3" height="{h}"/>')
    out.append(_a(link(first_link.href), f"{lane.name}: {facts}", "".join(parts)))
    width = max(end_to - end_from, 3)
    if ends:
        end_link = ends[0]
        body = (
            f'<line class="pic-likely" x1="{_num(end_from)}" y1="{_num(y + h / 2)}" x2="{_num(end_from + width)}" y2="{_num(y + h / 2)}"/>'
        )
        out.append(_a(link(end_link.href), f"{lane.name}: {_entry_text(end_link, labels, date_text)}", body))
    else:
        out.append(
            f'<rect x="{_num(end_from)}" y="{_num(y)}" width="{_num(width)}" height="{h}" fill="url(#{pid}-out)"><title>{escape(lane.name)}: {escape(labels["timeline.end_not_given"])}</title></rect>'
        )
    return out


def _marks(entries: Iterable[Entry], axis: _Axis, y: float, link: Link, labels: Labels, date_text: DateText) -> tuple[list[str], int]:
    """Return the SVG of a lane's event marks, stacked in rows where they would overlap, and the number of rows."""
    rows: list[float] = []  # where each row's last mark ends
    out = []
    for entry in sorted(entries, key=lambda e: (_mark_span(axis, e.date), e.id)):
        x0, x1 = _mark_span(axis, entry.date)
        row = next((i for i, end in enumerate(rows) if x0 >= end + 2), len(rows))
        if row == len(rows):
            rows.append(x1)
        rows[row] = x1
        cy = y + row * 10
        kind = _precision(entry.date)
        if kind == "vague":
            body = f'<rect class="pic-vague" x="{_num(x0)}" y="{_num(cy - 3.5)}" width="{_num(x1 - x0)}" height="7" rx="3.5"/>'
        else:
            body = f'<circle class="pic-{kind}" cx="{_num((x0 + x1) / 2)}" cy="{_num(cy)}" r="3.5"/>'
        out.append(_a(link(entry.href), _entry_text(entry, labels, date_text), body))
    return out, max(len(rows), 1)


def _shows_events(timeline: Timeline, compact: bool) -> bool:
    """Return whether the picture draws the events: always, but in the compact one only when no partnership is named."""
    return not compact or not timeline.lanes


def _timeline_svg(timeline: Timeline, link: Link, labels: Labels, date_text: DateText, compact: bool, pid: str) -> tuple[str, str, int]:
    """Return the drawing's still layer (years, names), its linked layer (bars, marks) and its height."""
    axis = _Axis(timeline.first, timeline.last)
    body: list[str] = []
    linked: list[str] = []
    y = 24.0
    events = _shows_events(timeline, compact)
    lanes = list(timeline.lanes) + ([timeline.other] if timeline.other and events else [])
    for lane in lanes:
        name = lane.name or (labels["timeline.other"] if timeline.lanes else labels["timeline.unnamed"])
        body.append(f'<text class="pic-label" x="{PAD}" y="{_num(y + 10)}">{escape(name)}</text>')
        bar_y = y + 17
        if lane.name is not None:
            linked += _bar(lane, axis, bar_y, pid, link, labels, date_text)
        else:
            body.append(f'<line class="pic-rule" x1="{PAD}" y1="{_num(bar_y + 4)}" x2="{WIDTH - PAD}" y2="{_num(bar_y + 4)}"/>')
        marks_y = bar_y + 4  # the events naming no partnership sit on their rule, a partnership's under its bar
        if events and lane.events:
            if lane.name is not None:
                marks_y += 12
            marks, rows = _marks(lane.events, axis, marks_y, link, labels, date_text)
            linked += marks
            marks_y += (rows - 1) * 10
        y = marks_y + 12
    height = int(y + 4)
    # Year lines behind everything, labelled at the top; every year when there is room, else every other.
    years = range(timeline.first.year, timeline.last.year + 1)
    step = 1 if (WIDTH - 2 * PAD) / len(years) >= 30 else 2
    grid = []
    for year in years:
        x = axis.x(datetime.date(year, 1, 1))
        grid.append(f'<line class="pic-grid" x1="{_num(x)}" y1="14" x2="{_num(x)}" y2="{height}"/>')
        if (year - timeline.first.year) % step == 0:
            grid.append(f'<text class="pic-year" x="{_num(axis.x(datetime.date(year, 7, 1)))}" y="10">{year}</text>')
    defs = (
        f'<defs><linearGradient id="{pid}-in"><stop class="pic-stop" offset="0" stop-opacity="0"/><stop class="pic-stop" offset="1"/></linearGradient>'
        f'<linearGradient id="{pid}-out"><stop class="pic-stop" offset="0"/><stop class="pic-stop" offset="1" stop-opacity="0"/></linearGradient></defs>'
    )
    return "".join(grid) + "".join(body), defs + "".join(linked), height


def _localized_timeline(timeline: Timeline, lang: str) -> Timeline:
    """Return the timeline with each entry's title in `lang` where the content gives one."""
    if lang == "en":
        return timeline

    def entries(lane: Lane) -> Lane:
        return replace(lane, entries=tuple(replace(e, title=e.title_de or e.title) for e in lane.entries))

    return replace(timeline, lanes=tuple(entries(lane) for lane in timeline.lanes), other=timeline.other and entries(timeline.other))


def _localized_lineup(lineup: Lineup, lang: str, translate: Translate, piece: Piece) -> Lineup:
    """Return the line-up with its series names, verdict labels and evidence in `lang`."""

    def node(n: Node) -> Node:
        evidence = (
            translate(SHIPPED_AS) % {"name": n.shipped_as}
            if n.shipped_as and n.answer == "name-not-used"
            else translate(n.evidence)
            if n.evidence
            else ""
        )
        return replace(n, label=translate(n.label), evidence=evidence)

    groups = tuple(
        Group(
            (g.series_de or g.series) if lang != "en" else g.series,
            tuple(piece(("node", n), functools.partial(node, n)) for n in g.nodes),
            g.series_de,
        )
        for g in lineup.groups
    )
    return replace(lineup, groups=groups)


Piece = Callable[[tuple, Callable[[], Any]], Any]  # piece(key, make): make(), or what it gave last time for the same key


def _made(key: tuple, make: Callable[[], Any]) -> Any:
    return make()


def _pieces(kept: dict) -> Piece:
    """Return a `piece` that takes each piece from `kept` by its key, else makes it, and leaves in
    `kept` only the pieces asked for this time."""
    old = dict(kept)
    kept.clear()

    def piece(key: tuple, make: Callable[[], Any]) -> Any:
        value = old.get(key)
        if value is None:
            value = make()
        kept[key] = value
        return value

    return piece


def timeline_picture(
    timeline: Timeline,
    link: Link,
    labels: Labels | None = None,
    date_text: DateText = str,
    compact: bool = False,
    translate: Translate = str,
    lang: str = "en",
) -> Markup:
    """Return the partnership timeline as a <figure>: the SVG, its legend and the same data as a list.

    `compact` (the home page) draws the partnerships' bars only, without the events (unless the
    content names no partnership: then the events are all there is to draw).
    """
    labels = {key: translate(text) for key, text in (labels or LABELS).items()}
    timeline = _localized_timeline(timeline, lang)
    pid = "timeline-small" if compact else "timeline"
    still, linked, height = _timeline_svg(timeline, link, labels, date_text, compact, pid)
    title, desc = labels["timeline.title"], _timeline_summary(timeline, labels, date_text)
    # The legend explains only what the picture draws.
    legend = []
    if timeline.lanes:
        legend += [("pic-key-bar", "timeline.legend.bar"), ("pic-key-fade", "timeline.legend.fade")]
    if any(lane.ends for lane in timeline.lanes):
        legend.append(("pic-key-likely", "timeline.legend.likely"))
    if _shows_events(timeline, compact):
        legend += [
            ("pic-key-day", "timeline.legend.day"),
            ("pic-key-month", "timeline.legend.month"),
            ("pic-key-vague", "timeline.legend.vague"),
        ]
    return _figure(
        pid,
        title,
        desc,
        (still, linked),
        height,
        legend,
        labels,
        labels["timeline.text"],
        _timeline_text(timeline, link, labels, date_text, compact),
    )


def _figure(
    pid: str,
    title: str,
    desc: str,
    drawing: tuple[str, str],
    height: int,
    legend: list[tuple[str, str]],
    labels: Labels,
    text_label: str,
    text: str,
) -> Markup:
    """Return the picture as a figure: the image, its legend, and its data as a list.

    The image is two SVGs of one size, one over the other. The first is the image for every reader
    (role="img", its title and description). The second holds what is linked (bars, marks, devices)
    for pointers only: hidden from assistive technology and out of the tab order, since links
    inside an image are lost to a screen reader and the list beside it holds the same links.
    """
    still, linked = drawing
    keys = "".join(f'<li><span class="pic-key {cls}" aria-hidden="true"></span> {escape(labels[key])}</li>' for cls, key in legend)
    box = f'viewBox="0 0 {WIDTH} {height}"'
    return Markup(
        f'<figure class="picture picture-{pid}"><div class="pic-wrap">'
        f'<svg class="pic" role="img" {box} aria-labelledby="{pid}-title {pid}-desc">'
        f'<title id="{pid}-title">{escape(title)}</title><desc id="{pid}-desc">{escape(desc)}</desc>{still}</svg>'
        f'<svg class="pic pic-links" {box} aria-hidden="true">{linked}</svg></div>'
        f'<figcaption><ul class="pic-legend">{keys}</ul>'
        f'<details class="pic-text"><summary>{escape(text_label)}</summary>{text}</details></figcaption></figure>'
    )


# --- the line-up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    href: str  # devices/<id>/
    announced: bool
    answer: str  # the verdict's answer class: no, expected, sold, unclear, disputed, name-not-used
    label: str  # the verdict for readers: "No"
    evidence: str  # how strong the evidence is: "official statement"; "" when nothing decides
    shipped_as: str | None = None  # for a name never used: the name of the phone it shipped as


@dataclass(frozen=True)
class Group:
    series: str | None  # None: a device whose series no source names, alone in its group
    nodes: tuple[Node, ...]
    series_de: str | None = None  # the German edition's name of the series, where the content gives one


@dataclass(frozen=True)
class Lineup:
    groups: tuple[Group, ...]
    edges: tuple[tuple[str, str, str], ...]  # (from, to, "successor" | "shipped-as")
    names: dict[str, str]  # every device's name, for the text


def plan_lineup(devices: Mapping[str, Device], verdicts: Mapping) -> Lineup:
    """Return the devices grouped by series, the groups in order of their first announcement (undated
    devices after the dated ones: beside the device they shipped as, else after their predecessor),
    and the predecessor-successor and shipped-as edges between them."""
    undated = (datetime.date.max.year, 0, 0)

    def key(device_id: str, seen: frozenset = frozenset()) -> tuple:
        device = devices[device_id]
        if device.announced:
            return (0, device.announced.sort_key, 0, device.name)
        for other, after in ((device.shipped_as, 1), (device.predecessor, 2)):
            if other and other in devices and other not in seen:
                return (*key(other, seen | {device_id})[:2], after, device.name)
        return (1, undated, 0, device.name)

    groups: dict[str, list[str]] = {}
    for device_id, device in devices.items():
        groups.setdefault(device.series or f"\0{device_id}", []).append(device_id)
    ordered = sorted(groups.items(), key=lambda item: min(key(d) for d in item[1]))
    planned = []
    for series, ids in ordered:
        nodes = []
        for device_id in sorted(ids, key=key):
            device, verdict = devices[device_id], verdicts.get(device_id)
            nodes.append(
                Node(
                    device_id,
                    device.name,
                    f"devices/{device_id}/",
                    device.status == "announced",
                    verdict.answer if verdict else "unclear",
                    verdict.label if verdict else "Unclear",
                    verdict.evidence if verdict else "",
                    devices[device.shipped_as].name if device.shipped_as and device.shipped_as in devices else None,
                )
            )
        series_de = next((getattr(devices[d], "series_de", None) for d in ids if getattr(devices[d], "series_de", None)), None)
        planned.append(Group(None if series.startswith("\0") else series, tuple(nodes), series_de))
    edges: set[tuple[str, str, str]] = set()
    for device_id, device in devices.items():
        if device.successor and device.successor in devices:
            edges.add((device_id, device.successor, "successor"))
        if device.predecessor and device.predecessor in devices:
            edges.add((device.predecessor, device_id, "successor"))
        if device.shipped_as and device.shipped_as in devices:
            edges.add((device_id, device.shipped_as, "shipped-as"))
    return Lineup(tuple(planned), tuple(sorted(edges)), {d: devices[d].name for d in devices})


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


class _Track:
    """The spans of the line-up's gutter one track's edges use. They never overlap, so sorted by
    their start they are sorted by their end too, and a new span is checked against one neighbour
    instead of them all (at 10,000 devices, all of them took seconds)."""

    def __init__(self) -> None:
        self.lows: list[float] = []
        self.highs: list[float] = []

    def free(self, low: float, high: float) -> bool:
        """Whether no span of the track touches low..high."""
        before = bisect.bisect_right(self.lows, high) - 1  # the last span starting at or before `high`
        return before < 0 or self.highs[before] < low

    def take(self, low: float, high: float) -> None:
        at = bisect.bisect_right(self.lows, low)
        self.lows.insert(at, low)
        self.highs.insert(at, high)


_LEFT = 54  # the gutter at the left of the line-up carries the edges


def _lineup_node(node: Node, y: float, link: Link, labels: Labels) -> tuple[str, int]:
    """Return a device's box in the line-up at height `y`, linked to its page, and the box's height."""
    left = _LEFT
    name_lines = _wrap(node.name, 36)
    verdict = labels["lineup.europe"].format(label=node.label)
    # The evidence follows the answer, or goes on a line of its own when both would not fit.
    apart = bool(node.evidence) and len(verdict) + len(node.evidence) > 38
    h = 15 * len(name_lines) + 22 + (14 if apart else 0)
    box = f'<rect class="pic-node pic-answer-{escape(node.answer)}{"" if node.announced else " pic-unannounced"}" x="{left}" y="{_num(y)}" width="{WIDTH - left - 6}" height="{h}" rx="4"/>'
    texts = "".join(
        f'<text class="pic-name" x="{left + 9}" y="{_num(y + 16 + 15 * i)}">{escape(line)}</text>' for i, line in enumerate(name_lines)
    )
    verdict_y = y + 15 * len(name_lines) + 14
    texts += f'<text class="pic-verdict pic-answer-{escape(node.answer)}" x="{left + 9}" y="{_num(verdict_y)}">{escape(verdict)}'
    if node.evidence and not apart:
        texts += f'<tspan class="pic-evidence"> · {escape(node.evidence)}</tspan>'
    texts += "</text>"
    if apart:
        texts += f'<text class="pic-evidence" x="{left + 9}" y="{_num(verdict_y + 14)}">{escape(node.evidence)}</text>'
    title = labels["lineup.evidence"].format(label=node.label, evidence=node.evidence) if node.evidence else node.label
    return _a(link(node.href), f"{node.name}: {labels['lineup.europe'].format(label=title)}", box + texts), h


def _lineup_edge(kind: str, y0: float, y1: float, x: int, names: tuple[str, str], pid: str) -> str:
    """Return an edge of the line-up: from a box's left side at `y0` out to the gutter's track at `x`, into another's at `y1`."""
    return (
        f'<path class="pic-edge pic-{kind}" d="M{_LEFT} {_num(y0)}H{x}V{_num(y1)}H{_LEFT - 2}" marker-end="url(#{pid}-arrow)">'
        f"<title>{escape(names[0])} → {escape(names[1])}</title></path>"
    )


def _lineup_svg(lineup: Lineup, link: Link, labels: Labels, pid: str, piece: Piece = _made) -> tuple[str, str, int]:
    """Return the drawing's still layer (series, edges), its linked layer (the devices) and its height."""
    left = _LEFT
    body: list[str] = []
    linked: list[str] = []
    centre: dict[str, float] = {}
    y = 4.0
    for group in lineup.groups:
        top = y
        if group.series:
            y += 16
        for node in group.nodes:
            # A box moves only when one above it changed height: a renamed device redraws its own.
            html, h = piece(("box", node, y), functools.partial(_lineup_node, node, y, link, labels))
            linked.append(html)
            centre[node.id] = y + h / 2
            y += h + 6
        if group.series:
            body.insert(
                0, f'<rect class="pic-group" x="{left - 6}" y="{_num(top)}" width="{WIDTH - left}" height="{_num(y - top)}" rx="6"/>'
            )
            body.append(f'<text class="pic-series" x="{left}" y="{_num(top + 12)}">{escape(group.series)}</text>')
        y += 8
    # Each edge runs in a track of the gutter, out of the left side of one box and into another's.
    # A box's edges leave and enter side by side, ordered by where their other end lies (no
    # crossing there); each edge takes the track nearest the boxes that no edge beside it uses.
    drawn = [e for e in lineup.edges if e[0] in centre and e[1] in centre]
    ports: dict[str, list[int]] = {}
    for i, (a, b, _) in enumerate(drawn):
        ports.setdefault(a, []).append(i)
        ports.setdefault(b, []).append(i)
    port_y: dict[tuple[str, int], float] = {}
    for end, mine in ports.items():
        mine.sort(key=lambda i: (centre[drawn[i][1] if drawn[i][0] == end else drawn[i][0]], i))
        for k, i in enumerate(mine):
            port_y[(end, i)] = centre[end] + (k - (len(mine) - 1) / 2) * 7
    tracks: list[_Track] = []
    for i in sorted(range(len(drawn)), key=lambda i: (abs(centre[drawn[i][1]] - centre[drawn[i][0]]), i)):
        a, b, kind = drawn[i]
        y0, y1 = port_y[(a, i)], port_y[(b, i)]
        low, high = min(y0, y1) - 2, max(y0, y1) + 2
        track = next((t for t, used in enumerate(tracks) if used.free(low, high)), len(tracks))
        if track == len(tracks):
            tracks.append(_Track())
        tracks[track].take(low, high)
        x = left - 14 - 9 * min(track, 4)
        names = lineup.names[a], lineup.names[b]
        body.append(piece(("edge", kind, y0, y1, x, *names), functools.partial(_lineup_edge, kind, y0, y1, x, names, pid)))
    defs = f'<defs><marker id="{pid}-arrow" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path class="pic-arrow" d="M0 0L6 3L0 6z"/></marker></defs>'
    return defs + "".join(body), "".join(linked), int(y)


def lineup_picture(
    lineup: Lineup, link: Link, labels: Labels | None = None, translate: Translate = str, lang: str = "en", kept: dict | None = None
) -> Markup:
    """Return the device line-up as a <figure>: the SVG, its legend and the same data as a list.

    `translate` (an edition's gettext) and `lang` put the labels, series and verdicts in that edition's language.
    `kept` (serve keeps one per page) holds the pieces of the page's last drawing, each by what it was
    drawn from: a device's box and entry are drawn again only when it, its place or the names beside
    it changed (the links, labels and language must be the same as then). This drawing's are left in it."""
    piece = _made if kept is None else _pieces(kept)
    labels = {key: translate(text) for key, text in (labels or LABELS).items()}
    lineup = _localized_lineup(lineup, lang, translate, piece)
    pid = "lineup"
    still, linked, height = _lineup_svg(lineup, link, labels, pid, piece)
    count = sum(len(g.nodes) for g in lineup.groups)
    successors = {a: b for a, b, kind in lineup.edges if kind == "successor"}
    predecessors = {b: a for a, b, kind in lineup.edges if kind == "successor"}
    shipped = {a: b for a, b, kind in lineup.edges if kind == "shipped-as"}
    neighbours = ((predecessors, "lineup.predecessor"), (successors, "lineup.successor"), (shipped, "lineup.shipped_as"))

    def entry(node: Node, others: tuple) -> tuple[str, str]:
        """Return a device's entry in the list, and its sentence in the picture's description."""
        verdict = labels["lineup.evidence"].format(label=node.label, evidence=node.evidence) if node.evidence else node.label
        notes: list[Markup | str] = [labels["lineup.europe"].format(label=verdict)]
        for word, other, name in others:
            # f-strings and str.format on escaped text: Markup.format costs ten times as much, for the same markup
            named = f'<a href="{escape(link(f"devices/{other}/"))}">{escape(name)}</a>'
            notes.append(Markup(str(escape(labels[word])).format(name=named)))
        text = Markup("; ").join(escape(n) for n in notes)
        return f'<li><a href="{escape(link(node.href))}">{escape(node.name)}</a>: {text}</li>', (
            f"{node.name}: {labels['lineup.europe'].format(label=node.label)}."
        )

    groups = []
    verdicts = []
    for group in lineup.groups:
        items = []
        for node in group.nodes:
            others = tuple((word, table[node.id], lineup.names[table[node.id]]) for table, word in neighbours if node.id in table)
            item, sentence = piece(("entry", node, others), functools.partial(entry, node, others))
            items.append(item)
            verdicts.append(sentence)
        name = group.series or labels["lineup.no_series"]
        groups.append(f"<li>{escape(name)}<ul>{''.join(items)}</ul></li>")
    legend = [
        ("pic-key-successor", "lineup.legend.successor"),
        ("pic-key-shipped", "lineup.legend.shipped_as"),
        ("pic-key-unannounced", "lineup.legend.unannounced"),
    ]
    desc = " ".join([labels["lineup.summary"].format(count=count), *verdicts])
    return _figure(
        pid, labels["lineup.title"], desc, (still, linked), height, legend, labels, labels["lineup.text"], f"<ul>{''.join(groups)}</ul>"
    )
