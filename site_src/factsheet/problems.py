"""Located problems, the one error type every stage reports through."""

from __future__ import annotations

import difflib
import functools
import heapq
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable

# Characters a terminal obeys rather than shows (ESC starts a command, CR moves back to
# the start of the line, BEL rings) and the bidirectional overrides that reorder text:
# content may hold them, so messages show them escaped.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
EXCERPT_SUFFIXES = (".yaml", ".md")  # the files load reads: only these are quoted in messages
MAX_EXCERPT_BYTES = 2_000_000


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning, pointing at `file:line:column` (1-based; 0 = unknown)."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"
    notes: tuple[str, ...] = field(default=(), compare=False)  # plain-text lines shown under the excerpt

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        return printable(f"{where}: {self.severity}: {self.message}")


def printable(text: str) -> str:
    """Return `text` with control characters escaped (`\\x1b`, `\\r`), so a terminal shows them and obeys none."""
    return _UNPRINTABLE.sub(
        lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"), text
    )


def _width(text: str) -> int:
    """Return how many terminal columns `text` takes: wide East Asian characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def excerpt(problem: Problem, text: str) -> list[str]:
    """Return the problem's line of `text` with a line above and below, numbered, and a caret under its column.

    Plain text lines, control characters escaped; empty when the problem has no line in `text`.
    """
    lines = text.split("\n")
    if not 1 <= problem.line <= len(lines):
        return []
    first, last = max(problem.line - 1, 1), min(problem.line + 1, len(lines))
    if last > problem.line and not lines[last - 1].strip():
        last = problem.line  # the empty end of a file is no context
    gutter = len(str(last))
    shown = []
    for number in range(first, last + 1):
        line = printable(lines[number - 1].rstrip("\r"))
        shown.append(f"{number:>{gutter}} | {line}".rstrip())
        if number == problem.line:
            before = printable(lines[number - 1][: max(problem.column - 1, 0)])
            shown.append(f"{'':>{gutter}} | {' ' * _width(before)}^")
    return shown


def source_text(project: Path, file: str) -> str | None:
    """Return the text of a content file a problem names, or None for a file that is no plain content file.

    Never follows a link nor opens a pipe: a problem about such a file must not show what it points at.
    """
    path = project / file
    try:
        if not file.endswith(EXCERPT_SUFFIXES) or path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_EXCERPT_BYTES:
            return None
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return None


def format_problems(problems: Iterable[Problem], project: Path) -> str:
    """Return the problems as the terminal shows them: each `file:line:column: ...` line, its excerpt and notes."""
    texts: dict[str, str | None] = {}
    blocks = []
    for problem in problems:
        if problem.file not in texts:
            texts[problem.file] = source_text(project, problem.file)
        text = texts[problem.file]
        lines = (
            [str(problem)]
            + [f"  {line}" for line in (excerpt(problem, text) if text is not None else [])]
            + [f"  {printable(note)}" for note in problem.notes]
        )
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def compare_words(quote: str, passage: str) -> tuple[str, ...]:
    """Return a quote and the closest passage found for it, each with `^` under the words that differ."""
    said = re.findall(r"\S+", quote)
    found = re.findall(r"\S+", passage)
    in_quote: set[int] = set()
    in_passage: set[int] = set()
    # Punctuation next to a word does not make it differ: "Europe" is in "Europe,".
    opcodes = difflib.SequenceMatcher(None, [_bare(w) for w in said], [_bare(w) for w in found], autojunk=False).get_opcodes()
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        in_quote.update(range(i1, i2) if tag in ("replace", "delete") else ())
        # Words of the passage around the quote are its context, not a difference.
        inside = 0 < number < len(opcodes) - 1 or tag == "replace"
        in_passage.update(range(j1, j2) if tag in ("replace", "insert") and inside else ())
    return (*_marked("your quote:", said, in_quote), *_marked("the source:", found, in_passage))


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'()«»„“”‘’") or word


def _marked(label: str, words: list[str], marked: set[int]) -> tuple[str, str]:
    line, carets = f"{label:<12}", " " * 12
    for number, word in enumerate(printable(w) for w in words):
        gap = " " if number else ""
        line += gap + word
        carets += gap + ("^" if number in marked else " ") * _width(word)
    return line, carets.rstrip()


class ContentError(Exception):
    """Raised by a stage whose input has errors; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for the closest choice, or an empty string."""
    known = frozenset(choices)
    word = str(word)
    # difflib compares the word with every choice: fine for a few hundred, but a thousand misspelt
    # ids among a thousand took minutes. Beyond that, only likely choices are compared (see _Suggestions).
    candidates = sorted(known) if len(known) <= FEW_CHOICES else _Suggestions.of(known).candidates(word)
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


FEW_CHOICES = 300  # up to this many, every choice is compared with the word
RARE_RUN = 100  # a three-letter run that more choices hold ("-00") does not single any out
CANDIDATES = 16  # the choices sharing the most rare runs with the word that are compared too


class _Suggestions:
    """The choices indexed, once for a set of choices, so that only likely ones are compared with a word:
    those one typo away (a letter wrong, left out, added, or two swapped: each leaves the same
    string with one letter deleted from each), and those sharing the most rare three-letter runs."""

    def __init__(self, choices: frozenset[str]):
        self.variants: dict[str, list[str]] = {}
        self.runs: dict[str, list[str]] = {}
        for choice in choices:
            for variant in _variants(choice):
                self.variants.setdefault(variant, []).append(choice)
            for run in set(_runs(choice)):
                self.runs.setdefault(run, []).append(choice)

    @staticmethod
    @functools.lru_cache(maxsize=8)  # the same ids are offered again for every error
    def of(choices: frozenset[str]) -> _Suggestions:
        return _Suggestions(choices)

    def candidates(self, word: str) -> list[str]:
        found = {choice for variant in _variants(word) for choice in self.variants.get(variant, ())}
        shared: Counter[str] = Counter()
        for run in set(_runs(word)):
            holders = self.runs.get(run, ())
            if len(holders) <= RARE_RUN:
                shared.update(holders)
        # By name within a count too, so the result does not depend on the order of the set.
        found.update(heapq.nsmallest(CANDIDATES, shared, key=lambda choice: (-shared[choice], choice)))
        return sorted(found)


def _variants(text: str) -> set[str]:
    """Return `text` and every string one letter shorter."""
    return {text, *(text[:i] + text[i + 1 :] for i in range(len(text)))}


def _runs(text: str) -> list[str]:
    padded = f" {text} "  # so the first and last letters count too
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def summarize(problems: list[Problem]) -> str:
    """Return the closing count line, `2 errors, 1 warning`."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
