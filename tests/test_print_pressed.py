"""The press pass kept page by page (editions/pressed.py): a page that draws what it drew in the last build is pressed
as its record says, and every way through gives the bytes of a press from nothing."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Dictionary, Name

from helpers import copy_fixture, edit, run_cli
from issue_builder.base.bounded import Budget
from issue_builder.base.kept_bytes import KeptBytes
from issue_builder.base.paths import DEFAULT_CMYK_PROFILE
from issue_builder.base.pdf_digest import PageDigests
from issue_builder.editions import prepress
from issue_builder.editions.colours import CmykConverter
from issue_builder.editions.prepress import PressInks, convert_and_press
from issue_builder.editions.pressed import PRESSED_FILE, PressedPage, pressed_key

INKS = PressInks(overprint=True, rich_black=(0.4, 0.3, 0.3, 1.0))
TEXT = b"0 0 0 rg BT /F1 12 Tf 20 250 Td (Black text) Tj ET 0 0 0 rg 20 20 200 150 re f"
RULE = b"0 0 0 RG 0.5 w 20 200 m 280 200 l S"  # a thin black rule: it overprints, unless drawn five times larger
FORMS = {"Rule": RULE, "Outer": b"q 0.2 0.4 0.6 rg 10 10 50 50 re f Q /Rule Do"}


def document(pages: list[bytes], forms: bool = True) -> bytes:
    """A PDF of square pages drawing `pages` (content), each with every form of FORMS (one object per form) unless
    not `forms`."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    made = {}
    for name in ("Rule", "Outer") if forms else ():  # the outer form draws the rule
        inner = Dictionary(XObject=Dictionary(Rule=made["Rule"])) if name == "Outer" else Dictionary()
        made[name] = pdf.make_stream(
            FORMS[name], Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 300, 300], Resources=inner
        )
    for content in pages:
        resources = Dictionary(Font=Dictionary(F1=font), XObject=Dictionary({f"/{n}": f for n, f in made.items()}))
        page = Dictionary(Type=Name.Page, MediaBox=[0, 0, 300, 300], Contents=pdf.make_stream(content))
        page.Resources = resources
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def pressed(source: bytes, kept: Path | None, inks: PressInks = INKS, declared: dict | None = None) -> bytes:
    """`source` converted and pressed (with the records at `kept`, saved back), as the print finisher saves it."""
    converter = CmykConverter(DEFAULT_CMYK_PROFILE.read_bytes(), "relative-colorimetric", declared=declared)
    records = KeptBytes.load(kept) if kept is not None else None
    with pikepdf.open(io.BytesIO(source)) as pdf:
        convert_and_press(pdf, converter, inks, records)
        if records is not None:
            records.save()
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()


@pytest.fixture
def read(monkeypatch) -> list[tuple[str, ...]]:
    """The pages (path ()) and forms (their resource names) the press pass reads from now on."""
    found: list[tuple[str, ...]] = []
    stream = prepress._PressPass.stream

    def counted(self, owner, state, depth, recolour=None, path=()):
        if not (isinstance(owner, pikepdf.Stream) and owner.objgen in self.done):
            found.append(path)
        return stream(self, owner, state, depth, recolour, path)

    monkeypatch.setattr(prepress._PressPass, "stream", counted)
    return found


def test_pages_pressed_from_their_records_give_the_bytes_of_a_fresh_press(tmp_path: Path, read):
    source = document([TEXT + b" /Outer Do", TEXT, RULE])
    fresh = pressed(source, None)
    assert b"/IBOverprint" in fresh  # the pass did something to keep
    kept = tmp_path / PRESSED_FILE
    assert pressed(source, kept) == fresh and kept.is_file()
    read.clear()
    assert pressed(source, kept) == fresh
    assert read == []  # every page, and every form, from its record


