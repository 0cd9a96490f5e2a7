"""PNG pictures as WeasyPrint writes them, kept by content between builds: the same bytes as written afresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from issue_builder.layout import png_streams
from issue_builder.layout.engine import weasyprint


def _pictures(folder: Path) -> str:
    """A page showing a picture with alpha, a grey one, a palette one and a JPEG."""
    alpha = Image.radial_gradient("L").resize((300, 200))
    rgba = Image.merge(
        "RGBA", (alpha, Image.linear_gradient("L").resize((300, 200)), alpha, alpha.point((255).__sub__))
    )
    rgba.save(folder / "alpha.png")
    Image.linear_gradient("L").resize((120, 80)).save(folder / "grey.png")
    rgba.convert("RGB").quantize(16).save(folder / "palette.png")
    rgba.convert("RGB").save(folder / "photo.jpg")
    names = ("alpha.png", "grey.png", "palette.png", "photo.jpg")
    return "".join(f'<img src="{(folder / name).as_uri()}" style="width: 2in">' for name in names)


def _written(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()


def _kept_once(folder: Path) -> tuple[str, bytes, Path]:
    """The page of `_pictures`, its PDF written afresh, and the cache folder a first write kept its PNGs in (that
    write's bytes checked against the fresh ones)."""
    html = _pictures(folder)
    afresh = _written(html)
    kept = folder / "cache"
    kept.mkdir()
    with png_streams.kept_in(kept):
        assert _written(html) == afresh
    return html, afresh, kept


def test_kept_pictures_give_the_bytes_written_afresh(tmp_path: Path, monkeypatch):
    html, afresh, kept = _kept_once(tmp_path)
    assert len(list(kept.glob("png-*.bin"))) == 3  # each PNG; the JPEG is copied as it is

    written, formats = png_streams._written, []

    def counted(image, *args):
        formats.append(image.format)
        return written(image, *args)

    monkeypatch.setattr(png_streams, "_written", counted)
    with png_streams.kept_in(kept):
        assert _written(html) == afresh
    assert formats == ["JPEG"]  # no PNG written again
    assert png_streams.images.RasterImage.get_x_object is not png_streams._get_x_object  # WeasyPrint's own again


def _header(change):
    """A damage to a kept picture's description, made with its length right: `change` edits its JSON."""

    def damage(data: bytes) -> bytes:
        length = int.from_bytes(data[:4], "big")
        header = json.loads(data[4 : 4 + length])
        change(header)
        text = json.dumps(header).encode()
        return len(text).to_bytes(4, "big") + text + data[4 + length :]

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data + b"x",
        lambda data: b"",
        lambda data: (10**9).to_bytes(4, "big") + data[4:],
        _header(lambda h: h["extra"].update(Width=True)),
        _header(lambda h: h["extra"].update(Width=[300])),
        _header(lambda h: h["extra"].update(Width=None)),
        _header(lambda h: h.update(sizes=[1, *h["sizes"]])),
        _header(lambda h: h.update(extra=list(h["extra"]))),
        _header(lambda h: h.update(mask=None) if h["mask"] else h.update(mask={})),
        _header(lambda h: h.update(mask=[], sizes=[*h["sizes"], 0]) if h["mask"] is None else h.update(mask=[])),
        _header(lambda h: h.update(mask=5, sizes=[*h["sizes"], 0]) if h["mask"] is None else h.update(mask="x")),
        _header(lambda h: h.update(sizes=[-2, sum(h["sizes"]) + 2]) if h["mask"] else None),
        _header(lambda h: h.update(sizes=[h["sizes"][0] - 0.5, h["sizes"][1] + 0.5]) if h["mask"] else None),
        _header(lambda h: h.update(sizes={"0": 1})),
        _header(lambda h: h["extra"].update(SMask={"Width": 1})),
        lambda data: (lambda text: len(text).to_bytes(4, "big") + text)(b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ],
)
def test_a_damaged_kept_picture_is_written_afresh(tmp_path: Path, damage):
    html, afresh, kept = _kept_once(tmp_path)
    for path in kept.glob("png-*.bin"):
        path.write_bytes(damage(path.read_bytes()))
    with png_streams.kept_in(kept):
        assert _written(html) == afresh


def test_a_picture_saved_while_it_is_written_is_kept_as_the_bytes_keyed(tmp_path: Path, monkeypatch):
    """WeasyPrint reads a file: picture again when it writes it; one saved meanwhile (watch) is written and kept
    from the bytes its key was taken from, never under another picture's key."""
    picture = tmp_path / "grey.png"
    Image.linear_gradient("L").resize((120, 80)).save(picture)
    original = picture.read_bytes()
    html = f'<img src="{picture.as_uri()}" style="width: 2in">'
    afresh = _written(html)
    written = png_streams._written

    def saved_meanwhile(image, *args):
        Image.radial_gradient("L").resize((120, 80)).save(picture)
        return written(image, *args)

    kept = tmp_path / "cache"
    kept.mkdir()
    with monkeypatch.context() as patched, png_streams.kept_in(kept):
        patched.setattr(png_streams, "_written", saved_meanwhile)
        assert _written(html) == afresh
    picture.write_bytes(original)
    with png_streams.kept_in(kept):
        assert _written(html) == afresh
