"""The quick YAML read (libyaml's composer and a plain walk) gives exactly what the reference reader gives.

The reference is `yaml_reader.read_events`: PyYAML's events built into data, with every
refusal and its message. `parse_yaml` reads a file the quick way first and hands it to the
reference whenever the quick read declines. Pinned here over every content file of the real
site and of the test fixtures, every text written in the tests, YAML 1.1's surprises one by
one, and thousands of mutated files: where the quick read answers, its data (types, key
order, shared texts) and its `plain` texts are the reference's; where it declines, the
reference's answer (data, problems, positions) is what `parse_yaml` returns.
"""

from __future__ import annotations

import ast
import math
import random

import pytest

from conftest import REPO
from factsheet import yaml_reader
from factsheet.yaml_reader import front_matter, parse_yaml, read_events

TESTS = REPO / "tests"
SYNTAX = list(":-[]{}&*!|>'\"%@`#,?\t\n \\<") + ["\x00", "\x01", "\x85", "\u2028", "\ufeff", "\U0001f600"]
# Values YAML 1.1 reads as something other than text, and a few that look like them but are text.
SURPRISES = [
    "no", "No", "NO", "yes", "on", "Off", "y", "n", "true", "False", "~", "null", "Null", "",
    "2022-03-04", "2022-3-4", "2022-03-04 10:20:30", "2022-03-04T10:20:30Z", "2022-03-04 10:20:30.5 +02:00", "2022-02-30",
    "0o17", "017", "0x1F", "0b101", "1_000", "1:30", "190:20:30", "-1:30", "+12", "12e3", "1.5e3", "1e3", ".5",
    ".inf", "-.Inf", ".NaN", "0", "-0", "09", "1.", "1__0", "9" * 400, "x" * 24, "x" * 25, "x" * 33,
    "!!str 12", "!!int '12'", "!!float 1", "!!bool yes", "!!null ''", "!!timestamp 2022-03-04", "! 12", "! '12'", "!x y",
    "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]", "!!map {a: 1}", "!!seq [1]", "*nowhere", "&a 1", "=", "<<",
    "'no'", '"2022-03-04"', "[no, 2022-03-04, {on: off}]", "{yes: 1, 'yes': 2}", "|\n    no\n", ">-\n    a\n    b\n",
]  # fmt: skip
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e]\n"
)
HAND_WRITTEN = [
    "a: no\nb: on\n",
    "no: 1\nyes: 2\n~: 3\n",  # bool and null keys mean their word
    "no: 1\n'no': 2\n",  # ... so these two are the same key
    "1: a\n1.0: b\n",  # equal keys of two types
    "a: 1\na: 2\n",
    ".nan: 1\n.nan: 2\n",
    "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",  # a merge key
    "a: &x [1, 2]\nb: *x\nc: *x\n",
    "a: &x {k: no}\nb: *x\n",
    "a: &x 1\nb: &x 2\nc: *x\n",  # an anchor defined twice
    "a: *y\n",
    "a: &r [*r]\n",  # an alias inside its own anchor
    "? [a, b]\n: c\n",  # a key that is no text
    "k: &k {a: 1}\n*k : 2\n",
    "&k a: 1\n*k : 2\n",  # an alias as a key
    "a: 1\n---\nb: 2\n",
    "--- 1\n",
    "---\n",
    "# only a comment\n",
    "%YAML 1.1\n---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a:\n\t- b\n",  # a tab indents
    "a: 'x\ty'\nb: \"\\t\"\n",
    "a: \ufeffx\n",
    "\ufeffa: 1\n",
    "a: \x07\n",
    'a: "\\q"\n',
    "a: 'unclosed\nb: 2\n",
    "title: x\ndescription: a b\u2028n ist.",  # libyaml counts U+2028 as a line break, str.split does not
    "a: [1, 2\nb: 3\n",
    "a:\n  b: 1\n c: 2\n",
    "a: b: c\n",
    "key without colon\nb: 1\n",
    "a: !!python/object:os.system x\n",
    "a: 1\n" * 3,
    "- a\n- b: [c, {d: e}]\n",
    "plain\n",
    "'quoted'\n",
    "123\n",
    "- " * 60 + "x\n",
    "[" * 39 + "]" * 39,
    "[" * 40 + "]" * 40,
    "[" * 41 + "]" * 41,
    "[" * 3_000 + "]" * 3_000,  # deeper than the C composer is given
]  # BOMB is read both ways in the bomb tests below


