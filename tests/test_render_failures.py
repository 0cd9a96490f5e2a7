"""What WeasyPrint would let slip is caught; a failed render leaves earlier outputs as they were."""

from __future__ import annotations

import re

import pytest

from helpers import digests, edit


def test_missing_glyph_fails_naming_article_and_character(cli, bulletin):
    article = bulletin / "7" / "articles" / "lease-law.md"
    article.write_text(article.read_text("utf-8") + "\nThe union's symbol is ☭ in some leaflets.\n", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "missing-glyph: no committed font has the character '☭' (U+262D) in: The New Lease Law" in result.stderr
    assert not (bulletin / "out" / "the-tenant-bulletin-7-web.pdf").exists()


def test_missing_resource_in_a_layout_override_fails(cli, bulletin):
    (bulletin / "layout" / "contents.html").write_text(
        '<section class="contents"><h1 class="contents-title">Contents</h1><img src="layout/nope.png" alt=""></section>',
        "utf-8",
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "refused-url" in result.stderr and "layout/nope.png (file not found)" in result.stderr


def test_unknown_anchor_fails(cli, bulletin):
    (bulletin / "layout" / "contents.html").write_text(
        '<section class="contents"><h1 class="contents-title">Contents</h1>'
        '<a class="toc-link" href="#article-nowhere">Nowhere</a></section>',
        "utf-8",
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "unknown-anchor" in result.stderr


def test_layout_files_outside_the_sandbox_are_refused(cli, bulletin, tmp_path):
    secret = tmp_path / "canary.css"
    secret.write_text("CANARY", "utf-8")
    (bulletin / "layout" / "contents.html").write_text(
        f'<section class="contents"><h1>Contents</h1><img src="{secret.as_uri()}" alt=""></section>', "utf-8"
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "outside the issue folder" in result.stderr


def test_css_warnings_are_listed_and_fail_under_strict(cli, bulletin):
    extra = bulletin / "layout" / "css" / "extra.css"
    extra.write_text(extra.read_text("utf-8") + "\n.kicker { colour: red; }\n", "utf-8")
    out = bulletin / "out"
    relaxed = cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "web")
    assert relaxed.exit_code == 0, relaxed.stderr
    assert "warning: css: Ignored `colour: red`" in relaxed.stderr
    strict = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "strict"), "--only", "web", "--strict")
    assert strict.exit_code == 1 and "--strict" in strict.stderr
    assert not (bulletin / "strict").exists() or not any((bulletin / "strict").glob("*.pdf"))


def test_failed_render_leaves_previous_outputs_untouched(cli, bulletin):
    out = bulletin / "out"
    first = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    before = digests(out)
    assert len(before) == 2
    edit(bulletin / "7.yaml", "src: 7/img/towers.jpg", "src: 7/img/gone.jpg")
    (bulletin / "7" / "articles" / "meeting.md").write_text("new text\n", "utf-8")
    second = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert second.exit_code == 2
    assert "Traceback" not in second.stderr
    assert digests(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.suffix == ".tmp"]


def test_renders_are_byte_identical(cli, bulletin):
    from PIL import Image

    # a CMYK photo (placed through a converted copy in the web and proof editions) and the ISSN barcode (made by
    # the build): neither may carry the output folder into the PDFs
    Image.open(bulletin / "7" / "img" / "towers.jpg").convert("CMYK").save(bulletin / "7" / "img" / "towers.jpg")
    a = cli(
        "render",
        str(bulletin / "7.yaml"),
        "--out",
        str(bulletin / "a"),
        "--only",
        "print",
        "--only",
        "web",
        "--only",
        "proof",
    )
    b = cli(
        "render",
        str(bulletin / "7.yaml"),
        "--out",
        str(bulletin / "elsewhere" / "b"),
        "--only",
        "print",
        "--only",
        "web",
        "--only",
        "proof",
    )
    assert a.exit_code == b.exit_code == 0, a.stderr + b.stderr
    assert digests(bulletin / "a") == digests(bulletin / "elsewhere" / "b")
    assert len([name for name in digests(bulletin / "a") if name.endswith(".pdf")]) == 3


def test_internal_errors_show_no_traceback_unless_debug(cli, bulletin, monkeypatch):
    import issue_builder.build.driver as build_module
    import issue_builder.editions.render as weasy_module

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(build_module, "prepare_issue", boom)
    result = cli("render", str(bulletin / "7.yaml"))
    assert result.exit_code == 70
    assert "internal error: RuntimeError: simulated bug" in result.stderr and "Traceback" not in result.stderr

    # a bug inside the render process (a forked child) is reported the same way, its traceback under --debug
    monkeypatch.undo()
    monkeypatch.setattr(weasy_module, "lay_out_issue", boom)
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 70
    assert re.search(
        r"internal error: ChildFailed: RuntimeError: simulated bug \(in the render process\)",
        result.stderr,
    )
    assert "Traceback" not in result.stderr and not (bulletin / "out" / "the-tenant-bulletin-7-print.pdf").exists()
    with pytest.raises(Exception, match="simulated bug"):
        cli("--debug", "render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))


def test_overflowing_text_fails_naming_page_and_article(cli, bulletin):
    edit(
        bulletin / "7.yaml",
        "  - title: The New Lease Law",
        "  - title: The Antidisestablishmentarianistically-Unbreakable-Lease-Law",
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert (
        "overflow: page 5: The Antidisestablishmentarianistically-Unbreakable-Lease-Law: text wider than its column"
        in result.stderr
    )
    assert not (bulletin / "out").exists()


def test_long_words_in_body_text_are_broken_not_overflowing(cli, bulletin):
    article = bulletin / "7" / "articles" / "lease-law.md"
    article.write_text(article.read_text("utf-8") + "\n" + "Unbreakable" * 40 + "\n", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web", "--strict")
    assert result.exit_code == 0, result.stderr


def test_text_too_large_for_its_page_fails(cli, bulletin):
    edit(
        bulletin / "7.yaml",
        "    dek: How a rent strike",
        "    opener: full-bleed\n    dek: " + "Far too long a dek. " * 40 + "How a rent strike",
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "overflow: page 3: After Eleven Months" in result.stderr
    assert 'positioned block <div class="bleed-head"> is too large for its page (continues on page 4)' in result.stderr


def test_render_failure_after_validation_keeps_previous_outputs(cli, bulletin):
    out = bulletin / "out"
    assert cli("render", str(bulletin / "7.yaml"), "--out", str(out)).exit_code == 0
    before = digests(out)
    article = bulletin / "7" / "articles" / "lease-law.md"
    article.write_text(article.read_text("utf-8") + "\nA snowman ☃ in the text.\n", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert result.exit_code == 1 and "missing-glyph" in result.stderr
    assert digests(out) == before


def test_manifest_text_cannot_break_out_of_css_or_html(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(
        pub.read_text("utf-8").replace(
            "  name: The Tenant Bulletin",
            "  name: 'The \"Tenant\" </style> <a rel=attachment href=s.txt> x </a> <b>Bulletin'",
        ),
        "utf-8",
    )
    (bulletin / "s.txt").write_text("CANARY-SECRET", "utf-8")
    out = bulletin / "out"
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "web", "--keep-html", "--strict")
    assert result.exit_code == 0, result.stderr
    pdf = next(out.glob("*.pdf")).read_bytes()
    assert b"CANARY-SECRET" not in pdf and b"/FileAttachment" not in pdf
    html = "".join(p.read_text("utf-8") for p in out.glob("*-html/*.html"))
    assert "&lt;b&gt;Bulletin" in html and "<b>Bulletin" not in html
    assert "\\22 TENANT\\22" in html  # the running head's CSS string is escaped


def test_layout_templates_are_sandboxed(cli, bulletin, tmp_path):
    (bulletin / "layout" / "contents.html").write_text(
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "utf-8"
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1 and "layout template error" in result.stderr
    outside = tmp_path / "outside.html"
    outside.write_text("<p>OUTSIDE</p>", "utf-8")
    (bulletin / "layout" / "contents.html").unlink()
    (bulletin / "layout" / "contents.html").symlink_to(outside)
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 1 and "contents.html (points outside its layout folder)" in result.stderr


def test_unusable_output_folder_is_a_clear_error(cli, bulletin):
    (bulletin / "afile").write_text("x", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "afile" / "sub"), "--only", "web")
    assert result.exit_code == 1 and "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_web_folder_no_build_wrote_is_never_replaced(cli, bulletin):
    site = bulletin / "site"
    (site / "web").mkdir(parents=True)
    (site / "web" / "important.html").write_text("page", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(site), "--only", "web")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "web is there already and no build of issue-builder wrote it" in result.stderr
    assert (site / "web" / "important.html").read_text("utf-8") == "page" and not list(site.glob("*.pdf"))
    ours = bulletin / "ours"
    assert cli("render", str(bulletin / "7.yaml"), "--out", str(ours), "--only", "web").exit_code == 0
    again = cli("render", str(bulletin / "7.yaml"), "--out", str(ours), "--only", "web", "--force")
    assert again.exit_code == 0, again.stderr  # its own web page, replaced as before
