"""The typed content model: strict, frozen, unknown keys refused. Field names equal the YAML keys."""

from __future__ import annotations

import calendar
import datetime
import functools
import os
import re
from dataclasses import dataclass, replace
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar


# pydantic looks for plugins among every installed package's entry points before it builds the first
# validator (40-70 ms of a small site's cold build); the models here use none. Its own switch, unless
# the user set it.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import pydantic.dataclasses  # noqa: E402
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, TypeAdapter, WithJsonSchema, model_validator  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402

from .urls import check_base_url  # noqa: E402

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_ONE_DATE = r"(?:(early|mid|late) )?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
_DATE = re.compile(rf"^{_ONE_DATE}$")
# One date, or a range of two ("2022-04/2022-06", as in ISO 8601) when the sources only bound it.
_RANGE = re.compile(rf"^\s*{_ONE_DATE}\s*/\s*(?:{_ONE_DATE}|\.\.)\s*$")
DATE_PATTERN = "^{0}(?:/(?:{0}|\\.\\.))?$".format(_ONE_DATE.replace("(early", "(?:early").replace("(\\d", "(?:\\d"))


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day, optionally narrowed to early, mid or late."""

    year: int
    month: int = 0
    day: int = 0
    part: str = ""
    until: PartialDate | None = None  # the end of a range: the date lies somewhere from this one to that
    open_end: bool = False  # a range with no end the sources give: "2022-07/.." is July 2022 or later

    @functools.cached_property  # sorting thousands of claims asks for it again and again
    def sort_key(self) -> tuple[int, int, int]:
        """Order by what is known: a bare period sorts before the dates inside it, and early, mid
        and late sort as roughly a third of the way in (late March 2022 before May 2022)."""
        third = {"": 0, "early": 1, "mid": 2, "late": 3}[self.part]
        if self.month:
            return (self.year, self.month, self.day or (third * 10 - 5 if third else 0))
        return (self.year, third * 4 - 2 if third else 0, 0)

    @functools.cached_property
    def first_day(self) -> datetime.date:
        """Return the first day the date may mean: "2022-07" is 1 July, "late 2022" 1 September."""
        if self.day:
            return datetime.date(self.year, self.month, self.day)
        if self.month:
            return datetime.date(self.year, self.month, {"": 1, "early": 1, "mid": 11, "late": 21}[self.part])
        return datetime.date(self.year, {"": 1, "early": 1, "mid": 5, "late": 9}[self.part], 1)

    @functools.cached_property
    def last_day(self) -> datetime.date:
        """Return the last day the date may mean: "2022-07" is 31 July, "2022-04/2022-06" 30 June."""
        if self.open_end:
            return datetime.date.max
        if self.until is not None:
            return self.until.last_day
        if self.day:
            return self.first_day
        if self.month:
            end = calendar.monthrange(self.year, self.month)[1]
            return datetime.date(self.year, self.month, {"": end, "early": 10, "mid": 20, "late": end}[self.part])
        month = {"": 12, "early": 4, "mid": 8, "late": 12}[self.part]
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def written(self) -> str:
        """Return the date as editors write it: `2022-07`, `late 2022-03`, `2022-04/2022-06`."""
        text = f"{self.part} {self.iso}" if self.part else self.iso
        if self.open_end:
            return f"{text}/.."
        return f"{text}/{self.until.written}" if self.until is not None else text

    @property
    def iso(self) -> str:
        """Return the plain date as written, without the part: `2022-03`."""
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
        if self.day:
            text += f"-{self.day:02d}"
        return text

    @functools.cached_property  # the feed's date for every claim, and the newest of them all
    def iso_full(self) -> str:
        """Return the earliest full day the date may mean, for feeds and sitemaps."""
        return f"{self.year:04d}-{self.month or 1:02d}-{self.day or 1:02d}"

    def __str__(self) -> str:
        """Return the date for readers, as precise as it is known: `late March 2022`, `2016`, `April–June 2022`."""
        if self.open_end:
            return f"{replace(self, open_end=False)} or later"
        end = self.until
        if end is not None:
            if end.year == self.year and self.month and end.month and not (self.day or end.day):
                first = f"{self.part} " if self.part else ""
                last = f"{end.part} " if end.part else ""
                return f"{first}{MONTHS[self.month - 1]}–{last}{MONTHS[end.month - 1]} {self.year}"
            return f"{replace(self, until=None)} – {end}"
        text = str(self.year)
        if self.month:
            text = f"{MONTHS[self.month - 1]} {text}"
        if self.day:
            text = f"{self.day} {text}"
        return f"{self.part} {text}" if self.part else text


def parse_partial_date(value: object) -> PartialDate:
    """Return the PartialDate a YAML value means; raise ValueError saying how to write one."""
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f'expected a date such as "2022", "2022-07" or "late 2022-03", got {value!r}')
    return _parse_date_text(value)


# A large site writes the same few hundred dates tens of thousands of times: each text is parsed
# once, and its PartialDate (frozen, its sort key cached on it) shared. Errors are not cached.
@functools.lru_cache(maxsize=1 << 16)
def _parse_date_text(value: str) -> PartialDate:
    if _RANGE.match(value):
        return parse_date_range(value)
    match = _DATE.match(value.strip())
    if not match:
        raise ValueError(f'\'{value}\' is not a date; write "2022", "2022-07", "2022-07-05" or "late 2022-03"')
    part, year, month, day = match.groups()
    month_number, day_number = int(month or 0), int(day or 0)
    if month and not 1 <= month_number <= 12:
        raise ValueError(f"'{value}' has no month {month}; months run from 01 to 12")
    if day:
        try:
            datetime.date(int(year), month_number, day_number)
        except ValueError:
            raise ValueError(f"'{value}' is not a day of the calendar") from None
        if part:
            raise ValueError(f"'{value}': early/mid/late narrows a month or a year, not a day; drop the word")
    return PartialDate(int(year), month_number, day_number, part or "")


def parse_date_range(value: str) -> PartialDate:
    """Return the range "2022-04/2022-06" means; raise ValueError when either end is no date or it runs backwards."""
    first, _, last = value.partition("/")
    start = parse_partial_date(first)
    if last.strip() == "..":  # ISO 8601's open end: the sources say only "not before"
        return replace(start, open_end=True)
    end = parse_partial_date(last)
    if end.last_day < start.first_day:
        raise ValueError(f"'{value}' ends before it starts; write the earlier date first")
    if (start.first_day, start.last_day) == (end.first_day, end.last_day):
        raise ValueError(f"'{value}' starts and ends on the same date; write it once: \"{first.strip()}\"")
    return replace(start, until=end)


def _check_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s<>\"]*", value):  # fullmatch: `$` lets a trailing newline through
        raise ValueError(f"'{value}' is not a web address; only https:// and http:// links are allowed")
    return value


# Control characters and Unicode's non-characters (only a YAML escape such as "\x01" or
# "\uFFFE" can write them) make invalid HTML and XML.
CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


# The same characters found with one class holding every character beyond U+FFFF, then those that
# are no non-character passed over: a class listing the 34 non-characters there is matched
# character by character against each of them, a tenth of a build's validation.
_CONTROL_OR_ASTRAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]")


def find_control(text: str) -> re.Match[str] | None:
    """Return the first control character or non-character in `text`, as CONTROL.search does."""
    found = _CONTROL_OR_ASTRAL.search(text)
    while found is not None and ord(found.group()) > 0xFFFF and ord(found.group()) & 0xFFFE != 0xFFFE:
        found = _CONTROL_OR_ASTRAL.search(text, found.end())
    return found


def _check_text(value: str) -> str:
    found = find_control(value)
    if found:
        what = "control character" if ord(found.group()) < 0xA0 else "non-character"
        raise ValueError(f"the text holds the invisible {what} U+{ord(found.group()):04X} (character {found.start() + 1}); delete it")
    return value


# A base URL ends up in href attributes, robots.txt and the feed: refuse anything that is not
# plainly a web address, or that a browser would read as another host (`//host`, `\host`).
DateValue = Annotated[
    PartialDate,
    PlainValidator(parse_partial_date),
    # What parse_partial_date accepts: the text forms, or a bare year YAML reads as a number.
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": DATE_PATTERN}, {"type": "integer", "minimum": 1000, "maximum": 9999}],
            "description": 'a date as precise as known: "2022", "2022-07", "2022-07-05", "late 2022-03", or a range the sources bound it by: "2022-04/2022-06", "2022-07/.." (July 2022 or later)',
        }
    ),
]
Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_check_text)]
Url = Annotated[str, Field(max_length=2_000), AfterValidator(_check_url)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
SeedFile = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]*\.txt$")]
Standing = Literal["official", "report", "rumour", "opinion"]
EuropeAnswer = Literal["no", "expected", "sold", "unclear"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Record:
    """A slotted, frozen record that pydantic validates as it does a Strict model, for what a site
    holds by the thousand (devices, their facts and citations, Europe answers): a model keeps a dict and a set
    of its fields per object, ten times a record's size. Same class API: model_fields, model_validate."""

    __slots__ = ()
    model_fields: ClassVar[dict[str, FieldInfo]]
    __pydantic_validator__: ClassVar[Any]

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return cls.__pydantic_validator__.validate_python(data)

    @classmethod
    def model_json_schema(cls, ref_template: str) -> dict[str, Any]:
        return TypeAdapter(cls).json_schema(ref_template=ref_template)


