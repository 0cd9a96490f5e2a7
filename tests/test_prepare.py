"""Preparing content: Markdown is sanitised and typeset, images are decoded, problems name their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from issue_builder.base.schema import Contact
from issue_builder.layout.html import contact_sentence, drop_cap
from issue_builder.prepare.markdown import render_markdown


def md(text: str, expected: int = 0) -> str:
    """The body's HTML; `expected` problems (raw HTML it reports) and no others."""
    body, problems = render_markdown(text, Path("a.md"), lambda src, line: "img/ok.jpg" if src == "ok.jpg" else None)
    assert len(problems) == expected, problems
    return body.html


def test_raw_html_is_sanitised():
    html = md(
        'Hi <script>alert(1)</script><iframe src="x"></iframe><object data="x"></object><embed src="x">\n\n'
        '<link rel="attachment" href="file:///etc/passwd"> <a rel="attachment" href="file:///etc/passwd">doc</a>\n\n'
        '<img src="file:///etc/passwd"> <span style="background: url(http://127.0.0.1:9/)">s</span>\n\n'
        "<style>@page { size: 1in }</style>\n",
        expected=6,  # script, style, iframe, object, embed, link: each named, none dropped in silence
    )
    for banned in (
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<link",
        "attachment",
        "file:",
        "style",
        "@page",
        "127.0.0.1",
    ):
        assert banned not in html, banned
    assert "doc" in html and "<a" in html


def test_links_keep_only_web_and_mail_targets():
    html = md("[a](https://example.org) [b](mailto:x@example.org) [c](javascript:alert(1)) [d](../../etc/passwd)")
    assert 'href="https://example.org"' in html and 'href="mailto:x@example.org"' in html
    assert 'href="javascript' not in html and "passwd" not in html


def test_typography_footnotes_pull_quotes_and_figures():
    html = md(
        'He said "no" -- and left... It\'s done.[^1]\n\n'
        "::: pullquote\nA line.\n:::\n\n"
        '![A picture](ok.jpg "The caption.")\n\n'
        "# Heading\n\n[^1]: The note.\n"
    )
    assert "“no” – and left… It’s done." in html
    assert '<span class="footnote">The note.</span>' in html
    assert '<aside class="pullquote">' in html
    assert (
        '<figure class="inline-figure"><img src="img/ok.jpg" alt="A picture"><figcaption>The caption.</figcaption></figure>'
        in html
    )
    assert "<h2>Heading</h2>" in html  # the page's h1 is the article title


def test_images_the_build_did_not_check_are_dropped():
    html = md('![x](missing.jpg)\n\n<img src="ok.jpg">')
    assert "missing" not in html and 'src="ok.jpg"' not in html


def test_drop_cap_takes_the_opening_quote_with_the_letter():
    assert str(drop_cap("<p>“Hello” world</p>")) == '<p class="first"><span class="dropcap">“H</span>ello” world</p>'


def test_contact_sentence_never_dangles():
    assert contact_sentence(Contact(phone="646-791-6279")) == "Contact us at 646-791-6279."
    assert contact_sentence(Contact(email="a@b.org", phone="1")) == "Contact us at a@b.org or 1."
    assert contact_sentence(Contact(email="a@b.org")) == "Contact us at a@b.org."
    assert contact_sentence(Contact()) is None


def test_markdown_problems_name_file_and_line(cli, bulletin):
    article = bulletin / "7" / "articles" / "meeting.md"
    text = article.read_text("utf-8").replace("../img/plan.jpg", "../img/nothing.jpg")
    article.write_text(text + "\n![Outside](../../../../etc/hostname)\n", "utf-8")
    lines = article.read_text("utf-8").splitlines()
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert (
        f"meeting.md:{lines.index(next(line for line in lines if 'nothing.jpg' in line)) + 1}: image not found: ../img/nothing.jpg"
        in result.stderr
    )
    assert f"meeting.md:{len(lines)}: image points outside the issue folder: ../../../../etc/hostname" in result.stderr


def test_non_utf8_article_names_the_line(cli, bulletin):
    (bulletin / "7" / "articles" / "lease-law.md").write_bytes(b"Fine line\nBad \xff byte\n")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "lease-law.md:2: not valid UTF-8 (byte 0xff)" in result.stderr


