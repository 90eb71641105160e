"""Stage 2, validate: turn loaded documents into the typed model, collecting every located error."""

from __future__ import annotations

import datetime
import re
import typing
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .load import Document, Key, RawContent, key_of, key_of_path
from .model import MODEL_CLASSES, MODELS, Claim, Device, Europe, History, PageMeta, Record, Site, Source
from .problems import Problem, did_you_mean
from .scaffold import suggest_id

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # always fullmatch: `$` would let a trailing newline through
ID_LENGTH = 80
SEED_AS_SOURCE = re.compile(r"^'(.+\.txt)' is an archived text in seeds/")


@dataclass(frozen=True, slots=True)  # one per fact
class LocatedClaim:
    claim: Claim
    document: Document
    path: tuple  # of the claim inside its document
    owner: Key  # Key("device", <id>) or Key("history")


@dataclass
class Content:
    """The validated content, with the documents kept so later stages can point at positions."""

    site: Site | None  # None only when its file failed: the build stops after verify then
    sources: dict[str, Source]
    devices: dict[str, Device]
    history: History | None
    europe: Europe | None
    pages: dict[str, tuple[PageMeta, str]]  # slug -> the English page (pages/<slug>.md)
    texts: dict[str, str]
    digests: dict[str, str]  # seed file name -> SHA-256 of its bytes
    sizes: dict[str, int]  # seed file name -> its size in bytes
    documents: dict[Key, Document]  # every file loaded, by its key
    models: dict[Key, Any] = field(default_factory=dict)  # every file that validated: its model
    claims: dict[str, LocatedClaim] = field(default_factory=dict)
    failed: set[Key] = field(default_factory=set)  # documents that did not validate: refs to them are not reported
    pages_de: dict[str, tuple[PageMeta, str]] = field(default_factory=dict)  # slug -> its German page (pages/<slug>.de.md)
    ids: object = None  # with a build cache: the same object as last time while the claims' ids are the same
    # With a build cache: this run's number (0 without), and the files whose model or document may not
    # be those of the run before (None: any). A stage that ran after that run starts from these files.
    run: int = 0
    changed: frozenset[Key] | None = None


PATTERN_HINTS = {
    "id": "is not an id; ids are lower-case words and digits joined by hyphens, like 'xiaomi-12s-ultra'",
    "language": "is not a language code; write a code such as 'de' or 'en'",
    "file": "is not a file name in seeds/; write just the name, such as '000_d64c0fbc2d16105a.txt'",
    "base_url": "is not a web address; write it as https://owner.github.io/repo/ or leave it empty",
}
REQUIRED = {"site": "content/site.yaml", "history": "content/history.yaml", "europe": "content/europe.yaml"}


def validate_content(
    raw: RawContent, memo: dict[tuple, tuple] | None = None, located: dict | None = None, last: dict | None = None
) -> tuple[Content, list[Problem]]:
    """Return the typed content of every file that validated, and every problem found.

    Files that failed are left out and listed in `failed`, so verify can still check the rest
    without reporting references to them as unknown. `memo` (a build cache's) maps each file's
    (path, kind, digest) to its model and problems: an unchanged file is not validated again.
    It is left holding only this build's files. `last` (a build cache's too) keeps what the last
    run was given and made: when the same files are loaded, in the same order, only the documents
    that are not last time's objects are looked at (Content.changed names their keys).
    """
    state = None if memo is None or not last else _from_last(raw, memo, last)
    if state is None:
        state = _every_document(raw, memo)
    state["run"] = 0 if last is None else last.get("run", 0) + 1
    models: dict[Key, Any] = state["models"]
    documents: dict[Key, Document] = state["documents"]
    failed: set[Key] = set(state["failed"])
    loading = state["raw problems"]  # load's problems, reported first
    problems = list(loading) + [p for found in state["found"] if found for p in found]
    loaded = {p.file for p in loading}
    for kind, path in REQUIRED.items():
        if Key(kind) not in documents and path not in loaded:
            problems.append(Problem(path, 0, 0, f"missing; the site needs {path}"))
    failed |= {key for key in map(key_of_path, (p.file for p in loading)) if key is not None}
    if any(SEED_AS_SOURCE.match(p.message) for p in problems):
        seeds = {model.file: key.id for key, model in models.items() if isinstance(model, Source)}
        problems = [name_source_of_seed(p, seeds) for p in problems]
    claims = index_claims(models, documents, problems, located, state["changed"])
    by_kind = state["by kind"]
    if last is not None:
        last.clear()
        last.update(state)
    content = Content(
        site=models.get(Key("site")),
        sources=by_kind["source"],
        devices=by_kind["device"],
        history=models.get(Key("history")),
        europe=models.get(Key("europe")),
        pages={k: (v, documents[Key("page", k)].body) for k, v in by_kind["page"].items() if not k.endswith(GERMAN_PAGE)},
        texts=raw.texts,
        digests=raw.digests,
        sizes=raw.sizes,
        documents=documents,
        models=models,
        claims=claims,
        failed=failed,
        pages_de={
            k[: -len(GERMAN_PAGE)]: (v, documents[Key("page", k)].body) for k, v in by_kind["page"].items() if k.endswith(GERMAN_PAGE)
        },
        ids=located["index"][1] if located is not None and "index" in located else None,
        changed=state["changed"],
        run=state["run"],
    )
    return content, problems


