"""The press condition the print PDF's output intent names: a registered one only when the output profile is it."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from PIL import Image, ImageCms

COLOR_ORG = "http://www.color.org"
REGISTERED = {  # identifier -> (description, what a profile's description must name to be taken as it)
    "FOGRA39": ("Offset printing, coated paper (ISO 12647-2:2004/Amd 1, FOGRA39)", None),
    "CGATS21_CRPC6": (
        "GRACoL 2013: commercial offset on grade 1 coated paper (CGATS 21-2, CRPC6)",
        re.compile(r"CRPC\s*6|GRACoL\s*2013", re.I),
    ),
    "CGATS21_CRPC5": (
        "SWOP 2013: publication offset on grade 3 coated paper (CGATS 21-2, CRPC5)",
        re.compile(r"CRPC\s*5|SWOP\s*2013", re.I),
    ),
}
# a printer's profile is FOGRA39 when it prints CMYK patches within these ΔE76 (mean, 95th percentile) of the
# built-in profile, itself within 0.5 / 0.9 of Fogra's measurements; GRACoL 2006 (TR006) is 2.1 / 3.6 away
SAME_CONDITION = (1.5, 3.0)


@dataclass(frozen=True)
class PressCondition:
    """What the output intent says of the printing condition."""

    identifier: str  # OutputConditionIdentifier: a registered condition or "Custom"
    info: str  # OutputCondition: for people
    registry: str  # RegistryName: the ICC's registry for a registered condition, "" for Custom


class WrongCondition(ValueError):
    """The press condition the publication names is not the one its output profile is."""

    def __init__(self, reason: str, advice: str):
        super().__init__(f"{reason}; {advice}")
        self.reason = reason


def press_condition(named: str | None, info: str | None, profile: bytes, description: str, built_in: bytes):
    """The output intent's condition for output profile `profile` (`built_in`: the built-in FOGRA39 one) and the
    condition `named` in the manifest; WrongCondition when `named` is a registered condition `profile` is not."""
    ours = profile == built_in
    named = named or ("FOGRA39" if ours else "Custom")
    if named == "Custom":
        return PressCondition("Custom", info or description or "Custom", "")
    text, pattern = REGISTERED[named]
    if named == "FOGRA39" and not ours:
        try:
            mean, p95 = profile_difference(profile, built_in)
        except (OSError, ImageCms.PyCMSError) as exc:
            raise WrongCondition(f"the output profile cannot be compared with FOGRA39 ({exc})", "use another") from None
        if mean > SAME_CONDITION[0] or p95 > SAME_CONDITION[1]:
            raise WrongCondition(
                f"the output profile ({description or 'no description'}) is not FOGRA39: it prints {mean:.1f} ΔE "
                f"(mean, {p95:.1f} at the 95th percentile) away from it",
                "leave output_condition out (Custom) or give a FOGRA39 profile",
            )
    elif named != "FOGRA39" and (ours or not pattern.search(description)):
        short = named.split("_")[1]
        have = "the built-in profile is FOGRA39" if ours else f"the output profile ({description or 'unnamed'})"
        raise WrongCondition(
            f"{have}, not {short}" if ours else f"{have} does not name {short} in its description",
            f"name the printer's {short} profile in printing.output_profile, or leave output_condition out",
        )
    return PressCondition(named, info or text, COLOR_ORG)


def profile_difference(profile: bytes, reference: bytes) -> tuple[float, float]:
    """ΔE76 between what two CMYK profiles print for a grid of CMYK patches up to 300 % ink (absolute colorimetric,
    Lab D50): the mean and the 95th percentile."""
    levels = (0, 64, 128, 192, 255)
    grid = [(c, m, y, k) for c in levels for m in levels for y in levels for k in levels if c + m + y + k <= 765]
    patches = bytes(v for patch in grid for v in patch)
    image = Image.frombytes("CMYK", (len(patches) // 4, 1), patches)
    lab = ImageCms.createProfile("LAB", 5000)

    def measured(data: bytes) -> list[tuple[float, float, float]]:
        transform = ImageCms.buildTransform(
            ImageCms.ImageCmsProfile(io.BytesIO(data)), lab, "CMYK", "LAB", ImageCms.Intent.ABSOLUTE_COLORIMETRIC
        )
        raw = ImageCms.applyTransform(image, transform).tobytes()  # L 0-255 for 0-100; a, b signed bytes
        signed = [v - 256 if v > 127 else v for v in raw]
        return [(raw[i] * 100 / 255, signed[i + 1], signed[i + 2]) for i in range(0, len(raw), 3)]

    differences = sorted(math.dist(a, b) for a, b in zip(measured(profile), measured(reference), strict=True))
    return sum(differences) / len(differences), differences[int(len(differences) * 0.95)]
