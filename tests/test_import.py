"""`issue-builder import`: documents made here with python-docx and odfpy (as Word and LibreOffice write them),
an HTML page and a Markdown file, into articles of the bulletin; every refusal leaves the manifest untouched."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from odf import dc, draw, meta, office, style, svg, table, text
from odf.namespaces import TEXTNS, XMLNS
from odf.opendocument import OpenDocumentText
from PIL import Image

from helpers import page_texts

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def png(colour=(200, 30, 30), size=(320, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


# --- a .docx as Word writes it -------------------------------------------------------------------------------------


def add_hyperlink(paragraph, url: str, words: str) -> None:
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    run_text = OxmlElement("w:t")
    run_text.text = words
    run.append(run_text)
    link.append(run)
    paragraph._p.append(link)


def add_footnote(document, paragraph, words: str) -> None:
    """A footnote as Word stores it: word/footnotes.xml (with the two separator notes) and a reference run."""
    notes = (
        f'<w:footnotes xmlns:w="{W}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">{words}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, notes.encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)
    run = OxmlElement("w:r")
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), "1")
    run.append(reference)
    paragraph._p.append(run)


def add_tracked(paragraph, kind: str, words: str, change_id: int) -> None:
    """An insertion (`ins`) or deletion (`del`) by Ed, not yet accepted."""
    change = OxmlElement(f"w:{kind}")
    change.set(qn("w:id"), str(change_id))
    change.set(qn("w:author"), "Ed Itor")
    change.set(qn("w:date"), "2024-05-01T10:00:00Z")
    run = OxmlElement("w:r")
    run_text = OxmlElement("w:delText" if kind == "del" else "w:t")
    run_text.set(qn("xml:space"), "preserve")
    run_text.text = words
    run.append(run_text)
    change.append(run)
    paragraph._p.append(change)


def make_docx(path: Path, changes: bool = False, comment: bool = False) -> Path:
    document = docx.Document()
    props = document.core_properties
    props.title = "The Rent Tribunal"
    props.author = "Maria López"
    props.comments = "What tenants won at the tribunal, and how."
    document.add_heading("Hearing day", 1)
    paragraph = document.add_paragraph("The tribunal sat for ")
    paragraph.add_run("three").italic = True
    paragraph.add_run(" days and ruled ")
    paragraph.add_run("for the tenants").bold = True
    paragraph.add_run("; the ruling is on ")
    add_hyperlink(paragraph, "https://example.org/ruling", "the court's site")
    paragraph.add_run(".")
    add_footnote(document, paragraph, "Case 2024/117, decided in May.")
    document.add_paragraph("Repairs within a week", style="List Bullet")
    document.add_paragraph("A rent cut for each day late", style="List Bullet")
    document.add_paragraph("Write to the landlord", style="List Number")
    document.add_paragraph("Keep a copy", style="List Number")
    document.add_paragraph("We will not pay for damp we did not cause.", style="Quote")
    document.add_heading("The numbers", 2)
    grid = document.add_table(rows=3, cols=2)
    for r, row in enumerate((("Block", "Households"), ("North", "140"), ("South", "260"))):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    document.add_picture(io.BytesIO(png()))
    document.inline_shapes[0]._inline.docPr.set("descr", "The tribunal building")
    edited = document.add_paragraph("The landlord ")
    if changes:
        add_tracked(edited, "ins", "finally ", 101)
        add_tracked(edited, "del", "never ", 102)
    edited.add_run("appealed.")
    noted = document.add_paragraph("The hearing lasted three days.")
    if comment:
        document.add_comment(noted.runs, text="Was it four days?", author="Sub Editor", initials="SE")
    document.save(path)
    return path


# --- an .odt as LibreOffice writes it ------------------------------------------------------------------------------


def make_odt(path: Path, changes: bool = False, comment: bool = False) -> Path:
    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text="Organising the Towers"))
    doc.meta.addElement(meta.InitialCreator(text="Sam Okafor"))
    doc.meta.addElement(dc.Description(text="How three blocks built one union."))
    italic = style.Style(name="T1", family="text")
    italic.addElement(style.TextProperties(fontstyle="italic"))
    bold = style.Style(name="T2", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(italic)
    doc.automaticstyles.addElement(bold)
    quote = style.Style(name="Quotations", family="paragraph")
    quote.addElement(style.ParagraphProperties(marginleft="1cm", marginright="1cm"))
    doc.styles.addElement(quote)
    heading = style.Style(name="Heading_20_1", displayname="Heading 1", family="paragraph")
    doc.styles.addElement(heading)
    bullets = text.ListStyle(name="L1")
    bullets.addElement(text.ListLevelStyleBullet(level=1, bulletchar="•"))
    doc.automaticstyles.addElement(bullets)
    if changes:
        record = text.TrackedChanges()
        for change_id, kind, removed in (("ct1", text.Insertion, None), ("ct2", text.Deletion, "the old committee ")):
            region = text.ChangedRegion(
                qattributes={(XMLNS, "id"): change_id, (TEXTNS, "id"): change_id}, check_grammar=False
            )
            change = kind()
            info = office.ChangeInfo()
            info.addElement(dc.Creator(text="Ed Itor"))
            info.addElement(dc.Date(text="2024-05-01T10:00:00"))
            change.addElement(info)
            if removed:
                change.addElement(text.P(text=removed))
            region.addElement(change)
            record.addElement(region)
        doc.text.addElement(record)
    doc.text.addElement(text.H(outlinelevel=1, stylename=heading, text="Door to door"))
    paragraph = text.P(text="Organisers knocked ")
    paragraph.addElement(text.Span(stylename=italic, text="every"))
    paragraph.addText(" door, ")
    paragraph.addElement(text.Span(stylename=bold, text="twice"))
    paragraph.addText("; see ")
    paragraph.addElement(text.A(href="https://example.org/towers", text="the union's page"))
    paragraph.addText(".")
    note = text.Note(id="ftn1", noteclass="footnote")
    note.addElement(text.NoteCitation(text="1"))
    body = text.NoteBody()
    body.addElement(text.P(text="Counted by the union in March."))
    note.addElement(body)
    paragraph.addElement(note)
    doc.text.addElement(paragraph)
    items = text.List(stylename=bullets)
    for words in ("North block", "South block"):
        item = text.ListItem()
        item.addElement(text.P(text=words))
        items.addElement(item)
    doc.text.addElement(items)
    doc.text.addElement(text.P(stylename=quote, text="Nobody organises alone."))
    grid = table.Table(name="Households")
    grid.addElement(table.TableColumn(numbercolumnsrepeated=2))
    for row in (("Block", "Households"), ("North", "140")):
        line = table.TableRow()
        for value in row:
            cell = table.TableCell()
            cell.addElement(text.P(text=value))
            line.addElement(cell)
        grid.addElement(line)
    doc.text.addElement(grid)
    href = doc.addPicture("Pictures/towers.png", "image/png", png((30, 30, 200)))
    frame = draw.Frame(width="3in", height="2in", anchortype="as-char", name="Image1")
    frame.addElement(draw.Image(href=href))
    frame.addElement(svg.Title(text="The three towers at dusk"))  # the alternative text, as LibreOffice keeps it
    figure = text.P()
    figure.addElement(frame)
    doc.text.addElement(figure)
    edited = text.P(text="The meeting elected ")
    if changes:
        edited.addElement(text.ChangeStart(changeid="ct1"))
        edited.addText("a new committee ")
        edited.addElement(text.ChangeEnd(changeid="ct1"))
        edited.addElement(text.Change(changeid="ct2"))
    edited.addText("by a show of hands.")
    doc.text.addElement(edited)
    noted = text.P(text="Four hundred households ")
    if comment:
        annotation = office.Annotation()
        annotation.addElement(dc.Creator(text="Sub Editor"))
        annotation.addElement(dc.Date(text="2024-05-02T09:00:00"))
        annotation.addElement(text.P(text="Source for this figure?"))
        noted.addElement(annotation)
    noted.addText("joined.")
    doc.text.addElement(noted)
    doc.save(str(path))
    return path


# --- helpers -------------------------------------------------------------------------------------------------------


def manifest_entry(manifest: Path) -> dict:
    return yaml.safe_load(manifest.read_text())["articles"][-1]


def untouched(bulletin: Path, before: bytes, files_before: set[Path]) -> None:
    """The manifest byte for byte as it was, and no file added to the issue folder."""
    assert (bulletin / "7.yaml").read_bytes() == before
    assert set((bulletin / "7").rglob("*")) == files_before


def snapshot(bulletin: Path) -> tuple[bytes, set[Path]]:
    return (bulletin / "7.yaml").read_bytes(), set((bulletin / "7").rglob("*"))


# --- conversions ---------------------------------------------------------------------------------------------------


def test_docx_structure_pictures_and_properties(bulletin, cli, tmp_path):
    source = make_docx(tmp_path / "tribunal.docx")
    before = (bulletin / "7.yaml").read_text()
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "as articles[3] 'the-rent-tribunal'" in result.stdout
    assert "title: The Rent Tribunal (from its properties)" in result.stdout
    body = (bulletin / "7/articles/the-rent-tribunal.md").read_text()
    assert body.startswith("## Hearing day\n")  # the document's top heading is the body's first subhead
    assert "### The numbers" in body
    assert "*three*" in body and "**for the tenants**" in body
    assert "[the court's site](https://example.org/ruling)" in body
    assert "[^1]" in body and "[^1]: Case 2024/117, decided in May." in body
    assert "-   Repairs within a week" in body or "- Repairs within a week" in body
    assert "1.  Write to the landlord" in body or "1. Write to the landlord" in body
    assert "> We will not pay for damp we did not cause." in body
    assert "| Block | Households |" in body and "| North | 140" in body
    assert "![The tribunal building](../img/the-rent-tribunal-1.png)" in body
    picture = bulletin / "7/img/the-rent-tribunal-1.png"
    assert Image.open(picture).size == (320, 200)
    # the entry is appended as text: everything before it is as the editor wrote it
    after = (bulletin / "7.yaml").read_text()
    assert after.startswith(before)
    assert "# Imported from tribunal.docx on " in after and "review, then remove this comment" in after
    assert manifest_entry(bulletin / "7.yaml") == {
        "title": "The Rent Tribunal",
        "dek": "What tenants won at the tribunal, and how.",
        "author": "Maria López",
        "body": "7/articles/the-rent-tribunal.md",
    }


def test_odt_structure_pictures_and_properties(bulletin, cli, tmp_path):
    source = make_odt(tmp_path / "towers.odt")
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"), "--as", "towers")
    assert result.exit_code == 0, result.stderr
    body = (bulletin / "7/articles/towers.md").read_text()
    assert body.startswith("## Door to door\n")
    assert "*every*" in body and "**twice**" in body
    assert "[the union's page](https://example.org/towers)" in body
    assert "[^1]: Counted by the union in March." in body
    assert "- North block" in body or "-   North block" in body
    assert "> Nobody organises alone." in body
    assert "| Block | Households |" in body  # the first row became the table's head
    assert "![The three towers at dusk](../img/towers-1.png)" in body
    assert Image.open(bulletin / "7/img/towers-1.png").size == (320, 200)
    assert "by a show of hands" in body and "joined." in body
    assert manifest_entry(bulletin / "7.yaml") == {
        "title": "Organising the Towers",
        "dek": "How three blocks built one union.",
        "author": "Sam Okafor",
        "body": "7/articles/towers.md",
        "slug": "towers",
    }


def test_docx_caption_paragraph_and_picture_anchored_in_text(bulletin, cli, tmp_path):
    """Word's Insert Caption writes a Caption-styled paragraph under the picture; a picture placed inside a
    heading or a line of text is set as a figure of its own after it."""
    document = docx.Document()
    document.add_heading("Hearing day", 1)
    document.add_picture(io.BytesIO(png()))
    document.inline_shapes[0]._inline.docPr.set("descr", "The tribunal hall")
    document.add_paragraph("Figure 1: The hall at noon.", style="Caption")
    heading = document.add_heading("The verdict ", 1)
    heading.add_run().add_picture(io.BytesIO(png(colour=(0, 90, 200))))
    line = document.add_paragraph("The judge read it out ")
    line.add_run().add_picture(io.BytesIO(png(colour=(0, 200, 90))))
    line.add_run(" at four.")
    source = tmp_path / "captioned.docx"
    document.save(source)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"), "--as", "captioned")
    assert result.exit_code == 0, result.stderr
    body = (bulletin / "7/articles/captioned.md").read_text()
    assert '![The tribunal hall](../img/captioned-1.png "The hall at noon.")' in body
    assert "Figure 1" not in body
    assert "\n## The verdict\n\n![](../img/captioned-2.png)\n" in body
    assert "The judge read it out at four.\n\n![](../img/captioned-3.png)\n" in body
    assert result.stderr.count("has no alternative text") == 2


def test_html_title_byline_and_embedded_picture(bulletin, cli, tmp_path):
    encoded = base64.b64encode(png(size=(60, 40))).decode()
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Our Site | News</title><meta name='author' content='Jo Web'>"
        "<meta name='description' content='A dek from the page.'></head><body>"
        "<h1>Strike at the Depot</h1><p>Drivers <em>walked out</em> at dawn.</p>"
        f"<p><img src='data:image/png;base64,{encoded}' alt='The depot gates'></p>"
        "<p><img src='https://example.org/remote.jpg' alt='remote'></p><script>alert(1)</script></body></html>"
    )
    result = cli("import", str(page), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "picture 2 (https://example.org/remote.jpg) left out: on the web: import fetches nothing" in result.stderr
    body = (bulletin / "7/articles/strike-at-the-depot.md").read_text()
    assert "Drivers *walked out* at dawn." in body
    assert "![The depot gates](../img/strike-at-the-depot-1.png)" in body
    assert "<!-- picture 2 (https://example.org/remote.jpg) left out by import" in body
    assert "alert" not in body
    assert Image.open(bulletin / "7/img/strike-at-the-depot-1.png").size == (60, 40)
    entry = manifest_entry(bulletin / "7.yaml")
    assert (entry["title"], entry["author"], entry["dek"]) == ("Strike at the Depot", "Jo Web", "A dek from the page.")


def test_markdown_front_matter_pull_quote_and_local_picture(bulletin, cli, tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics/box.png").write_bytes(png(size=(50, 50)))
    source = tmp_path / "notes.md"
    source.write_text(
        '---\ntitle: "Notes: from the floor"\nauthor: Jo Md\n---\n\nBy the end it was *loud*.[^a]\n\n'
        '::: pullquote\nWe stay.\n:::\n\n![A box](pics/box.png "The caption")\n\nIt cost $5 and $10.\n\n'
        "[^a]: Minutes, p. 2.\n"
    )
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr
    body = (bulletin / "7/articles/notes-from-the-floor.md").read_text()
    assert "::: pullquote\n\nWe stay.\n\n:::" in body
    assert '![A box](../img/notes-from-the-floor-1.png "The caption")' in body
    assert "It cost $5 and $10." in body  # not read as TeX mathematics
    assert "[^1]: Minutes, p. 2." in body
    text_after = (bulletin / "7.yaml").read_text()
    assert "title: 'Notes: from the floor'" in text_after  # quoted where YAML needs it
    assert manifest_entry(bulletin / "7.yaml")["author"] == "Jo Md"


def test_entry_goes_before_the_keys_that_follow_articles(cli, tmp_path, bulletin):
    manifest = bulletin / "7.yaml"
    original = manifest.read_text()
    head, articles = original.split("articles:\n")
    manifest.write_text(f"{head}articles:\n{articles}\n# the back page\nnotice: Printed by members.  # keep\n")
    before = manifest.read_text()
    source = make_docx(tmp_path / "tribunal.docx")
    assert cli("import", str(source), "--into", str(manifest)).exit_code == 0
    after = manifest.read_text()
    assert after.index("  - title: The Rent Tribunal") < after.index("# the back page")
    assert after.endswith("# the back page\nnotice: Printed by members.  # keep\n")
    remaining = iter(after.splitlines())
    assert all(line in remaining for line in before.splitlines())  # every line of the editor's, in its order
    assert yaml.safe_load(after)["notice"] == "Printed by members."


# --- tracked changes and comments ----------------------------------------------------------------------------------


def test_docx_with_tracked_changes_is_refused_listing_each(bulletin, cli, tmp_path):
    source = make_docx(tmp_path / "edited.docx", changes=True)
    before = snapshot(bulletin)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 1
    assert "not imported: it holds 2 tracked changes not yet accepted" in result.stderr
    assert "--accept-changes or --reject-changes" in result.stderr
    assert "insertion by Ed Itor (2024-05-01) under “The numbers”, paragraph 3" in result.stderr
    assert "“finally”" in result.stderr and "deletion by Ed Itor" in result.stderr and "“never”" in result.stderr
    assert "Traceback" not in result.stderr
    untouched(bulletin, *before)


@pytest.mark.parametrize(
    ("choice", "expected", "absent"),
    [("--accept-changes", "finally appealed", "never"), ("--reject-changes", "never appealed", "finally")],
)
def test_docx_tracked_changes_accepted_or_rejected(bulletin, cli, tmp_path, choice, expected, absent):
    source = make_docx(tmp_path / "edited.docx", changes=True)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"), choice)
    assert result.exit_code == 0, result.stderr
    assert f"2 tracked changes {choice[2:8]}ed:" in result.stdout
    body = (bulletin / "7/articles/the-rent-tribunal.md").read_text()
    assert f"The landlord {expected}." in body
    assert absent not in body


def test_docx_comments_refused_then_kept_or_dropped(bulletin, cli, tmp_path):
    source = make_docx(tmp_path / "noted.docx", comment=True)
    manifest = str(bulletin / "7.yaml")
    before = snapshot(bulletin)
    refused = cli("import", str(source), "--into", manifest)
    assert refused.exit_code == 1
    assert "it holds 1 comment;" in refused.stderr
    assert "comment by Sub Editor" in refused.stderr and "“Was it four days?”" in refused.stderr
    untouched(bulletin, *before)
    kept = cli("import", str(source), "--into", manifest, "--keep-comments", "--as", "kept")
    assert kept.exit_code == 0, kept.stderr
    assert "1 comment kept as Markdown comments" in kept.stdout
    assert "<!-- comment by Sub Editor (" in (bulletin / "7/articles/kept.md").read_text()
    dropped = cli("import", str(source), "--into", manifest, "--drop-comments", "--as", "dropped")
    assert dropped.exit_code == 0, dropped.stderr
    body = (bulletin / "7/articles/dropped.md").read_text()
    assert "four days" not in body and "The hearing lasted three days." in body


def test_odt_changes_and_comments_refused_then_resolved(bulletin, cli, tmp_path):
    source = make_odt(tmp_path / "edited.odt", changes=True, comment=True)
    manifest = str(bulletin / "7.yaml")
    before = snapshot(bulletin)
    refused = cli("import", str(source), "--into", manifest)
    assert refused.exit_code == 1
    assert "2 tracked changes not yet accepted and 1 comment" in refused.stderr
    assert "insertion by Ed Itor (2024-05-01) under “Door to door”" in refused.stderr
    assert "“a new committee”" in refused.stderr and "“the old committee”" in refused.stderr
    assert "comment by Sub Editor (2024-05-02)" in refused.stderr and "“Source for this figure?”" in refused.stderr
    untouched(bulletin, *before)
    accepted = cli("import", str(source), "--into", manifest, "--accept-changes", "--keep-comments", "--as", "accepted")
    assert accepted.exit_code == 0, accepted.stderr
    body = (bulletin / "7/articles/accepted.md").read_text()
    assert "The meeting elected a new committee by a show of hands." in body
    assert "Four hundred households <!-- comment by Sub Editor (2024-05-02): Source for this figure? -->joined." in body
    rejected = cli("import", str(source), "--into", manifest, "--reject-changes", "--drop-comments", "--as", "rejected")
    assert rejected.exit_code == 0, rejected.stderr
    body = (bulletin / "7/articles/rejected.md").read_text()
    assert "The meeting elected the old committee by a show of hands." in body
    assert "Source for this figure" not in body


# --- refusals of bad input -----------------------------------------------------------------------------------------


def test_corrupt_docx_is_refused(bulletin, cli, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip" + bytes(range(256)))
    before = snapshot(bulletin)
    result = cli("import", str(broken), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "broken.docx: not a readable Word document (.docx): the file is damaged" in result.stderr
    assert "Traceback" not in result.stderr
    untouched(bulletin, *before)


def test_docx_with_damaged_text_part_is_refused(bulletin, cli, tmp_path):
    good = make_docx(tmp_path / "good.docx")
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, data[: len(data) // 2] if info.filename == "word/document.xml" else data)
    before = snapshot(bulletin)
    result = cli("import", str(damaged), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "pandoc reading" in result.stderr and "damaged.docx" in result.stderr and "failed" in result.stderr
    untouched(bulletin, *before)


@pytest.mark.parametrize("name", ["letter.doc", "scan.pdf", "notes"])
def test_unsupported_type_is_refused(bulletin, cli, tmp_path, name):
    source = tmp_path / name
    source.write_bytes(b"\xd0\xcf\x11\xe0 old binary")
    before = snapshot(bulletin)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert (
        f"{name}: cannot import a" in result.stderr
        and "import reads .docx, .htm, .html, .markdown, .md, .odt" in result.stderr
    )
    untouched(bulletin, *before)


def test_slug_that_exists_is_refused(bulletin, cli, tmp_path):
    source = make_docx(tmp_path / "tribunal.docx")
    before = snapshot(bulletin)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"), "--as", "meeting-notes")
    assert result.exit_code == 2
    assert "articles[2] already has the identifier 'meeting-notes' (choose another with --as)" in result.stderr
    untouched(bulletin, *before)
    assert cli("import", str(source), "--into", str(bulletin / "7.yaml")).exit_code == 0
    again = snapshot(bulletin)
    twice = cli("import", str(source), "--into", str(bulletin / "7.yaml"))
    assert twice.exit_code == 2
    assert (
        "already has the identifier 'the-rent-tribunal' (the title makes it; choose another with --as SLUG)"
        in twice.stderr
    )
    untouched(bulletin, *again)


def test_contradictory_choices_are_a_usage_error(bulletin, cli, tmp_path):
    source = make_docx(tmp_path / "edited.docx", changes=True)
    result = cli("import", str(source), "--into", str(bulletin / "7.yaml"), "--accept-changes", "--reject-changes")
    assert result.exit_code == 2
    assert "--accept-changes and --reject-changes exclude each other" in result.stderr


# --- the imported article through check and render -----------------------------------------------------------------


@pytest.mark.slow
def test_imported_articles_check_and_render(bulletin, cli, tmp_path):
    manifest = str(bulletin / "7.yaml")
    docx_source = make_docx(tmp_path / "tribunal.docx", changes=True, comment=True)
    assert cli("import", str(docx_source), "--into", manifest, "--accept-changes", "--keep-comments").exit_code == 0
    assert cli("import", str(make_odt(tmp_path / "towers.odt")), "--into", manifest).exit_code == 0
    checked = cli("check", manifest)
    assert checked.exit_code == 0, checked.stderr
    assert "OK: issue 7, 5 articles" in checked.stdout
    out = tmp_path / "out"
    rendered = cli("render", manifest, "--out", str(out), "--only", "web")
    assert rendered.exit_code == 0, rendered.stderr
    pdf = next(out.glob("*-web.pdf"))
    # compared without spaces or case: bylines are set in letter-spaced capitals, the first letter as a drop cap
    words = "".join("".join(page.split()) for page in page_texts(pdf)).casefold()
    for expected in (
        "The Rent Tribunal",
        "Maria López",
        "Hearing day",
        "The landlord finally appealed.",
        "Case 2024/117, decided in May.",
        "Households",
        "Organising the Towers",
        "Door to door",
        "Nobody organises alone.",
    ):
        assert "".join(expected.split()).casefold() in words, expected
    assert "fourdays" not in words  # a kept comment is for the editor, never printed


def test_package_pictures_are_read_from_the_package_only(tmp_path):
    """Pictures of a .docx or .odt come out of the package by name, bounded by the bytes they unpack to; a target
    outside it (a parent folder, a URL, an absolute path) is left out, never looked for on disk."""
    import zipfile

    from issue_builder.importing.pictures import LeftOut, picture_bytes

    package = tmp_path / "doc.docx"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("word/media/image1.png", b"png bytes")
    (tmp_path / "secret.png").write_bytes(b"not in the package")
    assert picture_bytes("media/image1.png", "docx", package, tmp_path) == b"png bytes"
    for target in ("../secret.png", "media/../../secret.png", "/etc/passwd", "https://example.org/x.png", "x.png"):
        with pytest.raises(LeftOut):
            picture_bytes(target, "docx", package, tmp_path)