def test_undecodable_images_are_errors_with_their_key(cli, bulletin):
    img = bulletin / "7" / "img"
    (img / "towers.jpg").write_bytes((img / "towers.jpg").read_bytes()[:2000])  # truncated JPEG
    (img / "cover.jpg").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")  # EPS named .jpg
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "cannot decode image" in result.stderr and "articles[0].image.src" in result.stderr
    assert "cover.image: not an image in an accepted format (JPEG, PNG, TIFF, WEBP): 7/img/cover.jpg" in result.stderr


def test_cmyk_images_get_an_srgb_copy_for_the_web(tmp_path):
    from issue_builder.prepare.images import inspect_image, placeable

    path = tmp_path / "c.jpg"
    Image.new("CMYK", (40, 30), (0, 200, 200, 0)).save(path)
    info = inspect_image(path)
    assert info.mode == "CMYK"
    assert placeable(info, tmp_path / "cache", srgb=False) == path
    copy = placeable(info, tmp_path / "cache", srgb=True)
    assert copy != path
    with Image.open(copy) as converted:
        assert converted.mode == "RGB" and converted.size == (40, 30)


def test_a_picture_is_decoded_once_for_its_bytes(tmp_path, monkeypatch):
    """A build's cache keeps what decoding a picture found, by the SHA-256 of its bytes and the code that read
    them: the next build reads it there; other bytes, a damaged record, a record that disagrees with the file's
    header or another version of the code decode it again, and a picture that does not decode is never kept."""
    from issue_builder.prepare import images

    cache, path = tmp_path / "cache", tmp_path / "p.jpg"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(path)
    decoded = []
    decode = images._decode
    monkeypatch.setattr(images, "_decode", lambda p: decoded.append(p) or decode(p))

    def inspect():
        images._INSPECTED.clear()  # a new build: a new process
        info = images.inspect_image(path, cache)
        images.keep_inspected([info], cache)
        return info

    first = inspect()
    assert inspect() == first and len(decoded) == 1
    record = next((cache / "inspected").iterdir())
    kept = record.read_text()
    record.write_text(kept.replace('"RGB"', "7"))  # damaged
    assert inspect() == first and len(decoded) == 2
    record.write_text(kept.replace('"width": 40', '"width": 4000'))  # says another size than the file's header
    assert inspect() == first and len(decoded) == 3
    record.write_text(kept.replace('"metadata": false', '"metadata": true'))  # what the code found is taken
    assert inspect().metadata and len(decoded) == 3
    monkeypatch.setattr(images, "_code_digest", lambda: "another version")  # a fix to the metadata walk, say
    assert inspect() == first and len(decoded) == 4
    assert inspect() == first and len(decoded) == 4  # kept again for this version
    Image.new("RGB", (41, 30), (200, 10, 10)).save(path)  # other bytes
    assert inspect().width == 41 and len(decoded) == 5
    path.write_bytes(path.read_bytes()[:200])  # cut short: an error every time
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot decode image"):
            inspect()
    assert len(decoded) == 7 and len(list((cache / "inspected").iterdir())) == 2


