"""Stage 2, validate: turn loaded documents into the typed model, collecting every located error."""

from __future__ import annotations

import datetime
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .load import Document, RawContent
from .model import MODELS, Claim, Device, Europe, History, PageMeta, Site, Source
from .problems import ContentError, Problem, did_you_mean

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # always fullmatch: `$` would let a trailing newline through
ID_LENGTH = 80


@dataclass(frozen=True)
class LocatedClaim:
    claim: Claim
    document: Document
    path: tuple  # of the claim inside its document
    owner: str  # "device:<id>" or "history"


@dataclass
class Content:
    """The validated content, with the documents kept so later stages can point at positions."""

    site: Site | None  # None only when its file failed: the build stops after verify then
    sources: dict[str, Source]
    devices: dict[str, Device]
    history: History | None
    europe: Europe | None
    pages: dict[str, tuple[PageMeta, str]]
    texts: dict[str, str]
    documents: dict[str, Document]  # "device:<id>", "source:<id>", "history", "europe", "site", "page:<id>"
    claims: dict[str, LocatedClaim] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)  # documents that did not validate: refs to them are not reported


PATTERN_HINTS = {
    "id": "is not an id; ids are lower-case words and digits joined by hyphens, like 'xiaomi-12s-ultra'",
    "language": "is not a language code; write a code such as 'de' or 'en'",
    "file": "is not a file name in seeds/; write just the name, such as '000_d64c0fbc2d16105a.txt'",
    "base_url": "is not a web address; write it as https://owner.github.io/repo/ or leave it empty",
}
REQUIRED = {"site": "content/site.yaml", "history": "content/history.yaml", "europe": "content/europe.yaml"}


def validate_content(raw: RawContent) -> tuple[Content, list[Problem]]:
    """Return the typed content of every file that validated, and every problem found.

    Files that failed are left out and listed in `failed`, so verify can still check the rest
    without reporting references to them as unknown.
    """
    problems = list(raw.problems)
    models: dict[str, Any] = {}
    documents: dict[str, Document] = {}
    failed: set[str] = set()
    for doc in raw.documents:
        key = doc.kind if doc.kind in REQUIRED else f"{doc.kind}:{doc.stem}"
        documents[key] = doc
        if doc.kind not in REQUIRED and (not ID.fullmatch(doc.stem) or len(doc.stem) > ID_LENGTH):
            # The name is the id and the URL: `beta\n` must not pass for `beta`, nor a name no id can match.
            why = "is not an id; use lower-case words joined by hyphens, like 'xiaomi-12s-ultra'" if ID.fullmatch(doc.stem) is None \
                else f"is longer than the {ID_LENGTH} characters an id may have; shorten it"
            problems.append(doc.problem((), f"file name '{doc.stem}' {why}"))
            failed.add(key)
            continue
        if doc.validated is None:  # a file unchanged since serve's last build keeps its result
            doc.validated = validate_document(doc)
        model, found = doc.validated
        problems += found
        if model is None:
            failed.add(key)
        else:
            models[key] = model
            doc.data = None  # the model holds it all now; a large site is not in memory twice
    loaded = {p.file for p in raw.problems}
    for kind, path in REQUIRED.items():
        if kind not in documents and path not in loaded:
            problems.append(Problem(path, 0, 0, f"missing; the site needs {path}"))
    failed |= {document_key(p.file) for p in raw.problems}
    claims = index_claims(models, documents, problems)
    content = Content(
        site=models.get("site"),
        sources={k.split(":", 1)[1]: v for k, v in models.items() if k.startswith("source:")},
        devices={k.split(":", 1)[1]: v for k, v in models.items() if k.startswith("device:")},
        history=models.get("history"),
        europe=models.get("europe"),
        pages={k.split(":", 1)[1]: (v, documents[k].body) for k, v in models.items() if k.startswith("page:")},
        texts=raw.texts,
        documents=documents,
        claims=claims,
        failed=failed,
    )
    return content, problems


