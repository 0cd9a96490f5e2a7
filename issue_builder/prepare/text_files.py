"""Reading text files that must be valid UTF-8, with the line of any bad byte."""

from __future__ import annotations

import os
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic

MAX_TEXT_BYTES = 2 * 1024 * 1024


def read_utf8(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a diagnostic naming the file and line of the problem."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_TEXT_BYTES + 1)  # never more: a huge (or sparse) file is not read whole
            size = max(os.fstat(handle.fileno()).st_size, len(raw))
    except OSError as exc:
        return None, Diagnostic(f"cannot read file: {exc.strerror}", file=path)
    if len(raw) > MAX_TEXT_BYTES:
        return None, Diagnostic(f"file is {size:,} bytes; an article may have at most {MAX_TEXT_BYTES:,}", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Diagnostic(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", file=path, line=line
        )
    if "\x00" in text:
        return None, Diagnostic(
            "contains NUL bytes: not a text file", file=path, line=text[: text.index("\x00")].count("\n") + 1
        )
    return text.replace("\r\n", "\n"), None
