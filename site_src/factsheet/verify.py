"""Stage 3, verify: every quote is in its source, every reference resolves, every fact is cited."""

from __future__ import annotations

import bisect
import difflib
import operator
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Collection, Iterable, Iterator

from markdown_it import MarkdownIt

from .editions import claim_translations, device_translations, europe_translations, has_german, page_translations, site_translations
from .model import MODEL_CLASSES, find_control
from .load import Document, Key
from .validate import Content
from .problems import Problem, compare_words, did_you_mean

# Typographic quotes and dashes compare equal to their plain forms; one char each, so offsets hold.
_PLAIN = str.maketrans({c: '"' for c in "„“”‟″«»"} | {c: "'" for c in "‚‘’‛′‹›"} | {c: "-" for c in "‐‑‒–—―−"})
_PLAIN_PAIRS = [(chr(typographic), plain) for typographic, plain in _PLAIN.items()]
_SPACE_RUN = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# The closest-passage hint: difflib up to this product of text and quote lengths (a 40 KB text
# and a 100-character quote; about a second at worst), the words they share beyond it.
DIFFLIB_WORK = 4_000_000
COMMON_WORDS = 50  # a word, or two together, found more often than this does not help place a quote
MOST_HITS = 100_000  # for a quote of common words only: how many of their places are weighed
NEAR = 32  # characters: offsets this close count as one place
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


# Browsers drop surrounding blanks and controls, and tabs and newlines anywhere, before reading the scheme.
_IGNORED = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]")


def allowed_url(url: str) -> bool:
    """Return whether a link may be on the site: http(s) or relative, never one that runs or embeds code."""
    scheme = _SCHEME.match(_IGNORED.sub("", url))
    return scheme is None or scheme.group(1).lower() in ("http", "https")


def markdown_parser() -> MarkdownIt:
    """Return the Markdown dialect of the content: CommonMark with raw HTML off."""
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


# The instance render.py renders with: a link verify missed would still never become HTML.
MARKDOWN = markdown_parser()
MARKDOWN.validateLink = allowed_url  # type: ignore[method-assign]  # markdown-it's documented hook
# The same dialect keeping every link, so verify sees (and reports) the ones MARKDOWN would drop.
_LINK_FINDER = markdown_parser()
_LINK_FINDER.validateLink = lambda url: True  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)  # one per citation
class Match:
    """Where one citation's quote sits in its source's text (character offsets)."""

    source: str
    start: int
    end: int


