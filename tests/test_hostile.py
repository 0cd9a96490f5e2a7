"""Hostile and broken input (issue 5): nothing leaks out of the project, nothing is lost, every error is clear.

Every case, whether it renders or fails, is checked the same way: no byte of a canary file placed outside the
project appears in any output (PDFs read uncompressed), a socket listening on 127.0.0.1 receives no connection,
no PDF carries embedded files or file attachments, and a failure is a message without a traceback.
Renders run as subprocesses (as users run them) and are batched: one render carries many attacks.
"""

from __future__ import annotations

import io
import os
import re
import resource
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from helpers import copy_fixture, drawn_pictures, page_texts

PDFS = ("the-tenant-bulletin-7-print.pdf", "the-tenant-bulletin-7-web.pdf")
MB = 1024 * 1024


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(200) or b"(connected)")
                except OSError:
                    self.connections.append(b"(connected)")

    def received(self) -> list[bytes]:
        time.sleep(0.2)  # a connection made at the very end waits in the backlog: let the thread take it
        return list(self.connections)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@dataclass
class Outside:
    """Canary files outside the project: their token must never reach an output."""

    folder: Path
    token: str
    text: Path  # the token as a text file
    jpeg: Path  # a CMYK JPEG (placed as it is, were it ever placed) whose comment is the token


def relative(start: Path, target: Path) -> str:
    return os.path.relpath(target, start)


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    socket.create_connection(("127.0.0.1", server.port)).close()  # the listener itself is tested first
    assert server.received(), "the listening socket does not see connections"
    server.connections.clear()
    yield server
    server.stop.set()
    server.sock.close()


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Outside:
    folder = tmp_path_factory.mktemp("outside")
    token = f"CANARY-{secrets.token_hex(12)}"
    (folder / "canary.txt").write_text(f"{token}\n", "ascii")
    Image.new("CMYK", (64, 64), (0, 90, 90, 0)).save(folder / "canary.jpg", comment=token.encode())
    return Outside(folder, token, folder / "canary.txt", folder / "canary.jpg")


def run(args: list[str], cwd: Path, timeout: float = 300, preexec_fn=None) -> subprocess.CompletedProcess:
    """The CLI in a child process (its own process group, all stopped if it hangs), with a temporary folder of its
    own beside the issue folder `cwd`."""
    (cwd.parent / "tmp").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "issue_builder", *args],
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec_fn,
        env={**os.environ, "TMPDIR": str(cwd.parent / "tmp")},
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"issue-builder {' '.join(args)} did not finish within {timeout:g} s")
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def uncompressed(pdf: Path) -> bytes:
    """The PDF with every stream that can be decoded decoded, and no object streams."""
    buffer = io.BytesIO()
    with pikepdf.open(pdf) as doc:
        doc.save(
            buffer,
            qdf=True,
            compress_streams=False,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
        )
    return buffer.getvalue()


def found_in(folder: Path, token: str) -> list[str]:
    """The files under `folder` (PDFs uncompressed, their text extracted) that contain `token` in any encoding."""
    variants = (
        token.encode(),
        token.encode("utf-16-be"),
        token.encode().hex().encode(),
        token.encode().hex().upper().encode(),
    )
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []:
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data += uncompressed(path) + "".join(page_texts(path)).encode()
        if any(v in data for v in variants):
            hits.append(str(path.relative_to(folder)))
    return hits


def assert_nothing_leaked(
    result: subprocess.CompletedProcess | object, out: Path, outside: Outside, listener: Listener
) -> None:
    """The checks every hostile case shares, rendered or refused."""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert outside.token not in result.stdout + result.stderr
    assert found_in(out, outside.token) == []
    assert listener.received() == [], "something connected to 127.0.0.1 during the render"
    for pdf in out.rglob("*.pdf") if out.exists() else []:
        data = uncompressed(pdf)
        for name in (b"/EmbeddedFiles", b"/FileAttachment", b"/JavaScript", b"/Launch"):
            assert name not in data, (pdf.name, name)


