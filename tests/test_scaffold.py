"""`build.py new device|source|event <id>`: starter files the check refuses until every placeholder is filled in."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import REPO
from test_schema import models_in
from factsheet.cli import main
from factsheet.model import MODELS, Citation, Claim, Event, Relay

PLACEHOLDER = re.compile(r'^(\s*(?:- )?)(\w+): ""$', re.MULTILINE)  # an uncommented `key: ""`

GAMMA = "Gamma Phone arrives. It was presented this week.\n"
# What an editor would write in place of each placeholder, by key.
FILLED = {
    "device": {
        "name": "Gamma Phone",
        "maker": "Gamma",
        "status": "announced",
        "leica": "unknown",
        "id": "gamma-presented",
        "text": "The Gamma Phone was presented.",
        "date": "2022-07",
        "standing": "report",
        "source": "alpha-news",
        "quote": 'presented in "Berlin" this week',
    },
    "source": {"title": "Gamma Phone arrives", "language": "en", "file": "gamma.txt", "sha256": hashlib.sha256(GAMMA.encode()).hexdigest()},
    "event": {
        "date": "2022-07",
        "title": "Alpha presented",
        "text": "The Alpha Phone was presented.",
        "standing": "report",
        "source": "alpha-news",
        "quote": 'presented in "Berlin" this week',
    },
}
FIELDS = {"device": [MODELS["device"], Claim, Citation], "source": [MODELS["source"], Relay], "event": [Event, Citation]}
FOLDER = {"device": "devices", "source": "sources"}
STARTER = {"device": "content/devices/gamma.yaml", "source": "content/sources/gamma.yaml", "event": "content/history.yaml"}


@pytest.fixture
def project(mini_project: Path) -> Path:
    """The mini project with one archived text that no source describes yet."""
    (mini_project / "seeds/gamma.txt").write_text(GAMMA, encoding="utf-8")
    return mini_project


def placeholder_lines(text: str) -> set[int]:
    return {text.count("\n", 0, m.start(2)) + 1 for m in PLACEHOLDER.finditer(text)}


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: f"{m[1]}{m[2]}: {yaml.safe_dump(values[m[2]], default_style=chr(39)).strip()}", text)


@pytest.mark.parametrize("kind", ["device", "source"])
def test_starter_file_fails_check_at_every_placeholder_and_passes_once_filled(project: Path, kind: str, capsys):
    assert main(["new", kind, "gamma"], project=project) == 0
    file = project / "content" / FOLDER[kind] / "gamma.yaml"
    text = file.read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema=../../schema/{kind}.schema.json\n")
    capsys.readouterr()

    assert main(["check"], project=project) == 1
    reported = {
        int(line.split(":")[1]) for line in capsys.readouterr().err.splitlines() if line.startswith(f"content/{FOLDER[kind]}/gamma.yaml:")
    }
    assert reported == placeholder_lines(text)

    filled = fill(text, FILLED[kind])
    assert '""' not in "\n".join(line for line in filled.splitlines() if not line.lstrip().startswith("#"))
    file.write_text(filled, encoding="utf-8")
    assert main(["check"], project=project) == 0, capsys.readouterr().err
    schema = (REPO / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8")
    jsonschema.validate(yaml.safe_load(filled), yaml.safe_load(schema))


@pytest.mark.parametrize("kind", ["device", "source", "event"])
def test_starter_file_explains_every_field_of_the_model(project: Path, kind: str):
    main(["new", kind, "gamma"], project=project)
    text = (project / STARTER[kind]).read_text(encoding="utf-8")
    for model in FIELDS[kind]:
        for field in model.model_fields:
            assert re.search(rf"^\s*#?\s*(- )?{field}:", text, re.MULTILINE), f"{field} is not in the starter file"


def test_starter_files_name_the_sources_and_the_texts_not_yet_described(project: Path):
    main(["new", "source", "gamma-news"], project=project)
    main(["new", "device", "gamma"], project=project)
    assert "Known sources: alpha-news, gamma-news." in (project / "content/devices/gamma.yaml").read_text()
    starter = (project / "content/sources/gamma-news.yaml").read_text()
    assert "Not yet described by a source, each with the sha256 that pins it:" in starter
    assert f"gamma.txt  sha256: {hashlib.sha256((project / 'seeds/gamma.txt').read_bytes()).hexdigest()}" in starter
    assert "alpha.txt" not in starter


def test_a_starter_source_filled_in_with_the_listed_pin_passes_check(project: Path):
    main(["new", "source", "gamma-news"], project=project)
    starter = project / "content/sources/gamma-news.yaml"
    pin = re.search(r"gamma\.txt  sha256: ([0-9a-f]{64})", starter.read_text()).group(1)
    starter.write_text(
        starter.read_text()
        .replace('title: ""', "title: Gamma")
        .replace('language: ""', "language: en")
        .replace('file: ""', "file: gamma.txt")
        .replace('sha256: ""', f"sha256: {pin}")
    )
    (project / "content/devices/alpha.yaml").write_text(
        (project / "content/devices/alpha.yaml").read_text()
        + (
            '  - id: gamma-cited\n    text: Gamma says so.\n    text_de: Gamma sagt es.\n    date: "2022"\n    standing: report\n'
            '    citations:\n      - source: gamma-news\n        quote: "It was presented this week."\n'
            "        translation_de: Es wurde diese Woche vorgestellt.\n"
        )
    )
    assert main(["check", "--strict"], project=project) == 0


def test_new_event_appends_an_event_the_check_refuses_until_filled_in(project: Path, capsys):
    history = project / "content/history.yaml"
    before = history.read_text(encoding="utf-8")
    assert main(["new", "event", "gamma-presented"], project=project) == 0
    assert "wrote an event 'gamma-presented' at the end of content/history.yaml" in capsys.readouterr().out
    text = history.read_text(encoding="utf-8")
    assert text.startswith(before)
    assert "  - id: gamma-presented\n" in text

    assert main(["check"], project=project) == 1
    reported = {int(line.split(":")[1]) for line in capsys.readouterr().err.splitlines() if line.startswith("content/history.yaml:")}
    assert reported == placeholder_lines(text)

    history.write_text(fill(text, FILLED["event"]), encoding="utf-8")
    assert main(["check"], project=project) == 0, capsys.readouterr().err


def test_new_event_refuses_an_id_the_history_has_already(project: Path, capsys):
    history = project / "content/history.yaml"
    existing = re.search(r"- id: ([\w-]+)", history.read_text()).group(1)
    before = history.read_bytes()
    assert main(["new", "event", existing], project=project) == 1
    assert history.read_bytes() == before
    assert f"an event '{existing}' is in content/history.yaml already" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["device", "source", "event"])
def test_new_tells_the_editor_to_run_make_check(project: Path, kind: str, capsys):
    assert main(["new", kind, "gamma"], project=project) == 0
    out = capsys.readouterr().out
    assert "`make check`" in out and "build.py check" not in out


def test_starter_file_never_splits_an_id_across_lines(project: Path):
    ids = [f"lei-jun-global-12s-ultra-successor-{n}" for n in range(6)]
    for id in ids:
        main(["new", "source", id], project=project)
    main(["new", "device", "gamma"], project=project)
    lines = (project / "content/devices/gamma.yaml").read_text(encoding="utf-8").splitlines()
    for id in ids:
        assert any(re.search(rf"(^|[ ,]){id}[,.]", line) for line in lines), f"{id} is split across lines"


@pytest.mark.parametrize("kind, id", [("device", "alpha"), ("source", "alpha-news")])
def test_new_refuses_to_overwrite_an_existing_file(project: Path, kind: str, id: str, capsys):
    file = project / "content" / FOLDER[kind] / f"{id}.yaml"
    before = file.read_bytes()
    assert main(["new", kind, id], project=project) == 1
    assert file.read_bytes() == before
    assert f"content/{FOLDER[kind]}/{id}.yaml exists already" in capsys.readouterr().err


@pytest.mark.parametrize(
    "id, suggestion",
    [
        ("Gamma", "gamma"),
        ("gamma phone", "gamma-phone"),
        ("gamma_phone", "gamma-phone"),
        ("gamma-", "gamma"),
        ("gamma--phone", "gamma-phone"),
        ("../gamma", "gamma"),
        ("gämma", "gamma"),
        ("Xiaomi 12S Ultra", "xiaomi-12s-ultra"),
        ("a" * 81, "a" * 80),
        ("", None),
    ],
)
def test_new_refuses_an_id_that_is_not_kebab_case(project: Path, id: str, suggestion: str | None, capsys):
    before = sorted(project.rglob("*"))
    assert main(["new", "device", id], project=project) == 1
    assert sorted(project.rglob("*")) == before
    err = capsys.readouterr().err
    assert "is not an id" in err and "kebab-case" in err
    assert (f"did you mean '{suggestion}'?" in err) if suggestion else ("did you mean" not in err)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_editing_guide_explains_every_field_of_the_model(kind: str):
    guide = (REPO / "docs/editing.md").read_text(encoding="utf-8")
    # A key is explained in the first column of a key table, or named as `key:` in the text.
    explained = set(re.findall(r"^\| \*{0,2}`(\w+)`", guide, re.MULTILINE)) | set(re.findall(r"`(\w+):`", guide))
    for name, model in models_in(MODELS[kind]).items():
        missing = [f for f in model.model_fields if f not in explained]
        assert missing == [], f"docs/editing.md does not explain {name}: {missing}"
