"""Value types of the manifest beyond plain YAML: lengths, colours, file references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pc": 12.0}
LENGTH_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(pt|in|mm|cm|pc)\s*$")
HEX_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Length:
    """A physical length such as `8.5in`, `3mm` or `9pt`; `points` is in PostScript points."""

    text: str
    points: float

    @classmethod
    def parse(cls, text: str) -> Length:
        match = LENGTH_PATTERN.match(text)
        if not match:
            raise ValueError(f"expected a length such as 8.5in, 3mm or 9pt, got '{text}'")
        number, unit = match.groups()
        return cls(text=f"{number}{unit}", points=float(number) * _UNITS[unit])

    @property
    def css(self) -> str:
        return f"{self.points:.3f}pt"

    @property
    def inches(self) -> float:
        return self.points / 72


@dataclass(frozen=True)
class Colour:
    """A colour given for both editions: CMYK percentages for print, sRGB hex for the web."""

    cmyk: tuple[float, float, float, float]
    rgb: str

    @classmethod
    def parse(cls, value: object) -> Colour:
        if not isinstance(value, dict) or set(value) != {"cmyk", "rgb"}:
            raise ValueError("expected a mapping with 'cmyk: [C, M, Y, K]' (percent) and 'rgb: \"#rrggbb\"'")
        cmyk, rgb = value["cmyk"], value["rgb"]
        if (
            not isinstance(cmyk, list)
            or len(cmyk) != 4
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 100 for c in cmyk)
        ):
            raise ValueError("cmyk must be four percentages from 0 to 100, e.g. [0, 95, 90, 0]")
        if not isinstance(rgb, str) or not HEX_PATTERN.match(rgb):
            raise ValueError(f'rgb must be a hex colour such as "#d21f1b", got {rgb!r}')
        return cls(cmyk=tuple(float(c) for c in cmyk), rgb=rgb.lower())

    @property
    def device_cmyk(self) -> str:
        c, m, y, k = (v / 100 for v in self.cmyk)
        return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


@dataclass(frozen=True)
class FileRef:
    """A file named in a manifest: as written, and resolved inside the issue's folder."""

    text: str
    path: Path

    def __str__(self) -> str:
        return self.text
