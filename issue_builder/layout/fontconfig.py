"""Confine fontconfig to the committed fonts, so that no system font can reach a PDF.

WeasyPrint asks fontconfig for fonts; with the machine's configuration a missing glyph silently
falls back to whatever system font has it, and the PDF differs from machine to machine. This
configuration lists only the project's `fonts/` folder: a glyph that no committed font has is
rendered as .notdef, which WeasyPrint logs and the build reports.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from issue_builder.base.paths import FONTS_DIR


def isolate_fontconfig() -> Path:
    """Point FONTCONFIG_FILE at a configuration that holds only the committed fonts; returns its path."""
    config = f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{escape(str(FONTS_DIR))}</dir>
  <cachedir>{escape(str(_state_dir() / "fc-cache"))}</cachedir>
</fontconfig>
"""
    path = _state_dir() / f"fonts-{hashlib.sha256(config.encode()).hexdigest()[:12]}.conf"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(config, "utf-8")
        os.replace(tmp, path)
    os.environ["FONTCONFIG_FILE"] = str(path)
    return path


def _state_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"issue-builder-{os.getuid()}"