def line_count(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


def append(path: Path, text: str) -> int:
    """Append `text` as a paragraph of its own; returns the line it starts on."""
    path.write_text(path.read_text("utf-8").rstrip("\n") + "\n\n" + text + "\n", "utf-8")
    return line_count(path) - text.count("\n")


def hostile_svg(outside: Outside, listener: Listener) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="90" height="90">'
        f'<image href="{outside.jpeg.as_uri()}" width="90" height="90"/>'
        f'<image xlink:href="{listener.url("svg-image.png")}" width="9" height="9"/>'
        f'<use href="{listener.url("svg-use.svg#a")}"/><use xlink:href="{outside.text.as_uri()}#a"/></svg>'
    )


def test_the_leak_scan_finds_what_a_pdf_compresses(tmp_path):
    """The scan itself: a token inside a compressed attachment is found, and the attachment is seen."""
    token = f"CANARY-{secrets.token_hex(12)}"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["notice.txt"] = pikepdf.AttachedFileSpec(pdf, ((token + "\n") * 50).encode())
    pdf.save(tmp_path / "a.pdf", compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert token.encode() not in (tmp_path / "a.pdf").read_bytes()
    assert found_in(tmp_path, token) == ["a.pdf"]
    assert b"/EmbeddedFiles" in uncompressed(tmp_path / "a.pdf")


# --- 1. One render carrying every raw-HTML attack, and the image kinds not yet rendered end to end --------------

ATTACKS = [
    "script",
    "iframe",
    "object",
    "embed",
    "link-attachment",
    "a-attachment-file",
    "a-attachment-http",
    "img-file-url",
    "img-http",
    "img-dotdot",
    "img-svg",
    "style-tag",
    "inline-style",
    "inline-svg",
    "base",
    "markdown-file-link",
]


def raw_html_attacks(outside: Outside, listener: Listener, article_dir: Path) -> dict[str, tuple[str, list[str], str]]:
    """name -> (Markdown, strings the HTML given to WeasyPrint must not contain, words that must still be printed)."""
    txt, jpg = outside.text.as_uri(), outside.jpeg.as_uri()
    return {
        "script": ('<script>document.title = "x-script-x"</script>', ["<script", "x-script-x"], ""),
        "iframe": (f'<iframe src="{txt}#x-iframe-x"></iframe>', ["<iframe", "x-iframe-x"], ""),
        "object": (f'<object data="{txt}#x-object-x" type="text/plain"></object>', ["<object", "x-object-x"], ""),
        "embed": (f'<embed src="{listener.url("x-embed-x")}">', ["<embed", "x-embed-x"], ""),
        "link-attachment": (f'<link rel="attachment" href="{txt}#x-link-x">', ["attachment", "x-link-x"], ""),
        "a-attachment-file": (
            f'<a rel="attachment" href="{txt}#x-afile-x">the attached notice</a>',
            ["attachment", "x-afile-x"],
            "the attached notice",
        ),
        "a-attachment-http": (
            f'<a rel="attachment" href="{listener.url("x-ahttp-x")}">the web notice</a>',
            ["attachment"],
            "the web notice",
        ),
        "img-file-url": (f'<img src="{jpg}#x-imgfile-x" alt="">', ["x-imgfile-x", "canary.jpg"], ""),
        "img-http": (f'<img src="{listener.url("x-imghttp-x.png")}" alt="">', ["x-imghttp-x"], ""),
        "img-dotdot": (f'<img src="{relative(article_dir, outside.jpeg)}" alt="">', ["canary.jpg"], ""),
        "img-svg": ('<img src="../img/evil.svg" alt="">', ["evil.svg"], ""),
        "style-tag": (
            f"<style>@page {{ size: 2in 2in }} p {{ background: url({listener.url('x-style-x')}) }}</style>",
            ["x-style-x", "2in 2in"],
            "",
        ),
        "inline-style": (
            f'<span style="background: url({listener.url("x-inline-x")})">the styled words</span>',
            ["x-inline-x"],
            "the styled words",
        ),
        "inline-svg": (hostile_svg(outside, listener), ["<svg", "svg-image", "svg-use"], ""),
        "base": (f'<base href="{listener.url("x-base-x/")}">', ["x-base-x", "<base"], ""),
        # markdown-it takes no file: destination: the line is printed as typed, no link
        "markdown-file-link": (f"[a local file]({txt})", ['href="file:'], "a local file"),
    }


def image_kinds(img: Path) -> None:
    """Replace the bulletin's pictures with kinds WeasyPrint does not take as they are, each one flat colour."""
    Image.new("RGB", (900, 1275), (20, 60, 200)).save(img / "cover.webp")  # WebP cover, blue
    palette = Image.new("P", (500, 500), 1)
    palette.putpalette([255, 255, 255, 30, 160, 60] + [0] * 762)
    palette.save(img / "badge.png")  # palette PNG, green
    Image.new("LAB", (900, 600), (153, 168, 158)).save(img / "plan.tif")  # L 60, a +40, b +30: salmon
    Image.new("CMYK", (800, 600), (0, 200, 200, 0)).save(img / "cmyk.tif")  # CMYK TIFF, red


@pytest.fixture(scope="module")
def sanitised(tmp_path_factory, outside, listener):
    """The bulletin carrying every raw-HTML attack and unusual image kinds, rendered once (print and web)."""
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("sanitised"))
    articles, img = folder / "7" / "articles", folder / "7" / "img"
    (img / "evil.svg").write_text(hostile_svg(outside, listener), "utf-8")
    attacks = raw_html_attacks(outside, listener, articles)
    assert list(attacks) == ATTACKS
    lease = articles / "lease-law.md"
    for markdown, _, _ in attacks.values():
        append(lease, markdown)
    append(lease, "Readers wrote in Greek (Ενοικιαστές) and in Russian (Жильцы).")
    append(lease, "![A CMYK drawing](../img/cmyk.tif)")
    image_kinds(img)
    meeting = articles / "meeting.md"
    meeting.write_text(meeting.read_text("utf-8").replace("../img/plan.jpg", "../img/plan.tif"), "utf-8")
    manifest = folder / "7.yaml"
    manifest.write_text(
        manifest.read_text("utf-8").replace("image: 7/img/cover.jpg", "image: 7/img/cover.webp"), "utf-8"
    )
    control = f"CONTROL-{secrets.token_hex(8)}"  # a photo's comment: what its maker wrote, never published
    with Image.open(img / "towers.jpg") as towers:
        towers.convert("CMYK").save(img / "towers.jpg", quality=90, comment=control.encode())
    result = run(["render", "7.yaml", "--out", "out", "--keep-html", "--quiet"], folder)
    html = (
        "".join(p.read_text("utf-8") for p in (folder / "out" / "the-tenant-bulletin-7-html").iterdir())
        if result.returncode == 0
        else ""
    )
    return folder, result, html, attacks, control


