"""The trust boundary: an issue manifest and contributors' files never choose or become templates or fonts, and
templates see plain values, so no file can be read or written from one."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest

from helpers import line_of
from issue_builder.layout.values import PlainSandbox, Record, plain, template_context

SECRET = "CANARY-SECRET-7f3a"


@dataclass(frozen=True)
class _Article:
    title: str
    path: Path

    @property
    def shout(self) -> str:
        return self.title.upper()


def publication_with(bulletin: Path, extra: str) -> None:
    """Replace the publication's `layout:` line with `extra` (any YAML lines)."""
    publication = bulletin / "publication.yaml"
    publication.write_text(publication.read_text("utf-8").replace("layout: layout\n", extra), "utf-8")


def assert_refused_without_output(cli, bulletin: Path, *needles: str) -> None:
    """Both `check` and `render` refuse the issue with exit 2, naming the place; nothing is written."""
    for command in (["check"], ["render", "--out", str(bulletin / "out")]):
        result = cli(command[0], str(bulletin / "7.yaml"), *command[1:])
        assert result.exit_code == 2, result.stderr
        assert "Traceback" not in result.stderr
        for needle in needles:
            assert needle in result.stderr
    assert not (bulletin / "out").exists()


def test_an_issue_manifest_cannot_choose_the_layout(cli, bulletin):
    manifest = bulletin / "7.yaml"
    manifest.write_text(manifest.read_text("utf-8") + "layout: 7/articles\n", "utf-8")
    (bulletin / "7" / "articles" / "back.html").write_text(f"<p>{{{{ '{SECRET}' }}}}</p>", "utf-8")
    assert_refused_without_output(
        cli,
        bulletin,
        f"7.yaml:{line_of(manifest, 'layout: 7/articles')}: layout: may be set only in the publication file",
    )


@pytest.mark.parametrize("key", ["font_dirs: [7/img]", "limits:\n  seconds: 100000"])
def test_an_issue_manifest_cannot_set_fonts_or_limits(cli, bulletin, key):
    manifest = bulletin / "7.yaml"
    manifest.write_text(manifest.read_text("utf-8") + key + "\n", "utf-8")
    name = key.split(":")[0]
    assert_refused_without_output(
        cli, bulletin, f"7.yaml:{line_of(manifest, name + ':')}: {name}: may be set only in the publication file"
    )


def test_the_articles_folder_is_never_a_layout(cli, bulletin):
    """The attack: an article body named back.html in the folder the publication names as its layout."""
    publication_with(bulletin, "layout: 7/articles\n")
    (bulletin / "7" / "articles" / "back.html").write_text(f"<p>{SECRET}</p>", "utf-8")
    assert_refused_without_output(
        cli,
        bulletin,
        "layout: 7/articles holds the contributor's file 7/articles/",
        "kept apart from articles and images",
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "layout: 7/articles/templates\n",
            "layout: 7/articles/templates lies in 7/articles/, a folder of contributors",
        ),
        ("layout: .\n", "layout: . holds the contributor's file 7.yaml"),
        ("layout: layout\nfont_dirs: [7/img]\n", "font_dirs[0]: 7/img holds the contributor's file 7/img/"),
    ],
)
def test_trusted_folders_stay_apart_from_contributors_files(cli, bulletin, setting, message):
    (bulletin / "7" / "articles" / "templates").mkdir()
    publication_with(bulletin, setting)
    assert_refused_without_output(cli, bulletin, message)


def test_a_layout_parent_among_contributors_files_is_refused(cli, bulletin):
    (bulletin / "layout" / "layout.yaml").write_text("parent: ../7/img\n", "utf-8")
    assert_refused_without_output(cli, bulletin, "layout: 7/img holds the contributor's file 7/img/")


def test_the_publication_file_is_never_a_contributors_file(cli, bulletin):
    manifest = bulletin / "7.yaml"
    publication = (bulletin / "publication.yaml").read_text("utf-8")
    (bulletin / "7" / "articles" / "pub.yaml").write_text(publication, "utf-8")
    manifest.write_text("publication: 7/articles/pub.yaml\n" + manifest.read_text("utf-8"), "utf-8")
    assert_refused_without_output(
        cli, bulletin, "7.yaml:1: publication: an issue manifest cannot choose its publication"
    )


def test_an_image_the_markdown_places_in_the_layout_folder_is_refused(cli, bulletin):
    shutil.copy(bulletin / "7" / "img" / "badge.png", bulletin / "layout" / "badge.png")
    article = bulletin / "7" / "articles" / "meeting.md"
    article.write_text(article.read_text("utf-8") + "\n![A badge](../../layout/badge.png)\n", "utf-8")
    assert_refused_without_output(cli, bulletin, "layout: layout holds the contributor's file layout/badge.png")


@pytest.mark.parametrize(
    "attack",
    [
        "{{ issue.root.joinpath('SECRET').read_text() }}",
        "{{ m.cover.image.path.read_text() }}",
        "{{ issue.manifest_path.parent.joinpath('SECRET').read_text() }}",
        "{% for f in font_faces %}{{ f.path.read_bytes() }}{% endfor %}",
        "{{ issue.root.joinpath('written.txt').write_text('x') }}",
        "{{ issue.articles.append(1) }}",
        "{{ issue._values }}",
        "{{ colour.__globals__ }}",
    ],
)
def test_a_trusted_template_can_read_or_write_no_file(cli, bulletin, attack):
    (bulletin / "SECRET").write_text(SECRET, "utf-8")
    (bulletin / "layout" / "back.html").write_text(f"<p>{attack}</p>", "utf-8")
    out = bulletin / "out"
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--keep-html")
    assert result.exit_code == 1, result.stderr
    assert "layout template error" in result.stderr and "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not (bulletin / "written.txt").exists()
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_templates_are_given_plain_values():
    record = plain({"folder": Path("/srv/issue"), "items": [1, 2]})
    assert record["folder"] == "/srv/issue" and record["items"] == (1, 2)
    with pytest.raises(TypeError):
        record["items"] = ()
    with pytest.raises(TypeError, match="plain values only"):
        plain(object())
    article = template_context({"a": _Article("Title", Path("/x"))})["a"]
    assert isinstance(article, Record) and article.title == "Title" and article.shout == "TITLE"
    with pytest.raises(AttributeError, match="read-only"):
        article.title = "other"


def test_no_file_time_reaches_the_templates(bulletin):
    """The build notes when each article was saved (to look up the one edited first); a layout cannot print it,
    so pages never depend on a file's time."""
    from issue_builder.prepare.issue import prepare_issue

    issue = prepare_issue(bulletin / "7.yaml")
    assert issue.articles[0].saved > 0
    article = template_context({"a": issue.articles[0]})["a"]
    assert article.title == issue.articles[0].title
    with pytest.raises(AttributeError, match="no attribute 'saved'"):
        article.saved  # noqa: B018


def test_the_sandbox_reads_no_attribute_of_an_object_that_slipped_through(tmp_path):
    """Second line: even a path handed to a template by mistake has no method a template may call."""
    (tmp_path / "secret").write_text(SECRET, "utf-8")
    env = PlainSandbox()
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string("{{ p.read_text() }}").render(p=tmp_path / "secret")
    assert env.from_string("{{ r.title|upper }}").render(r=plain(_Article("ok", tmp_path))) == "OK"
