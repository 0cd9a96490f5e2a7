"""`issue-builder comments`: marks made on proofs the way PDF readers write them, traced to their source lines;
`--apply` makes the unambiguous corrections."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name

from helpers import copy_fixture, page_texts
from issue_builder.cli import main

BULLETIN_PROOF = "the-tenant-bulletin-7-proof.pdf"
GAZETTE_PROOF = "the-allotment-gazette-3-proof.pdf"
Box = tuple[float, float, float, float]

# the four corners of a quadrilateral in the orders readers write them
CORNERS = {
    "acrobat": lambda x0, y0, x1, y1: [x0, y1, x1, y1, x0, y0, x1, y0],  # upper left, upper right, lower left, ...
    "counterclockwise": lambda x0, y0, x1, y1: [x0, y0, x1, y0, x1, y1, x0, y1],  # from the lower left
    "clockwise": lambda x0, y0, x1, y1: [x0, y1, x1, y1, x1, y0, x0, y0],  # from the upper left
}
RICH = '<?xml version="1.0"?><body xmlns="http://www.w3.org/1999/xhtml" xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/" xfa:APIVersion="Acrobat:23.1.0" xfa:spec="2.0.2"><p dir="ltr"><span style="font-size:10.0pt">{}</span></p></body>'


def _run(args: list[str]) -> None:
    code = 0
    with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
    assert code == 0, err.getvalue()


@pytest.fixture(scope="module")
def bulletin_proof(tmp_path_factory) -> Path:
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("bulletin-proof"))
    _run(["proof", str(folder / "7.yaml"), "--out", str(folder / "out")])
    return folder / "out" / BULLETIN_PROOF


@pytest.fixture(scope="module")
def gazette_proof(tmp_path_factory) -> Path:
    folder = copy_fixture("gazette", tmp_path_factory.mktemp("gazette-proof"))
    _run(["proof", str(folder / "3.yaml"), "--out", str(folder / "out")])
    return folder / "out" / GAZETTE_PROOF


# --- finding words on a page (poppler, another reader than the one the command uses) and marking them ---

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def words_on(pdf: Path, page: int) -> list[tuple[str, Box]]:
    """The words of a page with their boxes in PDF coordinates (the watermark left out: it is far taller; and the
    slug along the top edge, which names the article)."""
    found = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', found).group(1))
    words = [
        (html.unescape(w), (float(a), height - float(d), float(c), height - float(b)))
        for a, b, c, d, w in _WORD.findall(found)
    ]
    return [(w, box) for w, box in words if box[3] - box[1] < 60 and box[1] < height - 12]


def lines_of(pdf: Path, page: int, phrase: str, nth: int = 0) -> list[Box]:
    """The boxes a reader's selection of `phrase` gives: one per line, a word hyphenated at a line end in two."""
    words = words_on(pdf, page)
    wanted = phrase.split()
    found = []
    for start in range(len(words)):
        at, boxes = start, []
        for word in wanted:
            if at < len(words) and words[at][0] == word:
                boxes.append(words[at][1])
                at += 1
            elif (
                at + 1 < len(words) and words[at][0].endswith("\u2010") and words[at][0][:-1] + words[at + 1][0] == word
            ):
                boxes += [words[at][1], words[at + 1][1]]
                at += 2
            else:
                break
        else:
            found.append(boxes)
    assert len(found) > nth, f"{phrase!r} is not on page {page}"
    lines: list[Box] = []
    for box in found[nth]:
        if lines and abs(lines[-1][1] - box[1]) < 2 and box[0] >= lines[-1][0]:
            x0, y0, x1, y1 = lines[-1]
            lines[-1] = (x0, min(y0, box[1]), max(x1, box[2]), max(y1, box[3]))
        else:
            lines.append(box)
    return lines


