"""The manifest reference in Markdown, made from the typed model's field docs (the docs site's manifest page)."""

from __future__ import annotations

import datetime as dt
import typing

from issue_builder.base.schema import IssueManifest
from issue_builder.base.types import Colour, FileRef, Length
from issue_builder.validate.model import NO_DEFAULT, ModelField, model_fields, nested_mapping, without_none

_SCALARS = {
    str: "text",
    int: "integer",
    float: "number",
    bool: "true/false",
    dt.date: "date",
    Length: "length",
    FileRef: "file path",
    Colour: "colour",
}


def reference_markdown() -> str:
    """One table per mapping of the manifest, starting at the top level."""
    sections: list[str] = []
    _table(IssueManifest, "", sections, set())
    return "\n".join(sections)


def _table(cls: type, prefix: str, out: list[str], seen: set) -> None:
    title = f"`{prefix.rstrip('.')}`" if prefix else "Top level"
    rows = [
        f"#### {title}",
        "",
        (cls.__doc__ or "").strip(),
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    nested = []
    for f in model_fields(cls):
        key = f"{prefix}{f.name}"
        rows.append(f"| `{key}` | {_type_name(f.hint)} | {_default(f)} | {f.doc} |")
        inner = nested_mapping(f.hint)
        if inner is not None:
            nested.append((inner, f"{key}[]." if typing.get_origin(f.hint) is list else f"{key}."))
    out.extend(rows + [""])
    for inner, sub in nested:
        if (inner, sub) not in seen:
            seen.add((inner, sub))
            _table(inner, sub, out, seen)


def _type_name(hint: typing.Any) -> str:
    hint, _ = without_none(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return " / ".join(f"`{a}`" for a in typing.get_args(hint))
    if origin is list:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    if hint in _SCALARS:
        return _SCALARS[hint]
    return "mapping"


def _default(f: ModelField) -> str:
    value = f.default
    if value is NO_DEFAULT:
        return "**required**"
    if value is None or value == []:
        return "none"
    if isinstance(value, Length):
        return f"`{value.text}`"
    if isinstance(value, Colour):
        return f"`{list(int(c) for c in value.cmyk)}` / `{value.rgb}`"
    if nested_mapping(type(value)) is not None:
        return "see below"
    return f"`{value}`"


START, END = "<!-- manifest-reference:start -->", "<!-- manifest-reference:end -->"


def update_readme(path: str) -> None:
    """Replace the reference between the README's markers with the current one."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{head}{START}\n{reference_markdown()}{END}{tail}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--update"]:
        update_readme(sys.argv[2])
    else:
        print(reference_markdown())