MODEL_CLASSES = (BaseModel, Record)  # the classes whose fields name a file's keys

R = TypeVar("R", bound=type[Record])


def record(cls: R) -> R:
    """Make `cls` a Record. Not `strict` as the models are: a strict dataclass takes only an instance,
    not a mapping; for the values YAML gives (text, numbers, booleans, dates, lists, mappings) the
    fields refuse exactly what a strict model's do (tests/test_validate.py)."""
    lean: Any = pydantic.dataclasses.dataclass(config=ConfigDict(extra="forbid"), frozen=True, slots=True, kw_only=True)(cls)
    lean.model_fields = lean.__pydantic_fields__
    return lean


@record
class Citation(Record):
    source: Id = Field(description="id of a file in content/sources/")
    quote: Text = Field(description="verbatim passage of the source, in its language")
    translation: Text | None = Field(
        None, description="the site's own English rendering of a quote that is not in English; shown beside it, marked as ours"
    )
    translation_de: Text | None = Field(
        None,
        description="the site's own German rendering of a quote that is not in German, for the German edition; shown beside it, marked as ours",
    )


@record
class Claim(Record):
    id: Id = Field(description="unique, kebab-case; the fact's anchor")
    text: Text = Field(description="the fact in the editor's own words, English, inline Markdown")
    text_de: Text | None = Field(None, description="the same fact in German, for the German edition; inline Markdown")
    date: DateValue = Field(description="when the claim was made, as precise as known")
    date_note: Text | None = Field(None, description="how the date is known, when it is inferred")
    date_note_de: Text | None = Field(None, description="date_note in German")
    standing: Standing = Field(
        description="official (the maker or its people said it), report (a news outlet reports it), rumour or opinion"
    )
    europe: EuropeAnswer | None = Field(None, description="this claim's answer to 'will it come to Europe?'")
    contradicts: Id | None = Field(None, description="id of a claim this one disagrees with")
    supersedes: Id | None = Field(None, description="id of an earlier claim this one replaces")
    citations: list[Citation] = Field(min_length=1, description="at least one {source, quote}: the passages that back the claim")