def union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def annotate(
    pdf: pikepdf.Pdf,
    page: int,
    subtype: str,
    boxes: list[Box] = (),
    order: str = "acrobat",
    rect: Box | None = None,
    popup: bool = False,
    **entries,
) -> pikepdf.Dictionary:
    """Add an annotation as a reader writes it: quadrilaterals of the marked lines, a pop-up, any other entries."""
    data = {"/Type": Name.Annot, "/Subtype": Name("/" + subtype), "/F": 4}
    if boxes:
        data["/QuadPoints"] = [v for box in boxes for v in CORNERS[order](*box)]
    data["/Rect"] = list(rect or union(list(boxes)))
    for key, value in entries.items():
        data["/" + key] = pikepdf.String(value) if isinstance(value, str) else value
    annot = pdf.make_indirect(pikepdf.Dictionary(data))
    target = pdf.pages[page - 1].obj
    if "/Annots" not in target:
        target.Annots = pdf.make_indirect(pikepdf.Array())
    target.Annots.append(annot)
    if popup:
        x0, y0, x1, y1 = data["/Rect"]
        window = pikepdf.Dictionary(
            Type=Name.Annot, Subtype=Name.Popup, Rect=[x1 + 10, y1 - 80, x1 + 190, y1], Parent=annot, Open=False
        )
        annot.Popup = pdf.make_indirect(window)
        target.Annots.append(annot.Popup)
    return annot


def caret_at(pdf_path: Path, page: int, phrase: str, before_word: int) -> Box:
    """A caret's rectangle as Acrobat draws it: at the left edge of the `before_word`-th word of `phrase`."""
    words = words_on(pdf_path, page)
    wanted = phrase.split()
    for start in range(len(words) - len(wanted) + 1):
        if [w for w, _ in words[start : start + len(wanted)]] == wanted:
            x0, y0, _, _ = words[start + before_word][1]
            return (x0 - 3.5, y0 - 2, x0 + 2.5, y0 + 6)
    raise AssertionError(f"{phrase!r} is not on page {page}")


def comments_json(cli, proof: Path, manifest: Path, *more: str) -> dict:
    result = cli("comments", str(proof), "--manifest", str(manifest), "--json", *more)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_text(data: dict) -> dict[str, dict]:
    return {c["text"] or c["new_text"] or "": c for c in data["comments"]}


def source_of(comment: dict) -> tuple[str, int, str | None]:
    source = comment["source"]
    assert source is not None, comment
    return Path(source["file"]).name, source["line"], source["key"]


# --- the tests ---


