"""JSON Schemas of the public contract, generated from the typed classes (contract.py, events.py).

    python -m reelprov.schemas [DIR]     # writes DIR (default docs/schemas/) anew

Uses pydantic (it comes with SQLModel) only here, never on a command's path. tests/test_schemas.py
checks the files in docs/schemas/ are what this writes now, and validates real output against them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from reelprov import contract, events

# The JSON field a payload writes under another name than its class's attribute (`from` is a
# Python keyword): the same table events.AssetRecorded.payload() follows.
RENAMED = {"moved_from": "from"}


def _schema(tp: Any, title: str, about: str) -> dict[str, Any]:
    from pydantic import TypeAdapter

    schema = TypeAdapter(tp).json_schema(mode="serialization")
    _rename(schema)
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title}
    out["description"] = about
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    return out


def _rename(node: Any) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for old, new in RENAMED.items():
                if old in props:
                    props[new] = props.pop(old)
                    if old in node.get("required", []):
                        node["required"] = [new if r == old else r for r in node["required"]]
        for v in node.values():
            _rename(v)
    elif isinstance(node, list):
        for v in node:
            _rename(v)


def _closed(schema: dict[str, Any], defs: tuple[str, ...] | None = None) -> dict[str, Any]:
    """No keys beyond those declared, at the top and in DEFS (all definitions if None): what is
    written and what is documented cannot drift apart unnoticed."""
    schema["additionalProperties"] = False
    for name, d in schema.get("$defs", {}).items():
        if (defs is None or name in defs) and d.get("type") == "object":
            d["additionalProperties"] = False
    return schema


def _event_schema(cls: type[events.Event]) -> dict[str, Any]:
    schema = _schema(cls, f"hook event {cls.NAME}", cls.DOC)
    # what hooks.py adds to every payload
    schema["properties"] = {
        "event": {"const": cls.NAME},
        "project": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "root": {"type": "string"}},
            "required": ["name", "root"],
        },
        **schema.get("properties", {}),
    }
    schema["required"] = ["event", "project", *schema.get("required", [])]
    return _closed(schema)


def generate() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every public JSON shape."""
    out = {
        "asset.schema.json": _closed(
            _schema(
                contract.AssetJson, "asset", "One asset of `reelprov ls --json` / `show --json`."
            ),
            ("EvidenceJson", "FlagJson", "DecisionJson", "C2paJson", "HistoryEntryJson"),
        ),
        "report.schema.json": _schema(
            contract.ReportJson, "report", "`reelprov report --format json` (schema_version 2)."
        ),
        "declaration-sidecar.schema.json": _schema(
            contract.DeclarationSidecar,
            "declaration sidecar",
            "NAME.reelprov.json beside a media file: a vendor's declaration of how it was made.",
        ),
    }
    for cls in events.ALL:
        out[f"event-{cls.NAME}.schema.json"] = _event_schema(cls)
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "docs" / "schemas"
    for path in write(folder):
        print(path)


if __name__ == "__main__":
    main()