@record
class Event(Claim):
    title: Text = Field(description="a short headline for the timeline")
    title_de: Text | None = Field(None, description="the headline in German, for the German edition")
    devices: list[Id] = Field([], description="ids of the devices the event concerns")
    partnership: Annotated[Text, Field(max_length=80)] | None = Field(
        None,
        description='the camera partnership the entry is about, named by its companies, e.g. "Huawei–Leica": '
        "entries naming the same partnership share one bar of the timeline picture",
    )
    partnership_marks: Literal["start", "end"] | None = Field(
        None, description="whether the entry marks the partnership's start or its (perhaps only likely) end; needs `partnership`"
    )

    @model_validator(mode="after")
    def _marks_need_a_partnership(self) -> Event:
        if self.partnership_marks and not self.partnership:
            raise ValueError("`partnership_marks` needs `partnership:` naming the partnership it marks")
        return self


class Relay(Strict):
    name: Text = Field(description="whose words the article passes on, e.g. Android Authority")
    via: Text | None = Field(None, description="through what, e.g. a statement by a Xiaomi spokesperson")
    via_de: Text | None = Field(None, description="via in German")


class Source(Strict):
    title: Text = Field(description="the headline as printed, in the article's language")
    title_note: Text | None = Field(None, description="a remark on the headline, e.g. that it asks a question the article answers")
    title_en: Text | None = Field(None, description="the headline in English, when the article is in another language")
    title_de: Text | None = Field(
        None, description="the headline in German, when the article is in another language (shown on the German edition)"
    )
    title_note_de: Text | None = Field(None, description="title_note in German")
    publisher: Text | None = Field(None, description="who published the article")
    publisher_note: Text | None = Field(None, description="how the publisher is known, when the text does not say")
    publisher_note_de: Text | None = Field(None, description="publisher_note in German")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = Field(
        description="the language the article is written in: a code such as de, en or it"
    )
    published: DateValue | None = Field(None, description="when it was published, as precise as known")
    published_note: Text | None = Field(None, description="how that date was found, when the text does not print it")
    published_note_de: Text | None = Field(None, description="published_note in German")
    file: SeedFile = Field(description="the archived text in seeds/")
    sha256: Sha256 | None = Field(
        None, description="SHA-256 of the archived file's bytes: the build refuses a text that changed since it was pinned"
    )
    url: Url | None = Field(None, description="where the article was originally published (https://...)")
    summary: Text | None = Field(None, description="two or three sentences on what the article says")
    summary_de: Text | None = Field(None, description="the summary in German, for the German edition")
    relays: list[Relay] = Field([], description="whose words the article passes on, and through what")


