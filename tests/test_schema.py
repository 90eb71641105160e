"""The JSON Schemas in schema/: generated from the model, committed, and honest about what the loader accepts."""

from __future__ import annotations

import datetime
import json
import os
import typing
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from conftest import REPO
from factsheet.cli import main
from factsheet.load import CONTENT_LAYOUT
from factsheet.model import MODEL_CLASSES, MODELS
from factsheet.schema import render_schemas

SCHEMAS = render_schemas()
YAML_FILES = sorted(
    (file, kind) for pattern, kind in CONTENT_LAYOUT.items() if pattern.endswith(".yaml") for file in (REPO / "content").glob(pattern)
)


def committed(kind: str) -> dict:
    return json.loads((REPO / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_equals_the_one_generated_from_the_model(name: str):
    file = REPO / "schema" / name
    assert file.is_file() and file.read_bytes() == SCHEMAS[name], (
        f"schema/{name} is out of date: run `python build.py schema` and commit it"
    )


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_schema_is_a_valid_json_schema(kind: str):
    jsonschema.Draft7Validator.check_schema(committed(kind))


def properties_of(node: typing.Any, where: str = "") -> typing.Iterator[tuple[str, dict]]:
    """Yield every property of every object in a schema, with its path."""
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            yield f"{where}.{name}", value
        for key, value in node.items():
            yield from properties_of(value, f"{where}/{key}")
    elif isinstance(node, list):
        for value in node:
            yield from properties_of(value, where)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_property_has_a_description_for_hover_help(kind: str):
    undocumented = [path for path, prop in properties_of(committed(kind)) if not prop.get("description")]
    assert undocumented == [], f"add description= to these fields in model.py: {undocumented}"


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_schema_speaks_the_dialect_the_vscode_yaml_extension_validates_with(kind: str):
    schema = committed(kind)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in json.dumps(schema)  # draft-07 keeps them under definitions


def test_vscode_settings_wire_every_schema_to_its_files_and_read_yaml_as_the_build_does():
    settings = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.yamlVersion"] == "1.1"  # an unquoted no is false, as the loader reads it
    wired = {schema: globs if isinstance(globs, list) else [globs] for schema, globs in settings["yaml.schemas"].items()}
    for pattern, kind in CONTENT_LAYOUT.items():
        if pattern.endswith(".yaml"):
            assert f"content/{pattern}" in wired[f"schema/{kind}.schema.json"]
    extensions = json.loads((REPO / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert "redhat.vscode-yaml" in extensions["recommendations"]


def test_schema_command_writes_every_schema_and_rewrites_nothing_when_up_to_date(tmp_path: Path, capsys):
    assert main(["schema"], project=tmp_path) == 0
    assert {f.name: f.read_bytes() for f in (tmp_path / "schema").iterdir()} == SCHEMAS
    assert main(["schema"], project=tmp_path) == 0
    assert capsys.readouterr().out.endswith(f"{len(SCHEMAS)} schemas, 0 changed\n")


def models_in(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Return `model` and every model nested in its fields, by class name (the schema's $defs keys)."""
    found = {model.__name__: model}

    def visit(annotation: typing.Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, MODEL_CLASSES):
            if annotation.__name__ not in found:
                found.update(models_in(annotation))
        for arg in typing.get_args(annotation):
            visit(arg)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def literal_values(annotation: typing.Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in literal_values(arg)]


def enums_in(node: typing.Any) -> list[str]:
    if isinstance(node, dict):
        # A one-value Literal is written as "const", a one-value enum.
        own = list(node.get("enum", [])) + ([node["const"]] if "const" in node else [])
        return own + [v for key, value in node.items() if key not in ("enum", "const") for v in enums_in(value)]
    if isinstance(node, list):
        return [v for item in node for v in enums_in(item)]
    return []


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_schema_keys_required_and_enums_match_the_model(kind: str):
    schema = committed(kind)
    models = models_in(MODELS[kind])
    assert set(schema.get("definitions", {})) | {MODELS[kind].__name__} == set(models)
    for name, model in models.items():
        node = schema if model is MODELS[kind] else schema["definitions"][name]
        assert node["additionalProperties"] is False, f"{name}: unknown keys must be refused, as the loader does"
        assert list(node["properties"]) == sorted(model.model_fields)
        assert node.get("required", []) == [f for f, info in model.model_fields.items() if info.is_required()]
        for field, info in model.model_fields.items():
            assert enums_in(node["properties"][field]) == literal_values(info.annotation), f"{name}.{field}"


def as_editors_see_it(value: typing.Any) -> typing.Any:
    """Return YAML data as a YAML plugin checks it against JSON Schema: dates are text there."""
    if isinstance(value, dict):
        return {k: as_editors_see_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editors_see_it(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def test_there_is_real_content_to_check():
    assert {kind for _, kind in YAML_FILES} >= {"site", "history", "europe", "source", "device"}


@pytest.mark.parametrize("file, kind", YAML_FILES, ids=[f.relative_to(REPO).as_posix() for f, _ in YAML_FILES])
def test_content_file_names_its_schema_in_the_first_line_and_is_valid_against_it(file: Path, kind: str):
    text = file.read_text(encoding="utf-8")
    reference = os.path.relpath(REPO / "schema" / f"{kind}.schema.json", file.parent).replace(os.sep, "/")
    assert text.split("\n", 1)[0] == f"# yaml-language-server: $schema={reference}"
    validator = jsonschema.Draft202012Validator(committed(kind))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(as_editors_see_it(yaml.safe_load(text)))]
    assert errors == []


CITATION = {"source": "alpha-news", "quote": "presented in Berlin"}
FACT = {"id": "alpha-presented", "text": "Presented in Berlin.", "date": "2022-07", "standing": "report", "citations": [CITATION]}
VALID = {
    "site": {"title": "T", "description": "D", "language": "en", "as_of": "2022-07"},
    "device": {"name": "Alpha", "maker": "Alpha", "status": "announced", "leica": "branded", "facts": [FACT]},
    "source": {"title": "T", "language": "de", "file": "alpha.txt"},
}


@pytest.mark.parametrize(
    "kind, key, value, accepted",
    [
        # as it stands
        ("device", None, None, True),
        ("source", None, None, True),
        # partial dates: text, or a bare year YAML reads as a number
        ("site", "as_of", "2022", True),
        ("site", "as_of", 2022, True),
        ("site", "as_of", "2022-07-05", True),
        ("site", "as_of", "late 2022-03", True),
        ("site", "as_of", "early 2022", True),
        ("site", "as_of", "July 2022", False),
        ("site", "as_of", "soon", False),
        ("site", "as_of", 22, False),
        ("site", "as_of", 2022.5, False),
        ("site", "as_of", True, False),
        ("device", "announced", None, True),
        # unknown and missing keys
        ("device", "anounced", "2022", False),
        ("device", "maker", ..., False),
        ("site", "as_of", ..., False),
        # fixed choices
        ("device", "status", "rumoured", True),
        ("device", "status", "anounced", False),
        ("device", "leica", "not-branded", True),
        ("device", "leica", False, False),
        # ids, text, lists
        ("device", "predecessor", "xiaomi-12", True),
        ("device", "predecessor", "Xiaomi 12", False),
        ("device", "name", 12, False),
        ("device", "name", "", False),
        ("device", "markets", "China", False),
        ("device", "markets", ["China"], True),
        ("source", "file", "../secret.txt", False),
        ("source", "language", "German", False),
        # a fact needs a citation
        ("device", "facts", [{**FACT, "citations": []}], False),
        ("device", "facts", [{k: v for k, v in FACT.items() if k != "citations"}], False),
        ("device", "facts", [{**FACT, "standing": "gossip"}], False),
        ("device", "facts", [{**FACT, "date": 2022}], True),
    ],
)
def test_schema_and_loader_agree(kind: str, key: str | None, value: typing.Any, accepted: bool):
    data = dict(VALID[kind])
    if value is ...:
        data.pop(key)
    elif key is not None:
        data[key] = value
    schema_accepts = jsonschema.Draft202012Validator(committed(kind)).is_valid(data)
    try:
        MODELS[kind].model_validate(data)
        model_accepts = True
    except ValidationError:
        model_accepts = False
    assert (schema_accepts, model_accepts) == (accepted, accepted)