def _every_document(raw: RawContent, memo: dict | None) -> dict:
    """Return what validating every document makes (see _from_last), reusing `memo`'s entries and leaving it holding only these files'.
    One file at a time: a streamed load (see load_tree) holds only this one's loaded data."""
    docs: list[Document] = []
    keys: list[Key] = []
    loading: list[Problem] = []
    models: dict[Key, Any] = {}
    documents: dict[Key, Document] = {}
    failed: set[Key] = set()
    found: list[list[Problem]] = []
    used: dict[tuple, tuple] = {}
    for doc, loaded_problems in raw.each():
        loading += loaded_problems
        if doc is None:
            continue
        key = key_of(doc)
        if memo is not None:  # kept for the next run (_from_last); without a cache each file's loaded data is freed as the next comes
            docs.append(doc)
            keys.append(key)
        stamp, result = _validated(doc, key, raw.keys, memo)
        found.append(result[1])
        documents[key] = doc if result[3] is None else result[3]
        if result[0] is None:
            failed.add(key)
        else:
            models[key] = result[0]
        if stamp is not None and memo is not None:  # kept with its loaded data: without a cache, that is freed as the next file comes
            used[stamp] = result
    if memo is not None:
        memo.clear()
        memo.update(used)
    by_kind: dict[str, dict[str, Any]] = {"source": {}, "device": {}, "page": {}}
    for key, model in models.items():
        if key.kind in by_kind:
            by_kind[key.kind][key.id] = model
    return {
        "docs": docs,
        "keys": keys,
        "raw problems": loading + raw.problems,
        "found": found,
        "models": models,
        "documents": documents,
        "failed": failed,
        "by kind": by_kind,
        "changed": None,
    }


def _from_last(raw: RawContent, memo: dict, last: dict) -> dict | None:
    """Return what validating `raw` makes (each document's problems, in order; the models, stripped
    documents and failed keys; the models by kind; the keys of the documents that changed), starting
    from the last run's: only the documents that are not last time's objects are validated again.
    None when the files loaded are not the same ones in the same order, load met other problems, or a
    file's model came or went (the dicts' order would then differ from a fresh run's)."""
    docs, old_docs, keys = raw.documents, last["docs"], last["keys"]
    if len(docs) != len(old_docs) or raw.problems != last["raw problems"]:
        return None
    changed = [i for i, (doc, before) in enumerate(zip(docs, old_docs, strict=True)) if doc is not before]
    if any(key_of(docs[i]) != keys[i] for i in changed):
        return None
    results = {i: _validated(docs[i], keys[i], raw.keys, memo) for i in changed}
    if any((result[0] is None) != (keys[i] in last["failed"]) for i, (_, result) in results.items()):
        return None
    found, models, documents = list(last["found"]), dict(last["models"]), dict(last["documents"])
    by_kind = {kind: dict(models_of_kind) for kind, models_of_kind in last["by kind"].items()}
    for i, (stamp, result) in results.items():
        key, before = keys[i], old_docs[i]
        memo.pop((before.path, before.kind, before.digest), None)
        if stamp is not None:
            memo[stamp] = result
        found[i] = result[1]
        documents[key] = docs[i] if result[3] is None else result[3]
        if result[0] is not None:
            models[key] = result[0]
            if key.kind in by_kind:
                by_kind[key.kind][key.id] = result[0]
    return {
        "docs": docs,
        "keys": keys,
        "raw problems": raw.problems,
        "found": found,
        "models": models,
        "documents": documents,
        "failed": last["failed"],
        "by kind": by_kind,
        "changed": frozenset(keys[i] for i in changed),
    }


