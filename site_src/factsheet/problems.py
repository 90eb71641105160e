"""Located problems, the one error type every stage reports through."""

from __future__ import annotations

import difflib
import functools
import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning, pointing at `file:line:column` (1-based; 0 = unknown)."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message}"


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
    return {text, *(text[:i] + text[i + 1:] for i in range(len(text)))}


def _runs(text: str) -> list[str]:
    padded = f" {text} "  # so the first and last letters count too
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


def summarize(problems: list[Problem]) -> str:
    """Return the closing count line, `2 errors, 1 warning`."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
