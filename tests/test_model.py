"""Partial dates: written as precisely as the sources know them, shown and ordered honestly."""

from __future__ import annotations

import datetime

import pytest

from factsheet.model import CONTROL, PartialDate, find_control, parse_partial_date


@pytest.mark.parametrize(
    "written, shown, iso",
    [
        # year, month, day
        ("2016", "2016", "2016"),
        ("2022-03", "March 2022", "2022-03"),
        ("2022-07-05", "5 July 2022", "2022-07-05"),
        # narrowed to part of a period
        ("late 2022-03", "late March 2022", "2022-03"),
        ("early 2022", "early 2022", "2022"),
        # what YAML hands over unquoted
        (2016, "2016", "2016"),
        (datetime.date(2022, 7, 5), "5 July 2022", "2022-07-05"),
    ],
)
def test_dates_show_only_the_precision_they_have(written, shown, iso) -> None:
    date = parse_partial_date(written)
    assert (str(date), date.iso) == (shown, iso)


@pytest.mark.parametrize(
    "written, message",
    [
        ("July 2022", '\'July 2022\' is not a date; write "2022", "2022-07", "2022-07-05" or "late 2022-03"'),
        ("2022-13", "'2022-13' has no month 13; months run from 01 to 12"),
        ("2022-02-30", "'2022-02-30' is not a day of the calendar"),
        ("late 2022-03-05", "'late 2022-03-05': early/mid/late narrows a month or a year, not a day; drop the word"),
        (True, 'expected a date such as "2022", "2022-07" or "late 2022-03", got True'),
    ],
)
def test_impossible_or_malformed_dates_say_how_to_write_one(written, message) -> None:
    with pytest.raises(ValueError) as error:
        parse_partial_date(written)
    assert str(error.value) == message


def test_dates_sort_by_what_is_known_vaguer_first() -> None:
    dates = ["2022-07-05", "2022", "late 2022-03", "2016", "2022-03", "2022-07", "mid 2022"]
    ordered = sorted((parse_partial_date(d) for d in dates), key=lambda d: d.sort_key)
    assert [str(d) for d in ordered] == ["2016", "2022", "March 2022", "late March 2022", "mid 2022", "July 2022", "5 July 2022"]


def test_a_partial_date_expands_to_its_first_day_for_feeds() -> None:
    assert PartialDate(2022, 3).iso_full == "2022-03-01"


def test_find_control_finds_what_the_control_pattern_finds() -> None:
    # Every code point alone, then each refused one among letters, an emoji and other refused ones.
    refused = [chr(c) for c in range(0x110000) if CONTROL.search(chr(c))]
    assert [chr(c) for c in range(0x110000) if find_control(chr(c))] == refused
    for c in refused:
        for text in (f"ab\U0001f600{c}", f"\U0001f600\U0010fffd{c}x{refused[0]}", f"é{c}", f"a b\U00020000{c}"):
            expected, found = CONTROL.search(text), find_control(text)
            assert (expected and (expected.group(), expected.start())) == (found and (found.group(), found.start()))