def _validated(doc: Document, key: Key, taken: frozenset[Key], memo: dict | None) -> tuple[tuple | None, tuple]:
    """Return one document's memo stamp (None: it is not kept) and (model or None, problems, the
    document as loaded, the document without its raw data or None)."""
    slug = page_slug(doc)
    if doc.kind not in REQUIRED and not ID.fullmatch(slug):
        suggestion = suggest_id(doc.stem)
        renamed = f"{suggestion}{Path(doc.path).suffix}"
        rename = (
            ""
            if not suggestion
            else (f" ({renamed}, its kebab-case name, is taken)" if Key(doc.kind, suggestion) in taken else f" (rename it to '{renamed}')")
        )
        message = f"file name '{doc.stem}' is not an id{rename}; use lower-case words joined by hyphens, like 'xiaomi-12s-ultra'"
        return None, (None, [doc.problem((), message)], doc, None)
    if doc.kind not in REQUIRED and len(slug) > ID_LENGTH:  # the name is the id and the URL
        message = f"file name '{doc.stem}' is longer than the {ID_LENGTH} characters an id may have; shorten it"
        return None, (None, [doc.problem((), message)], doc, None)
    stamp = (doc.path, doc.kind, doc.digest)
    result = memo.get(stamp) if memo is not None and doc.digest else None
    if result is None:
        result = (*validate_document(doc), None, None)
    model, found, loaded, stripped = result
    if model is None:
        return stamp, (None, found, loaded, None)
    # The model holds it all now: later stages get the document without its raw data, so a
    # large site is not in memory twice once the loaded tree is dropped. The same document
    # as last time gets the same stripped copy: later stages know an unchanged file by it.
    if loaded is not doc:
        loaded, stripped = doc, replace(doc, data=None)
    return stamp, (model, found, loaded, stripped)


GERMAN_PAGE = ".de"  # pages/about.de.md is the German edition's about/


def page_slug(doc: Document) -> str:
    """Return the id a file is checked as: its name, without the `.de` of a free page's German version."""
    if doc.kind == "page" and doc.stem.endswith(GERMAN_PAGE):
        return doc.stem[: -len(GERMAN_PAGE)]
    return doc.stem


def name_source_of_seed(problem: Problem, seeds: dict[str, str]) -> Problem:
    """Return the problem with a did-you-mean added when it is about a seed file name written as a source id."""
    found = SEED_AS_SOURCE.match(problem.message)
    if found is None or found.group(1) not in seeds:
        return problem
    return replace(problem, message=f"{problem.message} (did you mean '{seeds[found.group(1)]}'?)")


# A device file in content/sources/ (or a source in content/devices/) gets one message, not one per key.
OTHER_KIND = {"source": ("device", "content/devices/"), "device": ("source", "content/sources/")}


def validate_document(doc: Document) -> tuple[Any, list[Problem]]:
    """Return the model for one document, or None and its located problems."""
    model_class = MODELS[doc.kind]
    if not isinstance(doc.data, dict):
        return None, [
            doc.problem((), f"expected keys and values (such as 'title: ...') at the top of the file, found {describe(doc.data)}")
        ]
    try:
        return model_class.model_validate(doc.data), []
    except ValidationError as exc:
        misplaced = looks_like(doc)
        if misplaced:
            return None, [misplaced]
        return None, [explain(error, doc, model_class) for error in exc.errors(include_url=False)]


def looks_like(doc: Document) -> Problem | None:
    """Return a problem saying where the file belongs when its keys are mostly another kind's, else None."""
    if doc.kind not in OTHER_KIND:
        return None
    other, folder = OTHER_KIND[doc.kind]
    unknown = [key for key in doc.data if key not in MODELS[doc.kind].model_fields]
    theirs = [key for key in unknown if key in MODELS[other].model_fields]
    if len(theirs) < 2 or len(theirs) * 2 <= len(unknown):
        return None
    return doc.problem((), f"this looks like a {other} (it has {', '.join(theirs)}), not a {doc.kind}; move the file to {folder}")


# A Record's errors by the names a model gives the same ones (the messages below use those).
RECORD_ERRORS = {"dataclass_type": "model_type", "unexpected_keyword_argument": "extra_forbidden"}


