"""Print pictures converted to CMYK while the issue is laid out, so that the print finisher finds them cached."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from PIL import Image

from issue_builder.editions.colours import CmykConverter, cache_conversion
from issue_builder.editions.jobs import print_job
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import placeable

EXIF_ORIENTATION = 0x0112


def convert_print_pictures(issue: PreparedIssue, cache_dir: Path) -> int:
    """Convert each RGB JPEG that WeasyPrint will embed as it is (its bytes become the image stream) to the print
    edition's CMYK, into the cache the print finisher reads by content; returns how many were looked at.

    Only a head start: an image this misses (a PNG WeasyPrint re-encodes, a JPEG it turns upright) is converted by
    the finisher as before, and the finisher's bytes are the same either way.
    """
    job = print_job(issue)
    converter = CmykConverter(job.profile_bytes, job.rendering_intent, cache_dir)
    flatten = issue.manifest.printing.pdf_x == "1a"
    done = 0
    with pikepdf.new() as pdf:
        for info in issue.images:
            if info.format != "JPEG" or info.mode != "RGB":
                continue
            if placeable(info, cache_dir, srgb=False, flatten=flatten) != info.path:
                continue
            with Image.open(info.path) as img:
                if img.getexif().get(EXIF_ORIENTATION, 1) != 1:
                    continue
            stream = pdf.make_stream(
                info.path.read_bytes(),
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Filter=pikepdf.Name.DCTDecode,
                ColorSpace=pikepdf.Name.DeviceRGB,
                BitsPerComponent=8,
                Width=info.width,
                Height=info.height,
            )
            cache_conversion(stream, converter)
            done += 1
    return done