@record
class Device(Record):
    name: Text = Field(description="the name as sold, e.g. Xiaomi 12S Ultra")
    maker: Text = Field(description="who makes it, e.g. Xiaomi")
    series: Text | None = Field(None, description="the series it belongs to, e.g. Xiaomi 12S series")
    series_de: Text | None = Field(None, description="the series in German, e.g. Xiaomi-12S-Serie")
    status: Literal["announced", "expected", "rumoured"] = Field(
        description="announced (presented by the maker), expected (the maker said it is coming) or rumoured (only reported)"
    )
    announced: DateValue | None = Field(None, description="when it was announced, as precise as known")
    announced_note: Text | None = Field(None, description="how that date was found, when no source prints it")
    announced_note_de: Text | None = Field(None, description="announced_note in German")
    predecessor: Id | None = Field(None, description="id of the device before it in the line")
    successor: Id | None = Field(None, description="id of the device after it; the two files should name each other")
    shipped_as: Id | None = Field(None, description="for a rumoured name: the device it shipped as")
    leica: Literal["branded", "not-branded", "expected", "unknown"] = Field(description="Leica branding on the device")
    markets: list[Text] = Field([], description="where it is sold, e.g. [Mainland China]")
    markets_de: list[Text] | None = Field(None, description="the markets in German, in the same order, e.g. [Festlandchina]")
    aka: list[Text] = Field([], description="other names it goes by")
    summary: Text | None = Field(None, description="two or three sentences for the top of its page; inline Markdown")
    summary_de: Text | None = Field(None, description="the summary in German, for the German edition; inline Markdown")
    facts: list[Claim] = Field([], description="the facts about the device, each backed by citations")


class History(Strict):
    events: list[Event] = Field(
        description="the dated events of the camera partnerships, each dated by when it happened, as precisely as the sources give it"
    )
    background: list[Event] = Field(
        [], description="facts the sources give with no date of their own; `date` is when the article reported them"
    )


@record
class EuropeEntry(Record):
    device: Id = Field(description="id of a file in content/devices/")
    reasoning: Text = Field(description="the answer's reasoning in the editor's own words, inline Markdown")
    reasoning_de: Text | None = Field(None, description="the reasoning in German, for the German edition; inline Markdown")
    reading: Text | None = Field(
        None,
        description='how the site reads the deciding claims for Europe, where they do not name Europe ("global", "international"), or only imply a sale',
    )
    reading_de: Text | None = Field(None, description="the reading in German, for the German edition; inline Markdown")
    claims: list[Id] = Field([], description="ids of the facts and events the answer rests on, in any order")


class Europe(Strict):
    devices: list[EuropeEntry] = Field(description="one entry per device: will it come to Europe?")


class Site(Strict):
    title: Text = Field(description="the site's name, in every page title")
    description: Text = Field(description="one sentence on what the site is, for search engines and link previews")
    title_de: Text | None = Field(None, description="the site's name on the German edition")
    description_de: Text | None = Field(None, description="the description in German, for the German edition")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = Field(description="the site's language: a code such as en")
    base_url: Annotated[str, Field(pattern=r"^(https?://\S+)?$"), AfterValidator(lambda v: v and check_base_url(v))] = Field(
        "", description="the address the site is published at, e.g. https://owner.github.io/repo/; empty leaves absolute links out"
    )
    as_of: DateValue = Field(description="the date the facts are current as of")
    translations: list[Literal["de"]] = Field(
        [], description="the editions besides English, each under its own folder: [de] publishes the German edition under de/"
    )


class PageMeta(Strict):
    title: Text = Field(description="the page's title")
    description: Text = Field(description="one sentence on the page, for search engines and link previews")


MODELS: dict[str, type[Strict] | type[Record]] = {
    "site": Site,
    "source": Source,
    "device": Device,
    "history": History,
    "europe": Europe,
    "page": PageMeta,
}