def same(a, b) -> bool:
    """Return whether two loaded values are the same: equal, of the same types all the way down, keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b, strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def compare(text: str, kind: str = "device") -> bool:
    """Assert the quick read and `parse_yaml` agree with the reference on `text`; return whether the quick read answered."""
    reference, problems = read_events(text, "f.yaml", kind)
    quick = yaml_reader._read_clean(text, yaml_reader.limits(kind)[1])
    if quick is not None:
        assert problems == [], text
        assert reference is not None
        assert same(quick[0], reference.data), text
        assert quick[1] == reference.plain and all(same(quick[1][p], reference.plain[p]) for p in quick[1]), text
    doc, found = parse_yaml(text, "f.yaml", kind)
    assert found == problems, text
    assert (doc is None) == (reference is None), text
    if doc is not None and reference is not None:
        assert same(doc.data, reference.data), text
        assert doc.plain == reference.plain, text
    return quick is not None


def content_texts() -> dict[str, str]:
    """Return the YAML of every content file of the real site and the fixtures (a page's front matter), by its path."""
    texts = {}
    for file in sorted([*(REPO / "content").rglob("*"), *(TESTS / "fixtures").rglob("*")]):
        if file.suffix not in (".yaml", ".md") or "golden" in file.parts:
            continue
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        if file.suffix == ".md":
            found = front_matter(text)
            if found is None:
                continue
            text = found[0]
        texts[str(file.relative_to(REPO))] = text
    return texts


def test_every_content_file_reads_the_same_and_the_clean_ones_quickly() -> None:
    texts = content_texts()
    real = [path for path in texts if path.startswith("content/")]
    assert len(real) >= 18
    quick = {path for path, text in texts.items() if compare(text)}
    assert set(real) <= quick  # the real site loads cleanly: none of it left to the reference reader


@pytest.mark.parametrize("value", SURPRISES)
def test_yaml_1_1_surprises_read_the_same(value: str) -> None:
    compare(f"x: {value}\n")
    compare(f"- {value}\n")
    compare(f"{value}: x\n")
    compare(f"{value}\n")


@pytest.mark.parametrize("text", HAND_WRITTEN)
def test_hand_written_cases_read_the_same(text: str) -> None:
    compare(text)


def test_a_bomb_is_left_to_the_reference_whatever_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(yaml_reader.LIMITS, "europe", (64_000_000, 1_000))
    monkeypatch.setattr(yaml_reader, "MAX_NODES", 1_000)  # every other kind's budget
    assert not compare(BOMB, "europe")
    assert not compare(BOMB, "device")
    # Around the edges of 1,000 values and 2,000 parser events: a key is an event, an empty collection two.
    for n in range(490, 502):
        compare("a: [" + ", ".join(["x"] * n) + "]\nb: [" + ", ".join(["[]"] * n) + "]\n", "europe")
        compare("".join(f"k{i}: x\n" for i in range(2 * n)), "europe")
    for n in range(655, 670):
        compare("".join(f"k{i}: {{}}\n" for i in range(n)), "europe")
        compare("".join(f"k{i}: []\n" for i in range(n)) + "z: &z [1]\ny: *z\n", "europe")
    for n in range(990, 1002):
        compare("[" + ", ".join(["x"] * n) + "]\n", "europe")


@pytest.mark.slow
def test_a_bomb_is_left_to_the_reference_at_the_real_budget() -> None:
    # The reference counts 200,000 values before it refuses, twice (2 s): the budget of 1,000 above proves the same.
    assert not compare(BOMB, "device")


def test_every_text_written_in_the_tests_reads_the_same() -> None:
    """Any text is a fair input: every string constant of the test modules is read both ways (once each:
    a text written twice reads the same twice; those the tests above read already are left to them)."""
    texts = {BOMB, *HAND_WRITTEN}  # read above (the bomb, read as a device's at the real budget, costs 2 s)
    count = 0
    for module in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() and node.value not in texts:
                texts.add(node.value)
                if "\ud800" <= max(node.value) and any("\ud800" <= c <= "\udfff" for c in node.value):
                    continue  # a lone surrogate: no file decoded from UTF-8 holds one
                compare(node.value)
                count += 1
    assert count > 1_000


def mutants(text: str, rng: random.Random, count: int) -> list[str]:
    """Return `count` copies of `text`, each broken or changed in one way."""
    found = []
    for _ in range(count):
        lines = text.split("\n")
        at = rng.randrange(len(text) + 1)
        line = rng.randrange(len(lines))
        how = rng.randrange(7)
        if how == 0:  # a character that means something to YAML
            found.append(text[:at] + rng.choice(SYNTAX) + text[at:])
        elif how == 1:
            found.append(text[:at] + text[at + 1 :])
        elif how == 2:  # a line twice: a duplicate key, or a second item
            found.append("\n".join(lines[: line + 1] + lines[line:]))
        elif how == 3:  # a value swapped for one YAML 1.1 reads another way
            head, colon, _ = lines[line].partition(": ")
            lines[line] = f"{head}{colon or ': '}{rng.choice(SURPRISES)}"
            found.append("\n".join(lines))
        elif how == 4:
            lines[line] = rng.choice([" ", "  ", "\t", "- "]) + lines[line]
            found.append("\n".join(lines))
        elif how == 5:
            found.append(text[:at])
        else:  # an anchor on one value, an alias to it in another
            first, second = sorted(rng.sample(range(len(lines)), 2)) if len(lines) > 1 else (0, 0)
            lines[first] = lines[first].replace(": ", ": &a ", 1)
            lines[second] = lines[second].partition(": ")[0] + ": *a"
            found.append("\n".join(lines))
    return found


def test_mutated_content_reads_the_same() -> None:
    rng = random.Random(14)
    quick = total = 0
    for text in content_texts().values():
        for mutant in mutants(text, rng, 24):
            quick += compare(mutant)
            total += 1
    assert total > 1_000
    assert quick > total // 4  # many mutants still load cleanly: the quick read is tried on them


def test_positions_are_found_again_from_the_text_as_the_reference_records_them() -> None:
    for path, text in content_texts().items():
        if not path.startswith("content/"):
            continue
        doc, _ = parse_yaml(text, path, "device")
        located, _ = read_events(text, path, "device", positions=True)
        assert doc is not None and located is not None
        for where in located.values:
            assert doc.position(where) == located.position(where)
        for where in located.keys:
            assert doc.position(where, key=True) == located.position(where, key=True)


def test_the_quick_read_shares_short_texts_and_keys_as_the_reference_does() -> None:
    text = (REPO / "content" / "devices" / "xiaomi-12s-ultra.yaml").read_text(encoding="utf-8")
    quick, _ = yaml_reader._read_clean(text, 200_000) or (None, None)
    reference, _ = read_events(text, "f.yaml", "device")
    assert reference is not None and quick is not None
    for key_a, key_b in zip(quick, reference.data, strict=True):
        assert key_a is key_b
    assert quick["status"] is reference.data["status"]