def test_marks_of_each_reader_on_the_bulletin_are_traced_to_their_source(cli, bulletin_proof: Path, tmp_path: Path):
    issue = copy_fixture("bulletin", tmp_path)
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(bulletin_proof) as pdf:
        # Acrobat: a highlight over a word hyphenated at a line end, its comment only in rich text, with a pop-up
        annotate(
            pdf,
            4,
            "Highlight",
            lines_of(bulletin_proof, 4, "asking questions and one"),
            "acrobat",
            popup=True,
            T="Ana Petrović",
            M="D:20241002140312+02'00'",
            RC=RICH.format("Check the <b>hyphen</b>"),
        )
        # Preview: an underline in a footnote, the corners counterclockwise
        annotate(
            pdf,
            4,
            "Underline",
            lines_of(bulletin_proof, 4, "held by a solicitor"),
            "counterclockwise",
            popup=True,
            T="Ben",
            M="D:20241002093000Z",
            Contents="which solicitor?",
        )
        # Okular: a strike-out over a title broken across lines, corners clockwise
        annotate(
            pdf,
            3,
            "StrikeOut",
            lines_of(bulletin_proof, 3, "Organising Door to Door, the Tenants"),
            "clockwise",
            T="Okular user",
            Contents="too long",
        )
        # Evince: a squiggly line under the caption of the lead picture
        annotate(pdf, 3, "Squiggly", lines_of(bulletin_proof, 3, "home to four hundred households."), T="Evince user")
        # Firefox (pdf.js): an ink circle around a sentence, no author
        x0, y0, x1, y1 = union(lines_of(bulletin_proof, 7, "Bring a neighbour."))
        circle = [
            x0 - 4,
            (y0 + y1) / 2,
            (x0 + x1) / 2,
            y1 + 4,
            x1 + 4,
            (y0 + y1) / 2,
            (x0 + x1) / 2,
            y0 - 4,
            x0 - 4,
            (y0 + y1) / 2,
        ]
        annotate(pdf, 7, "Ink", rect=(x0 - 5, y0 - 5, x1 + 5, y1 + 5), InkList=[circle], Contents="end on this")
        # a box drawn around the caption of a picture placed in the Markdown
        annotate(
            pdf,
            7,
            "Square",
            rect=union(lines_of(bulletin_proof, 7, "The towers and the community hall,")),
            T="Ana Petrović",
            Contents="caption ok?",
        )
        # the cover, the contents page and the back page: manifest values
        annotate(pdf, 1, "Highlight", lines_of(bulletin_proof, 1, "What the new lease law means"), T="Ana Petrović")
        annotate(pdf, 2, "Highlight", lines_of(bulletin_proof, 2, "biggest tenant victory"), T="Ana Petrović")
        annotate(pdf, 8, "Underline", lines_of(bulletin_proof, 8, "written and printed by members"), T="Ana Petrović")
        # a sticky note clicked onto a word (its icon hangs from that point), with a reply and a review state
        x0, y0, x1, y1 = lines_of(bulletin_proof, 5, "tribunal")[0]
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        note = annotate(
            pdf,
            5,
            "Text",
            rect=(x, y - 20, x + 20, y),
            T="Ben",
            Name=Name.Comment,
            Contents="a tribunal, or the tribunal?",
            popup=True,
        )
        annotate(pdf, 5, "Text", rect=(x, y - 20, x + 20, y), IRT=note, T="Ana Petrović", Contents="a tribunal")
        annotate(
            pdf,
            5,
            "Text",
            rect=(x, y - 20, x + 20, y),
            IRT=note,
            T="Ana Petrović",
            State="Completed",
            StateModel="Review",
        )
        # a callout text box (Acrobat, Foxit) pointing at a word
        x0, y0, x1, y1 = lines_of(bulletin_proof, 6, "dues")[0]
        annotate(
            pdf,
            6,
            "FreeText",
            rect=(300, 500, 400, 530),
            IT=Name.FreeTextCallout,
            CL=[(x0 + x1) / 2, (y0 + y1) / 2, 290, 515, 300, 515],
            Contents="five pounds a year?",
            T="Ben",
            DA="/Helv 10 Tf 0 g",
        )
        pdf.save(marked)

    data = comments_json(cli, marked, issue / "7.yaml")
    comments = by_text(data)
    assert len(data["comments"]) == 11  # the reply and the state belong to their note

    hyphenated = comments["asking questions and one"]
    assert (hyphenated["kind"], hyphenated["status"], hyphenated["comment"]) == (
        "highlight",
        "traced",
        "Check the hyphen",
    )
    assert source_of(hyphenated) == ("rent-strike.md", 5, None) and hyphenated["source"]["exact"]
    assert hyphenated["author"] == "Ana Petrović" and hyphenated["date"] == "2024-10-02T14:03:12+02:00"
    assert (
        hyphenated["article"]
        == "after-eleven-months-of-organising-door-to-door-the-tenants-of-the-riverside-towers-won-every-one-of-their-repair-demands"
    )
    assert hyphenated["page"] == 4

    footnote = comments["held by a solicitor"]
    assert source_of(footnote) == ("rent-strike.md", 25, None) and footnote["comment"] == "which solicitor?"
    assert source_of(comments["Organising Door to Door, the Tenants"]) == ("7.yaml", 10, "articles[0].title")
    assert source_of(comments["home to four hundred households."]) == ("7.yaml", 18, "articles[0].image.caption")
    assert source_of(comments["Bring a neighbour."]) == ("meeting.md", 7, None)
    assert comments["Bring a neighbour."]["author"] == "" and comments["Bring a neighbour."]["kind"] == "drawing"
    assert source_of(comments["The towers and the community hall,"]) == ("meeting.md", 5, None)
    assert source_of(comments["What the new lease law means"]) == ("7.yaml", 8, "cover.lines[1]")
    assert source_of(comments["biggest tenant victory"]) == ("7.yaml", 11, "articles[0].dek")
    assert source_of(comments["written and printed by members"]) == ("publication.yaml", 20, "contact.text")

    note = comments["tribunal"]
    assert note["kind"] == "note" and note["near"] and source_of(note) == ("lease-law.md", 5, None)
    assert note["replies"] == [{"author": "Ana Petrović", "date": "", "text": "a tribunal"}]
    assert note["state"] == "Completed"
    callout = comments["dues"]
    assert callout["kind"] == "text box" and callout["near"] and source_of(callout) == ("meeting.md", 3, None)

    # sorted by source, grouped by article in the issue's order, the cover, contents and back pages last
    # (an article's manifest values before its body; the dek marked on the contents page is the first article's)
    order = [(c["article"] and c["article"][:5], *source_of(c)[:2]) for c in data["comments"]]
    assert order == [
        ("after", "7.yaml", 10),
        ("after", "7.yaml", 11),
        ("after", "7.yaml", 18),
        ("after", "rent-strike.md", 5),
        ("after", "rent-strike.md", 25),
        ("the-n", "lease-law.md", 5),
        ("meeti", "meeting.md", 3),
        ("meeti", "meeting.md", 5),
        ("meeti", "meeting.md", 7),
        (None, "7.yaml", 8),
        (None, "publication.yaml", 20),
    ]
    struck = comments["Organising Door to Door, the Tenants"]
    assert (struck["action"], struck["not_applied"]) == ("delete", "the strike-out has a comment: read it")
    assert all(c["action"] is None for c in data["comments"] if c is not struck)  # the rest are to be read

    # the same as a table: tab-separated when the output is not a terminal
    table = cli("comments", str(marked), "--manifest", str(issue / "7.yaml"))
    assert table.exit_code == 0, table.stderr
    rows = [line.split("\t") for line in table.stdout.splitlines()]
    assert rows[0] == ["article", "source", "page", "kind", "author", "date", "text", "comment", "verdict"]
    row = next(r for r in rows if r[6] == "“asking questions and one”")
    assert row[1].endswith("7/articles/rent-strike.md:5:66") and row[2:6] == [
        "4",
        "highlight",
        "Ana Petrović",
        "2024-10-02 14:03",
    ]
    assert row[8] == "traced"
    note_row = next(r for r in rows if r[3] == "note")
    assert (
        note_row[6] == "near “tribunal”"
        and note_row[7] == "a tribunal, or the tribunal? / Ana Petrović: a tribunal / [Completed]"
    )
    assert "11 comments (11 traced)" in table.stderr


