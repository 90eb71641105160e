"""Stage 2, validate: each model error becomes one located message in the editor's terms."""

from __future__ import annotations

import pytest

from factsheet.load import parse_yaml
from factsheet.validate import validate_document

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