def document_key(path: str) -> str:
    """Return the key a content file is known by: `content/devices/x.yaml` -> `device:x`."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] in ("devices", "sources", "pages"):
        return f"{parts[1][:-1]}:{parts[2].rsplit('.', 1)[0]}"
    return parts[-1].rsplit(".", 1)[0]


def validate_document(doc: Document) -> tuple[Any, list[Problem]]:
    """Return the model for one document, or None and its located problems."""
    model_class = MODELS[doc.kind]
    if not isinstance(doc.data, dict):
        return None, [doc.problem((), f"expected keys and values (such as 'title: ...') at the top of the file, found {describe(doc.data)}")]
    try:
        return model_class.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [explain(error, doc, model_class) for error in exc.errors(include_url=False)]


def explain(error: dict, doc: Document, model_class: type[BaseModel]) -> Problem:
    """Return one pydantic error as a located problem in the editor's terms, with a hint."""
    loc = clean_loc(doc.data, error["loc"])
    kind = error["type"]
    value = error.get("input")
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        choices = fields_at(model_class, loc[:-1])
        return doc.problem(loc, f"unknown key '{name}'{did_you_mean(name, choices)}; allowed here: {', '.join(choices)}", key=True)
    if kind == "missing":
        missing = str(error["loc"][-1])
        if missing == "citations":
            return doc.problem(loc, "a fact with no citation; add 'citations:' with '- source: <source id>' and 'quote: <verbatim passage>'")
        return doc.problem(loc, f"missing required key '{missing}'{hint_for(model_class, loc + (missing,))}")
    if kind == "too_short" and name == "citations":
        return doc.problem(loc, "a fact with no citation; add at least one '- source: <source id>' with its 'quote:'")
    plain = doc.plain.get(loc)
    if isinstance(value, bool) and plain is not None and kind != "bool_type":
        return doc.problem(loc, f"YAML reads {plain} as {'true' if value else 'false'}, not as text; put it in quotes: \"{plain}\"")
    if isinstance(value, (datetime.date, int, float)) and plain is not None and kind in ("string_type", "literal_error"):
        what = "a date" if isinstance(value, datetime.date) else "a number"
        return doc.problem(loc, f"YAML reads {plain} as {what}, not as text; put it in quotes: \"{plain}\"")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return doc.problem(loc, f"'{value}' is not allowed for '{name}'{did_you_mean(value, allowed)}; use one of: {', '.join(allowed)}")
    if kind == "string_pattern_mismatch":
        return doc.problem(loc, f"'{value}' {PATTERN_HINTS.get(name, PATTERN_HINTS['id'])}")
    if kind == "value_error":
        return doc.problem(loc, str(error["ctx"]["error"]))
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        expected = {"string_type": "text", "list_type": "a list (lines starting with '- ')"}.get(kind, "keys and values")
        return doc.problem(loc, f"'{name}' should be {expected}, found {describe(value)}")
    if kind == "string_too_short":
        optional = field_at(model_class, loc) is not None and not field_at(model_class, loc).is_required()
        return doc.problem(loc, f"'{name}' is empty; write a value{' or remove the key' if optional else ''}")
    return doc.problem(loc, f"'{name}': {error['msg'][0].lower() + error['msg'][1:]}")


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "keys and values"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return f"'{value}'"


def clean_loc(data: Any, loc: tuple) -> tuple:
    """Return the part of pydantic's error location that names real keys and indexes in `data`."""
    path: list = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            continue  # a missing key, or pydantic's name for a union member: stay at the parent
        path.append(part)
    return tuple(path)


def _model_for(annotation: Any) -> Any:
    """Return the model class inside Optional[...] or list[...], else the annotation."""
    for arg in typing.get_args(annotation) or ():
        inner = _model_for(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def fields_at(model_class: type[BaseModel], loc: tuple) -> list[str]:
    """Return the keys allowed in the mapping at `loc`."""
    current: Any = model_class
    for part in loc:
        if isinstance(part, str) and isinstance(current, type) and issubclass(current, BaseModel):
            current = _model_for(current.model_fields[part].annotation) if part in current.model_fields else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def field_at(model_class: type[BaseModel], loc: tuple) -> Any:
    """Return pydantic's FieldInfo for the key at `loc`, or None if there is none."""
    keys = [part for part in loc if isinstance(part, str)]
    if not keys:
        return None
    current: Any = model_class
    for part in keys[:-1]:
        current = _model_for(current.model_fields[part].annotation) if part in current.model_fields else None
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
    return current.model_fields.get(keys[-1])


def hint_for(model_class: type[BaseModel], loc: tuple) -> str:
    """Return `; one of: a, b` for a missing key whose values are a fixed set."""
    field = field_at(model_class, loc)
    if field is None:
        return ""
    annotation = field.annotation
    options = [a for a in typing.get_args(annotation) if isinstance(a, str)]
    return f"; one of: {', '.join(options)}" if options else ""


def index_claims(models: dict[str, Any], documents: dict[str, Document], problems: list[Problem]) -> dict[str, LocatedClaim]:
    """Return every fact and event by id; report ids used twice, pointing at both places."""
    claims: dict[str, LocatedClaim] = {}
    located: list[LocatedClaim] = []
    for key in sorted(models):
        model = models[key]
        if isinstance(model, Device):
            located += [LocatedClaim(c, documents[key], ("facts", i), key) for i, c in enumerate(model.facts)]
        elif isinstance(model, History):
            located += [LocatedClaim(e, documents[key], ("events", i), key) for i, e in enumerate(model.events)]
    for item in located:
        first = claims.get(item.claim.id)
        if first is not None:
            pos = first.document.position(first.path + ("id",))
            problems.append(item.document.problem(item.path + ("id",), f"duplicate id '{item.claim.id}' (first used at {first.document.path}:{pos.line}:{pos.column}); give this one another id"))
            continue
        claims[item.claim.id] = item
    return claims