def test_marks_across_a_column_a_page_and_hyphens_on_a_two_column_issue(cli, gazette_proof: Path, tmp_path: Path):
    issue = copy_fixture("gazette", tmp_path)
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(gazette_proof) as pdf:
        # the foot of the first column and the head of the second: one selection, two quadrilaterals
        annotate(pdf, 3, "Highlight", lines_of(gazette_proof, 3, "there were enough seeds"), T="Priya Nair")
        # a word hyphenated at a line end, struck out (its two halves on two lines)
        annotate(
            pdf,
            3,
            "StrikeOut",
            lines_of(gazette_proof, 3, "hundred"),
            "counterclockwise",
            T="Tom Okafor",
            Contents="spell out the number?",
        )
        # a sentence broken across a page: marked on each page, each part traced to the same line
        annotate(pdf, 5, "Underline", lines_of(gazette_proof, 5, "the hut and the"), "clockwise", T="Tom Okafor")
        annotate(
            pdf, 6, "Underline", lines_of(gazette_proof, 6, "polytunnel, and has asked"), "clockwise", T="Tom Okafor"
        )
        # a footnote, a title and a caption
        annotate(pdf, 3, "Highlight", lines_of(gazette_proof, 3, "kept in the hut on plot 14"), T="Priya Nair")
        annotate(pdf, 5, "Highlight", lines_of(gazette_proof, 5, "Water Rights on the Lower Plots"), T="Priya Nair")
        annotate(
            pdf,
            5,
            "Highlight",
            lines_of(gazette_proof, 5, "the three standpipes the council wants to meter."),
            T="Priya Nair",
        )
        # the section label on the contents page: both articles are in the same section
        x0, y0, x1, y1 = union(lines_of(gazette_proof, 2, "GROWING"))
        annotate(pdf, 2, "Highlight", [(x0, y0, x1, y1)], T="Priya Nair", Contents="one section for both?")
        pdf.save(marked)

    comments = by_text(comments_json(cli, marked, issue / "3.yaml"))
    column = comments["there were enough seeds"]
    assert source_of(column) == ("seed-swap.md", 7, None) and column["status"] == "traced" and column["page"] == 3
    hyphen = comments["hundred"]
    assert source_of(hyphen) == ("seed-swap.md", 5, None) and hyphen["source"]["written"] == "hundred"
    # a strike-out with a comment is read, not applied
    assert hyphen["action"] == "delete" and hyphen["not_applied"] == "the strike-out has a comment: read it"
    assert source_of(comments["the hut and the"]) == ("water.md", 5, None)
    assert source_of(comments["polytunnel, and has asked"]) == ("water.md", 5, None)
    assert comments["polytunnel, and has asked"]["page"] == 6
    assert source_of(comments["kept in the hut on plot 14"]) == ("seed-swap.md", 19, None)
    assert source_of(comments["Water Rights on the Lower Plots"]) == ("3.yaml", 15, "articles[1].title")
    caption = comments["the three standpipes the council wants to meter."]
    assert source_of(caption) == ("3.yaml", 23, "articles[1].image.caption")
    section = comments["G R OW I N G"]
    assert section["status"] == "ambiguous" and section["source"] is None
    assert [(Path(p["file"]).name, p["line"], p["key"]) for p in section["places"]] == [
        ("3.yaml", 13, "articles[0].section"),
        ("3.yaml", 18, "articles[1].section"),
    ]