def test_unknown_font_family_is_an_error(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8") + "fonts:\n  body: Comic Sans\n", "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert (
        "fonts.body: font family 'Comic Sans' not found in the font folders (found: Bebas Neue, Charis SIL, Inter, Noto Naskh Arabic, Noto Sans Mono, Noto Serif Hebrew)"
        in result.stderr
    )


def test_every_accepted_image_kind_becomes_placeable(tmp_path):
    from issue_builder.prepare.images import inspect_image, placeable

    kinds = {
        "grey16.png": Image.new("I;16", (20, 10), 40000),
        "grey16.tif": Image.new("I;16B", (20, 10), 40000),
        "cmyk.tif": Image.new("CMYK", (20, 10), (0, 90, 90, 0)),
        "lab.tif": Image.new("LAB", (20, 10), (50, 140, 140)),
        "float.tif": Image.new("F", (20, 10), 0.5),
        "photo.webp": Image.new("RGB", (20, 10), (10, 120, 200)),
        "palette.png": Image.new("P", (20, 10), 3),
    }
    for name, image in kinds.items():
        image.save(tmp_path / name)
        info = inspect_image(tmp_path / name)
        for srgb in (False, True):
            placed = placeable(info, tmp_path / "cache", srgb)
            with Image.open(placed) as result:
                assert result.format in ("JPEG", "PNG"), (name, result.format)
                assert result.mode in (
                    {"RGB", "RGBA", "L", "LA", "P"} if srgb else {"RGB", "RGBA", "L", "LA", "P", "CMYK"}
                ), (name, result.mode)
                assert result.size == (20, 10)


def test_a_converted_copy_is_made_once(tmp_path, monkeypatch):
    """A picture WeasyPrint does not take as it is is converted on the first build only: the next build places the
    copy kept by its content, in the format chosen then, without decoding the picture again; another version of
    the conversion (or of Pillow) makes its own copy, so that warm and cold caches place the same bytes."""
    from issue_builder.prepare import images

    kinds = {"cmyk.tif": Image.new("CMYK", (20, 10), (0, 90, 90, 0)), "lab.tif": Image.new("LAB", (20, 10), (50, 9, 9))}
    made, infos = {}, {}
    for name, image in kinds.items():
        image.save(tmp_path / name)
        infos[name] = images.inspect_image(tmp_path / name)
        for srgb in (False, True):
            made[name, srgb] = images.placeable(infos[name], tmp_path / "cache", srgb)
    assert {p.parent for p in made.values()} == {tmp_path / "cache"} and len(set(made.values())) == 4
    assert {p.suffix for p in made.values()} == {".jpg", ".png"}
    first = {path: path.read_bytes() for path in made.values()}
    with monkeypatch.context() as patched:
        patched.setattr(images.Image, "open", lambda *a, **k: pytest.fail(f"decoded again: {a[0]}"))
        for (name, srgb), path in made.items():
            assert images.placeable(infos[name], tmp_path / "cache", srgb) == path
            assert path.read_bytes() == first[path]
    monkeypatch.setattr(images, "_code_digest", lambda: "f" * 64)
    for (name, srgb), path in made.items():
        other = images.placeable(infos[name], tmp_path / "cache", srgb)
        assert other != path and other.exists() and "-ffffffffffff-" in other.name


def test_an_image_changed_in_place_is_decoded_again(tmp_path):
    """`watch` keeps what it learnt of an image; a file rewritten with the same size and time is still read again."""
    import os

    import pytest

    from issue_builder.prepare.images import inspect_image

    path = tmp_path / "p.png"
    Image.effect_noise((64, 64), 60).convert("RGB").save(path)
    assert inspect_image(path).width == 64
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # damaged in the middle: the chunk's CRC no longer matches
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ValueError, match="cannot decode image"):
        inspect_image(path)


def test_an_edited_template_is_used_at_once_by_the_same_process(bulletin):
    """Compiled templates are kept in memory (by source checksum): an edit in `watch` must still show."""
    from issue_builder.layout.html import render_html
    from issue_builder.prepare.issue import prepare_issue

    issue = prepare_issue(bulletin / "7.yaml")
    assert "union's own print shop" in render_html(issue, part="tail").html
    back = bulletin / "layout" / "back.html"
    back.write_text(back.read_text("utf-8").replace("union's own print shop", "co-op down the road"), "utf-8")
    html = render_html(issue, part="tail").html
    assert "co-op down the road" in html and "union's own print shop" not in html


def test_text_the_sanitiser_would_drop_is_named_with_its_line():
    text = (
        "| Flat | Rent |\n|---|---|\n| 4 | 500 | overcharged |\n| 5 \\| 6 | 450 |\n\n"
        "Write the name on the\nform: <landlord-name>; <b>bold</b> is kept.\n\n"
        "<template>hidden</template>\n\n"
        "[^forgotten]: A note nobody refers to.\n\n<!-- an editor's note -->\n"
    )
    _, problems = render_markdown(text, Path("a.md"), lambda src, line: None)
    found = sorted((p.line, p.severity, p.message) for p in problems)
    assert [(line, severity) for line, severity, _ in found] == [(3, "warning"), (7, "warning"), (7, "warning")] + [
        (9, "warning"),
        (11, "warning"),
    ], found
    messages = " | ".join(m for _, _, m in found)
    assert "this table row has 3 cells and its header 2: the last 1 would not be printed" in messages
    assert "`<landlord-name>` reads as an HTML tag, which would be dropped with its words" in messages
    assert "write `\\<landlord-name>`" in messages and "`<b>`: HTML a body may not use" in messages
    assert "`<template>`: HTML a body may not hold; it and all it holds would be dropped" in messages
    assert "footnote [^forgotten] is never referred to, so it is printed nowhere" in messages
    escaped, problems = render_markdown("Write the \\<landlord-name> on it.", Path("a.md"), lambda src, line: None)
    assert problems == [] and "&lt;landlord-name&gt;" in escaped.html
