"""Web images: every photograph stored as a JPEG at the web settings whatever its source format; drawings and
pictures with alpha kept lossless; colours and transparency kept."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from helpers import copy_fixture
from issue_builder.base.pdf_content import image_placements
from issue_builder.editions.screen import screen_pages
from issue_builder.editions.web import WebJob, _decoded_small, downsample_images, reduced_pictures, take_reduced

needs_poppler = pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")


def photo(size: tuple[int, int] = (900, 600)) -> Image.Image:
    """A photograph-like picture: gradients, blurred blotches and grain."""
    red = Image.linear_gradient("L").rotate(30).resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(12))
    grain = Image.merge("RGB", [Image.effect_noise(size, 12) for _ in range(3)])
    return ImageChops.add(Image.merge("RGB", (red, green, blue)), grain, offset=-100)


def save_png16(picture: Image.Image, path: Path) -> None:
    """`picture` as a 16-bit RGB PNG (Pillow writes 8-bit RGB only): each sample's low byte made up."""
    width, height = picture.size
    samples = picture.tobytes()
    rows = b"".join(
        b"\0" + b"".join(bytes((v, v ^ 0x5A)) for v in samples[y * width * 3 : (y + 1) * width * 3])
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def photo_files(folder: Path, size: tuple[int, int] = (900, 600)) -> dict[str, Path]:
    """The same photograph as a TIFF, a 16-bit PNG, a WebP and an 8-bit PNG without alpha."""
    picture = photo(size)
    files = {name: folder / name for name in ("photo.tif", "photo16.png", "photo.webp", "photo.png")}
    picture.save(files["photo.tif"], compression="tiff_lzw")
    save_png16(picture, files["photo16.png"])
    picture.save(files["photo.webp"], quality=90)
    picture.save(files["photo.png"])
    with Image.open(files["photo16.png"]) as check:
        assert check.tile[0].args == "RGB;16B"  # truly 16 bits a sample
    return files


def placed_image(path: Path, width: str) -> tuple[pikepdf.Pdf, pikepdf.Stream]:
    """A PDF from WeasyPrint with `path` placed `width` wide, and its image."""
    html = f'<style>@page {{ size: 8in 8in; margin: 0 }}</style><img src="{path.as_uri()}" style="width: {width}">'
    pdf = pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
    return pdf, next(x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image")


def difference(a: Image.Image, b: Image.Image) -> float:
    """The mean difference of two pictures' samples (0-255) seen from afar: grain averaged out, colours compared."""
    a, b = (p.convert("RGB").resize((a.width // 10, a.height // 10), Image.BOX) for p in (a, b))
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("name", ["photo.tif", "photo16.png", "photo.webp", "photo.png"])
@pytest.mark.parametrize("width", ["3in", "6in"])  # reduced from 900 px to 450; placed at its 150 ppi already
def test_photographs_become_jpeg_whatever_their_format(tmp_path, name, width):
    source = photo_files(tmp_path)[name]
    pdf, image = placed_image(source, width)
    lossless = len(image.read_raw_bytes())
    assert image.Filter == "/FlateDecode"  # what WeasyPrint stores: the losslessly compressed samples
    assert downsample_images(pdf, ppi=150, quality=80) == 1
    assert image.Filter == "/DCTDecode" and int(image.BitsPerComponent) == 8
    assert int(image.Width) == (450 if width == "3in" else 900)
    assert len(image.read_raw_bytes()) < lossless / 3
    with Image.open(source) as original:
        reduced = original.convert("RGB").resize((int(image.Width), int(image.Height)), Image.LANCZOS)
    assert difference(pikepdf.PdfImage(image).as_pil_image(), reduced) < 6


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_jpeg_photograph_is_decoded_at_a_fraction_of_its_size_when_it_is_reduced(tmp_path, monkeypatch, mode):
    source = tmp_path / "photo.jpg"
    photo((1600, 1000)).convert(mode).save(source, quality=95)
    pdf, image = placed_image(source, "2in")  # 300 px at 150 ppi: a quarter of it decoded covers that
    decoded_at = []
    resize = Image.Image.resize
    monkeypatch.setattr(Image.Image, "resize", lambda pil, *a, **k: decoded_at.append(pil.size) or resize(pil, *a, **k))
    assert downsample_images(pdf, ppi=150, quality=80) == 1
    assert decoded_at == [(400, 250)]
    assert (int(image.Width), int(image.Height)) == (
        300,
        188,
    ) and image.ColorSpace == f"/Device{mode.replace('L', 'Gray')}"
    with Image.open(source) as original:
        reduced = resize(original, (300, 188), Image.LANCZOS)
    assert difference(pikepdf.PdfImage(image).as_pil_image(), reduced) < 2


def test_a_jpeg_that_is_not_what_its_dictionary_says_is_decoded_the_long_way(tmp_path):
    source = tmp_path / "photo.jpg"
    photo((1600, 1000)).convert("CMYK").save(source, quality=95)
    pdf = pikepdf.new()
    cmyk = pdf.make_stream(source.read_bytes(), Filter=pikepdf.Name.DCTDecode, Width=1600, Height=1000)
    cmyk.ColorSpace, cmyk.BitsPerComponent = pikepdf.Name.DeviceCMYK, 8
    assert _decoded_small(cmyk, (300, 188)) is None
    photo((1600, 1000)).save(source, quality=95)
    rgb = pdf.make_stream(source.read_bytes(), Filter=pikepdf.Name.DCTDecode, Width=1600, Height=1000)
    rgb.ColorSpace, rgb.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    assert _decoded_small(rgb, (300, 188)).size == (400, 250)
    assert _decoded_small(rgb, (801, 500)) is None  # half would fall a pixel short: the whole picture, the long way
    photo((1601, 1001)).save(source, quality=95)
    odd = pdf.make_stream(source.read_bytes(), Filter=pikepdf.Name.DCTDecode, Width=1601, Height=1001)
    odd.ColorSpace, odd.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    assert _decoded_small(odd, (801, 501)).size == (801, 501)  # odd sides halved, rounded up: just enough
    rgb.Width = 1601  # another size than the JPEG's own
    assert _decoded_small(rgb, (300, 188)) is None
    rgb.Width, rgb.ColorSpace = 1600, pikepdf.Name.DeviceGray  # other colours
    assert _decoded_small(rgb, (300, 188)) is None
    rgb.ColorSpace, rgb.DecodeParms = pikepdf.Name.DeviceRGB, pikepdf.Dictionary(ColorTransform=0)
    assert _decoded_small(rgb, (300, 188)) is None
    del rgb["/DecodeParms"]
    rgb.write(b"not a JPEG", filter=pikepdf.Name.DCTDecode)
    assert _decoded_small(rgb, (300, 188)) is None


def test_a_drawing_stays_lossless(tmp_path):
    drawing = Image.new("RGB", (900, 600), "white")
    pen = ImageDraw.Draw(drawing)
    for i in range(12):
        pen.rectangle((i * 70, 40 + i * 30, i * 70 + 60, 560), fill=(200, 30 + i * 15, 40))
        pen.line((0, i * 50, 900, 600 - i * 50), fill="black", width=3)
    drawing.save(tmp_path / "chart.png")
    pdf, image = placed_image(tmp_path / "chart.png", "6in")
    before = image.read_raw_bytes()
    assert downsample_images(pdf, ppi=150, quality=80) == 0
    assert image.Filter == "/FlateDecode" and image.read_raw_bytes() == before
    pdf, image = placed_image(tmp_path / "chart.png", "2in")  # reduced, still lossless
    assert downsample_images(pdf, ppi=150, quality=80) == 1
    assert image.get("/Filter") != "/DCTDecode" and int(image.Width) == 300


def test_images_with_alpha_are_reduced_without_garbling(tmp_path):
    picture = Image.new("RGBA", (1200, 1200), (0, 0, 0, 0))
    picture.paste((200, 20, 30, 255), (0, 0, 600, 1200))  # left half opaque red, right half transparent
    picture.save(tmp_path / "half.png")
    html = f'<img src="{(tmp_path / "half.png").as_uri()}" style="width: 2in">'
    pdf = pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf()))
    assert downsample_images(pdf, ppi=150, quality=80) == 1
    image = next(x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image")
    assert (int(image.Width), int(image.Height)) == (300, 300)
    assert len(image.read_bytes()) == 300 * 300 * 3  # three bytes a pixel: the alpha is in the soft mask only
    reduced = pikepdf.PdfImage(image).as_pil_image().convert("RGBA")
    left, right = reduced.getpixel((75, 150)), reduced.getpixel((225, 150))
    assert abs(left[0] - 200) < 8 and left[1] < 40 and left[3] == 255
    assert right[3] == 0


def test_a_photograph_with_alpha_keeps_its_mask_exact(tmp_path):
    picture = photo().convert("RGBA")
    picture.putalpha(Image.radial_gradient("L").resize(picture.size))
    picture.save(tmp_path / "vignette.png")
    pdf, image = placed_image(tmp_path / "vignette.png", "6in")
    assert downsample_images(pdf, ppi=150, quality=80) == 0  # at its size already: kept as it is
    assert image.Filter == "/FlateDecode" and isinstance(image.get("/SMask"), pikepdf.Stream)


@pytest.mark.parametrize("cached", [False, True])
def test_pictures_reduced_in_a_copy_give_the_bytes_of_pictures_reduced_in_place(tmp_path, cached):
    """The web finisher reduces the pictures in a forked copy while it repairs the structure, then takes over what
    the copy left in each one: a photograph placed at two sizes, a drawing, a CMYK photograph (made sRGB first), a
    picture with alpha whose soft mask has a /Decode of its own, shared with another picture placed smaller (so
    reduced twice over), one at its size already and one with alpha cut to its frame; the copy reduces first (writing the cache), then in place."""
    photo().save(tmp_path / "photo.png")
    chart = Image.new("RGB", (900, 600), "white")
    ImageDraw.Draw(chart).rectangle((100, 100, 500, 400), fill=(200, 30, 40))
    chart.save(tmp_path / "chart.png")
    photo().convert("CMYK").save(tmp_path / "cmyk.jpg")
    vignette = photo().convert("RGBA")
    vignette.putalpha(Image.radial_gradient("L").resize(vignette.size))
    vignette.save(tmp_path / "vignette.png")
    vignette.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "vignette2.png")
    photo((300, 200)).save(tmp_path / "small.png")
    vignette.resize((600, 400)).save(tmp_path / "framed.png")
    html = "<style>@page { size: 8in 16in; margin: 0 } img { display: block }</style>" + "".join(
        f'<img src="{(tmp_path / name).as_uri()}" style="width: {width}">'
        for name, width in [
            ("photo.png", "1in"),
            ("photo.png", "2in"),
            ("chart.png", "2in"),
            ("cmyk.jpg", "2in"),
            ("vignette.png", "2in"),
            ("vignette2.png", "1in"),
            ("small.png", "2in"),
            ("framed.png", "2in; height: 0.6in; object-fit: cover"),  # cut to the part its frame shows
        ]
    )
    data = weasyprint.HTML(string=html).write_pdf()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pictures = pdf.pages[0].Resources.XObject.values()
        assert sum("/SMask" in x for x in pictures) == 3
        masked = [x for x in pictures if "/SMask" in x and x.Width == 900]  # the framed one is 600 px wide
        masked[0].SMask.Decode = pikepdf.Array([1, 0])
        masked[1].SMask = masked[0].SMask
        data = _saved(pdf)
    job = WebJob("t", [], "", "", "en", dt.date(2019, 3, 1), 150, 80, tmp_path / "cache" if cached else None)
    if cached:
        job.cache_dir.mkdir()
    reduced = reduced_pictures(data, job)
    assert len(reduced) == 9  # seven pictures, the soft mask two share and the framed one's
    assert sum(picture.part is not None for picture in reduced) == 1
    with pikepdf.open(io.BytesIO(data)) as pdf:
        screen_pages(pdf, job.cache_dir)
        assert downsample_images(pdf, job.image_ppi, job.jpeg_quality, job.cache_dir) == 7
        in_place = _saved(pdf)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        screen_pages(pdf, job.cache_dir)
        assert take_reduced(pdf, reduced)
        assert _saved(pdf) == in_place
    with pikepdf.open(io.BytesIO(data)) as pdf:  # not screened: its CMYK photograph is not the one reduced
        before = _saved(pdf)
        assert not take_reduced(pdf, reduced)
        assert _saved(pdf) == before


def test_a_soft_mask_with_a_decode_array_of_its_own_masks_as_before_once_reduced(tmp_path):
    vignette = photo().convert("RGBA")
    vignette.putalpha(Image.linear_gradient("L").rotate(90).resize(vignette.size))
    vignette.save(tmp_path / "vignette.png")
    html = f'<style>@page {{ size: 4in 4in; margin: 0 }}</style><img src="{(tmp_path / "vignette.png").as_uri()}" '
    with pikepdf.open(io.BytesIO(weasyprint.HTML(string=html + 'style="width: 2in">').write_pdf())) as pdf:
        (picture,) = pdf.pages[0].Resources.XObject.values()
        mask = picture.SMask
        mask.write(bytes(255 - v for v in mask.read_bytes()))  # stored inverted, and read through [1 0]
        mask.Decode = pikepdf.Array([1, 0])
        before = pikepdf.PdfImage(mask).as_pil_image()  # through its /Decode: the alpha as it masks
        assert downsample_images(pdf, ppi=150, quality=80) == 1
        assert int(mask.Width) == 300 and list(mask.Decode) == [1, 0]
        assert difference(pikepdf.PdfImage(mask).as_pil_image(), before.resize((300, 200), Image.LANCZOS)) < 2


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, compress_streams=True, recompress_flate=False)
    return out.getvalue()


def blocks(size: tuple[int, int] = (1800, 600), across: int = 12, down: int = 4) -> Image.Image:
    """A picture of blocks in distinct colours, with grain: a part of it cut or placed wrongly shows at once."""
    picture = Image.new("RGB", size)
    draw = ImageDraw.Draw(picture)
    width, height = size[0] / across, size[1] / down
    for i in range(across):
        for j in range(down):
            colour = (40 + i * 17, 230 - j * 55, (i * 71 + j * 97) % 256)
            draw.rectangle(
                (round(i * width), round(j * height), round((i + 1) * width), round((j + 1) * height)), colour
            )
    return Image.blend(picture, Image.merge("RGB", [Image.effect_noise(size, 40)] * 3), 0.15)


def page_picture(pdf: Path) -> Image.Image:
    """The first page of `pdf` as poppler draws it, at 50 ppi."""
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))], check=True
    )
    return Image.open(next(pdf.parent.glob(f"{pdf.stem}-*1.png"))).convert("RGB")


