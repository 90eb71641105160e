"""Stage 1, load: read the YAML content with the position of every key and value, and the seeds."""

from __future__ import annotations

import unicodedata
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
MAX_DEPTH = 40

# Which files the generator reads; anything else under content/ is reported.
CONTENT_LAYOUT = {
    "site.yaml": "site",
    "history.yaml": "history",
    "europe.yaml": "europe",
    "sources/*.yaml": "source",
    "devices/*.yaml": "device",
    "pages/*.md": "page",
}


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
    values: dict[tuple, Position] = field(default_factory=dict)
    keys: dict[tuple, Position] = field(default_factory=dict)
    plain: dict[tuple, str] = field(default_factory=dict)  # as written, for values YAML did not read as text
    body: str = ""  # Markdown pages: the text after the front matter
    body_line: int = 0  # the line the body starts on, for problems inside it
    line_offset: int = 0

    def position(self, path: tuple, key: bool = False) -> Position:
        """Return the position of the value at `path` (or its key), else of its nearest parent."""
        table = self.keys if key else self.values
        while path:
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), Position(1, 1))

    def problem(self, path: tuple, message: str, *, key: bool = False, severity: str = "error") -> Problem:
        pos = self.position(path, key)
        return Problem(self.path, pos.line, pos.column, message, severity)

    @property
    def stem(self) -> str:
        return Path(self.path).stem


@dataclass
class RawContent:
    documents: list[Document]
    texts: dict[str, str]  # seed file name -> its text, NFC-normalised
    problems: list[Problem]


class _Refused(Exception):
    def __init__(self, node: yaml.Node, message: str):
        self.node = node
        self.message = message


def _position(node: yaml.Node, offset: int = 0) -> Position:
    return Position(node.start_mark.line + 1 + offset, node.start_mark.column + 1)