def test_after_an_edit_only_the_page_that_draws_otherwise_is_read(tmp_path: Path, read):
    kept = tmp_path / PRESSED_FILE
    pressed(document([TEXT + b" /Outer Do", TEXT, TEXT]), kept)
    edited = document([TEXT + b" /Outer Do", TEXT.replace(b"Black text", b"Black type"), TEXT])
    fresh = pressed(edited, None)
    read.clear()
    assert pressed(edited, kept) == fresh
    assert read == [()]  # the edited page alone


def test_a_page_that_draws_a_form_an_earlier_page_pressed_is_read_every_time(tmp_path: Path, read):
    """Its record could not say what the press would do with the form were it the first to draw it."""
    source = document([TEXT + b" /Rule Do", TEXT + b" /Outer Do"])
    kept = tmp_path / PRESSED_FILE
    pressed(source, kept)
    read.clear()
    assert pressed(source, kept) == pressed(source, None)
    assert read == [(), ("/Outer",), (), ("/Rule",), (), ("/Outer",)]  # page 2 from the records; then fresh


@pytest.mark.parametrize(
    "before, after",
    [
        # the rule pressed by page 1 drawn five times larger (no overprint), then page 1 draws it no longer: page 2,
        # whose record could not hold the rule, presses it (thin: overprinting)
        ([b"q 5 0 0 5 0 0 cm /Rule Do Q", b"/Rule Do"], [TEXT, b"/Rule Do"]),
        # page 2 pressed the rule; now page 1 draws it first, larger: page 2's record is not followed
        ([TEXT, b"/Rule Do"], [b"q 5 0 0 5 0 0 cm /Rule Do Q", b"/Rule Do"]),
    ],
)
def test_a_form_is_pressed_by_the_page_that_draws_it_first_as_in_a_fresh_press(tmp_path: Path, before, after):
    kept = tmp_path / PRESSED_FILE
    pressed(document(before), kept)
    assert pressed(document(after), kept) == pressed(document(after), None)


def spaces(space: Name) -> bytes:
    """A page that fills in black through /CS0, a colour space its resources name `space`."""
    source = document([b"/CS0 cs 0 0 0 sc 20 20 200 150 re f"], forms=False)
    with pikepdf.open(io.BytesIO(source)) as pdf:
        pdf.pages[0].obj.Resources.ColorSpace = Dictionary(CS0=space)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


@pytest.mark.parametrize(
    "first, then",
    [
        ({}, {"inks": PressInks(overprint=False, rich_black=None)}),
        ({}, {"declared": {(0, 0, 0): (0.6, 0.4, 0.4, 1.0)}}),
        # converted, the first page's resources name DeviceCMYK too: what it converted from tells them apart
        ({"source": spaces(Name.DeviceRGB)}, {"source": spaces(Name.DeviceCMYK)}),
    ],
)
def test_every_setting_the_press_depends_on_keeps_its_own_records(tmp_path: Path, first: dict, then: dict):
    kept = tmp_path / PRESSED_FILE
    source = document([TEXT, RULE], forms=False)  # a form's content, converted, would tell them apart
    pressed(first.pop("source", source), kept, **first)
    later = then.pop("source", source)
    assert pressed(later, kept, **then) == pressed(later, None, **then)


def test_a_form_drawn_twice_on_one_page_keeps_its_record(tmp_path: Path, read):
    source = document([b"/Rule Do q 1 0 0 1 0 20 cm /Rule Do Q", TEXT])
    fresh = pressed(source, None)
    kept = tmp_path / PRESSED_FILE
    pressed(source, kept)
    read.clear()
    assert pressed(source, kept) == fresh
    assert read == []


def _record() -> PressedPage:
    return PressedPage(contents=[(("/Rule",), b"0 0 0 RG S"), ((), None)], states=[((), True, False)], counts=(3, 6, 1))


def test_a_record_reads_back_as_it_was_written():
    assert PressedPage.decoded(_record().encoded()) == _record()


