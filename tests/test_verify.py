"""Stage 3, verify: quotes are found after normalising only what does not change their words."""

from __future__ import annotations

import pytest

from factsheet.verify import SearchableText, normalize

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
