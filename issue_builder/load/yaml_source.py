"""A strict YAML reader: safe, YAML 1.2 scalars, no aliases, no duplicate keys, lines kept."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from issue_builder.base.diagnostics import Diagnostic

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_DEPTH = 32  # levels of nested mappings and lists: a manifest needs about five
MAX_DIGITS = 18  # digits of a whole number: far beyond any count, size or year a manifest holds

KeyPath = tuple[str | int, ...]

_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
# YAML 1.1 reads these as booleans; YAML 1.2 as strings. Either reading surprises someone.
_YAML11_BOOL = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_AMBIGUOUS_NUMBER = re.compile(
    r"^[-+]?(0[0-9]+|0[oxb][0-9a-fA-F]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[0-9]+(_[0-9]+)+|\.(inf|Inf|INF|nan|NaN|NAN))$"
)
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+)$")
# characters no text may hold: C0 controls but tab and line breaks, lone surrogates (made by "\ud800"
# escapes, they cannot be written as UTF-8) and the non-characters U+FFFE and U+FFFF
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_STANDARD_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


def format_key_path(path: KeyPath) -> str:
    """`("articles", 3, "image", "src")` -> `articles[3].image.src`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True)
class Location:
    """Where a value was written."""

    file: Path
    line: int


@dataclass
class YamlDocument:
    """Plain data read from one YAML file, with the location of every value by key path."""

    data: Any
    locations: dict[KeyPath, Location] = field(default_factory=dict)
    file: Path | None = None

    def locate(self, path: KeyPath) -> Location | None:
        """The location of `path`, or of its nearest ancestor that has one."""
        while True:
            if path in self.locations:
                return self.locations[path]
            if not path:
                return None
            path = path[:-1]

    def diagnostic(self, path: KeyPath, message: str, severity: str = "error") -> Diagnostic:
        loc = self.locate(path)
        return Diagnostic(
            message,
            file=loc.file if loc else self.file,
            line=loc.line if loc else None,
            key=format_key_path(path),
            severity=severity,
        )


class _Reported:
    """Stands for a value whose problem was already reported; validation skips it silently."""

    def __repr__(self) -> str:
        return "<reported>"


REPORTED = _Reported()


class _Refused(Exception):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Strict(yaml.composer.Composer):
    """Composes the node graph only; refuses anchors and aliases (no alias bombs, no surprises) and nesting deeper
    than MAX_DEPTH (PyYAML composes recursively: hundreds of levels exhaust Python's stack)."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("aliases (*name) are not allowed in manifests", event.start_mark)
        if getattr(event, "anchor", None):
            raise _Refused("anchors (&name) are not allowed in manifests", event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"mappings and lists nested more than {MAX_DEPTH} levels deep", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _StrictLoader(_Strict, yaml.SafeLoader):
    """The strict composer over PyYAML's own reader: its messages name what it found and where, and the hints
    below are written for them."""


class _FastLoader(_Strict, yaml.cyaml.CParser, yaml.resolver.Resolver):
    """The strict composer over libyaml's parser, five times faster on a large file; a file it finds a problem
    in is read again by `_StrictLoader` for the message."""

    def __init__(self, stream: str):
        yaml.cyaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.resolver.Resolver.__init__(self)


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read one YAML file strictly; returns the document or the problems found."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)  # never more: a huge (or sparse) file is not read whole
            size = max(os.fstat(handle.fileno()).st_size, len(raw))
    except OSError as exc:
        return None, [Diagnostic(f"cannot read file: {exc.strerror}", file=path)]
    if len(raw) > MAX_MANIFEST_BYTES:
        return None, [
            Diagnostic(f"file is {size:,} bytes; a manifest may have at most {MAX_MANIFEST_BYTES:,}", file=path)
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Diagnostic(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", file=path, line=line)]
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse YAML text strictly; `path` is used in messages.

    The document is None when the file cannot be read as a whole; otherwise values with problems are
    replaced by REPORTED and the problems returned beside the document.
    """
    if getattr(yaml, "__with_libyaml__", False):
        fast = _FastLoader(text)
        try:
            root = fast.get_single_node()
        except (yaml.YAMLError, _Refused):
            pass  # read again below, for the message
        else:
            if root is None:
                return None, [Diagnostic("file is empty", file=path)]
            return _document(root, path, fast)
        finally:
            fast.dispose()
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:  # characters YAML does not allow, e.g. control characters
        line = text[: exc.position].count("\n") + 1
        return None, [Diagnostic(f"invalid YAML: character U+{exc.character:04X} is not allowed", file=path, line=line)]
    try:
        root = loader.get_single_node()
    except _Refused as exc:
        return None, [Diagnostic(exc.message, file=path, line=exc.mark.line + 1)]
    except yaml.MarkedYAMLError as exc:
        line, message = syntax_error(exc, text)
        return None, [Diagnostic(message, file=path, line=line)]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return None, [Diagnostic(f"invalid YAML: character U+{exc.character:04X} is not allowed", file=path, line=line)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(f"invalid YAML: {exc}", file=path)]
    finally:
        loader.dispose()
    if root is None:
        return None, [Diagnostic("file is empty", file=path)]
    return _document(root, path, loader)