def framed(head: dict, body: bytes = b"0 0 0 RG S") -> bytes:
    """A record of `head` and `body` framed as `PressedPage.encoded` frames one."""
    written = json.dumps(head).encode()
    return struct.pack(">I", len(written)) + written + zlib.compress(body, 1)


HEAD = {"contents": [[["/Rule"], 10], [[], -1]], "aliases": [], "states": [[[], True, False]], "counts": [3, 6, 1]}


@pytest.mark.parametrize(
    "stored",
    [
        b"",
        _record().encoded()[:-3],
        _record().encoded() + b"x",
        b"\xff" * 12,
        framed(HEAD | {"kounts": [3, 6, 1]}),
        framed(HEAD | {"counts": [3, -6, 1]}),
        framed(HEAD | {"counts": [3, True, 1]}),
        framed(HEAD | {"contents": [[["Rule"], 10], [[], -1]]}),  # not a name
        framed(HEAD | {"contents": [[["/Rule"], 11], [[], -1]]}),  # a length that is not the content's
        framed(HEAD | {"contents": [[["/Rule"], True], [[], -1]]}, b"S"),
        framed(HEAD | {"states": [[[], 1, 0]]}),
        framed(HEAD | {"states": [[["/Rule"], True]]}),
        framed(HEAD, b"0 0 0 RG S and more"),
        framed(HEAD | {"aliases": [[["/Rule"]]]}),
        framed(HEAD | {"aliases": [[["/\ud800"], ["/Rule"]]]}),  # no name pikepdf can look up
    ],
)
def test_a_record_that_does_not_read_back_is_no_record(stored: bytes):
    assert PressedPage.decoded(stored) is None


def test_the_framing_of_the_damaged_records_is_the_records_own():
    assert PressedPage.decoded(framed(HEAD)) == _record()


def test_a_record_whose_content_would_inflate_past_the_limit_is_no_record(monkeypatch):
    monkeypatch.setattr("issue_builder.editions.pressed.MAX_CONTENT_BYTES", 1000)
    stored = _record().encoded()
    head = stored[: -len(zlib.compress(b"0 0 0 RG S", 1))]
    assert PressedPage.decoded(head + zlib.compress(b" " * 5000, 1)) is None


@pytest.mark.parametrize(
    "record, budget",
    [
        (PressedPage(contents=[(("/Missing",), b"S"), ((), None)]), Budget()),  # a form the page does not have
        (PressedPage(contents=[(("/Rule",), b"S")]), Budget()),  # no entry for the page itself
        (PressedPage(contents=[((), b"S")], states=[(("/Missing",), True, True)]), Budget()),
        (PressedPage(contents=[((), b"S")], counts=(11, 0, 0)), Budget(operators=10)),  # past the budget
    ],
)
def test_a_record_that_cannot_be_done_as_it_says_does_nothing(record: PressedPage, budget: Budget):
    with pikepdf.open(io.BytesIO(document([b"/Rule Do"]))) as pdf:
        page = pdf.pages[0].obj
        before = page.Contents.read_bytes()
        assert not prepress._PressPass(pdf, INKS, budget).replay(page, record)
        assert page.Contents.read_bytes() == before and budget.counted() == (0, 0, 0)


