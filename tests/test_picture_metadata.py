"""Contributors' photographs: placed upright whatever their EXIF orientation, and nothing they carry about
themselves (GPS position, camera, comments, XMP) reaches a published file."""

from __future__ import annotations

import io
import subprocess
import sys
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


# --- what follows the first scan, and headers that carry pictures (review round 3) ------------------------------

MORE_SECRETS = (b"SECRET-EXIF-TRAILING", b"SECRET-TRAILER-VIDEO", b"SECRET-COMMENT-BETWEEN-SCANS", b"SECRET-APP-SCAN")


def picture(size: tuple[int, int] = (240, 160)) -> Image.Image:
    image = Image.new("RGB", size, (30, 60, 90))
    for x in range(0, size[0], 24):
        image.paste((200, 120 + x % 100, 40), (x, 0, x + 12, size[1] // 2))
    return image


def jpeg(image: Image.Image, secret: str, **options) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = secret  # ImageDescription
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif, **options)
    return buffer.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def motion_photo(image: Image.Image | None = None) -> bytes:
    """As phones store a picture with its preview and a short video: a second JPEG and more after the first's end."""
    image = image or picture()
    preview = image.resize((80, 60))
    return jpeg(image, "SECRET-EXIF") + jpeg(preview, "SECRET-EXIF-TRAILING") + b"SECRET-TRAILER-VIDEO"


def progressive_with_notes(image: Image.Image | None = None) -> bytes:
    """A progressive JPEG with a comment and application data between its scans."""
    data = jpeg(image or picture(), "SECRET-EXIF", progressive=True)
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    notes = segment(0xFE, b"SECRET-COMMENT-BETWEEN-SCANS") + segment(0xE1, b"SECRET-APP-SCAN")
    return data[:second_scan] + notes + data[second_scan:]


@pytest.mark.parametrize("make", [motion_photo, progressive_with_notes], ids=["motion-photo", "between-scans"])
def test_nothing_after_the_first_scan_survives_the_clean_copy(tmp_path: Path, make):
    data = make()
    clean = without_metadata(data)
    assert clean is not None and not [s for s in (*MORE_SECRETS, b"SECRET-EXIF") if s in clean]
    assert clean.endswith(b"\xff\xd9") and without_metadata(clean) is None
    shown = Image.open(io.BytesIO(data))
    assert Image.open(io.BytesIO(clean)).tobytes() == shown.tobytes() and shown.size == (240, 160)
    (tmp_path / "p.jpg").write_bytes(data)
    assert inspect_image(tmp_path / "p.jpg").metadata  # the same walk decides that a clean copy is placed


def test_thumbnails_in_the_jfif_header_are_dropped_and_its_densities_kept():
    data = jpeg(picture(), "SECRET-EXIF", dpi=(300, 300))
    jfif = data.index(b"\xff\xe0")
    end = jfif + 2 + int.from_bytes(data[jfif + 2 : jfif + 4], "big")
    thumbnail = b"\x02\x02" + b"SECRET-THUMB"  # 2 x 2 RGB pixels, the bytes a thumbnail of the photo would be
    with_thumbnail = segment(0xE0, data[jfif + 4 : end - 2] + thumbnail)
    extension = segment(0xE0, b"JFXX\0\x13" + b"SECRET-JFXX")  # a JPEG-coded thumbnail
    clean = without_metadata(data[:jfif] + with_thumbnail + extension + data[end:])
    assert clean is not None and b"SECRET" not in clean and b"JFXX" not in clean
    shown = Image.open(io.BytesIO(clean))
    assert shown.info["jfif_density"] == (300, 300) and shown.tobytes() == Image.open(io.BytesIO(data)).tobytes()


@pytest.mark.parametrize("mode", ["RGB", "CMYK"])
def test_the_colour_profile_and_adobe_transform_are_kept(mode: str):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = picture().convert(mode)
    exif = Image.Exif()
    exif[0x010F] = "SECRET-CAMERA"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif, icc_profile=profile, comment=b"SECRET-COMMENT")
    data = buffer.getvalue()
    clean = without_metadata(data)
    assert clean is not None and b"SECRET" not in clean
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(clean))
    assert after.info["icc_profile"] == profile and after.mode == mode
    assert after.info.get("adobe_transform") == before.info.get("adobe_transform")
    assert after.tobytes() == before.tobytes()


