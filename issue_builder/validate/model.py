"""The typed model's fields as the generated documents read them (the docs' reference, the JSON Schema)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Any

from issue_builder.base.schema import Rule
from issue_builder.base.types import Colour, FileRef, Length

VALUE_TYPES = (str, int, float, bool, dt.date, Length, FileRef, Colour)  # leaves: written as one YAML value
NO_DEFAULT = dataclasses.MISSING


@dataclass(frozen=True)
class ModelField:
    """One field of a mapping of the model: its key, type hint, documentation, default and rule."""

    name: str
    hint: Any
    doc: str
    default: Any  # NO_DEFAULT when the key is required
    rule: Rule | None

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


def model_fields(cls: type) -> list[ModelField]:
    """The fields of the mapping `cls`, in the model's order; a factory's default is made, once."""
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        found.append(ModelField(f.name, hints[f.name], f.metadata["doc"], default, f.metadata.get("check")))
    return found


def without_none(hint: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True); any other hint -> (hint, False)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return options[0], len(options) < len(typing.get_args(hint))
    return hint, False


def nested_mapping(hint: Any) -> type | None:
    """The mapping of the model a field holds, itself or as the items of its list, if any."""
    inner, _ = without_none(hint)
    if typing.get_origin(inner) is list:
        inner, _ = without_none(typing.get_args(inner)[0])
    return inner if dataclasses.is_dataclass(inner) and inner not in VALUE_TYPES else None
