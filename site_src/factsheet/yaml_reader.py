"""Read YAML with the position of every key and value: the reader behind load's folder walk.

A document is parsed without positions first (most files never need one); they are found
again from the text only when a problem is located in it. A file that loads cleanly is read
by libyaml's composer and a plain walk (`_read_clean`); any other goes to the reader built on
PyYAML's events (`read_events`), the reference, which words every refusal and locates it.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem

# libyaml's C parser when present: same nodes and marks, several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp")}

MAX_FILE_BYTES = 2_000_000
MAX_NODES = 200_000
# europe.yaml answers every device in one file, so it grows with the site (2.7 MB at 20,000 devices):
# it may be larger. Its values stay bounded, so an alias bomb there is refused all the same.
LIMITS = {"europe": (64_000_000, 4_000_000)}


def limits(kind: str) -> tuple[int, int]:
    """Return the most bytes and values a content file of `kind` may have."""
    return LIMITS.get(kind, (MAX_FILE_BYTES, MAX_NODES))


MAX_DEPTH = 40
SHARED_TEXT = 24  # texts up to this long are interned


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class Document:
    """One content file: its data, and where each value (and each mapping key) sits."""

    path: str  # relative to the project, as shown in messages
    kind: str
    data: Any
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # (line, column); see position()
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    plain: dict[tuple, str] = field(default_factory=dict)  # as written, for values YAML did not read as text
    body: str = ""  # Markdown pages: the text after the front matter
    body_line: int = 0  # the line the body starts on, for problems inside it
    line_offset: int = 0
    mtime_ns: int = field(default=0, compare=False)  # when the file was saved: of two duplicate ids, the newer is blamed
    digest: str = field(default="", compare=False)  # of the file's text: what later stages key their cached results by
    # Where the YAML is while positions are not yet recorded: they are found again only when a
    # problem needs one, which saves most of load's time and memory. Its text and line offset, or
    # the file it was read from (load keeps no text: 60 MB at 10,000 devices), read again then.
    source: tuple[str, int] | Path | None = field(default=None, repr=False, compare=False)

    def position(self, path: tuple, key: bool = False) -> Position:
        """Return the position of the value at `path` (or its key), else of its nearest parent."""
        if self.source is not None:
            text, offset = self.source if isinstance(self.source, tuple) else self._read_again(self.source)
            located, _ = parse_yaml(text, self.path, self.kind, offset, positions=True)
            # None only if the file changed since (or no longer is): its problems then have no position.
            self.values, self.keys = (located.values, located.keys) if located is not None else ({}, {})
            self.source = None
        table = self.keys if key else self.values
        while path:
            if path in table:
                return Position(*table[path])
            if path in self.values:
                return Position(*self.values[path])
            path = path[:-1]
        return Position(*self.values.get((), (1, 1)))

    def problem(self, path: tuple, message: str, *, key: bool = False, severity: str = "error", notes: tuple[str, ...] = ()) -> Problem:
        pos = self.position(path, key)
        return Problem(self.path, pos.line, pos.column, message, severity, notes)

    def _read_again(self, file: Path) -> tuple[str, int]:
        """Return the YAML text and its line offset of `file`, as it was read (a changed file as it is now)."""
        text, _ = read_text(file, self.path, limits(self.kind)[0])
        if text is None:
            return "", 0
        if self.kind != "page":
            return text, 0
        found = front_matter(text)
        return (found[0], 1) if found is not None else ("", 0)

    @functools.cached_property  # asked for every file on every rebuild
    def stem(self) -> str:
        return Path(self.path).stem


class _Refused(Exception):
    def __init__(self, mark: Any, message: str):
        self.mark = mark
        self.message = message


_MAPPING, _SEQUENCE, _SCALAR, _ALIAS = yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent, yaml.AliasEvent
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_STR = "tag:yaml.org,2002:str"
_resolver = yaml.resolver.Resolver()


class _Builder:
    """Turn one document's parser events into plain data, recording positions; refuse duplicate keys and bombs.

    Built straight from the events the shape check already read: composing nodes first and
    walking them again cost twice as much. Positions are kept as (line, column) pairs and an
    alias is built again from its anchor's events, as a walk of the composed nodes would.
    """

    def __init__(self, events: list[Any], doc: Document, offset: int, positions: bool, nodes: int = MAX_NODES):
        self.events = events
        self.doc = doc
        self.offset = offset
        self.positions = positions
        self.nodes = self.budget = nodes
        self.anchors: dict[str | None, int] = {}  # an alias event always names its anchor

    def check_anchors(self, first: int) -> None:
        """Raise the composer's errors (undefined alias, duplicate anchor, a second document) in event order."""
        events = self.events
        for i in range(first, len(events)):
            event = events[i]
            kind = type(event)
            if kind is _ALIAS:
                if event.anchor not in self.anchors:
                    raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
            elif kind is _SCALAR or kind is _MAPPING or kind is _SEQUENCE:
                anchor = event.anchor
                if anchor is not None:
                    if anchor in self.anchors:
                        raise yaml.composer.ComposerError(
                            "found duplicate anchor; first occurrence",
                            events[self.anchors[anchor]].start_mark,
                            "second occurrence",
                            event.start_mark,
                        )
                    self.anchors[anchor] = i
            elif kind is yaml.DocumentStartEvent and i > first:
                raise yaml.composer.ComposerError(
                    "expected a single document in the stream", events[first].start_mark, "but found another document", event.start_mark
                )

    def position(self, event: Any) -> tuple[int, int]:
        return (event.start_mark.line + 1 + self.offset, event.start_mark.column + 1)

    def build(self, i: int, path: tuple) -> tuple[Any, int]:
        """Return the value whose events start at index `i`, and the index after them."""
        event: Any = self.events[i]
        if type(event) is _ALIAS:
            return self.build_at(self.anchors[event.anchor], path)[0], i + 1
        return self.build_at(i, path)

    def build_at(self, i: int, path: tuple) -> tuple[Any, int]:
        events, doc = self.events, self.doc
        event: Any = events[i]
        kind = type(event)
        self.budget -= 1
        if self.budget < 0:
            raise _Refused(event.start_mark, f"too many values (over {self.nodes:,}); is this an alias bomb? split or simplify the file")
        if len(path) > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
        if self.positions:
            doc.values[path] = self.position(event)
        if kind is _MAPPING:
            result: dict[Any, Any] = {}
            i += 1
            while type(events[i]) is not yaml.MappingEndEvent:
                key_event = events[i]
                if type(key_event) is _ALIAS:
                    key_event = events[self.anchors[key_event.anchor]]
                if type(key_event) is not _SCALAR:
                    raise _Refused(key_event.start_mark, "a key must be plain text")
                key = self.scalar(key_event, _tag(key_event))
                if isinstance(key, bool) or key is None:
                    key = key_event.value  # `on:` or `no:` as a key still means the word
                if type(key) is str:
                    key = sys.intern(key)  # one string for each key: libyaml makes a new one each time it is written
                key_path = path + (key,)
                if key in result:
                    if not self.positions:
                        raise _Refused(key_event.start_mark, "")  # parsed again with positions for the message
                    first = doc.keys[key_path]
                    raise _Refused(
                        key_event.start_mark,
                        f"duplicate key '{key}' (first at line {first[0]}); YAML keeps only the last, so remove or rename one",
                    )
                if self.positions:
                    doc.keys[key_path] = self.position(key_event)
                result[key], i = self.build(i + 1, key_path)
            return result, i + 1
        if kind is _SEQUENCE:
            items: list[Any] = []
            i += 1
            while type(events[i]) is not yaml.SequenceEndEvent:
                item, i = self.build(i, path + (len(items),))
                items.append(item)
            return items, i + 1
        tag = _tag(event)
        if tag != _STR:
            doc.plain[path] = event.value
        return self.scalar(event, tag), i + 1

    @staticmethod
    def scalar(event: Any, tag: str) -> Any:
        if tag == _STR:
            # Short texts repeat (a standing, a source id): one string each, shared across the files a load worker sends back together.
            return sys.intern(event.value) if len(event.value) <= SHARED_TEXT else event.value
        if tag not in _PLAIN_TAGS:
            raise _Refused(event.start_mark, f"unsupported YAML tag {tag!r}; write plain text instead")
        try:
            return _construct(tag, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise _Refused(event.start_mark, f"cannot read this value ({exc}); put it in quotes if it is text") from None


def _construct(tag: str, node: yaml.ScalarNode) -> Any:
    """Return a plain scalar's value (a bool, number, date or None) as PyYAML's safe loader builds it.

    The constructor is called for the tag straight away: its `construct_object` keeps every node
    it was given (a cache for a document's aliases), which in a reader shared by every file held
    each number, date and `no` ever read.
    """
    return _constructor.yaml_constructors[tag](_constructor, node)


_plain_tags: dict[str, str] = {}  # short plain scalars (keys above all) -> their resolved tag


def _tag(event: Any) -> str:
    """Return a scalar's tag as the composer resolves it: explicit, else by its look if unquoted."""
    tag = event.tag
    if tag is not None and tag != "!":
        return tag
    if tag is None and not event.implicit[0]:
        return _STR  # quoted: always text
    value = event.value
    if tag is None and len(value) <= 32:
        cached = _plain_tags.get(value)
        if cached is None:
            cached = _plain_tags[value] = _resolver.resolve(yaml.ScalarNode, value, event.implicit)
        return cached
    return _resolver.resolve(yaml.ScalarNode, value, event.implicit)


# The quick read: libyaml's composer builds the node tree in C, and a plain walk turns it into
# data. It reads files that load cleanly only; anything the events reader below would refuse or
# word (a duplicate key, a tag, a bomb, a syntax error...) is handed to that reader, which stays
# the reference (tests/test_yaml_quick.py holds the two to the same data).
_COMPOSER_DEPTH = 2_000  # collections the C composer may nest: it recurses in C, past ~20,000 on an 8 MB stack it crashes
_NESTING_MARKS = "[{-?:"  # every collection starts at one of these characters, so they bound its depth


class _Composer(_Loader):  # type: ignore[valid-type,misc]
    """libyaml's composer, with tag resolution left to the walk.

    The composer asks the resolver about every node, a Python call each: `slice` keeps the
    question (kind, value, implicit) in a C call instead, and the walk resolves plain scalars only.
    """

    resolve = staticmethod(slice)
    descend_resolver = staticmethod(slice)
    ascend_resolver = staticmethod(tuple)


class _Unclean(Exception):
    """The quick read met something the reference reader is to judge."""


_SCALAR_NODE, _MAPPING_NODE = yaml.ScalarNode, yaml.MappingNode


def _node_tag(node: yaml.ScalarNode) -> str:
    """Return a composed scalar's tag as `_tag` resolves the event's: explicit, else by its look if unquoted."""
    tag: Any = node.tag
    if type(tag) is not slice:
        return tag  # explicit: the composer resolves only untagged and `!` scalars
    if not tag.step[0]:
        return _STR  # quoted (or `!`): always text
    value = node.value
    if len(value) <= 32:
        cached = _plain_tags.get(value)
        if cached is None:
            cached = _plain_tags[value] = _resolver.resolve(yaml.ScalarNode, value, (True, False))
        return cached
    return _resolver.resolve(yaml.ScalarNode, value, (True, False))


def _text(node: Any) -> str | None:
    """Return a node's text if it is a scalar read as text (quoted, or plain and resolved so before), else None.

    Most values are text: this is the walk's common case, kept to one call.
    """
    if type(node) is not _SCALAR_NODE:
        return None
    question: Any = node.tag  # what `resolve` was asked (see _Composer)
    if type(question) is slice and (not question.step[0] or _plain_tags.get(node.value) == _STR):
        return node.value
    return None


def _shared(text: str) -> str:
    return sys.intern(text) if len(text) <= SHARED_TEXT else text


class _Walk:
    """Turn a composed node tree into the data the reference reader builds, and its `plain` texts.

    The reference refuses over `nodes` values (an alias built again counts again) or twice as
    many parser events: both are counted, events as if every alias were written out. A
    collection counts its items as values and as one event each (a mapping its keys too); an item
    that is a collection adds its end event.
    """

    def __init__(self, nodes: int):
        self.values = nodes - 1  # the root
        self.events = 2 * nodes - 5  # the root, the stream's and the document's start and end
        self.plain: dict[tuple, str] = {}

    def within_limits(self) -> bool:
        return self.values >= 0 and self.events >= 0

    def scalar(self, node: yaml.ScalarNode, path: tuple | None) -> Any:
        """Return a scalar's value; a value that is no text keeps its text as written in `plain` (at `path`, None for a key)."""
        tag = _node_tag(node)
        value = node.value
        if tag == _STR:
            return _shared(value)
        if tag not in _PLAIN_TAGS:
            raise _Unclean
        try:
            result = _construct(tag, node)
        except (yaml.YAMLError, ValueError, OverflowError):
            raise _Unclean from None
        if path is not None:
            self.plain[path] = value
        return result

    def key(self, node: Any) -> Any:
        if type(node) is not _SCALAR_NODE:
            raise _Unclean
        key = self.scalar(node, None)
        if isinstance(key, bool) or key is None:
            return node.value  # `on:` or `no:` as a key still means the word
        return sys.intern(key) if type(key) is str else key

    def value(self, node: Any, path: tuple) -> Any:
        """Return the value of `node` at `path`; an alias is built again, as the reference does."""
        if type(node) is _SCALAR_NODE:
            return self.scalar(node, path)
        if not self.within_limits() or len(path) >= MAX_DEPTH - 1:
            raise _Unclean
        pairs_or_items = node.value
        self.values -= len(pairs_or_items)
        self.events -= len(pairs_or_items) + 1  # its items and its end
        if type(node) is _MAPPING_NODE:
            self.events -= len(pairs_or_items)  # the keys
            result: dict[Any, Any] = {}
            for key_node, value_node in pairs_or_items:
                key = _text(key_node)
                key = sys.intern(key) if key is not None else self.key(key_node)
                if key in result:
                    raise _Unclean
                text = _text(value_node)
                result[key] = _shared(text) if text is not None else self.value(value_node, path + (key,))
            return result
        items: list[Any] = []
        for item in pairs_or_items:
            text = _text(item)
            items.append(_shared(text) if text is not None else self.value(item, path + (len(items),)))
        return items


def _read_clean(text: str, nodes: int) -> tuple[Any, dict[tuple, str]] | None:
    """Return a cleanly loading YAML text's data and the `plain` texts of its values, else None."""
    if sum(map(text.count, _NESTING_MARKS)) > _COMPOSER_DEPTH:
        return None  # may nest too deep for the C composer: the reference reads it
    try:
        root = _Composer(text).get_single_node()
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    walk = _Walk(nodes)
    try:
        data = walk.value(root, ())
    except _Unclean:
        return None
    return (data, walk.plain) if walk.within_limits() else None


def parse_yaml(text: str, path: str, kind: str, offset: int = 0, positions: bool = False) -> tuple[Document | None, list[Problem]]:
    """Return the document parsed from `text`, or None and the problems that stopped it.

    Without `positions`, the document records where its values are the first time it is asked.
    """
    if not positions and _Loader is not yaml.SafeLoader:
        clean = _read_clean(text, limits(kind)[1])
        if clean is not None:
            return Document(path, kind, clean[0], plain=clean[1], line_offset=offset, source=(text, offset)), []
    return read_events(text, path, kind, offset, positions)


def read_events(text: str, path: str, kind: str, offset: int = 0, positions: bool = False) -> tuple[Document | None, list[Problem]]:
    """Return the document built from the parser's events, or None and the problems that stopped it: the reference reader."""
    doc = Document(path, kind, None, line_offset=offset, source=None if positions else (text, offset))
    nodes = limits(kind)[1]
    builder = _Builder([], doc, offset, positions, nodes)
    try:
        refused = _check_shape(text, path, offset, builder.events, nodes)
        if refused:
            return None, [refused]
        first = next((i for i, e in enumerate(builder.events) if type(e) is yaml.DocumentStartEvent), None)
        if first is None:
            return None, [Problem(path, 1, 1, "the file has no data; fill it in or delete it")]
        builder.check_anchors(first)
    except yaml.reader.ReaderError as exc:
        # A character YAML does not accept: point at its first occurrence.
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        line, col = _offset_position(text, max(text.find(chr(code)), 0), offset)
        return None, [Problem(path, line, col, f"character U+{code:04X} is not allowed in YAML ({exc.reason}); delete it")]
    except yaml.MarkedYAMLError as exc:
        line, col, what = explain_yaml_error(text, exc)
        last = text.count("\n") + 1
        if line > last:  # at the end of the text libyaml points past the last line: show where that line ends
            line, col = last, len(text) - text.rfind("\n")
        return None, [Problem(path, line + offset, col, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, 1, f"YAML error: {exc}")]
    try:
        doc.data, _ = builder.build(first + 1, ())
    except _Refused as exc:
        if not positions:
            return read_events(text, path, kind, offset, positions=True)  # the message may name another position
        return None, [Problem(path, exc.mark.line + 1 + offset, exc.mark.column + 1, exc.message)]
    except RecursionError:
        return None, [Problem(path, 1, 1, "nested too deeply; flatten the data")]
    return doc, []


_OPENERS = {"flow sequence": ("[", "]"), "flow mapping": ("{", "}")}
_KEY_LINE = re.compile(r"^[ \t]*(?:- )?[\w-]+:(?:[ \t]|$)", re.MULTILINE)


def explain_yaml_error(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """Return the 1-based line and column of a libyaml error's real cause, and that cause in plain words.

    libyaml often notices a mistake only where it stops making sense (the line after a
    missing colon, the end of the file after an open quote): its context mark, or the
    tokens read so far, point back at the mistake itself.
    """
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at = (mark.line, mark.column) if mark else (0, 0)
    lines = text.split("\n")
    # libyaml also counts a lone CR, U+0085, U+2028 and U+2029 as line breaks: its line may be past the last "\n" line.
    lines += [""] * sum(map(text.count, ("\r", "\x85", "\u2028", "\u2029")))
    here = lines[at[0]] if at[0] < len(lines) else ""
    tab = re.match(r"[ ]*\t", here)
    if tab or "tab" in problem:
        return (
            at[0] + 1,
            (tab.end() if tab else at[1] + 1),
            "a tab indents this line; YAML indents with spaces only, so replace the tab with spaces",
        )
    start = exc.context_mark
    if "simple key" in context and "':'" in problem and start:
        return (
            start.line + 1,
            start.column + 1,
            f"this line has no ':' after its key; write the key, a colon and a space, like '{_with_colon(lines[start.line])}'",
        )
    if "quoted scalar" in context and "end of stream" in problem and start:
        quote = text[start.index] if start.index < len(text) else '"'
        return start.line + 1, start.column + 1, f"the quote opened here is never closed; add the closing {quote}"
    for what, (opener, closer) in _OPENERS.items():
        if what in context and start:
            return start.line + 1, start.column + 1, f"the '{opener}' opened here is never closed; add the closing '{closer}'"
    if "unknown escape" in problem:
        return (
            at[0] + 1,
            at[1] + 1,
            (
                f"'\\{here[at[1] + 1 : at[1] + 2]}' is not an escape sequence in double quotes; "
                "write '\\\\' for a backslash, or use single quotes"
            ),
        )
    tokens = _tokens_before_error(text)
    quoted = next(
        (
            t
            for t in reversed(tokens)
            if isinstance(t, yaml.ScalarToken)
            and t.style in ("'", '"')
            and t.end_mark.line > t.start_mark.line
            and _KEY_LINE.search(text, t.start_mark.index, t.end_mark.index)
        ),
        None,
    )
    if quoted is not None:
        return (
            quoted.start_mark.line + 1,
            quoted.start_mark.column + 1,
            f"the quote opened here is not closed on its line, so the keys after it are read as text; add the closing {quoted.style}",
        )
    if "mapping values are not allowed" in problem:
        scalar = next((t for t in reversed(tokens) if isinstance(t, yaml.ScalarToken)), None)
        if scalar is None or scalar.start_mark.line == at[0]:
            value = here[here.find(": ") + 2 :].strip() if ": " in here else here.strip()
            return at[0] + 1, at[1] + 1, f"a second ': ' in one line; put the value in quotes, like \"{value}\""
        first = lines[scalar.start_mark.line]
        if not first[: scalar.start_mark.column].strip(" -"):  # the text starts its line: a key without its colon
            return (
                scalar.start_mark.line + 1,
                scalar.start_mark.column + 1,
                f"this line has no ':' after its key, so YAML reads it and the next line as one text; write '{_with_colon(first)}'",
            )
        indent = len(here) - len(here.lstrip(" "))
        return (
            at[0] + 1,
            indent + 1,
            f"this key is indented further than the key above it (line {scalar.start_mark.line + 1}); line it up with that key",
        )
    if "expected key" in problem or "expected '-'" in problem:
        since = f" (from line {start.line + 1})" if start else ""
        return at[0] + 1, at[1] + 1, f"this line is not lined up with the lines above it{since}; indent it as they are"
    what = " ".join(s for s in (context, problem) if s)
    return at[0] + 1, at[1] + 1, f"{what}; check the indentation and quotes here"


def _with_colon(line: str) -> str:
    """Return a line's text as the key and value it probably means: `- source x` -> `source: x`."""
    key, _, value = line.strip().removeprefix("- ").partition(" ")
    return f"{key}: {value.strip()}" if value.strip() else f"{key}: ..."


def _tokens_before_error(text: str) -> list:
    """Return the tokens libyaml reads before it stops (the scanner reads further than the parser)."""
    tokens: list = []
    try:
        for token in yaml.scan(text, Loader=_Loader):
            tokens.append(token)
    except yaml.YAMLError:
        pass
    return tokens


def _check_shape(text: str, path: str, offset: int, events: list, nodes: int = MAX_NODES) -> Problem | None:
    """Return a problem if the YAML nests deeper than MAX_DEPTH or has more than MAX_NODES values.

    Collects the parser's events into `events` on the way, for the builder. (libyaml's own
    composer recurses in C and crashes the interpreter on a few thousand nested brackets,
    which no except can catch: the events are read here before anything is built.)
    """
    depth = 0
    limit = nodes * 2  # a key and its value are two events
    event: Any  # libyaml's events always carry their marks
    for event in yaml.parse(text, Loader=_Loader):
        events.append(event)
        kind = type(event)
        if kind is _MAPPING or kind is _SEQUENCE:
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Problem(path, mark.line + 1 + offset, mark.column + 1, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
        elif kind in _ENDS:
            depth -= 1
        if len(events) > limit:
            mark = event.start_mark
            return Problem(path, mark.line + 1 + offset, mark.column + 1, f"too many values (over {nodes:,}); split or simplify the file")
    return None


def _offset_position(text: str, at: int, offset: int) -> tuple[int, int]:
    before = text[:at]
    return before.count("\n") + 1 + offset, at - (before.rfind("\n") + 1) + 1


def read_text(file: Path, shown: str, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, list[Problem]]:
    """Return the file's text decoded as UTF-8 (without a BOM), or None and a located problem."""
    text, _, problems = read_file(file, shown, max_bytes)
    return text, problems


def read_file(file: Path, shown: str, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, bytes, list[Problem]]:
    """Return the file's text decoded as UTF-8 (without a BOM) and the bytes it was decoded from
    (a seed's pin is their digest), or None, the bytes read and a located problem."""
    try:
        if file.stat().st_size > max_bytes:
            return None, b"", [Problem(shown, 1, 1, f"file is larger than {max_bytes // 1_000_000} MB; content files are small, split it")]
        raw = file.read_bytes()
    except OSError as exc:
        return None, b"", [Problem(shown, 0, 0, f"cannot read the file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, raw, [Problem(shown, line, column, f"not UTF-8 text (byte 0x{raw[exc.start]:02X}); save the file as UTF-8")]
    if not text.strip():
        return None, raw, [Problem(shown, 1, 1, "the file is empty; fill it in or delete it")]
    return text, raw, []


def front_matter(text: str) -> tuple[str, int] | None:
    """Return a Markdown page's YAML front matter and the index of the line closing it, or None if it has none."""
    lines = text.split("\n")
    stripped = [line.strip() for line in lines[1:]]
    if lines[0].strip() != "---" or "---" not in stripped:
        return None
    end = 1 + stripped.index("---")
    return "\n".join(lines[1:end]), end


def parse_page(text: str, path: str) -> tuple[Document | None, list[Problem]]:
    """Split a Markdown page into its YAML front matter and body."""
    found = front_matter(text)
    if found is None:
        return None, [Problem(path, 1, 1, "a page starts with front matter: a line '---', 'title: ...', and another '---'")]
    yaml_text, end = found
    doc, problems = parse_yaml(yaml_text, path, "page", offset=1)
    if doc is not None:
        lines = text.split("\n")
        doc.body = "\n".join(lines[end + 1 :])
        doc.body_line = end + 2
    return doc, problems