def test_a_rendered_issue_pressed_from_its_records_is_the_clean_one(tmp_path: Path, capsys, monkeypatch):
    """The gazette: rendered again after an edit, its print edition reads only the pages the edit drew otherwise."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out")
    assert run_cli(capsys, *render, str(folder / "warm")).exit_code == 0
    assert (folder / "warm" / ".cache" / PRESSED_FILE).is_file()
    edit(folder / "3" / "articles" / "water.md", "seen a bill", "seen a note")
    log = tmp_path / "read.txt"
    stream = prepress._PressPass.stream

    def logged(self, owner, state, depth, recolour=None, path=()):
        if not path:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()}\n")
        return stream(self, owner, state, depth, recolour, path)

    with monkeypatch.context() as patched:
        patched.setattr(prepress._PressPass, "stream", logged)
        assert run_cli(capsys, *render, str(folder / "warm")).exit_code == 0
    assert 1 <= len(log.read_text("utf-8").splitlines()) < 8  # of 8 pages: the edited article's
    assert run_cli(capsys, *render, str(folder / "clean")).exit_code == 0
    name = "the-allotment-gazette-3-print.pdf"
    assert (folder / "warm" / name).read_bytes() == (folder / "clean" / name).read_bytes()


def test_a_picture_counts_in_the_key_by_its_dictionary_alone():
    """The ink rules never look into a picture: a retouched one keeps its page's record, a resized one does not."""
    keys, digests = [], []
    for data, width in ((b"\x00" * 12, 2), (b"\xff" * 12, 2), (b"\xff" * 24, 4)):
        with pikepdf.open(io.BytesIO(document([b"q 100 0 0 100 0 0 cm /Im Do Q"], forms=False))) as pdf:
            page = pdf.pages[0].obj
            image = pdf.make_stream(data, Type=Name.XObject, Subtype=Name.Image, Width=width, Height=2)
            image.ColorSpace, image.BitsPerComponent = Name.DeviceRGB, 8
            page.Resources.XObject.Im = image
            keys.append(pressed_key(pdf, page, "setting"))
            digests.append(PageDigests(pdf).page(page))
    assert keys[0] == keys[1] != keys[2]
    assert len(set(digests)) == 3  # read whole, as every other reader reads it


def shared(twice: bool) -> bytes:
    """A page drawing /A and /B: one form under both names when `twice`, else two forms of the same bytes."""
    pdf = pikepdf.new()
    forms = [pdf.make_stream(RULE, Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 300, 300]) for _ in range(2)]
    page = Dictionary(
        Type=Name.Page, MediaBox=[0, 0, 300, 300], Contents=pdf.make_stream(b"/A Do q 5 0 0 5 0 0 cm /B Do Q")
    )
    page.Resources = Dictionary(XObject=Dictionary(A=forms[0], B=forms[0] if twice else forms[1]))
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


@pytest.mark.parametrize("before", [True, False])
def test_one_form_under_two_names_and_two_forms_of_the_same_bytes_keep_apart(tmp_path: Path, read, before: bool):
    """The page's digest cannot tell them apart (objects are digested by what they hold): the record says which."""
    kept = tmp_path / PRESSED_FILE
    pressed(shared(before), kept)
    after = shared(not before)
    fresh = pressed(after, None)
    read.clear()
    assert pressed(after, kept) == fresh
    assert read[:1] == [()]  # read, not taken from the record
    assert pressed(shared(before), kept) == pressed(shared(before), None)


def test_a_grey_is_black_alone_whatever_was_converted_before_it():
    converter = CmykConverter(DEFAULT_CMYK_PROFILE.read_bytes(), "relative-colorimetric")
    near = converter.colour((0.5, 0.5, 0.5015))  # the 8-bit value of the grey below, not a grey
    assert converter.colour((0.5, 0.5, 0.5)) == (0.0, 0.0, 0.0, 0.5)
    assert min(near[:3]) > 0
    other = CmykConverter(DEFAULT_CMYK_PROFILE.read_bytes(), "relative-colorimetric")
    assert other.colour((0.5, 0.5, 0.5)) == (0.0, 0.0, 0.0, 0.5) and other.colour((0.5, 0.5, 0.5015)) == near


def test_a_record_too_large_to_read_back_is_not_kept(tmp_path: Path, monkeypatch, read):
    monkeypatch.setattr("issue_builder.editions.pressed.MAX_CONTENT_BYTES", 80)
    kept = tmp_path / PRESSED_FILE
    source = document([TEXT, b"0 0 0 rg 1 1 2 2 re f"], forms=False)
    pressed(source, kept)
    read.clear()
    pressed(source, kept)
    assert read == [()]  # the long page is read again; the short one is taken from its record
    assert len(KeptBytes.load(kept).known) == 1  # the long one's is not kept: it could never be read back
