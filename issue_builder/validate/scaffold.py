"""Settings of the typed model written out as commented YAML, defaults shown: the publication file `new` starts."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

from issue_builder.base.types import Colour, Length
from issue_builder.validate.model import NO_DEFAULT, model_fields, nested_mapping

_FIRST_SENTENCE = re.compile(r"^(.*?(?<!e\.g)(?<!i\.e)[.;])(\s|$)")


def commented_settings(cls: type, indent: int = 0, skip: tuple[str, ...] = ()) -> list[str]:
    """Every field of the mapping `cls` but `skip` as a commented-out YAML line with its default and the first
    sentence of its documentation; mappings with their fields below them."""
    pad = "  " * indent
    lines = []
    for f in model_fields(cls):
        if f.name in skip:
            continue
        inner = nested_mapping(f.hint)
        about = _first_sentence(f.doc)
        if inner is not None and typing.get_origin(f.hint) is not list and f.default is not None:
            lines.append(f"# {pad}{f.name}:  # {about}")
            lines += commented_settings(inner, indent + 1)
        elif f.default is NO_DEFAULT or f.default is None:
            lines.append(f"# {pad}{f.name}:  # {about}")
        else:
            lines.append(f"# {pad}{f.name}: {yaml_value(f.default)}  # {about}")
    return lines


def yaml_value(value: Any) -> str:
    """A default as YAML writes it on one line (text always quoted: no YAML 1.1 surprises)."""
    if isinstance(value, Length):
        return value.text
    if isinstance(value, Colour):
        cmyk = ", ".join(f"{c:g}" for c in value.cmyk)
        return f'{{ cmyk: [{cmyk}], rgb: "{value.rgb}" }}'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _first_sentence(text: str) -> str:
    found = _FIRST_SENTENCE.match(text.replace("`", ""))
    return (found.group(1) if found else text.replace("`", "")).rstrip(".;")
