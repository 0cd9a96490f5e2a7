"""The print edition's CMYK output profile: the printer's own or the built-in one, checked before rendering."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageCms

from issue_builder.base.paths import DEFAULT_CMYK_PROFILE

MAX_PROFILE_BYTES = 32 * 1024**2  # an ICC output profile: the largest printing profiles are a few MB


@dataclass(frozen=True)
class OutputProfileFile:
    """An ICC output profile read and checked: CMYK, usable for a transform from sRGB."""

    path: Path
    data: bytes
    description: str


def load_output_profile(path: Path | None) -> OutputProfileFile:
    """Read `path` (or the built-in profile); raises ValueError with a message for the user."""
    path = path or DEFAULT_CMYK_PROFILE
    with open(path, "rb") as handle:
        data = handle.read(MAX_PROFILE_BYTES + 1)  # never more: a huge (or sparse) file is not read whole
    if len(data) > MAX_PROFILE_BYTES:
        raise ValueError(f"the profile is larger than {MAX_PROFILE_BYTES:,} bytes: not an output profile")
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError) as exc:
        raise ValueError(f"not a readable ICC profile: {exc}") from None
    if profile.profile.xcolor_space.strip() != "CMYK":
        raise ValueError(f"an output profile must be CMYK, this one is {profile.profile.xcolor_space.strip()}")
    if profile.profile.device_class.strip() != "prtr":
        raise ValueError("an output profile must be of the output (printer) class")
    description = ImageCms.getProfileDescription(profile).strip()
    return OutputProfileFile(path=path, data=data, description=description)