def _build(node: yaml.Node, path: tuple, doc: Document, offset: int, budget: list[int]) -> Any:
    """Turn a composed node into plain data, recording positions; refuse duplicate keys and bombs."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(node, f"too many values (over {MAX_NODES:,}); is this an alias bomb? split or simplify the file")
    if len(path) > MAX_DEPTH:
        raise _Refused(node, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
    doc.values[path] = _position(node, offset)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(key_node, "a key must be plain text")
            key = _scalar(key_node)
            if isinstance(key, bool) or key is None:
                key = key_node.value  # `on:` or `no:` as a key still means the word
            if key in result:
                first = doc.keys[path + (key,)]
                raise _Refused(key_node, f"duplicate key '{key}' (first at line {first.line}); YAML keeps only the last, so remove or rename one")
            doc.keys[path + (key,)] = _position(key_node, offset)
            result[key] = _build(value_node, path + (key,), doc, offset, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, offset, budget) for i, item in enumerate(node.value)]
    if node.tag != "tag:yaml.org,2002:str":
        doc.plain[path] = node.value
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    if node.tag not in _PLAIN_TAGS:
        raise _Refused(node, f"unsupported YAML tag {node.tag!r}; write plain text instead")
    try:
        return _constructor.construct_object(node)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise _Refused(node, f"cannot read this value ({exc}); put it in quotes if it is text") from None


def parse_yaml(text: str, path: str, kind: str, offset: int = 0) -> tuple[Document | None, list[Problem]]:
    """Return the document parsed from `text`, or None and the problems that stopped it."""
    doc = Document(path, kind, None, line_offset=offset)
    try:
        refused = _check_shape(text, path, offset)
        if refused:
            return None, [refused]
        node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        # A character YAML does not accept: point at its first occurrence.
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        line, col = _offset_position(text, max(text.find(chr(code)), 0), offset)
        return None, [Problem(path, line, col, f"character U+{code:04X} is not allowed in YAML ({exc.reason}); delete it")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        last = text.count("\n") + 1
        if line > last:  # at the end of the text libyaml points past the last line: show where that line ends
            line, col = last, len(text) - text.rfind("\n")
        return None, [Problem(path, line + offset, col, f"YAML syntax error: {what}; check the indentation and quotes here")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, 1, f"YAML error: {exc}")]
    if node is None:
        return None, [Problem(path, 1, 1, "the file has no data; fill it in or delete it")]
    try:
        doc.data = _build(node, (), doc, offset, [MAX_NODES])
    except _Refused as exc:
        pos = _position(exc.node, offset)
        return None, [Problem(path, pos.line, pos.column, exc.message)]
    except RecursionError:
        return None, [Problem(path, 1, 1, "nested too deeply; flatten the data")]
    return doc, []


def _check_shape(text: str, path: str, offset: int) -> Problem | None:
    """Return a problem if the YAML nests deeper than MAX_DEPTH or has more than MAX_NODES values.

    Runs on the parser's events before composing: libyaml's composer recurses in C and
    crashes the interpreter on a few thousand nested brackets, which no except can catch.
    """
    depth = events = 0
    for event in yaml.parse(text, Loader=_Loader):
        events += 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Problem(path, mark.line + 1 + offset, mark.column + 1, f"nested more than {MAX_DEPTH} levels deep; flatten the data")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if events > MAX_NODES * 2:  # a key and its value are two events
            mark = event.start_mark
            return Problem(path, mark.line + 1 + offset, mark.column + 1, f"too many values (over {MAX_NODES:,}); split or simplify the file")
    return None


def _offset_position(text: str, at: int, offset: int) -> tuple[int, int]:
    before = text[:at]
    return before.count("\n") + 1 + offset, at - (before.rfind("\n") + 1) + 1


def read_text(file: Path, shown: str) -> tuple[str | None, list[Problem]]:
    """Return the file's text decoded as UTF-8 (without a BOM), or None and a located problem."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            return None, [Problem(shown, 1, 1, f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB; content files are small, split it")]
        raw = file.read_bytes()
    except OSError as exc:
        return None, [Problem(shown, 0, 0, f"cannot read the file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [Problem(shown, line, column, f"not UTF-8 text (byte 0x{raw[exc.start]:02X}); save the file as UTF-8")]
    if not text.strip():
        return None, [Problem(shown, 1, 1, "the file is empty; fill it in or delete it")]
    return text, []


def _parse_page(text: str, path: str) -> tuple[Document | None, list[Problem]]:
    """Split a Markdown page into its YAML front matter and body."""
    lines = text.split("\n")
    if lines[0].strip() != "---" or "---" not in [l.strip() for l in lines[1:]]:
        return None, [Problem(path, 1, 1, "a page starts with front matter: a line '---', 'title: ...', and another '---'")]
    end = 1 + [l.strip() for l in lines[1:]].index("---")
    doc, problems = parse_yaml("\n".join(lines[1:end]), path, "page", offset=1)
    if doc is not None:
        doc.body = "\n".join(lines[end + 1 :])
        doc.body_line = end + 2
    return doc, problems


def _content_kind(relative: Path) -> str | None:
    for pattern, kind in CONTENT_LAYOUT.items():
        if relative.match(pattern) and len(relative.parts) == len(Path(pattern).parts):
            return kind
    return None


def load_tree(project: Path) -> RawContent:
    """Return every content document with positions, the seed texts, and the problems met on the way."""
    content_dir = project / "content"
    seeds_dir = project / "seeds"
    documents: list[Document] = []
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return RawContent([], {}, [Problem("content", 0, 0, "no content/ folder here; run the command from the project folder")])
    for file in sorted(content_dir.rglob("*")):
        relative = file.relative_to(content_dir)
        shown = file.relative_to(project).as_posix()
        if any(part.startswith(".") for part in relative.parts):
            continue
        if not _inside(file, content_dir):  # a link, or a file inside a linked folder
            problems.append(Problem(shown, 1, 1, "a link to a file outside content/; copy the file in instead"))
            continue
        if file.is_dir():
            continue
        if not file.is_file():  # a pipe or a device would block or never end
            problems.append(Problem(shown, 1, 1, "not a regular file; content/ holds only text files"))
            continue
        kind = _content_kind(relative)
        if kind is None:
            problems.append(Problem(shown, 1, 1, _unread_hint(relative)))
            continue
        text, read_problems = read_text(file, shown)
        problems += read_problems
        if text is None:
            continue
        doc, parse_problems = _parse_page(text, shown) if kind == "page" else parse_yaml(text, shown, kind)
        problems += parse_problems
        if doc is not None:
            documents.append(doc)
    texts: dict[str, str] = {}
    for seed in sorted(seeds_dir.glob("*.txt")) if seeds_dir.is_dir() else []:
        if not _inside(seed, seeds_dir):
            problems.append(Problem(seed.relative_to(project).as_posix(), 1, 1, "a link to a file outside seeds/; copy the file in instead"))
            continue
        if not seed.is_file():
            problems.append(Problem(seed.relative_to(project).as_posix(), 1, 1, "not a regular file; seeds/ holds only text files"))
            continue
        text, read_problems = read_text(seed, seed.relative_to(project).as_posix())
        problems += read_problems
        if text is not None:
            texts[seed.name] = unicodedata.normalize("NFC", text)
    return RawContent(documents, texts, problems)


def _inside(file: Path, folder: Path) -> bool:
    return file.resolve().is_relative_to(folder.resolve())


def _unread_hint(relative: Path) -> str:
    if relative.suffix in (".yml", ".YAML", ".Yaml"):
        return f"the generator reads only '.yaml' files; rename it to '{relative.with_suffix('.yaml').name}'"
    folders = ", ".join(sorted({p.split("/")[0] + "/" for p in CONTENT_LAYOUT if "/" in p}))
    return f"the generator does not read this file; content/ holds site.yaml, history.yaml, europe.yaml and the folders {folders}"
