"""Stage 1, load: positions of every key and value, and the file-level refusals."""

from __future__ import annotations

import datetime

import pytest

from factsheet.load import Position, parse_yaml, read_text

DEVICE = """\
name: Alpha
facts:
  - id: one
    citations:
      - quote: "x"
"""


@pytest.mark.parametrize(
    "path, key, expected",
    [
        # values
        (("name",), False, Position(1, 7)),
        (("facts", 0, "id"), False, Position(3, 9)),
        (("facts", 0, "citations", 0, "quote"), False, Position(5, 16)),
        # keys
        (("facts",), True, Position(2, 1)),
        (("facts", 0, "citations"), True, Position(4, 5)),
        # a path that does not exist falls back to its nearest parent
        (("facts", 0, "standing"), False, Position(3, 5)),
    ],
)
def test_every_key_and_value_has_its_line_and_column(path, key, expected) -> None:
    doc, problems = parse_yaml(DEVICE, "content/devices/alpha.yaml", "device")
    assert problems == []
    assert doc.position(path, key=key) == expected


@pytest.mark.parametrize(
    "text, value",
    [
        # YAML 1.1 reads these as non-text; the loader keeps what was written for the hint
        ("x: no", False),
        ("x: On", True),
        ("x: 2022-07-05", datetime.date(2022, 7, 5)),
        ("x: 2016", 2016),
        # quoted, they stay text
        ('x: "no"', "no"),
        ("x: '2022-07-05'", "2022-07-05"),
    ],
)
def test_scalars_resolve_as_yaml_does_and_remember_how_they_were_written(text, value) -> None:
    doc, _ = parse_yaml(text, "f.yaml", "device")
    assert doc.data == {"x": value}
    if not isinstance(value, str):
        assert doc.plain[("x",)] == text.split(": ")[1]


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: 1\na: 2\n", "f.yaml:2:1: error: duplicate key 'a' (first at line 1); YAML keeps only the last, so remove or rename one"),
        (
            "a: !!python/object:os.system x\n",
            "f.yaml:1:4: error: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'; write plain text instead",
        ),
        ("a: [1, 2\n", "f.yaml:1:4: error: YAML syntax error: the '[' opened here is never closed; add the closing ']'"),
        ("# only a comment\n", "f.yaml:1:1: error: the file has no data; fill it in or delete it"),
    ],
)
def test_unreadable_yaml_is_refused_with_a_located_message(text, message) -> None:
    doc, problems = parse_yaml(text, "f.yaml", "device")
    assert doc is None
    assert [str(p) for p in problems] == [message]


@pytest.mark.parametrize(
    "text, where, message",
    [
        # a key without its colon: libyaml notices only on the next line
        (
            "name: Alpha\nmaker: Xiaomi\nstatus announced\nleica: branded\n",
            (3, 1),
            "YAML syntax error: this line has no ':' after its key; write the key, a colon and a space, like 'status: announced'",
        ),
        (
            'facts:\n  - id: a\n    citations:\n      - source x\n        quote: "abc"\n',
            (4, 9),
            "YAML syntax error: this line has no ':' after its key, so YAML reads it and the next line as one text; write 'source: x'",
        ),
        # a quote left open swallows the keys after it, up to the next quote
        (
            'events:\n  - id: a\n    title: "Leica and Huawei\n    text: "b c"\n  - id: c\n',
            (3, 12),
            'YAML syntax error: the quote opened here is not closed on its line, so the keys after it are read as text; add the closing "',
        ),
        ("name: 'abc\nmaker: b\n", (1, 7), "YAML syntax error: the quote opened here is never closed; add the closing '"),
        # tabs
        (
            "markets:\n\t- China\n",
            (2, 1),
            "YAML syntax error: a tab indents this line; YAML indents with spaces only, so replace the tab with spaces",
        ),
        (
            "facts:\n  - id: a\n\t  text: b\n",
            (3, 1),
            "YAML syntax error: a tab indents this line; YAML indents with spaces only, so replace the tab with spaces",
        ),
        # ': ' inside a value, and a key indented too far
        ("name: Alpha: Beta\n", (1, 12), "YAML syntax error: a second ': ' in one line; put the value in quotes, like \"Alpha: Beta\""),
        (
            "name: A\n  maker: B\n",
            (2, 3),
            "YAML syntax error: this key is indented further than the key above it (line 1); line it up with that key",
        ),
        (
            "markets:\n  - a\n - b\n",
            (3, 2),
            "YAML syntax error: this line is not lined up with the lines above it (from line 1); indent it as they are",
        ),
        # a backslash in double quotes
        (
            'name: "C:\\dir"\n',
            (1, 10),
            "YAML syntax error: '\\d' is not an escape sequence in double quotes; write '\\\\' for a backslash, or use single quotes",
        ),
    ],
)
def test_yaml_syntax_errors_point_at_the_mistake_in_plain_words(text, where, message) -> None:
    doc, problems = parse_yaml(text, "f.yaml", "device")
    assert doc is None
    assert [(p.line, p.column, p.message) for p in problems] == [(*where, message)]


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    doc, problems = parse_yaml(bomb, "f.yaml", "device")
    assert doc is None
    assert "alias bomb" in problems[0].message


def test_a_file_that_is_not_utf8_names_the_line_and_column_of_the_bad_byte(tmp_path) -> None:
    file = tmp_path / "x.yaml"
    file.write_bytes("title: ok\nname: M\xfcnchen\n".encode("latin-1"))
    text, problems = read_text(file, "content/x.yaml")
    assert text is None
    assert [str(p) for p in problems] == ["content/x.yaml:2:8: error: not UTF-8 text (byte 0xFC); save the file as UTF-8"]


@pytest.mark.parametrize(
    "text", ["title: x\ndescription: a b\u2028n ist.", "title: x\ndescription: a b\x85n ist.", "title: x\ndescription: a b\rn ist."]
)
def test_a_line_break_only_libyaml_counts_still_gets_a_located_syntax_error(text: str) -> None:
    # U+2028, U+0085 and a lone CR end a line for libyaml, not for str.split("\n"): the explanation
    # looked for the line past the last one and crashed.
    doc, problems = parse_yaml(text, "f.yaml", "page")
    assert doc is None
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [(2, "YAML syntax error: this line has no ':' after its key")]


def test_the_shared_constructor_keeps_no_node() -> None:
    from factsheet import yaml_reader

    for i in range(50):
        doc, _ = parse_yaml(f"a: {i}\nb: no\nc: 2022-03-04\n", "f.yaml", "device")
        assert doc is not None and doc.data["a"] == i
    assert yaml_reader._constructor.constructed_objects == {}