def _corrections(proof: Path, marked: Path) -> None:
    """A strike-out, Acrobat's replacement and insertion, Foxit's replacement of a caption (its text only in rich
    text), and marks that --apply must leave alone."""
    with pikepdf.open(proof) as pdf:
        annotate(pdf, 3, "StrikeOut", lines_of(proof, 3, "extraordinarily"), T="Priya Nair", Subj="Cross-Out")
        # Acrobat's Replace Text: the caret holds the new text, the strike-out is grouped with it
        struck = lines_of(proof, 3, "twelve")
        caret = annotate(
            pdf,
            3,
            "Caret",
            rect=(struck[0][2] - 3, struck[0][1], struck[0][2] + 3, struck[0][1] + 6),
            T="Priya Nair",
            Subj="Inserted Text",
            IT=Name.Replace,
            Contents="fourteen",
            RC=RICH.format("fourteen"),
            Sy=Name("/None"),
            popup=True,
        )
        annotate(
            pdf,
            3,
            "StrikeOut",
            struck,
            T="Priya Nair",
            Subj="Cross-Out",
            IT=Name.StrikeOutTextEdit,
            IRT=caret,
            RT=Name.Group,
        )
        # Acrobat's Insert Text at Cursor: a caret before "paper" on p. 4
        annotate(
            pdf,
            4,
            "Caret",
            rect=caret_at(proof, 4, "on a paper envelope", 2),
            T="Priya Nair",
            Subj="Inserted Text",
            Contents="brown",
            Sy=Name("/None"),
        )
        # Foxit: the strike-out first, the caret grouped with it, the new text in rich text only
        struck = lines_of(proof, 5, "three standpipes")
        strike = annotate(pdf, 5, "StrikeOut", struck, "clockwise", T="Tom Okafor", IT=Name.StrikeOutTextEdit)
        annotate(
            pdf,
            5,
            "Caret",
            rect=(struck[-1][2], struck[-1][1], struck[-1][2] + 6, struck[-1][1] + 6),
            T="Tom Okafor",
            IRT=strike,
            RT=Name.Group,
            RC=RICH.format("two standpipes"),
        )
        # left alone: a strike-out across Markdown emphasis, one withdrawn in its thread, an ambiguous one
        annotate(pdf, 4, "StrikeOut", lines_of(proof, 4, "were creative, and"), T="Priya Nair")
        withdrawn = annotate(pdf, 4, "StrikeOut", lines_of(proof, 4, "Bring envelopes,"), T="Tom Okafor")
        annotate(
            pdf, 4, "Text", rect=(10, 10, 30, 30), IRT=withdrawn, T="Priya Nair", State="Rejected", StateModel="Review"
        )
        annotate(pdf, 2, "StrikeOut", lines_of(proof, 2, "GROWING"), T="Tom Okafor")
        pdf.save(marked)