def laid_out_and_reduced(html: str, folder: Path) -> tuple[Path, Path]:
    """`html` laid out by WeasyPrint into whole.pdf, and that with its one picture reduced for the web into cut.pdf."""
    whole, cut = folder / "whole.pdf", folder / "cut.pdf"
    whole.write_bytes(weasyprint.HTML(string=html).write_pdf())
    with pikepdf.open(whole) as pdf:
        assert downsample_images(pdf, ppi=150, quality=80) == 1
        pdf.save(cut)
    return whole, cut


def blocks_file(folder: Path, kind: str) -> Path:
    """The blocks as a PNG (1800 x 600), a PNG with alpha, or a JPEG of odd sides (3599 x 1201), which is decoded at
    half its size to be reduced."""
    if kind == "jpeg":
        path = folder / "blocks.jpg"
        blocks((3599, 1201)).save(path, quality=95)
        return path
    picture = blocks()
    if kind == "alpha":
        picture.putalpha(Image.linear_gradient("L").rotate(90).resize(picture.size))
    path = folder / "blocks.png"
    picture.save(path)
    return path


@needs_poppler
@pytest.mark.parametrize(
    ("kind", "style", "kept"),
    [
        # 3in by 2in shown of the picture placed 6in by 2in, at 150 ppi; a pixel more kept each side cut
        ("png", "object-position: 25% 50%", (452, 300)),
        ("png", "object-position: 100% 0", (451, 300)),
        ("png", "height: 4.5in", (402, 600)),  # 3in by 4.5in shown of 13.5in by 4.5in: 402 px of 1800, not reduced
        ("png", "height: 0.5in; object-position: 0 0", (450, 76)),  # the top half of the picture placed 3in by 1in
        ("alpha", "object-position: 25% 50%", (452, 300)),  # its soft mask cut alike
        ("jpeg", "object-position: 30% 50%", (453, 300)),
        ("png", "transform: scaleX(-1)", (900, 300)),  # drawn mirrored: kept whole, reduced to 6in at 150 ppi
        ("png", "transform: rotate(90deg)", (900, 300)),  # drawn turned: kept whole, 6in along its rows
    ],
)
def test_a_picture_its_frame_crops_keeps_only_the_part_the_page_shows(tmp_path, kind, style, kept):
    """The web edition keeps of a picture only what its frame shows (`object-fit: cover`), at the same place: the
    page poppler draws from it is the page drawn from the whole picture."""
    source = blocks_file(tmp_path, kind)
    html = (
        "<style>@page { size: 6in 6in; margin: 0 } img { display: block; margin: 0.5in 0 0 1.5in; width: 3in; "
        f'height: 2in; object-fit: cover; {style} }}</style><img src="{source.as_uri()}">'
    )
    whole, cut = laid_out_and_reduced(html, tmp_path)
    listed = [(i["type"], int(i["width"]), int(i["height"])) for i in pdfimages(cut)]
    assert listed == [("image", *kept)] + ([("smask", *kept)] if kind == "alpha" else [])
    assert difference(page_picture(whole), page_picture(cut)) < 1.5