def explain(error: ErrorDetails, doc: Document, model_class: type[BaseModel | Record]) -> Problem:
    """Return one pydantic error as a located problem in the editor's terms, with a hint."""
    loc = clean_loc(doc.data, error["loc"])
    kind = RECORD_ERRORS.get(error["type"], error["type"])
    value = error.get("input")
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        choices = fields_at(model_class, loc[:-1])
        return doc.problem(loc, f"unknown key '{name}'{did_you_mean(name, choices)}; allowed here: {', '.join(choices)}", key=True)
    if kind == "missing":
        missing = str(error["loc"][-1])
        if missing == "citations":
            return doc.problem(
                loc, "a fact with no citation; add 'citations:' with '- source: <source id>' and 'quote: <verbatim passage>'"
            )
        return doc.problem(loc, f"missing required key '{missing}'{hint_for(model_class, loc + (missing,))}")
    if kind == "too_short" and name == "citations":
        return doc.problem(loc, "a fact with no citation; add at least one '- source: <source id>' with its 'quote:'")
    plain = doc.plain.get(loc)
    if isinstance(value, bool) and plain is not None and kind != "bool_type":
        return doc.problem(loc, f'YAML reads {plain} as {"true" if value else "false"}, not as text; put it in quotes: "{plain}"')
    if isinstance(value, (datetime.date, int, float)) and plain is not None and kind in ("string_type", "literal_error"):
        what = "a date" if isinstance(value, datetime.date) else "a number"
        return doc.problem(loc, f'YAML reads {plain} as {what}, not as text; put it in quotes: "{plain}"')
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return doc.problem(
            loc, f"'{value}' is not allowed for '{name}'{did_you_mean(str(value), allowed)}; use one of: {', '.join(allowed)}"
        )
    if kind == "string_pattern_mismatch":
        if name == "source" and str(value).endswith(".txt"):
            return doc.problem(
                loc,
                f"'{value}' is an archived text in seeds/, not a source id; write the id of the source that describes it, its file name in content/sources/",
            )
        return doc.problem(loc, f"'{value}' {PATTERN_HINTS.get(name, PATTERN_HINTS['id'])}")
    if kind == "value_error":
        return doc.problem(loc, f"{error['ctx']['error']}{did_you_mean_date(value)}")
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        expected = {"string_type": "text", "list_type": "a list (lines starting with '- ')"}.get(kind, "keys and values")
        return doc.problem(loc, f"'{name}' should be {expected}, found {describe(value)}")
    if kind == "string_too_short":
        optional = field_at(model_class, loc) is not None and not field_at(model_class, loc).is_required()
        return doc.problem(loc, f"'{name}' is empty; write a value{' or remove the key' if optional else ''}")
    return doc.problem(loc, f"'{name}': {error['msg'][0].lower() + error['msg'][1:]}")


_DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[./](\d{1,2})(?:[./](\d{1,2}))?$")


def did_you_mean_date(value: Any) -> str:
    """Return ` (did you mean '2022-03-22'?)` for a date written another way (22.03.2022, 2022/03/22), else ''."""
    text = str(value).strip()
    day_first, year_first = _DAY_FIRST.match(text), _YEAR_FIRST.match(text)
    if day_first:
        day, month, year = (int(g) for g in day_first.groups())
        if month > 12 >= day:  # 03/22/2022: the month came first
            day, month = month, day
    elif year_first:
        year, month, day = (int(g or 0) for g in year_first.groups())
    else:
        return ""
    try:
        datetime.date(year, month, day or 1)
    except ValueError:
        return ""
    return f" (did you mean '{year:04d}-{month:02d}{f'-{day:02d}' if day else ''}'?)"


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
        if isinstance(inner, type) and issubclass(inner, MODEL_CLASSES):
            return inner
    return annotation


def fields_at(model_class: type[BaseModel | Record], loc: tuple) -> list[str]:
    """Return the keys allowed in the mapping at `loc`."""
    current: Any = model_class
    for part in loc:
        if isinstance(part, str) and isinstance(current, type) and issubclass(current, MODEL_CLASSES):
            current = _model_for(current.model_fields[part].annotation) if part in current.model_fields else None
    if isinstance(current, type) and issubclass(current, MODEL_CLASSES):
        return list(current.model_fields)
    return []


def field_at(model_class: type[BaseModel | Record], loc: tuple) -> Any:
    """Return pydantic's FieldInfo for the key at `loc`, or None if there is none."""
    keys = [part for part in loc if isinstance(part, str)]
    if not keys:
        return None
    current: Any = model_class
    for part in keys[:-1]:
        current = _model_for(current.model_fields[part].annotation) if part in current.model_fields else None
        if not (isinstance(current, type) and issubclass(current, MODEL_CLASSES)):
            return None
    return current.model_fields.get(keys[-1])


def hint_for(model_class: type[BaseModel | Record], loc: tuple) -> str:
    """Return `; one of: a, b` for a missing key whose values are a fixed set."""
    field = field_at(model_class, loc)
    if field is None:
        return ""
    annotation = field.annotation
    options = [a for a in typing.get_args(annotation) if isinstance(a, str)]
    return f"; one of: {', '.join(options)}" if options else ""