class SearchableText:
    """A source text normalised for quote search, mapping offsets back to the original."""

    def __init__(self, text: str):
        self.text = text
        plain = plain_punctuation(text)
        self.starts: list[int] = []  # normalised offset of each collapsed white-space run
        self.shifts: list[int] = []  # characters dropped up to and including that run
        dropped = 0
        for run in _SPACE_RUN.finditer(plain):
            self.starts.append(run.start() - dropped)
            dropped += len(run.group()) - 1
            self.shifts.append(dropped)
        self.normal = _SPACE_RUN.sub(" ", plain)
        self.found: dict[str, tuple[int, int] | None] = {}  # quote -> span, for serve's rebuilds
        self._words: dict[str, list[int]] | None = None  # a word or two -> their offsets, for hints on large texts

    def original(self, offset: int) -> int:
        k = bisect.bisect_left(self.starts, offset) - 1
        return offset + (self.shifts[k] if k >= 0 else 0)

    def find(self, quote: str) -> tuple[int, int] | None:
        """Return the original (start, end) of the quote's first occurrence, or None."""
        if quote not in self.found:
            self.found[quote] = self._find(quote)
        return self.found[quote]

    def _find(self, quote: str) -> tuple[int, int] | None:
        needle = normalize(quote)
        at = self.normal.find(needle) if needle else -1
        while at >= 0:  # the first occurrence made of whole words: "Kein Launch" is not "ein Launch"
            end = at + len(needle)
            if not (_cuts_word(self.normal, at) or _cuts_word(self.normal, end)):
                return self.original(at), self.original(end - 1) + 1
            at = self.normal.find(needle, at + 1)
        return None

    def inside_word(self, quote: str) -> str | None:
        """Return the word a quote that is not found cuts into, if it occurs only inside words."""
        needle = normalize(quote)
        at = self.normal.find(needle) if needle else -1
        if at < 0:
            return None
        # find() failed, so this occurrence cuts a word at one end or the other.
        return _word_around(self.normal, at if _cuts_word(self.normal, at) else at + len(needle))

    def whole_sentence(self, start: int, end: int) -> bool:
        """Return whether the original text [start, end) is a whole sentence or a whole line."""
        before = self.text[:start].rstrip(" \t")
        after = self.text[end:].lstrip(" \t")
        opens = not before or before[-1] in ".!?\n"
        closes = self.text[end - 1] in ".!?" or not after or after[0] in "\r\n"
        return opens and closes

    def closest(self, quote: str, width: int = 160) -> str:
        """Return the passage that shares the most with the quote, for a hint; "" if nothing does.

        difflib's longest common run costs up to the product of the two lengths (9 minutes for a
        14,800-character quote in a 1.9 MB text), so only small pairs get it; larger ones are
        aligned by the words they share (see _aligned_by_words).
        """
        needle = normalize(quote)
        if len(self.normal) * len(needle) <= DIFFLIB_WORK:
            matcher = difflib.SequenceMatcher(None, self.normal, needle, autojunk=False)
            a, b, size = matcher.find_longest_match(0, len(self.normal), 0, len(needle))
            if size < 4:
                return ""
            start = max(0, a - b)
        else:
            aligned = self._aligned_by_words(needle)
            if aligned is None:
                return ""
            start = max(0, aligned)
        end = min(len(self.normal), start + min(len(needle), width))
        # Widen to whole words so the hint reads as a passage, not a fragment.
        while start > 0 and self.normal[start - 1] not in " \n":
            start -= 1
        while end < len(self.normal) and self.normal[end] != " ":
            end += 1
        passage = re.sub(r"^[^\w\"'(]+", "", self.normal[start:end]).strip()
        return passage if len(passage) <= width + 40 else passage[:width] + "…"

    def _aligned_by_words(self, needle: str) -> int | None:
        """Return where the quote most likely starts in the text: the offset most of its pairs of
        words agree on (a pair at text offset a and quote offset b votes for a - b), or, if the
        text has none of its pairs, most of its single words; None if it has none of those either.

        The work is bounded by the quote's length: a word or pair found more than COMMON_WORDS
        times (such as "of the") says little about where the quote is, and is weighed only when
        the quote has nothing rarer, and then only up to MOST_HITS places.
        """
        if self._words is None:  # built at the first large miss, then kept with the text
            self._words = {}
            for at, key in _word_keys(self.normal):
                self._words.setdefault(key, []).append(at)
        keys = [(b, key, self._words.get(key, ())) for b, key in _word_keys(needle)]
        hits: list[tuple[int, int]] = []  # (a key's offset in the quote, where it puts the quote's start)
        for pairs in (True, False):
            hits = [(b, a - b) for b, key, found in keys if (" " in key) == pairs and len(found) <= COMMON_WORDS for a in found]
            if hits:
                break
        else:
            # Only common words (a short quote such as "Xiaomi 12S Utlra"): the rarest of them, up to a bound.
            for b, _, found in sorted(keys, key=lambda k: len(k[2])):
                if hits and len(hits) + len(found) > MOST_HITS:
                    break
                hits += [(b, a - b) for a in found[:MOST_HITS]]
            if not hits:
                return None
        # An edit inside the quote shifts the words after it by a few characters: count nearby offsets together.
        near = Counter(offset // NEAR for _, offset in hits)
        best = max(near, key=lambda k: (near[k - 1] + near[k] + near[k + 1], -k))
        # Aligned where the quote's first agreeing key is, so the hint starts where the quote does.
        return min((b, offset) for b, offset in hits if best - 1 <= offset // NEAR <= best + 1)[1]


def _word_keys(text: str) -> Iterator[tuple[int, str]]:
    """Yield each word of `text` and each two neighbouring words, lower-cased, with the offset of the first."""
    # Lower-cased word by word: lower() of a whole text may change its length, and so the offsets.
    words = [(m.start(), m.group().lower()) for m in _WORD.finditer(text)]
    yield from words
    for (at, first), (_, second) in zip(words, words[1:], strict=False):  # each word with the next
        yield at, f"{first} {second}"


def _cuts_word(text: str, at: int) -> bool:
    """Return whether a quote edge at `at` falls between two letters or digits of one word."""
    return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()


def _word_around(text: str, at: int) -> str:
    start, end = at, at
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


# A quote this short says something only as a whole sentence (or line) of its own.
MIN_QUOTE_WORDS = 3


def quote_problem(quote: str, index: SearchableText, span: tuple[int, int]) -> str | None:
    """Return why a found quote cannot prove a fact (no words, or a fragment too short), or None."""
    words = _WORD.findall(normalize(quote))
    if not words:
        return "the quote has no words, only punctuation; quote the passage that says what the fact claims"
    if len(words) < MIN_QUOTE_WORDS and not index.whole_sentence(*span):
        return (
            f"the quote has {len(words)} word{'s' if len(words) > 1 else ''}, too few to prove anything out of its "
            f"sentence; quote at least {MIN_QUOTE_WORDS} words, or the whole sentence"
        )
    return None


def normalize(text: str) -> str:
    """Return text as quotes are compared: NFC, plain quotes and dashes, single spaces."""
    # split() and join: what `\s+` replaced by a space and strip() give (the same white space), a fifth of the time.
    return " ".join(plain_punctuation(unicodedata.normalize("NFC", text)).split())


def plain_punctuation(text: str) -> str:
    """Return text.translate(_PLAIN): typographic quotes and dashes as plain ones. A replace per
    character present instead: translate looks every character up in the table, a millisecond for
    a source's text and most of normalising a quote."""
    if text.isascii():
        return text
    for typographic, plain in _PLAIN_PAIRS:
        if typographic in text:
            text = text.replace(typographic, plain)
    return text


@dataclass
class Verified:
    content: Content
    matches: dict[tuple[str, int], Match]  # (claim id, citation index) -> passage
    problems: list[Problem]
    files: dict[Key, FileChecks] = field(default_factory=dict)  # each file holding claims: its checks (the same object while unchanged)
    patched: frozenset[Key] | None = None  # the only files whose checks may not be those of the run before (None: any)


def verify_content(
    content: Content, indexes: dict[str, SearchableText] | None = None, links: dict[tuple, list] | None = None, memo: dict | None = None
) -> Verified:
    """Return the content with every citation located in its source, and the problems found.

    A build cache passes `indexes`, each source text's search index, so an unchanged source is
    not indexed again nor an unchanged quote searched again, `links`, each file's Markdown
    problems by (path, digest), and `memo`, what each file holding claims gave (see FileChecks)
    with what it was made from, and the Europe file's; each is left holding only this build's entries.
    The problems come in the same order with or without them.
    """
    problems: list[Problem] = []
    known = {} if indexes is None else dict(indexes)
    searchable = {name: known.get(text) or SearchableText(text) for name, text in content.texts.items()}
    if indexes is not None:  # keep only today's texts
        indexes.clear()
        indexes.update((content.texts[name], index) for name, index in searchable.items())
    memo = {} if memo is None else memo
    problems += check_sources(content, searchable)
    # The files that changed since verify's last run, when that run followed validate's last one.
    changed = content.changed if content.run > 0 and memo.get("run") == content.run - 1 else None
    memo["run"] = content.run
    files, redone, patched = file_checks(content, searchable, memo, changed)
    matches, noisy, cited = _totals(files, memo, patched)
    problems += [p for key in noisy for p in files[key].citations]
    if any(files[key].device_references for key in noisy):
        problems += [p for device_id in content.devices for p in files[Key("device", device_id)].device_references]
    problems += [p for key in noisy for p in files[key].references]
    problems += _reused(memo, "europe", (content.europe, content.documents.get(Key("europe")), *names_of(content)), check_europe, content)
    problems += repeated_statements(content, matches, memo, redone, searchable)
    problems += check_markdown(content, links, memo, changed)
    problems += site_translations(content)
    if has_german(content):
        problems += [p for key in noisy for p in files[key].device_translations]  # devices by id, as sorted keys have them
        problems += [p for key in noisy for p in files[key].translations]
        problems += _reused(
            memo, "europe translations", (content.europe, content.documents.get(Key("europe"))), europe_translations, content
        )
        problems += page_translations(content)
    for source_id in sorted(content.sources.keys() - cited):
        problems.append(
            content.documents[Key("source", source_id)].problem(
                (), f"no fact cites source '{source_id}'; cite it or remove it", severity="warning"
            )
        )
    return Verified(content, matches, problems, files, patched)


@dataclass
class FileChecks:
    """What verify finds in one file that holds claims (a device's, or the history): kept while
    neither the file nor what its checks read changes."""

    matches: dict[tuple[str, int], Match]  # where its claims' quotes are
    citations: list[Problem]  # its quotes not found, or too weak
    references: list[Problem]  # its claims' references that do not resolve
    translations: list[Problem]  # its claims' missing German
    device_references: list[Problem]  # the device's own references
    device_translations: list[Problem]  # the device's own missing German
    cited: set[str]  # the sources its quotes were found in
    claim_ids: list[str]  # the ids of its claims, as indexed


def _totals(files: dict[Key, FileChecks], memo: dict, patched: Collection[Key] | None) -> tuple[dict, list[Key], Any]:
    """Return every file's matches in one table, the files with any problem (in the files' order) and
    the sources cited. With `patched`, the keys of the only files whose checks may not be last time's
    (file_checks says so when the ids are each in one file), last time's totals are patched for those."""
    last = memo.get("totals")  # (the files' checks, the matches, the files with problems, how many files cite each source)
    if last is None or patched is None:
        matches: dict[tuple[str, int], Match] = {}
        for part in files.values():
            matches.update(part.matches)
        noisy = {key for key, part in files.items() if _has_problems(part)}
        citing = Counter(source for part in files.values() for source in part.cited)
    else:
        matches, noisy, citing = dict(last[1]), set(last[2]), Counter(last[3])
        for key in patched:
            before, after = last[0].get(key), files.get(key)
            if before is after:
                continue
            if before is not None:
                for found in before.matches:
                    del matches[found]
                citing.subtract(before.cited)
                noisy.discard(key)
            if after is not None:
                matches.update(after.matches)
                citing.update(after.cited)
                if _has_problems(after):
                    noisy.add(key)
        citing = +citing  # without the sources no file cites any more
    memo["totals"] = (files, matches, noisy, citing)
    return matches, sorted(noisy), citing.keys()


def _has_problems(part: FileChecks) -> bool:
    return bool(part.citations or part.references or part.translations or part.device_references or part.device_translations)


def names_of(content: Content) -> tuple:
    """Return what references are checked against: the device and claim ids, and the files that failed."""
    return (content.devices.keys(), content.claims.keys() if content.ids is None else content.ids, frozenset(content.failed))


def _same(a: tuple, b: tuple) -> bool:
    """Return whether two tuples of inputs are the same: objects by identity; key sets, sets and dicts by content
    (a dict's values again by identity)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys() or any(y[k] is not v for k, v in x.items()):
                return False
        elif isinstance(x, (type({}.keys()), frozenset)):
            if x != y:
                return False
        elif x is not y:
            return False
    return True


def _reused(memo: dict, name: str, inputs: tuple, check: Callable[[Content], list[Problem]], content: Content) -> list[Problem]:
    """Return check(content), or the result kept under `name` when its inputs are the same as then."""
    known = memo.get(name)
    if known is None or not _same(known[0], inputs):
        known = memo[name] = (inputs, check(content))
    return known[1]


def file_checks(
    content: Content, searchable: dict[str, SearchableText], memo: dict, changed_files: frozenset[Key] | None = None
) -> tuple[dict[Key, FileChecks], set[str], frozenset[Key] | None]:
    """Return the checks of each file holding claims, in the order of the claims' index, the
    claim ids of the files checked again (before and after), as `memo` allows, and, when only some
    files were looked at, their keys (None: every file was).

    A file's quotes and German are checked again when it changed or the site, the sources or their
    texts did; its references when it changed or the ids known did (or, for a device, its successor).
    Given the files that changed since the last run (`changed_files`) when nothing else the checks read
    did, only those files and the devices naming one of them as successor are looked at.
    """
    quoting = (content.site, content.sources, searchable, frozenset(content.failed))
    names = names_of(content)
    old_quoting, old_names = memo.get("quoting"), memo.get("names")
    # An id used twice leaves a claim out of the index: its file's checks depend on another file then.
    # validate keeps an index of the ids (content.ids) only while no id is used twice.
    whole = content.ids is not None or sum(
        len(m.facts) if k.kind == "device" else len(m.events) + len(m.background)
        for k, m in content.models.items()
        if k.kind in ("device", "history")
    ) == len(content.claims)
    quoting_same = whole and old_quoting is not None and _same(old_quoting, quoting)
    names_same = whole and old_names is not None and _same(old_names, names)
    kept: dict[Key, tuple] = memo.get("files", {})
    claim_failed = any(k.kind in ("device", "history") for k in content.failed)
    german = has_german(content)
    files: dict[Key, tuple] = {}
    redone: set[str] = set()
    holding = ("device", "history")
    look = None
    if quoting_same and names_same and changed_files is not None and "successors" in memo:
        # Only the files that changed, and the devices whose successor is one of them, when each is still there.
        changed = {key for key in changed_files if key.kind in holding}
        look = changed | {named for key in changed if key.kind == "device" for named in memo["successors"].get(key.id, ())}
        if all(key in kept and key in content.models for key in look):
            files = dict(kept)
        else:
            look = None
    for key in sorted(k for k in content.models if k.kind in holding) if look is None else sorted(look):
        model, document = content.models[key], content.documents[key]
        successor = content.devices.get(model.successor or "") if key.kind == "device" else None
        old: tuple = kept.get(key, ())
        same_file = bool(old) and old[0] is model and old[1] is document
        if same_file and quoting_same and names_same and old[2] is successor:
            files[key] = old
            continue
        claims = _claims_of(content, key, model, document)
        part = FileChecks({}, [], [], [], [], [], set(), [cid for cid, _ in claims])
        if same_file and quoting_same:
            part.matches, part.citations, part.translations, part.device_translations, part.cited = (
                old[3].matches,
                old[3].citations,
                old[3].translations,
                old[3].device_translations,
                old[3].cited,
            )
        else:
            part.matches = check_citations(content, searchable, part.citations, claims)
            part.cited = {m.source for m in part.matches.values()}
            if german:
                part.translations = [p for _, located in claims for p in claim_translations(content, located)]
                part.device_translations = device_translations(content, key.id) if key.kind == "device" else []
        if same_file and names_same and old[2] is successor:
            part.references, part.device_references = old[3].references, old[3].device_references
        else:
            part.references = [p for cid, located in claims for p in claim_references(content, cid, located, claim_failed)]
            part.device_references = device_references(content, key.id, model) if key.kind == "device" else []
        if old:
            redone.update(old[3].claim_ids)
        redone.update(part.claim_ids)
        files[key] = (model, document, successor, part)
    redone.update(cid for key in kept.keys() - files.keys() for cid in kept[key][3].claim_ids)
    memo["quoting"], memo["names"] = (quoting, names) if whole else (None, None)
    memo["files"] = files
    memo["successors"] = _successors(files, kept, memo.get("successors"), look)
    last_checks = memo.get("checks")  # each file's checks, as returned last time
    if last_checks is None or look is None:
        checks = {key: value[3] for key, value in files.items()}
    else:
        checks = dict(last_checks)
        checks.update((key, files[key][3]) for key in look)
    memo["checks"] = checks
    return checks, redone, None if look is None else frozenset(look)


def _successors(files: dict[Key, tuple], kept: dict[Key, tuple], last: dict | None, look: set[Key] | None) -> dict[str, tuple[Key, ...]]:
    """Return, for each device named as a successor, the devices naming it (a device's checks read its
    successor): last time's, patched for the files in `look` when only those were looked at."""
    if last is None or look is None:
        found: dict[str, list[Key]] = {}
        for key, (model, *_) in files.items():
            if key.kind == "device" and model.successor:
                found.setdefault(model.successor, []).append(key)
        return {name: tuple(keys) for name, keys in found.items()}
    successors = dict(last)
    for key in look:
        if key.kind != "device":
            continue
        before, now = kept[key][0].successor, files[key][0].successor
        if before != now:
            if before:
                successors[before] = tuple(k for k in successors.get(before, ()) if k != key)
            if now:
                successors[now] = tuple(sorted({*successors.get(now, ()), key}))
    return successors


def _claims_of(content: Content, key: Key, model: Any, document: Document) -> list[tuple[str, Any]]:
    """Return the claims of one file as the claims' index has them (of an id used twice, the one it kept)."""
    own = model.facts if key.kind == "device" else [*model.events, *model.background]
    found = []
    for claim in own:
        located = content.claims.get(claim.id)
        if located is not None and located.claim is claim and located.document is document:
            found.append((claim.id, located))
    return found


def check_markdown(
    content: Content, memo: dict[tuple, list] | None = None, last: dict | None = None, changed: frozenset[Key] | None = None
) -> list[Problem]:
    """Report links and images in Markdown text (any text field, and page bodies) that are not http(s) or relative.

    `memo` maps (path, digest) to a file's problems: an unchanged file is not parsed again. `last`
    keeps each file's stamp and problems of the last run: with the files `changed` since then, only
    those are looked at.
    """
    known = None if last is None else last.get("markdown")  # (key -> (stamp, problems), the keys of files with problems)
    if (
        memo is not None
        and known is not None
        and changed is not None
        and len(known[0]) == len(content.documents)
        and all(key in known[0] for key in changed)
        and last is not None
    ):
        by_key, noisy = dict(known[0]), set(known[1])
        for key in changed:
            doc = content.documents[key]
            stamp, before = (doc.path, doc.digest), by_key[key][0]
            found = memo.get(stamp) if doc.digest else None
            if found is None:
                found = _markdown_problems(doc, content.models.get(key))
            memo.pop(before, None)
            memo[stamp] = found
            by_key[key] = (stamp, found)
            noisy.discard(key)
            if found:
                noisy.add(key)
        last["markdown"] = (by_key, noisy)
        return [p for key in sorted(noisy) for p in by_key[key][1]]
    problems: list[Problem] = []
    by_key = {}
    used: dict[tuple, list] = {}
    for key, doc in sorted(content.documents.items()):
        stamp = (doc.path, doc.digest)
        found = memo.get(stamp) if memo is not None and doc.digest else None
        if found is None:
            found = _markdown_problems(doc, content.models.get(key))
        used[stamp] = found
        by_key[key] = (stamp, found)
        problems += found
    if memo is not None:
        memo.clear()
        memo.update(used)
    if last is not None:
        last["markdown"] = (by_key, {key for key, (_, found) in by_key.items() if found})
    return problems


def _markdown_problems(doc: Document, model: Any) -> list[Problem]:
    """Return one document's refused links and control characters in Markdown bodies."""
    problems = []
    # The model, once validated (its document no longer holds the raw data then): same keys, same paths.
    texts: list[tuple[tuple, str]] = []
    _texts_with_links(doc.data if model is None else model, (), texts)
    for path, text in texts:
        for url in _links(_LINK_FINDER.parseInline(text)):
            problems.append(doc.problem(path, _refused_link(url)))
    if doc.body:
        lines = doc.body.split("\n")
        for number, line in enumerate(lines):
            found = find_control(line)
            if found:
                problems.append(
                    Problem(
                        doc.path,
                        doc.body_line + number,
                        found.start() + 1,
                        f"the text holds the invisible control character U+{ord(found.group()):04X}; delete it",
                    )
                )
        lowered = [text.lower() for text in lines]  # once: a page of thousands of refused links searched them again per link
        for block in _LINK_FINDER.parse(doc.body):
            first = block.map[0] if block.map else 0
            for url in _links([block]):
                # The block's first line naming the link's scheme; else the block itself.
                scheme = url.split(":")[0].strip().lower()
                at = next((n for n in range(first, len(lines)) if scheme in lowered[n]), first)
                column = lowered[at].find(scheme) + 1 if at < len(lines) else 1
                problems.append(Problem(doc.path, doc.body_line + at, max(column, 1), _refused_link(url)))
    return problems


def _texts_with_links(data: Any, path: tuple, found: list[tuple[tuple, str]]) -> None:
    """Add to `found` (path, text) for every string inside `data` (raw YAML data or a model) that
    may hold a Markdown link or an autolink; quotes are the sources' words, never Markdown."""
    if isinstance(data, str):  # a file that is a single value
        if _may_link(path[-1:], data):
            found.append((path, data))
        return
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    elif isinstance(data, MODEL_CLASSES):
        names, values = _fields_of(type(data))
        items = zip(names, values(data), strict=True)
    else:
        return
    for key, value in items:
        # A path is made only for what holds text with markup, or may: most values are plain.
        if isinstance(value, str):
            if _may_link((key,), value):
                found.append((path + (key,), value))
        elif value is not None and not isinstance(value, (bool, int, float)):
            _texts_with_links(value, path + (key,), found)


_FIELDS: dict[Any, tuple[tuple[str, ...], Callable[[Any], tuple]]] = {}


def _fields_of(model_class: Any) -> tuple[tuple[str, ...], Callable[[Any], tuple]]:
    """Return a model class's field names and what reads all their values of one object in one call
    (a getattr per field was most of the walk for links, which visits every value of every file)."""
    if model_class not in _FIELDS:
        names = tuple(model_class.model_fields)
        if len(names) == 1:
            _FIELDS[model_class] = names, lambda model: (getattr(model, names[0]),)
        else:
            _FIELDS[model_class] = names, operator.attrgetter(*names) if names else lambda model: ()
    return _FIELDS[model_class]


def _may_link(last: tuple, text: str) -> bool:
    """Return whether a text under the key `last` may hold a link: quotes are the sources' words,
    and their translations plain text beside them, never Markdown."""
    return ("](" in text or "<" in text) and last not in (("quote",), ("translation",))


def _links(tokens) -> list[str]:
    """Return the refused link and image targets among `tokens` and their children."""
    found = []
    for token in tokens:
        url = token.attrGet("href") if token.type == "link_open" else token.attrGet("src") if token.type == "image" else None
        if isinstance(url, str) and not allowed_url(url):
            found.append(url)
        found += _links(token.children or [])
    return found


def _refused_link(url: str) -> str:
    shown = url if len(url) <= 60 else url[:57] + "..."
    return f"link to '{shown}' refused: links may only be https://, http:// or relative; remove it or link to a web page"


def check_sources(content: Content, searchable: dict[str, SearchableText]) -> list[Problem]:
    problems = []
    used = set()
    for source_id, source in content.sources.items():
        used.add(source.file)
        doc = content.documents[Key("source", source_id)]
        if source.file not in searchable:
            problems.append(
                doc.problem(
                    ("file",), f"no file seeds/{source.file}{did_you_mean(source.file, searchable)}; the archived text must be in seeds/"
                )
            )
            continue
        problems += check_pin(doc, source.file, source.sha256, content.digests.get(source.file))
    sources_failed = any(k.kind == "source" for k in content.failed)
    for name in sorted(set(searchable) - used) if not sources_failed else ():
        problems.append(Problem(f"seeds/{name}", 0, 0, "no source in content/sources/ describes this archived text; add one", "warning"))
    return problems


def check_pin(doc: Document, file: str, pinned: str | None, digest: str | None) -> list[Problem]:
    """Report an archived text that is not pinned, or whose bytes no longer match its pin."""
    if digest is None:
        return []
    if pinned is None:
        return [
            doc.problem(
                ("file",),
                f"seeds/{file} is not pinned; add the line `sha256: {digest}` so that any change to the archived text stops the build",
            )
        ]
    if pinned != digest:
        return [
            doc.problem(
                ("sha256",),
                f"seeds/{file} has changed since it was pinned: its SHA-256 is now {digest}; "
                f"archived texts stay byte for byte as received, so restore the file (git checkout -- seeds/{file}), "
                "or, if the new text is the right one, check every quote against it and pin the new SHA-256",
            )
        ]
    return []


def check_citations(
    content: Content, searchable: dict[str, SearchableText], problems: list[Problem], claims: Iterable[tuple[str, Any]] | None = None
) -> dict[tuple[str, int], Match]:
    """Return where each citation's quote is (of `claims`, by default all); report unknown sources and quotes not found."""
    matches = {}
    for claim_id, located in content.claims.items() if claims is None else claims:
        for index, citation in enumerate(located.claim.citations):
            path = located.path + ("citations", index)
            source = content.sources.get(citation.source)
            if source is None:
                if Key("source", citation.source) not in content.failed:
                    problems.append(
                        located.document.problem(
                            path + ("source",), f"unknown source '{citation.source}'{did_you_mean(citation.source, content.sources)}"
                        )
                    )
                continue
            text = searchable.get(source.file)
            if text is None:
                continue  # reported once, at the source's file
            span = text.find(citation.quote)
            if span is None:
                word = text.inside_word(citation.quote)
                if word:
                    problems.append(
                        located.document.problem(
                            path + ("quote",),
                            f"quote cut from inside the word '{word}' of source '{citation.source}' ({source.file}); a quote starts and ends with whole words: quote the whole word",
                        )
                    )
                    continue
                hint = text.closest(citation.quote)
                where = f'; the closest passage is: "{hint}"' if hint else "; nothing like it is there"
                problems.append(
                    located.document.problem(
                        path + ("quote",),
                        f"quote not found in source '{citation.source}' ({source.file}){where}. Copy the passage exactly from seeds/{source.file}",
                        notes=compare_words(citation.quote, hint) if hint else (),
                    )
                )
                continue
            weak = quote_problem(citation.quote, text, span)
            if weak:
                problems.append(located.document.problem(path + ("quote",), f"{weak} (source '{citation.source}')"))
                continue
            if citation.translation is None and not source.language.startswith("en"):
                problems.append(
                    located.document.problem(
                        path + ("quote",),
                        f"the quote is in '{source.language}' and has no translation; add `translation:` with the site's own English rendering beside `quote:`",
                        severity="warning",
                    )
                )
            elif citation.translation is not None and source.language.startswith("en"):
                problems.append(
                    located.document.problem(
                        path + ("translation",), "the quote is already in English; remove `translation:`", severity="warning"
                    )
                )
            matches[(claim_id, index)] = Match(citation.source, *span)
    return matches


def _reference(
    content: Content, doc: Document, path: tuple, value: Any, known: Any, kind: str, self_id: str | None = None
) -> list[Problem]:
    """Return the problem of one reference to a device or claim, if it has one."""
    if value is None or value in known or Key(kind, value) in content.failed:
        if value is not None and value == self_id:
            return [doc.problem(path, f"'{value}' refers to itself; name another {kind}")]
        return []
    return [doc.problem(path, f"unknown {kind} '{value}'{did_you_mean(value, known)}")]


def device_references(content: Content, device_id: str, device: Any) -> list[Problem]:
    """Report a device's predecessor, successor and shipped_as that do not resolve, or do not agree."""
    doc = content.documents[Key("device", device_id)]
    problems = []
    for key in ("predecessor", "successor", "shipped_as"):
        problems += _reference(content, doc, (key,), getattr(device, key), content.devices, "device", device_id)
    successor = content.devices.get(device.successor or "")
    if successor is not None and successor.predecessor in content.devices and successor.predecessor != device_id:
        problems.append(
            doc.problem(
                ("successor",),
                f"'{device.successor}' names '{successor.predecessor}' as its predecessor, not '{device_id}'; make the two agree",
                severity="warning",
            )
        )
    return problems


def claim_references(content: Content, claim_id: str, located: Any, claim_failed: bool) -> list[Problem]:
    """Report a claim's contradicts, supersedes and devices that do not resolve."""
    problems = []
    for key in ("contradicts", "supersedes"):
        value = getattr(located.claim, key)
        if value is not None and (value == claim_id or (value not in content.claims and not claim_failed)):
            what = "refers to itself" if value == claim_id else f"is not the id of any fact or event{did_you_mean(value, content.claims)}"
            problems.append(located.document.problem(located.path + (key,), f"'{value}' {what}"))
    for index, device_id in enumerate(getattr(located.claim, "devices", [])):
        problems += _reference(content, located.document, located.path + ("devices", index), device_id, content.devices, "device")
    return problems


def check_repeated_statements(content: Content, matches: dict[tuple[str, int], Match]) -> list[Problem]:
    """Warn where two claims in one Europe chain quote overlapping passages of the same source:
    one statement reported twice is one claim with two citations, or it would count twice."""
    if content.europe is None:
        return []
    doc = content.documents[Key("europe")]
    return [p for index, entry in enumerate(content.europe.devices) for p in _repeated_in_entry(content, matches, doc, index, entry)]


def repeated_statements(
    content: Content, matches: dict[tuple[str, int], Match], memo: dict, redone: set[str], searchable: dict[str, SearchableText]
) -> list[Problem]:
    """Return check_repeated_statements, weighing again only the Europe entries that name a claim in `redone`
    (a claim of a file checked again) when the Europe file and the sources are as last time."""
    if content.europe is None:
        return []
    doc = content.documents[Key("europe")]
    inputs = (content.europe, doc, content.sources, searchable, frozenset(content.failed), memo.get("quoting") is not None)
    known = memo.get("repeated")
    if known is None or not _same(known[0], inputs):
        entries = content.europe.devices
        naming: dict[str, list[int]] = {}  # claim id -> the entries naming it
        for index, entry in enumerate(entries):
            for claim_id in entry.claims:
                naming.setdefault(claim_id, []).append(index)
        found = [_repeated_in_entry(content, matches, doc, index, entry) for index, entry in enumerate(entries)]
    else:
        naming, found = known[1], list(known[2])
        for index in sorted({i for claim_id in redone for i in naming.get(claim_id, ())}):
            found[index] = _repeated_in_entry(content, matches, doc, index, content.europe.devices[index])
    memo["repeated"] = (inputs, naming, found)
    return [p for entry in found for p in entry]


def _repeated_in_entry(content: Content, matches: dict[tuple[str, int], Match], doc: Document, index: int, entry: Any) -> list[Problem]:
    problems = []
    seen: list[tuple[str, Match]] = []
    for claim_id in dict.fromkeys(entry.claims):
        located = content.claims.get(claim_id)
        count = len(located.claim.citations) if located is not None else 0
        spans = [matches[(claim_id, i)] for i in range(count) if (claim_id, i) in matches]
        for match in spans:
            other = next(
                (c for c, m in seen if c != claim_id and m.source == match.source and m.start < match.end and match.start < m.end), None
            )
            if other:
                problems.append(
                    doc.problem(
                        ("devices", index, "claims", entry.claims.index(claim_id)),
                        f"'{claim_id}' and '{other}' quote the same passage of source '{match.source}'; one statement is one claim: "
                        "merge them into one claim with a citation from each article",
                        severity="warning",
                    )
                )
                break
        seen += [(claim_id, m) for m in spans]
    return problems


def check_europe(content: Content) -> list[Problem]:
    """Report Europe entries naming unknown devices or claims, repeated devices, and devices left out."""
    problems: list[Problem] = []
    if content.europe is None:
        return problems
    doc = content.documents[Key("europe")]
    seen: dict[str, int] = {}
    claim_failed = any(k.kind in ("device", "history") for k in content.failed)
    for index, entry in enumerate(content.europe.devices):
        path = ("devices", index)
        if entry.device in seen:
            problems.append(
                doc.problem(
                    path + ("device",), f"device '{entry.device}' is answered twice (also entry {seen[entry.device] + 1}); merge the two"
                )
            )
        seen[entry.device] = index
        if entry.device not in content.devices and Key("device", entry.device) not in content.failed:
            problems.append(
                doc.problem(path + ("device",), f"unknown device '{entry.device}'{did_you_mean(entry.device, content.devices)}")
            )
        for k, claim_id in enumerate(entry.claims):
            if claim_id not in content.claims and not claim_failed:
                problems.append(
                    doc.problem(path + ("claims", k), f"unknown fact or event '{claim_id}'{did_you_mean(claim_id, content.claims)}")
                )
    for device_id in sorted(set(content.devices) - set(seen)):
        problems.append(doc.problem(("devices",), f"device '{device_id}' has no Europe answer; add an entry for it", severity="warning"))
    return problems
