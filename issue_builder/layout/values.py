"""What templates may see: plain immutable values made from the prepared issue, and the sandbox holding them to it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

import jinja2.runtime
import jinja2.utils
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Record:
    """A read-only record of plain values: a dataclass as a template sees it (fields and properties, no methods)."""

    __slots__ = ("_kind", "_values")

    def __init__(self, kind: str, values: dict[str, Any]):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_values", MappingProxyType(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._kind} has no attribute {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._kind} is read-only")

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{self._kind}>"


_SCALARS = (type(None), bool, int, float, str, bytes, dt.date)  # str includes Markup; date includes datetime
# Types whose attributes a template may read: the plain values and Jinja's own loop and namespace helpers.
READABLE = (
    Record,
    MappingProxyType,
    tuple,
    str,
    int,
    float,
    dt.date,
    jinja2.runtime.LoopContext,
    jinja2.utils.Namespace,
    jinja2.utils.Cycler,
    jinja2.utils.Joiner,
)


def plain(value: Any) -> Any:
    """`value` as plain immutable data: dataclasses become Records (fields, then public properties), paths
    their text, lists tuples, mappings read-only mappings; anything else is refused. A dataclass field marked
    `metadata={"templates": False}` is the build's alone and left out."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: plain(v) for k, v in value.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f for f in dataclasses.fields(value) if f.metadata.get("templates", True)]
        values = {f.name: plain(getattr(value, f.name)) for f in fields}
        for name, member in vars(type(value)).items():
            if isinstance(member, property) and not name.startswith("_"):
                values[name] = plain(getattr(value, name))
        return Record(type(value).__name__, values)
    raise TypeError(f"templates are given plain values only, not {type(value).__name__}")


class PlainSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, reading attributes of plain values only: no object of the build reaches a
    template, so no method of one (a path's `read_text`, say) can be called from it."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, READABLE) and super().is_safe_attribute(obj, attr, value)


def template_context(values: dict[str, Any], functions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context of a template: `values` made plain, and the build's own `functions` beside them."""
    context = {name: plain(value) for name, value in values.items()}
    context.update(functions or {})
    return context


__all__ = ["PlainSandbox", "Record", "plain", "template_context"]
