"""The manifest's JSON Schema, made from the typed model: editors complete and check fields as they are typed."""

from __future__ import annotations

import datetime as dt
import json
import typing
from typing import Any, Literal

from issue_builder.base.schema import IssueManifest
from issue_builder.base.types import HEX_PATTERN, LENGTH_PATTERN, Colour, FileRef, Length
from issue_builder.load.manifest import ISSUE_ONLY_KEYS, PUBLICATION_ONLY_KEYS
from issue_builder.validate.convert import MAX_WHOLE
from issue_builder.validate.model import NO_DEFAULT, ModelField, model_fields, nested_mapping, without_none

# Draft 7: the newest draft the YAML and JSON language servers of common editors read in full.
DIALECT = "http://json-schema.org/draft-07/schema#"
Kind = Literal["issue", "publication"]
SCHEMA_FILES: dict[Kind, str] = {"issue": "issue.schema.json", "publication": "publication.schema.json"}

_COLOUR = {
    "type": "object",
    "description": "A colour for both editions: CMYK percentages for print, sRGB hex for the web.",
    "properties": {
        "cmyk": {
            "type": "array",
            "description": "C, M, Y and K in percent (0 to 100), e.g. [0, 95, 90, 0].",
            "items": {"type": "number", "minimum": 0, "maximum": 100},
            "minItems": 4,
            "maxItems": 4,
        },
        "rgb": {"type": "string", "description": 'sRGB hex colour such as "#d21f1b".', "pattern": HEX_PATTERN.pattern},
    },
    "required": ["cmyk", "rgb"],
    "additionalProperties": False,
}
_VALUES: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer", "minimum": -MAX_WHOLE, "maximum": MAX_WHOLE},
    float: {"type": "number", "minimum": -MAX_WHOLE, "maximum": MAX_WHOLE},
    bool: {"type": "boolean"},
    dt.date: {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"},
    Length: {"type": "string", "pattern": LENGTH_PATTERN.pattern},
    FileRef: {"type": "string", "minLength": 1},
}


def manifest_schema(kind: Kind = "issue") -> dict[str, Any]:
    """The JSON Schema of an issue manifest, or of the publication file (`kind="publication"`) it inherits.

    A manifest and its publication file are checked together once merged, so neither alone needs what the other
    may give: only the issue's own keys are required of a manifest, nothing of a publication file; and as settings
    merge key by key (an issue may change `periodical.tagline` alone), no key of a setting's mapping is required.
    """
    definitions: dict[str, Any] = {}
    top = _mapping(IssueManifest, definitions)
    refused = PUBLICATION_ONLY_KEYS if kind == "issue" else ISSUE_ONLY_KEYS
    top["properties"] = {k: v for k, v in top["properties"].items() if k not in refused}
    required = [k for k in top.pop("required", []) if kind == "issue" and k in ISSUE_ONLY_KEYS]
    settings: set[str] = set()
    for key, schema in top["properties"].items():
        if key not in ISSUE_ONLY_KEYS:
            _referenced(schema, definitions, settings)
    for name in settings:
        definitions[name].pop("required", None)
    used: set[str] = set()
    _referenced(top, definitions, used)
    definitions = {name: definitions[name] for name in sorted(used)}
    what = "An issue manifest" if kind == "issue" else "The publication file (publication.yaml)"
    description = (
        f"{what} of issue-builder. {(IssueManifest.__doc__ or '').strip()} Generated from the typed model "
        "by `issue-builder schema`; `issue-builder check` checks more (files, images, fonts, cross-field rules)."
    )
    return {
        "$schema": DIALECT,
        "title": f"issue-builder {kind} {'manifest' if kind == 'issue' else 'file'}",
        **_described(description),
        **top,
        **({"required": required} if required else {}),
        "definitions": definitions,
    }


def schema_text(kind: Kind = "issue") -> str:
    """The schema as the file `issue-builder schema` writes: stable key order, one trailing newline."""
    return json.dumps(manifest_schema(kind), indent=2, ensure_ascii=False) + "\n"


def _mapping(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    properties = {f.name: _field(f, definitions) for f in model_fields(cls)}
    required = [f.name for f in model_fields(cls) if f.required]
    return {
        "type": "object",
        "properties": properties,
        **({"required": required} if required else {}),
        "additionalProperties": False,
    }


def _field(f: ModelField, definitions: dict[str, Any]) -> dict[str, Any]:
    schema = {**_value(f.hint, definitions), **(dict(f.rule.schema) if f.rule else {})}
    if "$ref" in schema:  # draft 7 ignores keywords beside $ref: the field's own words go around it
        schema = {"allOf": [{"$ref": schema.pop("$ref")}], **schema}
    default = _json_default(f.default)
    return {**_described(f.doc), **schema, **({"default": default} if default is not NO_DEFAULT else {})}


def _value(hint: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    inner, nullable = without_none(hint)
    schema = _non_null(inner, definitions)
    if not nullable:
        return schema
    if "$ref" in schema or "enum" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _non_null(hint: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return {"type": "string", "enum": list(typing.get_args(hint))}
    if origin is list:
        return {"type": "array", "items": _value(typing.get_args(hint)[0], definitions)}
    if hint is Colour:
        return {"$ref": _define("Colour", dict(_COLOUR), definitions)}
    if nested_mapping(hint) is not None:
        if hint.__name__ not in definitions:
            definitions[hint.__name__] = {}  # a placeholder first: a mapping met again while being made is not remade
            definitions[hint.__name__] = {**_described((hint.__doc__ or "").strip()), **_mapping(hint, definitions)}
        return {"$ref": f"#/definitions/{hint.__name__}"}
    return dict(_VALUES[hint])


def _referenced(node: Any, definitions: dict[str, Any], found: set[str]) -> None:
    """The names of the definitions `node` refers to, directly or through other definitions, added to `found`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value.rsplit("/", 1)[-1] not in found:
                found.add(value.rsplit("/", 1)[-1])
                _referenced(definitions[value.rsplit("/", 1)[-1]], definitions, found)
            else:
                _referenced(value, definitions, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, definitions, found)


def _define(name: str, schema: dict[str, Any], definitions: dict[str, Any]) -> str:
    definitions.setdefault(name, schema)
    return f"#/definitions/{name}"


def _described(text: str) -> dict[str, str]:
    """`description` for any reader, `markdownDescription` for editors that show the docs' `code` marks."""
    return {"description": text.replace("`", ""), "markdownDescription": text} if text else {}


def _json_default(value: Any) -> Any:
    """A default as the manifest would write it; NO_DEFAULT for none and for whole mappings (their keys say it)."""
    if value is NO_DEFAULT or value is None or nested_mapping(type(value)) is not None:
        return NO_DEFAULT
    if isinstance(value, Length):
        return value.text
    if isinstance(value, Colour):
        return {"cmyk": [int(c) if c == int(c) else c for c in value.cmyk], "rgb": value.rgb}
    return value