def _document(root: yaml.Node, path: Path, resolver: yaml.resolver.BaseResolver) -> tuple[YamlDocument, list]:
    doc = YamlDocument(data=None, file=path)
    problems: list[Diagnostic] = []
    doc.data = _build(root, (), doc, problems, resolver)
    # Problems with single values leave the rest usable: validation goes on and reports everything at once.
    return doc, problems


def syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """The line and message of a YAML syntax error, with a hint where a common cause is known."""
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    lines = text.splitlines()
    line = mark.line + 1 if mark else None
    hint = None
    opened = exc.context_mark
    if "quoted scalar" in (exc.context or "") and problem == "found unexpected end of stream" and opened:
        # PyYAML points at the end of the file; the quote that was never closed is where the value began
        line = opened.line + 1
        hint = _unclosed_quote_hint(lines[opened.line] if opened.line < len(lines) else "", opened.column)
    elif mark is not None and mark.line < len(lines):
        hint = _hint(problem, lines[mark.line], mark.column, lines[: mark.line])
    return line, f"invalid YAML: {problem}" + (f"; {hint}" if hint else "")


_KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?)([^\s:#'\"][^:#]*?):\s+(.*?)\s*$")  # `  - key: value`
_CANNOT_START = re.compile(r"found character '(.)' that cannot start any token")


def _hint(problem: str, line: str, column: int, before: list[str]) -> str | None:
    if "'\\t'" in problem:  # PyYAML names the character as Python writes it
        return "YAML is indented with spaces, never tabs: replace the tab on this line with spaces"
    if problem == "mapping values are not allowed here":
        found = _KEY_VALUE.match(line)
        if found and found.end(2) < column:  # a second ': ' after the key's: inside the value
            _, key, value = found.groups()
            return f"a value holding ': ' must be quoted, e.g. {key}: {_quoted(value)}"
        return "this key is not lined up with the keys of its mapping: check its indentation against the lines above"
    if problem.startswith("expected <block end>, but found") or problem == "could not find expected ':'":
        found = _KEY_VALUE.match(line) or _KEY_VALUE.match(before[-1] if before else "")
        value = found.group(3) if found else ""
        if value[:1] in ("'", '"'):
            if len(value) > 1 and value[-1] == value[0]:  # `"He said "no""`: quotes meant as part of the text
                value = value[1:-1]
            return (
                f"the value goes on after its closing {found.group(3)[0]}: put the whole value in quotes of the "
                f"other kind, e.g. {found.group(2)}: {_quoted(value)}"
            )
        return "this line is not lined up with the lines above it: check its indentation"
    if "escape character" in problem:
        return "a backslash in double quotes begins an escape: use single quotes, or write \\\\ for a backslash"
    character = _CANNOT_START.search(problem)
    if character:
        return f"a value cannot begin with {character.group(1)}: put the whole value in quotes"
    return None


def _unclosed_quote_hint(line: str, column: int) -> str:
    quote = line[column] if column < len(line) else '"'
    if quote == "'":
        return (
            "the quoted value that begins on this line with ' is never closed: close it, or, if the ' is an "
            "apostrophe ('Tis), put the whole value in double quotes"
        )
    return f"the quoted value that begins on this line with {quote} is never closed: add the closing {quote}"


def _quoted(value: str) -> str:
    """`value` in the quotes YAML reads it from as it is: double quotes, or single ones if it holds a double."""
    shown = value if len(value) <= 60 else value[:57] + "..."
    if '"' not in shown:
        return f'"{shown}"'
    return "'" + shown.replace("'", "''") + "'"


def _build(node: yaml.Node, path: KeyPath, doc: YamlDocument, problems: list[Diagnostic], loader) -> Any:
    doc.locations[path] = Location(doc.file, node.start_mark.line + 1)

    def fail(message: str, at: yaml.Node = node) -> None:
        problems.append(Diagnostic(message, file=doc.file, line=at.start_mark.line + 1, key=format_key_path(path)))

    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            fail(f"YAML tag {node.tag} is not allowed")
            return REPORTED
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                fail("merge keys (<<) are not allowed", key_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _STANDARD_TAGS:
                fail("keys must be plain words", key_node)
                continue
            if bad_character(key_node.value):
                fail(f"a key contains {bad_character(key_node.value)}", key_node)
                continue
            key = key_node.value
            if key in result:
                first = doc.locations[path + (key,)].line
                problems.append(
                    Diagnostic(
                        f"duplicate key '{key}' (first set on line {first})",
                        file=doc.file,
                        line=key_node.start_mark.line + 1,
                        key=format_key_path(path + (key,)),
                    )
                )
                continue
            result[key] = _build(value_node, path + (key,), doc, problems, loader)
            doc.locations[path + (key,)] = Location(doc.file, key_node.start_mark.line + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            fail(f"YAML tag {node.tag} is not allowed")
            return REPORTED
        return [_build(item, path + (i,), doc, problems, loader) for i, item in enumerate(node.value)]
    return _scalar(node, fail, loader)


def bad_character(text: str) -> str | None:
    """What is wrong with the first character no text may hold, or None when there is none."""
    found = _BAD_CHARACTER.search(text)
    return _describe_character(ord(found.group())) if found else None


def _describe_character(code: int) -> str:
    """`a NUL character` or `the character U+D800 (a lone surrogate), which no text may hold`."""
    if code == 0:
        return "a NUL character"
    kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character or non-character"
    return f"the character U+{code:04X} ({kind}), which no text may hold"


def _scalar(node: yaml.ScalarNode, fail, loader) -> Any:
    value = node.value
    if bad_character(value):
        fail(f"contains {bad_character(value)}")
        return REPORTED
    if node.style:  # quoted or block scalar: always a string (plain: None, or "" from libyaml)
        if node.tag != "tag:yaml.org,2002:str":
            fail(f"YAML tag {node.tag} is not allowed")
            return REPORTED
        return value
    implicit_tag = loader.resolve(yaml.ScalarNode, value, (True, False))
    if node.tag != implicit_tag:
        if node.tag == "tag:yaml.org,2002:str":
            return value
        fail(f"YAML tag {node.tag} is not allowed")
        return REPORTED
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _YAML11_BOOL.match(value):
        fail(f"'{value}' is ambiguous (YAML 1.1 reads it as a boolean): write true or false, or quote it")
        return REPORTED
    if _AMBIGUOUS_NUMBER.match(value):
        fail(
            f"'{value}' is ambiguous (octal, sexagesimal or special number in YAML 1.1): "
            "quote it or write a plain decimal"
        )
        return REPORTED
    if _INT.match(value):
        if len(value.lstrip("+-")) > MAX_DIGITS:
            fail(f"a number of {len(value.lstrip('+-')):,} digits is too large (at most {MAX_DIGITS} digits)")
            return REPORTED
        return int(value)
    if _FLOAT.match(value):
        number = float(value)
        if not math.isfinite(number):
            fail(f"the number {value[:30]}{'...' if len(value) > 30 else ''} is too large")
            return REPORTED
        return number
    return value