def test_apply_makes_exactly_the_unambiguous_corrections_once(cli, gazette_proof: Path, tmp_path: Path):
    issue = copy_fixture("gazette", tmp_path)
    marked = tmp_path / "marked.pdf"
    _corrections(gazette_proof, marked)
    seed_swap = issue / "3" / "articles" / "seed-swap.md"
    before = {
        path: path.read_text("utf-8") for path in (seed_swap, issue / "3.yaml", issue / "3" / "articles" / "water.md")
    }

    result = cli("comments", str(marked), "--manifest", str(issue / "3.yaml"), "--apply")
    assert result.exit_code == 0, result.stderr
    expected = before[seed_swap]
    for old, new in (
        ("The extraordinarily dry summer", "The dry summer"),
        ("three hundred and twelve varieties", "three hundred and fourteen varieties"),
        ("on a paper envelope", "on a brown paper envelope"),
    ):
        assert expected.count(old) == 1
        expected = expected.replace(old, new)
    assert seed_swap.read_text("utf-8") == expected
    manifest = before[issue / "3.yaml"].replace(
        "with the three standpipes the council", "with the two standpipes the council"
    )
    assert (issue / "3.yaml").read_text("utf-8") == manifest
    assert (issue / "3" / "articles" / "water.md").read_text("utf-8") == before[issue / "3" / "articles" / "water.md"]
    # a unified diff of what changed, and what was left for a person
    assert "-The extraordinarily dry summer last year" in result.stdout and "+The dry summer last year" in result.stdout
    assert "--- a/" in result.stdout and "3.yaml" in result.stdout
    rows = {r.split("\t")[6]: r.split("\t") for r in result.stdout.splitlines() if r.count("\t") == 8}
    assert rows["“extraordinarily”"][8] == "traced; delete: applied"
    assert rows["“were creative, and”"][8] == (
        "traced; delete: not applied: the source holds more than the marked text there (Markdown, a note): "
        "correct it by hand"
    )
    assert rows["“Bring envelopes,”"][8] == "traced; delete: not applied: declined in its thread (Rejected)"
    assert rows["“G R OW I N G”"][8] == "ambiguous (2 places); delete: not applied: its text is in several places"
    assert "applied 4 corrections" in result.stderr

    # the same proof again: nothing left to do
    again = comments_json(cli, marked, issue / "3.yaml", "--apply")
    assert again["changed_files"] == [] and again["diff"] == ""
    statuses = {c["text"] or c["new_text"]: (c["status"], c["not_applied"]) for c in again["comments"]}
    assert statuses["extraordinarily"] == ("already", "the sources already read so")
    assert statuses["twelve"] == ("already", "the sources already read so")
    assert statuses["three standpipes"] == ("already", "the sources already read so")
    assert seed_swap.read_text("utf-8") == expected
    assert any("saved after this proof was made" in note for note in again["notes"])

    # the next proof shows the corrections
    _run(["proof", str(issue / "3.yaml"), "--out", str(issue / "out")])
    text = " ".join(" ".join(page_texts(issue / "out" / GAZETTE_PROOF)).split()).replace("\u2010 ", "")
    assert "The dry summer last year" in text and "extraordinarily" not in text
    assert "fourteen varieties" in text and "on a brown paper envelope" in text
    assert "with the two standpipes the council wants to meter" in text


