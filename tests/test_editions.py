"""The German edition's content: the `_de` twins, their fallback to English, and check's warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from factsheet.editions import Shown, quote_translation, shown
from factsheet.model import Claim, Device
from factsheet.pipeline import check_project
from factsheet.problems import ContentError


def messages(project: Path) -> list[str]:
    return [str(p) for p in check_project(project).warnings]


def replace_in(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_mini_project_is_fully_translated(mini_project: Path) -> None:
    assert messages(mini_project) == []
    check_project(mini_project, strict=True)


def test_a_missing_german_text_warns_at_the_english_one_and_fails_strict(mini_project: Path) -> None:
    replace_in(mini_project / "content/devices/beta.yaml", "    text_de: Ein Nachfolger wird im nächsten Jahr erwartet.\n", "")
    assert messages(mini_project) == [
        "content/devices/beta.yaml:8:11: warning: no German text for 'text'; add 'text_de:' beside it "
        "(until then the German edition shows the English, marked as not yet translated)"
    ]
    with pytest.raises(ContentError):
        check_project(mini_project, strict=True)


def test_no_german_edition_no_translation_warnings(mini_project: Path) -> None:
    replace_in(mini_project / "content/site.yaml", "translations: [de]\n", "")
    replace_in(mini_project / "content/devices/beta.yaml", "    text_de: Ein Nachfolger wird im nächsten Jahr erwartet.\n", "")
    (mini_project / "content/pages/about.de.md").unlink()
    assert messages(mini_project) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # a free page without its German version
        (
            lambda p: (p / "content/pages/about.de.md").unlink(),
            "content/pages/about.md:2:1: warning: no German version of this page; add content/pages/about.de.md "
            "(until then the German edition shows the English, marked as not yet translated)",
        ),
        # a device's list of markets
        (
            lambda p: replace_in(p / "content/devices/alpha.yaml", "markets_de: [Berlin]\n", ""),
            "content/devices/alpha.yaml:7:10: warning: no German text for 'markets'; add 'markets_de:' beside it "
            "(until then the German edition shows the English, marked as not yet translated)",
        ),
        # an event's title
        (
            lambda p: replace_in(p / "content/history.yaml", "    title_de: Alpha Phone vorgestellt\n", ""),
            "content/history.yaml:4:12: warning: no German text for 'title'; add 'title_de:' beside it "
            "(until then the German edition shows the English, marked as not yet translated)",
        ),
        # a German quote needs no German translation
        (
            lambda p: replace_in(
                p / "content/devices/beta.yaml",
                '        translation: "Our rendering: Its successor',
                '        translation_de: "Sein Nachfolger"\n        translation: "Our rendering: Its successor',
            ),
            "content/devices/beta.yaml:17:25: warning: the quote is already in German; remove `translation_de:`",
        ),
        # an English quote needs one
        (
            lambda p: replace_in(p / "content/sources/alpha-news.yaml", "language: de", "language: en"),
            "content/devices/alpha.yaml:17:16: warning: the quote is in 'en' and has no German translation; "
            "add `translation_de:` with the site's own German rendering beside `quote:`",
        ),
    ],
    ids=["page", "markets", "event title", "German quote", "English quote"],
)
def test_each_missing_german_text_is_a_located_warning(mini_project: Path, edit, expected: str) -> None:
    edit(mini_project)
    assert expected in messages(mini_project)


def test_a_german_page_without_an_english_one_is_an_error(mini_project: Path) -> None:
    (mini_project / "content/pages/imprint.de.md").write_text("---\ntitle: Impressum\ndescription: Wer.\n---\nText\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    assert [str(p) for p in caught.value.problems] == [
        "content/pages/imprint.de.md:2:1: error: a German page with no English one; add content/pages/imprint.md, "
        "or rename this file if it is a typo"
    ]


def test_an_unknown_german_key_is_refused_with_a_hint(mini_project: Path) -> None:
    replace_in(mini_project / "content/devices/beta.yaml", "    text_de:", "    text_ge:")
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    assert "unknown key 'text_ge' (did you mean 'text_de'?)" in str(caught.value.problems[0])


def claim(**german: str) -> Claim:
    return Claim.model_validate(
        {"id": "c", "text": "English", "date": "2022", "standing": "report", "citations": [{"source": "s", "quote": "q"}], **german}
    )


@pytest.mark.parametrize(
    ("record", "lang", "expected"),
    [
        # English edition: the English text
        (claim(text_de="Deutsch"), "en", Shown("English", "en")),
        # German edition: the German text
        (claim(text_de="Deutsch"), "de", Shown("Deutsch", "de")),
        # German missing: the English, marked
        (claim(), "de", Shown("English", "en", fallback=True)),
    ],
)
def test_a_text_falls_back_to_english_marked(record, lang: str, expected: Shown) -> None:
    assert shown(record, "text", lang) == expected


def test_an_absent_optional_text_is_none_in_both_editions() -> None:
    device = Device.model_validate({"name": "X", "maker": "Y", "status": "announced", "leica": "unknown"})
    assert shown(device, "summary", "en") is None
    assert shown(device, "summary", "de") is None


@pytest.mark.parametrize(
    ("quote_lang", "english", "german", "lang", "expected"),
    [
        # a German quote: English readers get the English rendering, German readers none
        ("de", "In English", None, "en", Shown("In English", "en")),
        ("de", "In English", None, "de", None),
        # an English quote: German readers get the German rendering, English readers none
        ("en", None, "Auf Deutsch", "de", Shown("Auf Deutsch", "de")),
        ("en", None, "Auf Deutsch", "en", None),
        ("en", None, None, "de", None),
        # an Italian quote without a German rendering: the English one, marked
        ("it", "In English", None, "de", Shown("In English", "en", fallback=True)),
    ],
)
def test_a_quote_is_translated_only_for_readers_of_another_language(quote_lang, english, german, lang, expected) -> None:
    assert quote_translation(quote_lang, english, german, lang) == expected
