"""Stage 3, verify: quotes are found after normalising only what does not change their words."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from factsheet.verify import _PLAIN, SearchableText, normalize, plain_punctuation

SOURCE = "Xiaomi hat eine „langfristige Partnerschaft“ angekündigt –\u00a0das erste\n  Telefon erscheint im Juli."


@pytest.mark.parametrize(
    "quote, found",
    [
        # exact
        ("eine „langfristige Partnerschaft“ angekündigt", "eine „langfristige Partnerschaft“ angekündigt"),
        # plain quotes for typographic ones
        ('eine "langfristige Partnerschaft" angekündigt', "eine „langfristige Partnerschaft“ angekündigt"),
        # a hyphen for the dash, a plain space for the no-break space
        ("angekündigt - das erste", "angekündigt –\u00a0das erste"),
        # a line break inside the quote
        ("das erste Telefon", "das erste\n  Telefon"),
        # decomposed umlaut (NFD) matches the composed one
        ("angeku\u0308ndigt", "angekündigt"),
    ],
)
def test_quote_is_found_after_normalising_unicode_space_quotes_and_dashes(quote, found) -> None:
    text = SearchableText(SOURCE)
    start, end = text.find(quote)
    assert SOURCE[start:end] == found


@pytest.mark.parametrize(
    "quote",
    [
        # paraphrase is not a quote
        "Xiaomi announced a long-term partnership",
        # a changed word
        "das zweite Telefon",
        # case matters
        "xiaomi hat eine",
    ],
)
def test_a_changed_or_paraphrased_quote_is_not_found(quote) -> None:
    assert SearchableText(SOURCE).find(quote) is None


def test_the_closest_passage_is_offered_when_a_quote_is_not_found() -> None:
    assert SearchableText(SOURCE).closest("das zweite Telefon erscheint im Juli") == "das erste Telefon erscheint im Juli."


def test_normalize_collapses_white_space_and_plain_quotes() -> None:
    assert normalize(" „a“\u00a0\n b – c ") == '"a" b - c'


def test_normalize_is_nfc_translated_and_white_space_runs_made_one_space() -> None:
    # The definition normalize and plain_punctuation are written faster than.
    def reference(text: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).translate(_PLAIN)).strip()

    pieces = [*"ab ü\t\n\u3000\xa0\u2028\u0085ß", *(chr(c) for c in _PLAIN), "e\u0301", "\U0001f600"]
    rng = random.Random(14)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert normalize(text) == reference(text)
        assert plain_punctuation(text) == text.translate(_PLAIN)