@needs_poppler
def test_a_picture_placed_twice_keeps_what_either_shows(tmp_path):
    source = blocks_file(tmp_path, "png")
    html = (
        "<style>@page { size: 6in 6in; margin: 0 } img { display: block; margin: 0.5in 0 0 1.5in; width: 1.5in; "
        "height: 1in; object-fit: cover }</style>"
        f'<img src="{source.as_uri()}" style="object-position: 0 0">'
        f'<img src="{source.as_uri()}" style="object-position: 50% 0">'
    )
    whole, cut = laid_out_and_reduced(html, tmp_path)
    # placed 3in by 1in twice: its first half, and the half from a quarter on: three quarters and a pixel kept
    assert [(int(i["width"]), int(i["height"])) for i in pdfimages(cut)] == [(339, 150)] * 2
    assert difference(page_picture(whole), page_picture(cut)) < 1.5


@needs_poppler
def test_a_picture_tiled_as_a_background_is_kept_whole(tmp_path):
    source = tmp_path / "blocks.png"
    blocks((600, 600), 4, 4).save(source)
    html = (
        "<style>@page { size: 6in 6in; margin: 0 } div { margin: 1in; height: 3in; "
        f'background: url("{source.as_uri()}") -2in -2in / 2.5in 2.5in repeat }}</style><div></div>'
    )
    whole, cut = laid_out_and_reduced(html, tmp_path)
    with pikepdf.open(cut) as pdf:  # poppler's pdfimages does not list what patterns draw
        streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)]
        pictures = [(o.Width, o.Height) for o in streams if o.get("/Subtype") == "/Image"]
        assert pictures == [(375, 375)]  # whole, 2.5in at 150 ppi
        assert not any("/Picture" in o.get("/Resources", {}).get("/XObject", {}) for o in streams)
    assert difference(page_picture(whole), page_picture(cut)) < 1.5