def test_a_jpeg_whose_structure_cannot_be_read_is_refused(tmp_path: Path):
    data = jpeg(picture(), "SECRET-EXIF")
    eoi = len(data) - 2
    broken = data[:eoi] + b"\xff\xfe\x01\x00note" + b"\xff\xd9"  # a comment said to run past the end
    with pytest.raises(ValueError, match="segment running past its end"):
        without_metadata(broken)
    (tmp_path / "p.jpg").write_bytes(broken)
    with pytest.raises(ValueError, match="cannot decode image: the JPEG has a segment running past its end"):
        inspect_image(tmp_path / "p.jpg")


def test_the_walk_takes_linear_time_and_bounded_segments(tmp_path: Path):
    """Hostile structures (long runs of fill bytes in a scan, junk between segments, a million comments) are walked
    in a child held to 20 s of CPU: a search that backtracked over the fill bytes would take hours."""
    script = (
        "import io, resource\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (20, 20))\n"
        "from PIL import Image\n"
        "from issue_builder.base.jpeg import without_metadata, MAX_SEGMENTS\n"
        "b = io.BytesIO(); Image.new('RGB', (64, 64)).save(b, 'JPEG'); data = b.getvalue()\n"
        "scan = data.index(b'\\xff\\xda'); scan += 2 + int.from_bytes(data[scan + 2 : scan + 4], 'big')\n"
        "filled = data[:scan] + b'\\xff' * 2_000_000 + b'\\x00' + data[scan:]\n"
        "assert without_metadata(filled + b'x') == filled\n"
        "assert without_metadata(data[:2] + b'junk' * 2_000_000 + data[2:]) == data\n"
        "notes = data[:2] + b'\\xff\\xfe\\x00\\x02' * (MAX_SEGMENTS + 1) + data[2:]\n"
        "try:\n"
        "    without_metadata(notes)\n"
        "except ValueError as exc:\n"
        "    assert 'more than 100,000 segments' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('no limit')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_motion_photo_and_notes_between_scans_reach_no_published_file(cli, tmp_path: Path):
    folder = copy_fixture("bulletin", tmp_path)
    towers, cover = folder / "7" / "img" / "towers.jpg", folder / "7" / "img" / "cover.jpg"
    towers.write_bytes(motion_photo(Image.open(towers).convert("RGB")))
    cover.write_bytes(progressive_with_notes(Image.open(cover).convert("RGB")))
    shown = {Image.open(path).convert("RGB").tobytes() for path in (towers, cover)}
    out = folder / "out"
    for command in (["proof", "--full-resolution"], ["render"]):
        result = cli(command[0], str(folder / "7.yaml"), "--out", str(out), *command[1:])
        assert result.exit_code == 0, result.stderr
    written = [path for path in out.rglob("*") if path.is_file()]  # the section cache's PDFs included
    assert any(path.parent.name == "sections" for path in written)
    for path in written:
        data = path.read_bytes()
        assert not [s for s in (*MORE_SECRETS, b"SECRET-EXIF") if s in data], path
    with pikepdf.open(out / "the-tenant-bulletin-7-proof.pdf") as pdf:  # placed as they are: the same pixels
        placed = {
            Image.open(io.BytesIO(x.read_raw_bytes())).convert("RGB").tobytes()
            for page in pdf.pages
            for x in page.get_images().values()
            if x.get("/Filter") == pikepdf.Name.DCTDecode
        }
    assert shown <= placed