def test_sanitised_render_succeeds_and_leaks_nothing(sanitised, outside, listener):
    folder, result, _, _, control = sanitised
    assert result.returncode == 0, result.stderr
    # the photo's comment is its maker's note: never published; its image data, placed as it is, is there
    assert found_in(folder / "out", control) == []
    towers = (folder / "7" / "img" / "towers.jpg").read_bytes()
    scan = towers[towers.index(b"\xff\xda") + 200 :][:64]  # entropy-coded image data, after the scan header
    assert scan in (folder / "out" / "the-tenant-bulletin-7-print.pdf").read_bytes()
    assert_nothing_leaked(result, folder / "out", outside, listener)
    for name in PDFS:
        with pikepdf.open(folder / "out" / name) as pdf:
            for page in pdf.pages:
                trim = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
                assert abs(trim[2] - trim[0] - 148 * 72 / 25.4) < 0.1  # no @page of an article changed the size


def test_the_render_leaves_nothing_in_the_temporary_folder(sanitised):
    folder, result, _, _, _ = sanitised
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in (folder.parent / "tmp").iterdir())
    assert [name for name in left if not name.startswith("issue-builder-")] == []  # that one is fontconfig's cache


@pytest.mark.parametrize("name", ATTACKS)
def test_raw_html_attack_is_removed(sanitised, name):
    folder, result, html, attacks, _ = sanitised
    assert result.returncode == 0, result.stderr
    _, forbidden, kept_words = attacks[name]
    article = html[html.index('id="article-the-new-lease-law"') :]
    for text in forbidden:
        assert text not in article, text
    if kept_words:
        text = re.sub(r"\s+", " ", " ".join(page_texts(folder / "out" / PDFS[1])))
        assert kept_words in text


def test_scripts_the_committed_fonts_have_are_printed(sanitised):
    folder, result, _, _, _ = sanitised
    assert result.returncode == 0, result.stderr
    text = " ".join(page_texts(folder / "out" / PDFS[1]))
    assert "Ενοικιαστές" in text and "Жильцы" in text