def test_a_picture_whose_soft_mask_another_picture_shares_is_kept_whole(tmp_path):
    vignette = photo().convert("RGBA")
    vignette.putalpha(Image.radial_gradient("L").resize(vignette.size))
    vignette.save(tmp_path / "a.png")
    vignette.rotate(180).save(tmp_path / "b.png")
    html = (
        "<style>@page { size: 6in 6in; margin: 0 } img { display: block; width: 2in }</style>"
        f'<img src="{(tmp_path / "a.png").as_uri()}" style="height: 0.5in; object-fit: cover">'
        f'<img src="{(tmp_path / "b.png").as_uri()}">'
    )
    with pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf())) as pdf:
        framed, other = (pdf.get_object(p.objgen) for p in image_placements(pdf))
        framed.SMask = other.SMask
        assert downsample_images(pdf, ppi=150, quality=80) == 2
        assert framed.Subtype == "/Image" and (framed.Width, framed.Height) == (300, 200)  # reduced, whole


def pdfimages(pdf: Path) -> list[dict[str, str]]:
    """Every image of `pdf` as poppler's `pdfimages -list` describes it."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    head, _rule, *rows = listing.splitlines()
    names = head.split()
    return [dict(zip(names, row.split(), strict=False)) for row in rows]


@needs_poppler
def test_web_pdf_of_an_issue_with_tiff_16_bit_png_and_webp_photos(cli, tmp_path):
    issue = copy_fixture("bulletin", tmp_path)
    files = photo_files(issue / "7" / "img", (1800, 1200))
    manifest = issue / "7.yaml"
    text = manifest.read_text("utf-8").replace("7/img/cover.jpg", "7/img/photo16.png")
    manifest.write_text(text.replace("7/img/towers.jpg", "7/img/photo.tif"), "utf-8")
    meeting = issue / "7" / "articles" / "meeting.md"
    meeting.write_text(meeting.read_text("utf-8").replace("../img/plan.jpg", "../img/photo.webp"), "utf-8")
    result = cli("render", str(manifest), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    web = tmp_path / "out" / "the-tenant-bulletin-7-web.pdf"
    listed = pdfimages(web)
    masked = {i["object"] for i in listed if i["type"] == "smask"}
    images = [i for i in listed if i["type"] == "image"]
    photos = [i for i in images if i["object"] not in masked]  # the cover and the two pictures in articles
    assert len(photos) == 3 and all(i["enc"] == "jpeg" for i in photos), listed
    badge = [i for i in images if i["object"] in masked]  # the badge has alpha: lossless, with its soft mask
    assert len(badge) == 1 and badge[0]["enc"] == "image", listed
    assert web.stat().st_size < 1_500_000, web.stat().st_size  # 7.4 MB before the photos were re-encoded
    printed = pdfimages(tmp_path / "out" / "the-tenant-bulletin-7-print.pdf")
    assert all(i["enc"] == "image" for i in printed if i["width"] == "1800")  # print: full resolution, lossless
    assert sum(f.stat().st_size for f in files.values()) > 5 * web.stat().st_size
    cover = next(i for i in listed if i["page"] == "1")  # 1800 x 1200 px across a portrait A5 cover: cut to it
    assert abs(int(cover["width"]) / int(cover["height"]) - 148 / 210) < 0.01, cover


def _image(pdf: pikepdf.Pdf, width: int = 4) -> pikepdf.Stream:
    return pdf.make_stream(
        b"\x80" * width * width * 3,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=width,
        Height=width,
        ColorSpace=pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
    )


def _form(pdf: pikepdf.Pdf, content: bytes, resources: pikepdf.Dictionary) -> pikepdf.Stream:
    return pdf.make_stream(
        content, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 100, 100], Resources=resources
    )


@pytest.mark.parametrize("use", ["drawn in a soft mask", "a soft mask", "its soft mask drawn too"])
def test_a_picture_a_soft_mask_needs_is_kept_whole(use):
    """A picture the page shows a quarter of is cut to it, unless a soft mask draws it too, or it is one, or its
    soft mask is drawn as a picture too."""
    pdf = pikepdf.new()
    picture, other = _image(pdf, 40), _image(pdf, 40)
    content = b"q 0 0 50 50 re W n 100 0 0 100 0 0 cm /Im Do Q"
    resources = pikepdf.Dictionary(XObject={"/Im": picture})
    if use == "its soft mask drawn too":
        content += b" q 100 0 0 100 100 100 cm /Other Do Q"
        resources.XObject.Other, picture.SMask = other, other
        other.ColorSpace = pikepdf.Name.DeviceGray
        other.write(b"\x80" * 40 * 40)
    elif use == "a soft mask":
        content += b" q 100 0 0 100 100 100 cm /Other Do Q"
        resources.XObject.Other, other.SMask = other, picture
        picture.ColorSpace = pikepdf.Name.DeviceGray
        picture.write(b"\x80" * 40 * 40)
    else:
        group = _form(pdf, b"q 100 0 0 100 0 0 cm /Im Do Q", pikepdf.Dictionary(XObject={"/Im": picture}))
        mask = pikepdf.Dictionary(Type=pikepdf.Name.Mask, S=pikepdf.Name.Luminosity, G=group)
        resources.ExtGState = pikepdf.Dictionary(G=pikepdf.Dictionary(SMask=mask))
        content = b"q /G gs 0 0 10 10 re f Q " + content
    page = pdf.add_blank_page(page_size=(300, 300))
    page.obj.Contents, page.obj.Resources = pdf.make_stream(content), resources
    downsample_images(pdf, ppi=72, quality=80)
    assert picture.Subtype == "/Image" and picture.Width == 40
    alone = pikepdf.new()
    picture = _image(alone, 40)
    page = alone.add_blank_page(page_size=(300, 300))
    page.obj.Contents = alone.make_stream(b"q 0 0 50 50 re W n 100 0 0 100 0 0 cm /Im Do Q")
    page.obj.Resources = pikepdf.Dictionary(XObject={"/Im": picture})
    downsample_images(alone, ppi=72, quality=80)
    assert (
        picture.Subtype == "/Form" and picture.Resources.XObject.Picture.Width == 21
    )  # the quarter shown, and a pixel


def test_images_drawn_by_forms_and_patterns_are_placed_and_those_that_only_mask_are_not():
    pdf = pikepdf.new()
    photo, masked = _image(pdf), _image(pdf, 8)
    inner = pdf.make_indirect(_form(pdf, b"q 50 0 0 50 0 0 cm /Im Do Q", pikepdf.Dictionary(XObject={"/Im": photo})))
    outer = _form(pdf, b"/Inner Do", pikepdf.Dictionary(XObject={"/Inner": inner}))
    tiles = pdf.make_stream(
        b"q 10 0 0 10 0 0 cm /Im Do Q",
        PatternType=1,
        PaintType=1,
        TilingType=1,
        BBox=[0, 0, 10, 10],
        XStep=10,
        YStep=10,
        Resources=pikepdf.Dictionary(XObject={"/Im": photo}),
    )
    group = _form(pdf, b"q 100 0 0 100 0 0 cm /Im Do Q", pikepdf.Dictionary(XObject={"/Im": masked}))
    looped = pdf.make_indirect(_form(pdf, b"/Self Do /Im Do", pikepdf.Dictionary()))
    looped.Resources.XObject = pikepdf.Dictionary({"/Self": looped, "/Im": photo})
    first = pdf.make_indirect(_form(pdf, b"/B Do q 9 0 0 9 0 0 cm /Im Do Q", pikepdf.Dictionary()))
    second = pdf.make_indirect(_form(pdf, b"/A Do", pikepdf.Dictionary(XObject={"/A": first})))
    first.Resources.XObject = pikepdf.Dictionary({"/B": second, "/Im": photo})  # each draws the other
    text = pikepdf.Dictionary(Font={"/F": pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1)})
    smask = pikepdf.Dictionary(Type=pikepdf.Name.Mask, S=pikepdf.Name.Luminosity, G=group)
    pages = [
        (b"BT /F 12 Tf (text) Tj ET", text),
        (b"q 200 0 0 100 0 0 cm /Im Do Q", pikepdf.Dictionary(XObject={"/Im": photo})),
        (b"q 2 0 0 2 0 0 cm /Outer Do Q", pikepdf.Dictionary(XObject={"/Outer": outer})),
        (b"/P cs /P scn 0 0 100 100 re f", pikepdf.Dictionary(Pattern={"/P": tiles})),
        (b"/G gs 0 0 100 100 re f", pikepdf.Dictionary(ExtGState={"/G": pikepdf.Dictionary(SMask=smask)})),
        (b"/L Do", pikepdf.Dictionary(XObject={"/L": looped})),
        (b"/A Do", pikepdf.Dictionary(XObject={"/A": first})),
        (b"/B Do", pikepdf.Dictionary(XObject={"/B": second})),  # the image through the first form
    ]
    for content, resources in pages:
        page = pdf.add_blank_page(page_size=(300, 300))
        page.obj.Contents = pdf.make_stream(content)
        page.obj.Resources = resources
    placed = image_placements(pdf)
    assert {p.page for p in placed} == {2, 3, 4, 6, 7, 8}  # not the text, nor the image that only masks (page 5)