def index_claims(
    models: dict[Key, Any],
    documents: dict[Key, Document],
    problems: list[Problem],
    memo: dict | None = None,
    changed: Collection[Key] | None = None,
) -> dict[str, LocatedClaim]:
    """Return every fact and event by id; report ids used twice, pointing at both places.

    `memo` maps a file's key to (model, document, its claims placed): an unchanged file's are reused;
    under "index" it keeps the index of last time when no id was used twice, which is patched when
    the files that changed hold the same ids as before. `changed`, when given, names every file whose
    model or document may differ from last time's: then only those are looked at.
    """
    if memo is not None and changed is not None and "index" in memo:
        patched = _patched_index(models, documents, memo, changed)
        if patched is not None:
            return patched
    claims: dict[str, LocatedClaim] = {}
    located: list[LocatedClaim] = []
    used: dict[Any, tuple] = {}
    kept: dict[Any, tuple] = {} if memo is None else memo
    same_ids = "index" in kept  # every file holds the ids it held last time, when last time no id was used twice
    for key in sorted(models):
        model = models[key]
        if not isinstance(model, (Device, History)):
            continue
        known = kept.get(key)
        if known is None or known[0] is not model or known[1] is not documents[key]:
            placed = placed_claims(key, model, documents[key])
            same_ids = same_ids and known is not None and [c.claim.id for c in known[2]] == [c.claim.id for c in placed]
            known = (model, documents[key], placed)
        used[key] = known
        located += known[2]
    same_ids = same_ids and len(used) == len(kept) - 1
    if same_ids:  # the index of last time, with the changed files' claims in their places
        ids, token = dict(kept["index"][0]), kept["index"][1]
        for key, known in used.items():
            if kept[key] is not known:
                ids.update((c.claim.id, c) for c in known[2])
    else:
        ids, token = {item.claim.id: item for item in located}, object()
    if memo is not None:
        memo.clear()
        memo.update(used)
        if len(ids) == len(located):
            memo["index"] = (ids, token)  # the token stays while the ids do: verify compares it, not 100,000 ids
    if len(ids) == len(located):  # no id is used twice: nothing to weigh
        return ids
    # Of two uses of an id the one saved last is the newcomer, whatever the order of the file names.
    oldest: dict[str, LocatedClaim] = {}
    for item in sorted(located, key=lambda item: item.document.mtime_ns):  # stable: same file, first line first
        oldest.setdefault(item.claim.id, item)
    for item in located:
        first = oldest[item.claim.id]
        if first is item:
            claims[item.claim.id] = item
            continue
        pos = first.document.position(first.path + ("id",))
        saved = "the same file" if first.document is item.document else "a file saved earlier"
        problems.append(
            item.document.problem(
                item.path + ("id",),
                f"duplicate id '{item.claim.id}', also used at {first.document.path}:{pos.line}:{pos.column} "
                f"({saved}); give this one another id",
            )
        )
    return claims


def _patched_index(models: dict[Key, Any], documents: dict[Key, Document], memo: dict, changed: Collection[Key]) -> dict | None:
    """Return last time's index with the `changed` files' claims in their places, when those files hold
    the ids they held (so no id is used twice now either); None otherwise."""
    used = dict(memo)
    del used["index"]
    for key in changed:
        model = models.get(key)
        known = memo.get(key)
        if not isinstance(model, (Device, History)):
            if known is not None:
                return None  # a file's claims left the index
            continue
        if known is None:
            return None
        if known[0] is not model or known[1] is not documents[key]:
            placed = placed_claims(key, model, documents[key])
            if [c.claim.id for c in known[2]] != [c.claim.id for c in placed]:
                return None
            used[key] = (model, documents[key], placed)
    ids, token = memo["index"]
    ids = dict(ids)
    for key in changed:
        if key in used and used[key] is not memo[key]:
            ids.update((c.claim.id, c) for c in used[key][2])
    memo.clear()
    memo.update(used)
    memo["index"] = (ids, token)
    return ids


def placed_claims(key: Key, model: Any, document: Document) -> list[LocatedClaim]:
    """Return a device's facts, or the history's events and background, each with its place in the file."""
    if isinstance(model, Device):
        return [LocatedClaim(c, document, ("facts", i), key) for i, c in enumerate(model.facts)]
    events = [LocatedClaim(e, document, ("events", i), key) for i, e in enumerate(model.events)]
    return events + [LocatedClaim(e, document, ("background", i), key) for i, e in enumerate(model.background)]