def _images(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    return list({i.objgen: i for page in pdf.pages for i in page.get_images().values()}.values())


@pytest.mark.parametrize(
    "kind, size, is_expected_colour",
    [
        ("webp cover", (900, 1275), lambda r, g, b: b > r + 100 and b > g + 100),
        ("palette png", (500, 500), lambda r, g, b: g > r + 80 and g > b + 80),
        ("lab tiff", (900, 600), lambda r, g, b: r > g + 60 and r > b + 60),
        ("cmyk tiff", (800, 600), lambda r, g, b: r > 200 and g < 90 and b < 90),
    ],
)
def test_supported_image_kinds_are_placed_with_their_colours(sanitised, kind, size, is_expected_colour):
    folder, result, _, _, _ = sanitised
    assert result.returncode == 0, result.stderr
    with pikepdf.open(folder / "out" / PDFS[0]) as pdf:  # print: full resolution, no device RGB
        placed = [i for i in _images(pdf) if (int(i.Width), int(i.Height)) == size]
        assert placed, f"{kind} not placed at full resolution in the print PDF"
        assert str(placed[0].ColorSpace) in ("/DeviceCMYK", "/DeviceGray")
    with pikepdf.open(folder / "out" / PDFS[1]) as pdf:  # web: downsampled, the same shape, sRGB colours
        ratio = size[0] / size[1]
        colours = [
            pikepdf.PdfImage(i).as_pil_image().convert("RGB").getpixel((2, 2))
            for i, whole in drawn_pictures(pdf)  # a picture its frame crops is cut to what it shows
            if abs(whole - ratio) < 0.02
        ]
        assert any(is_expected_colour(*c) for c in colours), (kind, colours)


# --- Cases refused before any layout: a clear error naming the file and the key or line --------------------------


def manifest_image_values(outside: Outside, listener: Listener, root: Path) -> dict[str, tuple[str, str]]:
    return {
        "dotdot": (
            relative(root, outside.jpeg),
            f"points outside the issue folder bulletin/: {relative(root, outside.jpeg)}",
        ),
        "absolute": (str(outside.jpeg), f"must be a relative path, not an absolute one: {outside.jpeg}"),
        "symlink": ("7/img/link.jpg", "points outside the issue folder bulletin/: 7/img/link.jpg"),
        "file-url": (
            outside.jpeg.as_uri(),
            f"must be a file path inside the issue folder, not a URL: {outside.jpeg.as_uri()}",
        ),
        "http-url": (
            listener.url("a.jpg"),
            f"must be a file path inside the issue folder, not a URL: {listener.url('a.jpg')}",
        ),
        "svg": ("7/img/evil.svg", "not an image in an accepted format (JPEG, PNG, TIFF, WEBP): 7/img/evil.svg"),
    }


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink", "file-url", "http-url", "svg"])
def test_manifest_image_paths_out_of_the_project_are_refused(cli, bulletin, outside, listener, case):
    (bulletin / "7" / "img" / "link.jpg").symlink_to(outside.jpeg)
    (bulletin / "7" / "img" / "evil.svg").write_text(hostile_svg(outside, listener), "utf-8")
    value, expected = manifest_image_values(outside, listener, bulletin)[case]
    manifest = bulletin / "7.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace("src: 7/img/towers.jpg", f"src: '{value}'"), "utf-8")
    line = next(n for n, text in enumerate(manifest.read_text("utf-8").splitlines(), 1) if value in text)
    result = cli("render", str(manifest), "--out", str(bulletin / "out"))
    assert result.exit_code == 2
    assert f"7.yaml:{line}: articles[0].image.src: {expected}" in result.stderr
    assert_nothing_leaked(result, bulletin / "out", outside, listener)


DATA_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
)