def test_a_proof_of_another_issue_or_an_unreadable_file_is_refused(
    cli, gazette_proof: Path, bulletin_proof: Path, tmp_path: Path
):
    bulletin = copy_fixture("bulletin", tmp_path)
    wrong = cli("comments", str(gazette_proof), "--manifest", str(bulletin / "7.yaml"))
    assert wrong.exit_code == 2
    assert (
        "is a proof of The Allotment Gazette, Issue 3" in wrong.stderr
        and "The Tenant Bulletin, Issue 7" in wrong.stderr
    )
    missing = cli("comments", str(tmp_path / "nope.pdf"), "--manifest", str(bulletin / "7.yaml"))
    assert missing.exit_code == 2 and "nope.pdf: file not found" in missing.stderr
    crowded = tmp_path / "crowded.pdf"
    with pikepdf.open(bulletin_proof) as pdf:
        for _ in range(2001):
            annotate(pdf, 4, "Highlight", [(40, 400, 80, 410)])
        pdf.save(crowded)
    refused = cli("comments", str(crowded), "--manifest", str(bulletin / "7.yaml"))
    assert refused.exit_code == 2 and "at most 2,000 are read" in refused.stderr


def test_the_manifest_is_found_beside_the_proof(cli, bulletin_proof: Path, tmp_path: Path, monkeypatch):
    issue = copy_fixture("bulletin", tmp_path)
    (issue / "out").mkdir()
    proof = issue / "out" / BULLETIN_PROOF
    with pikepdf.open(bulletin_proof) as pdf:
        annotate(pdf, 6, "Highlight", lines_of(bulletin_proof, 6, "came to the general meeting"), T="Ana Petrović")
        pdf.save(proof)
    monkeypatch.chdir(issue)
    result = cli("comments", "out/" + BULLETIN_PROOF, "--json")
    assert result.exit_code == 0, result.stderr
    (comment,) = json.loads(result.stdout)["comments"]
    assert source_of(comment) == ("meeting.md", 1, None) and comment["source"]["column"] == 19
    shutil.copy(issue / "7.yaml", issue / "copy.yaml")
    two = cli("comments", "out/" + BULLETIN_PROOF)
    assert two.exit_code == 2 and "which manifest is issue 7's? give --manifest" in two.stderr


