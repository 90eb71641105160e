"""Stage 2, validate: each model error becomes one located message in the editor's terms."""

from __future__ import annotations

import datetime
from typing import Any

import pydantic
import pytest
from pydantic import ConfigDict

from factsheet.load import parse_yaml
from factsheet.model import Citation, Claim, Device, EuropeEntry, Event
from factsheet.validate import RECORD_ERRORS, validate_document

HEAD = "name: A\nmaker: A\nstatus: announced\nleica: branded\n"


@pytest.mark.parametrize(
    "text, messages",
    [
        # a required key left empty: removing it is no fix
        ('name: ""\nmaker: A\nstatus: announced\nleica: branded\n', ["f.yaml:1:7: error: 'name' is empty; write a value"]),
        # an optional key left empty
        (HEAD + 'series: ""\n', ["f.yaml:5:9: error: 'series' is empty; write a value or remove the key"]),
        # a missing key whose values are a fixed set lists them
        (
            "name: A\nmaker: A\nleica: branded\n",
            ["f.yaml:1:1: error: missing required key 'status'; one of: announced, expected, rumoured"],
        ),
        # a value outside the set gets a did-you-mean
        (
            "name: A\nmaker: A\nstatus: anounced\nleica: branded\n",
            [
                "f.yaml:3:9: error: 'anounced' is not allowed for 'status' (did you mean 'announced'?); use one of: announced, expected, rumoured"
            ],
        ),
        # an id that is not kebab-case
        (
            HEAD + "predecessor: Xiaomi 12\n",
            [
                "f.yaml:5:14: error: 'Xiaomi 12' is not an id; ids are lower-case words and digits joined by hyphens, like 'xiaomi-12s-ultra'"
            ],
        ),
        # a number where text is meant
        (
            "name: 12\nmaker: A\nstatus: announced\nleica: branded\n",
            ['f.yaml:1:7: error: YAML reads 12 as a number, not as text; put it in quotes: "12"'],
        ),
        # every problem of a fact at once
        (
            HEAD + 'facts:\n  - id: x\n    text: ""\n    date: "2022"\n    citations: []\n',
            [
                "f.yaml:7:11: error: 'text' is empty; write a value",
                "f.yaml:6:5: error: missing required key 'standing'; one of: official, report, rumour, opinion",
                "f.yaml:9:16: error: a fact with no citation; add at least one '- source: <source id>' with its 'quote:'",
            ],
        ),
    ],
)
def test_model_errors_are_explained_at_their_position(text, messages) -> None:
    doc, problems = parse_yaml(text, "f.yaml", "device")
    assert problems == []
    model, found = validate_document(doc)
    assert model is None
    assert [str(p) for p in found] == messages


YAML_VALUES = [
    True,
    None,
    3,
    1.5,
    datetime.date(2022, 7, 5),
    datetime.datetime(2022, 7, 5, 1, 2),
    "",
    "x",
    "no",
    "Ab C",
    [],
    ["a"],
    {},
    {"a": 1},
]


@pytest.mark.parametrize("record", [Citation, Claim, Event, EuropeEntry, Device], ids=lambda r: r.__name__)
def test_a_record_refuses_what_a_strict_model_refuses(record: type) -> None:
    """Records are not pydantic-strict (a strict dataclass takes no mapping): for every value YAML
    can give, each field reports the errors a strict model of the same fields does."""
    fields = {name: (info.annotation, info) for name, info in record.model_fields.items()}
    strict = pydantic.create_model(f"Strict{record.__name__}", __config__=ConfigDict(strict=True, extra="forbid"), **fields)
    base = {name: "a-b" for name, info in record.model_fields.items() if info.is_required()} | {"date": "2022", "standing": "report"}
    base["citations"] = [{"source": "s", "quote": "q"}]

    def errors(model: Any, data: dict) -> list[tuple]:
        try:
            model.model_validate(data)
        except pydantic.ValidationError as exc:
            return [(RECORD_ERRORS.get(e["type"], e["type"]), e["loc"]) for e in exc.errors()]
        return []

    for name in record.model_fields:
        for value in YAML_VALUES:
            data = {key: value for key, value in base.items() if key in record.model_fields} | {name: value}
            assert errors(record, data) == errors(strict, data), f"{record.__name__}.{name} = {value!r}"