def markdown_images(outside: Outside, listener: Listener, article_dir: Path) -> dict[str, tuple[str, str]]:
    dotdot = relative(article_dir, outside.jpeg)
    return {
        "http-url": (
            listener.url("a.png"),
            f"image must be a relative path inside the issue folder: '{listener.url('a.png')}'",
        ),
        "file-url": (
            outside.jpeg.as_uri(),
            f"image must be a relative path inside the issue folder: '{outside.jpeg.as_uri()}'",
        ),
        "data-url": (DATA_PNG, f"image must be a relative path inside the issue folder: '{DATA_PNG}'"),
        "absolute": (str(outside.jpeg), f"image must be a relative path inside the issue folder: '{outside.jpeg}'"),
        "dotdot": (dotdot, f"image points outside the issue folder: {dotdot}"),
        "symlink": ("../img/link.jpg", "image points outside the issue folder: ../img/link.jpg"),
        "svg": ("../img/evil.svg", "not an image in an accepted format (JPEG, PNG, TIFF, WEBP): ../img/evil.svg"),
    }


@pytest.mark.parametrize("case", ["http-url", "file-url", "data-url", "absolute", "dotdot", "symlink", "svg"])
def test_markdown_images_out_of_the_project_are_refused(cli, bulletin, outside, listener, case, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(bulletin.parent))  # what WeasyPrint leaves behind goes with the test
    (bulletin / "7" / "img" / "link.jpg").symlink_to(outside.jpeg)
    (bulletin / "7" / "img" / "evil.svg").write_text(hostile_svg(outside, listener), "utf-8")
    article = bulletin / "7" / "articles" / "meeting.md"
    src, expected = markdown_images(outside, listener, article.parent)[case]
    line = append(article, f"![A picture]({src})")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert_nothing_leaked(result, bulletin / "out", outside, listener)
    if case == "file-url" and result.exit_code == 0:
        # markdown-it does not take a file: destination for an image: the line is printed as it was typed
        text = " ".join(page_texts(bulletin / "out" / PDFS[1]))
        assert "A picture" in text and "canary.jpg" in text
        return
    assert result.exit_code == 2
    assert f"meeting.md:{line}: {expected}" in result.stderr


def test_layout_css_cannot_reach_the_network(bulletin, outside, listener):
    """The layout is trusted, but the sandbox still loads nothing from the network or from outside."""
    css = bulletin / "layout" / "css" / "extra.css"
    css.write_text(
        f'@import url("{listener.url("import.css")}");\n'
        + css.read_text("utf-8")
        + f'\n.dek {{ background: url("{listener.url("bg.png")}") }}\n'
        + f'@font-face {{ font-family: Net; src: url("{listener.url("font.ttf")}") }}\n'
        + f'.kicker {{ font-family: Net; background: url("{outside.jpeg.as_uri()}") }}\n',
        "utf-8",
    )
    result = run(["render", "7.yaml", "--out", "out", "--only", "web"], bulletin)
    assert result.returncode == 1
    assert (
        f"refused-url: {listener.url('import.css')} (only files inside the issue, its layout and fonts may be loaded)"
        in result.stderr
    )
    assert f"refused-url: {outside.jpeg.as_uri()} (outside the issue folder, its layout and fonts)" in result.stderr
    assert_nothing_leaked(result, bulletin / "out", outside, listener)


# --- 2. A huge manifest is refused without being read whole ----------------------------------------------------


@pytest.mark.parametrize("name", ["7.yaml", "publication.yaml"])
def test_50_mb_manifest_is_refused_naming_the_file(bulletin, name):
    path = bulletin / name
    entry = b"  - title: An article\n    body: 7/articles/meeting.md\n"
    with open(path, "ab") as handle:
        handle.write(b"\nextra:\n" + entry * (50 * MB // len(entry)))  # valid YAML: parsing it would take minutes
    result = run(["check", "7.yaml"], bulletin)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{name}: file is {path.stat().st_size:,} bytes; a manifest may have at most 1,048,576" in result.stderr


def limit_memory(megabytes: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (megabytes * MB, resource.RLIM_INFINITY))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("publication.yaml", "publication.yaml: file is 17,179,869,184 bytes; a manifest may have at most 1,048,576"),
        (
            "7/img/towers.jpg",
            "articles[0].image.src: not an image in an accepted format (JPEG, PNG, TIFF, WEBP): 7/img/towers.jpg",
        ),
        ("7/articles/meeting.md", "meeting.md: file is 17,179,869,184 bytes; an article may have at most"),
    ],
)
def test_sparse_16_gb_file_is_never_read_whole(bulletin, name, expected):
    """A 16 GB file that takes no disk: read whole it would need 16 GB of memory (here limited to 1 GB)."""
    with open(bulletin / name, "wb") as handle:
        handle.truncate(16 * 1024 * MB)
    result = run(["check", "7.yaml"], bulletin, preexec_fn=limit_memory(1024))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr


# --- 3. A decompression bomb -------------------------------------------------------------------------------------


def png_bomb(path: Path, side: int) -> None:
    """A `side` x `side` 1-bit PNG of zero rows, compressed row by row: tiny on disk, never held in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytes(1 + (side + 7) // 8)  # filter byte and packed pixels
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


@pytest.mark.parametrize("where", ["manifest", "markdown"])
def test_decompression_bomb_is_refused_in_little_memory(bulletin, outside, listener, where):
    bomb = bulletin / "7" / "img" / "bomb.png"
    png_bomb(bomb, 30000)
    assert bomb.stat().st_size < 1 * MB
    if where == "manifest":
        manifest = bulletin / "7.yaml"
        manifest.write_text(manifest.read_text("utf-8").replace("src: 7/img/badge.png", "src: 7/img/bomb.png"), "utf-8")
        expected = f"7.yaml:{line_count(manifest) - 1}: articles[2].image.src: image is too large to decode safely"
    else:
        line = append(bulletin / "7" / "articles" / "lease-law.md", "![A plan](../img/bomb.png)")
        expected = f"lease-law.md:{line}: image is too large to decode safely"
    # the render runs in a child of a small wrapper that reports the peak memory of its children
    result = subprocess.run(
        [sys.executable, "-c", PEAK, sys.executable, "-m", "issue_builder", "render", "7.yaml", "--out", "out"],
        cwd=bulletin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert expected in result.stderr and "bomb.png" in result.stderr
    peak_mb = int(result.stdout.split()[-1]) / 1024
    assert peak_mb < 600, f"peak memory {peak_mb:.0f} MB"  # decoding it would take 900 MB
    assert_nothing_leaked(result, bulletin / "out", outside, listener)


# --- 4. Text: scripts no committed font has, and a 50,000-character word --------------------------------------------

SCRIPTS = {  # article file, its title, text whose every character must be named (the fonts have none of them)
    # (Hebrew and Arabic have committed fallback faces: tests/test_layout_rules.py sets them)
    "tifinagh": ("lease-law.md", "The New Lease Law", "ⴰⵣⵓⵍ"),
    "georgian": ("meeting.md", "Meeting Notes", "გამარჯობა"),
    "cjk": ("rent-strike.md", "After Eleven Months", "東京"),
    "emoji": ("rent-strike.md", "After Eleven Months", "🏠"),
}


@pytest.fixture(scope="module")
def scripts_render(tmp_path_factory, outside, listener):
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("scripts"))
    for article, _, text in SCRIPTS.values():
        append(folder / "7" / "articles" / article, f"A neighbour wrote {text} on the card.")
    result = run(["render", "7.yaml", "--out", "out", "--only", "web"], folder)
    return folder, result


def test_text_no_font_can_show_fails_the_render(scripts_render, outside, listener):
    folder, result = scripts_render
    assert result.returncode == 1
    assert "no output was written" in result.stderr
    assert not (folder / "out").exists() or not list((folder / "out").glob("*.pdf"))  # never a silent empty box
    assert_nothing_leaked(result, folder / "out", outside, listener)


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_missing_glyph_names_the_article_and_the_character(scripts_render, script):
    _, result = scripts_render
    _, title, characters = SCRIPTS[script]
    for char in characters:
        lines = [
            line
            for line in result.stderr.splitlines()
            if f"missing-glyph: no committed font has the character {char!r} (U+{ord(char):04X}) in: " in line
        ]
        assert len(lines) == 1 and title in lines[0], (char, result.stderr)


def test_50000_character_word_is_refused_with_its_line(bulletin, outside, listener):
    word = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(50_000))
    article = bulletin / "7" / "articles" / "lease-law.md"
    append(article, word)
    line = article.read_text("utf-8").splitlines().index(word) + 1
    result = run(["render", "7.yaml", "--out", "out"], bulletin)
    assert result.returncode == 2, result.stderr
    assert f"7/articles/lease-law.md:{line}: a word of 50,000 characters (at most 1,000 are printed)" in result.stderr
    assert not (bulletin / "out").exists()
    assert_nothing_leaked(result, bulletin / "out", outside, listener)


def test_a_long_word_within_the_limit_is_broken_across_lines(bulletin, outside, listener):
    word = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1000))
    append(bulletin / "7" / "articles" / "lease-law.md", word)
    result = run(["render", "7.yaml", "--out", "out", "--only", "web", "--strict"], bulletin)
    assert result.returncode == 0, result.stderr  # --strict: no overflow, lost text or other warning
    # the word's lines, without the folio and footnotes of the page it runs over
    lines = [line.strip() for text in page_texts(bulletin / "out" / PDFS[1]) for line in text.splitlines()]
    joined = "".join(line for line in lines if re.fullmatch(r"[a-z\u00ad\u200b\u2010-]+", line))
    assert word in re.sub(r"[\u00ad\u200b\u2010-]", "", joined)
    assert_nothing_leaked(result, bulletin / "out", outside, listener)


# --- 5. A full disk ----------------------------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def limit_file_size(size: int):
    """A disk that takes no file larger than `size`: Python ignores SIGXFSZ, so such a write fails with EFBIG."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


