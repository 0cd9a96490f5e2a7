"""Generic conversion of plain data into the typed model, guided by type hints; collects every error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.types import Colour, FileRef, Length
from issue_builder.load.yaml_source import REPORTED, KeyPath, YamlDocument, bad_character

INVALID = object()
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_WHOLE = 2**31 - 1  # no count, size or setting of a manifest comes near; larger ones overflow libraries
_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


class Converter:
    """Builds dataclass instances from `document`, resolving file references inside `root`."""

    def __init__(self, document: YamlDocument, root: Path):
        self.document = document
        self.root = root.resolve()
        self.problems: list[Diagnostic] = []

    def error(self, path: KeyPath, message: str) -> object:
        self.problems.append(self.document.diagnostic(path, message))
        return INVALID

    def convert(self, value: Any, hint: Any, path: KeyPath) -> Any:
        if value is REPORTED:
            return INVALID
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            if value is None:
                return None
            return self.convert(value, options[0], path)
        if value is None:
            return self.error(path, "a value is required here")
        if origin is list:
            if not isinstance(value, list):
                return self.error(path, f"expected a list, got {_describe(value)}")
            (item_hint,) = typing.get_args(hint)
            items = [self.convert(v, item_hint, path + (i,)) for i, v in enumerate(value)]
            return INVALID if any(i is INVALID for i in items) else items
        if origin is typing.Literal:
            choices = typing.get_args(hint)
            if value not in choices:
                return self.error(path, f"expected one of {', '.join(map(str, choices))}; got {value!r}")
            return value
        if dataclasses.is_dataclass(hint) and hint not in (Length, FileRef):
            return self.dataclass(value, hint, path)
        return self.scalar(value, hint, path)

    def dataclass(self, value: Any, cls: type, path: KeyPath) -> Any:
        if not isinstance(value, dict):
            return self.error(path, f"expected a mapping of keys, got {_describe(value)}")
        if cls is Colour:
            return self._parse(Colour.parse, value, path)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key in value:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f"; known keys: {', '.join(fields)}"
                self.error(path + (key,), f"unknown key '{key}'{hint}")
        kwargs: dict[str, Any] = {}
        ok = True
        for name, f in fields.items():
            sub = path + (name,)
            if name not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.error(path, f"missing required key '{name}'")
                    ok = False
                continue
            converted = self.convert(value[name], hints[name], sub)
            if converted is not INVALID and converted is not None and f.metadata.get("check"):
                message = f.metadata["check"](converted)
                if message:
                    converted = self.error(sub, message)
            if converted is INVALID:
                ok = False
            else:
                kwargs[name] = converted
        return cls(**kwargs) if ok and not any(k not in fields for k in value) else INVALID

    def scalar(self, value: Any, hint: Any, path: KeyPath) -> Any:
        if hint is bool:
            return (
                value
                if isinstance(value, bool)
                else self.error(path, f"expected true or false, got {_describe(value)}")
            )
        if hint is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value if abs(value) <= MAX_WHOLE else self.error(path, f"too large: at most {MAX_WHOLE:,}")
            return self.error(path, f"expected a whole number, got {_describe(value)}")
        if hint is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return (
                    float(value) if abs(value) <= MAX_WHOLE else self.error(path, f"too large: at most {MAX_WHOLE:,}")
                )
            return self.error(path, f"expected a number, got {_describe(value)}")
        if not isinstance(value, str):
            expected = "a date YYYY-MM-DD" if hint is dt.date else _TYPE_NAMES.get(hint, "text")
            return self.error(path, f"expected {expected}, got {_describe(value)}{_colon_hint(value)}")
        if bad_character(value):  # a value given on the command line, not read from YAML
            return self.error(path, f"contains {bad_character(value)}")
        if hint is str:
            return value
        if hint is dt.date:
            return self._parse(_parse_date, value, path)
        if hint is Length:
            return self._parse(Length.parse, value, path)
        if hint is FileRef:
            return self.file_ref(value, path)
        raise TypeError(f"unsupported field type {hint!r}")  # a bug in the schema, not user input

    def file_ref(self, text: str, path: KeyPath) -> Any:
        if _URL.match(text):
            return self.error(path, f"must be a file path inside the issue folder, not a URL: {text}")
        if Path(text).is_absolute():
            return self.error(path, f"must be a relative path, not an absolute one: {text}")
        resolved = (self.root / text).resolve()
        if not resolved.is_relative_to(self.root):
            return self.error(path, f"points outside the issue folder {self.root.name}/: {text}")
        if not resolved.is_file():
            return self.error(path, f"file not found: {text}")
        return FileRef(text=text, path=resolved)

    def _parse(self, parse: typing.Callable[[Any], Any], value: Any, path: KeyPath) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            return self.error(path, str(exc))


def _parse_date(text: str) -> dt.date:
    if not _DATE.match(text):
        raise ValueError(f"expected a date YYYY-MM-DD, got '{text}'")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a real date: '{text}'") from None


def _colon_hint(value: Any) -> str:
    """For text written with an unquoted ': ' (`- Matamoros: How Workers Won`), which YAML reads as a mapping."""
    if not isinstance(value, dict) or len(value) != 1:
        return ""
    ((key, inner),) = value.items()
    if not isinstance(inner, (str, int, float)) or isinstance(inner, bool):
        return ""
    text = f"{key}: {inner}".replace('"', '\\"')
    return f"; text holding ': ' must be quoted, or YAML reads a mapping: write \"{text}\""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if isinstance(value, str):
        return f"'{value}'" if len(value) < 40 else f"'{value[:37]}...'"
    return repr(value)