def test_malformed_comments_are_read_within_limits(cli, bulletin_proof: Path, tmp_path: Path):
    issue = copy_fixture("bulletin", tmp_path)
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(bulletin_proof) as pdf:
        page = pdf.pages[3].obj
        page.Annots.append(7)  # not an annotation at all
        first = annotate(pdf, 4, "Text", rect=(50, 50, 70, 70), T="A", Contents="one")
        second = annotate(pdf, 4, "Text", rect=(50, 50, 70, 70), T="B", Contents="two", IRT=first)
        first.IRT = second  # replies answering each other
        annotate(pdf, 4, "Highlight", rect=(40, 400, 80, 410), QuadPoints=[1, 2, "three", 4, 5, 6, 7, 8], T="C")
        annotate(pdf, 4, "Underline", lines_of(bulletin_proof, 4, "escrow account"), F=2, T="hidden")
        box = lines_of(bulletin_proof, 4, "agents tried the")[0]
        annotate(pdf, 4, "Caret", rect=(box[2] - 2, box[1], box[2] + 4, box[1] + 6), Contents="x" * 30_000, T="D")
        annotate(pdf, 4, "Squiggly", lines_of(bulletin_proof, 4, "treasurer"), RC="<body><p>unclosed <b>rich", T="E")
        pdf.save(marked)
    data = comments_json(cli, marked, issue / "7.yaml")
    # two notes answering each other are two comments; the highlight's quadrilaterals are unreadable: its rectangle
    assert sorted(c["author"] for c in data["comments"]) == ["A", "B", "C", "D", "E"]
    long = next(c for c in data["comments"] if c["author"] == "D")
    assert len(long["new_text"]) == 20_000 and long["not_applied"] == "the new text is longer than 2,000 characters"
    assert next(c for c in data["comments"] if c["author"] == "E")["comment"] == "unclosed rich"
    assert "hidden" not in {c["author"] for c in data["comments"]}


def test_a_proof_in_reader_spreads_tells_the_page_by_each_half(cli, tmp_path: Path):
    issue = copy_fixture("bulletin", tmp_path)
    _run(["proof", str(issue / "7.yaml"), "--out", str(issue / "out"), "--spreads"])
    spreads = issue / "out" / "the-tenant-bulletin-7-proof-spreads.pdf"
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(spreads) as pdf:  # sheet 3 holds pages 4 and 5
        annotate(pdf, 3, "Highlight", lines_of(spreads, 3, "escrow account that"), T="Ana Petrović")
        annotate(pdf, 3, "Highlight", lines_of(spreads, 3, "tribunal"), T="Ana Petrović")
        pdf.save(marked)
    data = comments_json(cli, marked, issue / "7.yaml")
    assert [(c["page"], *source_of(c)[:2]) for c in data["comments"]] == [
        (4, "rent-strike.md", 13),
        (5, "lease-law.md", 5),
    ]
    assert data["notes"] == ["a proof in reader spreads: pages are told by the slug of each half"]


def test_apply_refuses_corrections_that_only_together_change_the_markdown(cli, gazette_proof: Path, tmp_path: Path):
    """Two insertions, each harmless alone, that together would make the words a link to anywhere."""
    issue = copy_fixture("gazette", tmp_path)
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(gazette_proof) as pdf:
        for before_word, text in ((2, "["), (3, "](https://evil.example/x)")):
            annotate(
                pdf,
                4,
                "Caret",
                rect=caret_at(gazette_proof, 4, "on a paper envelope", before_word),
                T="Mallory",
                Contents=text,
                Sy=Name("/None"),
            )
        pdf.save(marked)
    body = issue / "3" / "articles" / "seed-swap.md"
    before = body.read_text("utf-8")
    result = cli("comments", str(marked), "--manifest", str(issue / "3.yaml"), "--apply")
    assert result.exit_code == 0, result.stderr
    assert body.read_text("utf-8") == before, "no link was written into the body"
    assert "evil.example" not in body.read_text("utf-8")


def test_apply_leaves_the_shared_publication_file_alone(cli, bulletin_proof: Path, tmp_path: Path):
    """The contact text comes from publication.yaml, which every issue shares: traced, listed, never changed."""
    issue = copy_fixture("bulletin", tmp_path)
    marked = tmp_path / "marked.pdf"
    with pikepdf.open(bulletin_proof) as pdf:
        annotate(pdf, 8, "StrikeOut", lines_of(bulletin_proof, 8, "written and"), T="Priya Nair")
        pdf.save(marked)
    publication = issue / "publication.yaml"
    before = publication.read_text("utf-8")
    data = comments_json(cli, marked, issue / "7.yaml", "--apply")
    (comment,) = data["comments"]
    assert source_of(comment)[0] == "publication.yaml", comment
    assert "publication file, shared by every issue" in json.dumps(comment)
    assert publication.read_text("utf-8") == before
