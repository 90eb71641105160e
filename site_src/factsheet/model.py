"""The typed content model: strict, frozen, unknown keys refused. Field names equal the YAML keys."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import Annotated, Literal, Optional
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
_DATE = re.compile(r"^(?:(early|mid|late) )?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATE_PATTERN = _DATE.pattern


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day, optionally narrowed to early, mid or late."""

    year: int
    month: int = 0
    day: int = 0
    part: str = ""

    @functools.cached_property  # sorting thousands of claims asks for it again and again
    def sort_key(self) -> tuple[int, int, int]:
        """Order by what is known: a bare period sorts before the dates inside it, and early, mid
        and late sort as roughly a third of the way in (late March 2022 before May 2022)."""
        third = {"": 0, "early": 1, "mid": 2, "late": 3}[self.part]
        if self.month:
            return (self.year, self.month, self.day or (third * 10 - 5 if third else 0))
        return (self.year, third * 4 - 2 if third else 0, 0)

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
        """Return the date for readers, as precise as it is known: `late March 2022`, `2016`."""
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
        raise ValueError(f"expected a date such as \"2022\", \"2022-07\" or \"late 2022-03\", got {value!r}")
    match = _DATE.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not a date; write \"2022\", \"2022-07\", \"2022-07-05\" or \"late 2022-03\"")
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


def _check_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s<>\"]*", value):  # fullmatch: `$` lets a trailing newline through
        raise ValueError(f"'{value}' is not a web address; only https:// and http:// links are allowed")
    return value


# Control characters and Unicode's non-characters (only a YAML escape such as "\x01" or
# "\uFFFE" can write them) make invalid HTML and XML.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
                     + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)) + "]")


def _check_text(value: str) -> str:
    found = CONTROL.search(value)
    if found:
        what = "control character" if ord(found.group()) < 0xA0 else "non-character"
        raise ValueError(f"the text holds the invisible {what} U+{ord(found.group()):04X} (character {found.start() + 1}); delete it")
    return value


# A base URL ends up in href attributes, robots.txt and the feed: refuse anything that is not
# plainly a web address, or that a browser would read as another host (`//host`, `\host`).
_NOT_IN_BASE_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'<>`\\]")


def check_base_url(value: str) -> str:
    """Return `value` if it is an http(s) address with a host the site may be published at; raise ValueError saying why not."""
    hint = "write it as https://owner.github.io/repo/"
    found = _NOT_IN_BASE_URL.search(value)
    if found:
        raise ValueError(f"the base URL holds {found.group()!r} (character {found.start() + 1}); {hint}")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not value.lower().startswith(parts.scheme.lower() + "://"):
        raise ValueError(f"the base URL '{value}' is not an http:// or https:// address; {hint}")
    try:
        port_ok = parts.port is None or parts.port > 0  # raises ValueError for a port that is no number or out of range
    except ValueError:
        port_ok = False
    if not parts.hostname or not port_ok:
        raise ValueError(f"the base URL '{value}' names no host (or a bad port); {hint}")
    if parts.path.startswith("//"):
        raise ValueError(f"the base URL '{value}' has a path starting with '//', which browsers read as another host; {hint}")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"the base URL '{value}' has a query or fragment ('?' or '#'); {hint}")
    return value


DateValue = Annotated[PartialDate, PlainValidator(parse_partial_date),
                      # What parse_partial_date accepts: the text forms, or a bare year YAML reads as a number.
                      WithJsonSchema({"anyOf": [{"type": "string", "pattern": DATE_PATTERN},
                                                {"type": "integer", "minimum": 1000, "maximum": 9999}],
                                      "description": 'a date as precise as known: "2022", "2022-07", "2022-07-05" or "late 2022-03"'})]
Id = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_check_text)]
Url = Annotated[str, Field(max_length=2_000), AfterValidator(_check_url)]
SeedFile = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]*\.txt$")]
Standing = Literal["official", "report", "rumour", "opinion"]
EuropeAnswer = Literal["no", "expected", "sold", "unclear"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Citation(Strict):
    source: Id = Field(description="id of a file in content/sources/")
    quote: Text = Field(description="verbatim passage of the source, in its language")


class Claim(Strict):
    id: Id = Field(description="unique, kebab-case; the fact's anchor")
    text: Text = Field(description="the fact in the editor's own words, English, inline Markdown")
    date: DateValue = Field(description="when the claim was made, as precise as known")
    date_note: Optional[Text] = Field(None, description="how the date is known, when it is inferred")
    standing: Standing
    europe: Optional[EuropeAnswer] = Field(None, description="this claim's answer to 'will it come to Europe?'")
    contradicts: Optional[Id] = Field(None, description="id of a claim this one disagrees with")
    supersedes: Optional[Id] = Field(None, description="id of an earlier claim this one replaces")
    citations: list[Citation] = Field(min_length=1)


class Event(Claim):
    title: Text
    devices: list[Id] = []


class Relay(Strict):
    name: Text
    via: Optional[Text] = None


class Source(Strict):
    title: Text
    title_note: Optional[Text] = None
    title_en: Optional[Text] = None
    publisher: Optional[Text] = None
    publisher_note: Optional[Text] = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
    published: Optional[DateValue] = None
    published_note: Optional[Text] = None
    file: SeedFile = Field(description="the archived text in seeds/")
    url: Optional[Url] = None
    summary: Optional[Text] = None
    relays: list[Relay] = []


class Device(Strict):
    name: Text
    maker: Text
    series: Optional[Text] = None
    status: Literal["announced", "expected", "rumoured"]
    announced: Optional[DateValue] = None
    announced_note: Optional[Text] = None
    predecessor: Optional[Id] = None
    successor: Optional[Id] = None
    shipped_as: Optional[Id] = Field(None, description="for a rumoured name: the device it shipped as")
    leica: Literal["branded", "not-branded", "expected", "unknown"]
    markets: list[Text] = []
    aka: list[Text] = []
    summary: Optional[Text] = None
    facts: list[Claim] = []


class History(Strict):
    events: list[Event]


class EuropeEntry(Strict):
    device: Id
    reasoning: Text
    claims: list[Id] = []


class Europe(Strict):
    devices: list[EuropeEntry]


class Site(Strict):
    title: Text
    description: Text
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
    base_url: Annotated[str, Field(pattern=r"^(https?://\S+)?$"), AfterValidator(lambda v: v and check_base_url(v))] = ""
    as_of: DateValue


class PageMeta(Strict):
    title: Text
    description: Text


MODELS: dict[str, type[Strict]] = {
    "site": Site, "source": Source, "device": Device,
    "history": History, "europe": Europe, "page": PageMeta,
}
