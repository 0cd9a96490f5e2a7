"""Contributors' photographs: placed upright whatever their EXIF orientation, and nothing they carry about
themselves (GPS position, camera, comments, XMP) reaches a published file."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from helpers import copy_fixture
from issue_builder.base.jpeg import without_metadata
from issue_builder.prepare.images import inspect_image

SECRETS = (b"SECRET-COMMENT", b"SECRET-CAMERA", b"SECRET-XMP")


def phone_photo(path: Path, size: tuple[int, int], orientation: int) -> None:
    """A photograph stored as a phone stores it: on its side (`orientation` 6) with EXIF, GPS, XMP and a comment."""
    image = Image.new("RGB", size, (30, 60, 90))
    for x in range(0, size[0], 40):  # a picture, not a flat field: a JPEG of it is a photograph's size
        image.paste((200, 120 + x % 100, 40), (x, 0, x + 20, size[1] // 3))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SECRET-CAMERA"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    image.save(path, "JPEG", quality=90, exif=exif.tobytes(), comment=b"SECRET-COMMENT", xmp=b"<x>SECRET-XMP</x>")


def test_the_jpeg_header_walker_drops_metadata_and_keeps_every_pixel(tmp_path: Path):
    phone_photo(tmp_path / "p.jpg", (120, 80), 1)
    data = (tmp_path / "p.jpg").read_bytes()
    clean = without_metadata(data)
    assert clean is not None and not any(s in clean for s in SECRETS) and b"Exif" not in clean
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(io.BytesIO(data)).tobytes()
    assert without_metadata(clean) is None  # nothing left to drop
    assert without_metadata(b"not a jpeg") is None


def test_a_photo_stored_on_its_side_is_measured_upright(tmp_path: Path):
    phone_photo(tmp_path / "p.jpg", (300, 200), 6)
    info = inspect_image(tmp_path / "p.jpg")
    assert (info.width, info.height, info.orientation, info.metadata) == (200, 300, 6, True)


@pytest.mark.slow
def test_a_phone_photo_is_placed_upright_and_publishes_nothing_about_itself(cli, tmp_path: Path):
    folder = copy_fixture("bulletin", tmp_path)
    phone_photo(folder / "7" / "img" / "towers.jpg", (800, 1200), 6)  # shown 1200 x 800, as the original
    out = folder / "out"
    result = cli("render", str(folder / "7.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    published = [*out.glob("*.pdf"), *(out / "web").rglob("*.*")]
    for path in published:
        data = path.read_bytes()
        assert not any(s in data for s in SECRETS), (path.name, [s for s in SECRETS if s in data])
    pictures = [Image.open(p).size for p in (out / "web").rglob("*.jpg")]
    for name in ("the-tenant-bulletin-7-print.pdf", "the-tenant-bulletin-7-web.pdf"):
        with pikepdf.open(out / name) as pdf:
            sizes = {(int(x.Width), int(x.Height)) for page in pdf.pages for x in page.get_images().values()}
            assert any(abs(w / h - 1.5) < 0.01 for w, h in sizes), (name, sizes)  # the towers, 3:2 landscape
            assert not any(abs(h / w - 1.5) < 0.01 for w, h in sizes), (name, sizes)  # never on its side
    assert any(abs(w / h - 1.5) < 0.01 for w, h in pictures), pictures  # the web page's towers, upright
    assert not any(abs(h / w - 1.5) < 0.01 for w, h in pictures), pictures
