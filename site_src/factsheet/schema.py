"""JSON Schemas for editors' YAML plugins (completion, hover help, squiggles), generated from the model.

Each content file names its schema in its first line, e.g. in content/devices/<id>.yaml:
`# yaml-language-server: $schema=../../schema/device.schema.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from .load import CONTENT_LAYOUT
from .model import MODELS

FOLDER = "schema"
# Draft-07: the newest dialect Red Hat's YAML extension (yaml-language-server) validates with;
# for 2019-09 and 2020-12 schemas it warns "not yet fully supported". What pydantic writes is
# draft-07 apart from the name of the definitions' folder, renamed below.
DIALECT = "http://json-schema.org/draft-07/schema#"


def make_schema(kind: str) -> dict:
    """Return the JSON Schema of one content kind, as pydantic derives it from the model."""
    pattern = next(p for p, k in CONTENT_LAYOUT.items() if k == kind)
    where = f"the front matter of content/{pattern}" if kind == "page" else f"content/{pattern}"
    schema = MODELS[kind].model_json_schema(ref_template="#/definitions/{model}")
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")
    schema["$schema"] = DIALECT
    schema["description"] = f"{where}; generated from the content model by `python build.py schema`, do not edit"
    return schema


def render_schemas() -> dict[str, bytes]:
    """Return every schema file's name and bytes: sorted keys, so the same model gives the same bytes."""
    return {
        f"{kind}.schema.json": (json.dumps(make_schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        for kind in sorted(MODELS)
    }


def write_schemas(project: Path) -> int:
    """Write the schemas into `project`/schema, touching only files whose bytes change; return 0."""
    folder = project / FOLDER
    folder.mkdir(exist_ok=True)
    changed = 0
    for name, data in render_schemas().items():
        file = folder / name
        if not file.is_file() or file.read_bytes() != data:
            file.write_bytes(data)
            print(f"wrote {FOLDER}/{name}")
            changed += 1
    print(f"{len(MODELS)} schemas, {changed} changed")
    return 0