DISK_LIMIT = 1_500_000  # above every font WeasyPrint copies to its temporary folder (Charis SIL: 0.8 MB)


def noise_photo(bulletin: Path) -> None:
    """A photograph of noise, placed at full resolution: the print PDF becomes by far the largest output."""
    Image.frombytes("RGB", (2000, 1500), secrets.token_bytes(2000 * 1500 * 3)).save(
        bulletin / "7" / "img" / "plan.jpg", quality=90
    )


def test_full_disk_keeps_the_previous_outputs_and_leaves_no_temporary_files(bulletin):
    noise_photo(bulletin)
    first = run(["render", "7.yaml", "--out", "out", "--quiet"], bulletin)
    assert first.returncode == 0, first.stderr
    before = tree(bulletin / "out")
    outputs = {n: len(d) for n, d in before.items() if not n.startswith(".cache/")}  # the cache is written only once
    assert outputs.pop(PDFS[0]) > DISK_LIMIT and max(outputs.values()) < DISK_LIMIT
    append(bulletin / "7" / "articles" / "lease-law.md", "A paragraph added after the first render.")
    result = run(["render", "7.yaml", "--out", "out"], bulletin, preexec_fn=limit_file_size(DISK_LIMIT))
    assert result.returncode == 1, result.stderr
    # the joined layout, in the temporary folder, or the outputs themselves: whichever the limit stops first
    assert "File too large" in result.stderr and "earlier outputs were kept" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "BufferedWriter" not in result.stderr
    after = tree(bulletin / "out")
    # every earlier file as it was, but the layout's memory of where the sections landed (the next build's head
    # start, as the laid-out sections are: both made by the layout, which the disk let finish)
    kept = {name: data for name, data in before.items() if name != ".cache/placing.json"}
    assert {name: data for name, data in after.items() if name in kept} == kept
    assert all(name.startswith(".cache/sections/") for name in set(after) - set(before))  # new: laid-out sections
    leftovers = [p for p in (bulletin / "out").rglob("*") if p.name.endswith((".tmp", ".old"))]
    assert leftovers == []
    assert sorted(p.name for p in (bulletin / "out").iterdir() if p.name.startswith(".")) == [".cache"]


def test_full_disk_while_caching_a_converted_photograph_leaves_no_temporary_file(bulletin):
    noise_photo(bulletin)  # its CMYK conversion is cached in out/.cache: a file larger than the disk takes
    result = run(
        ["render", "7.yaml", "--out", "out", "--only", "print"], bulletin, preexec_fn=limit_file_size(DISK_LIMIT)
    )
    assert result.returncode == 1, result.stderr
    assert "File too large" in result.stderr and "earlier outputs were kept" in result.stderr, result.stderr
    assert [str(p.relative_to(bulletin)) for p in (bulletin / "out").rglob("*") if p.name.endswith(".tmp")] == []


def test_full_temporary_folder_during_the_render_is_a_clear_error(bulletin):
    result = run(["render", "7.yaml", "--out", "out", "--only", "web"], bulletin, preexec_fn=limit_file_size(500_000))
    assert result.returncode == 1, result.stderr
    assert "File too large" in result.stderr and "internal error" not in result.stderr
