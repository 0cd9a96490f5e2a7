"""Untrusted PDFs read by preflight and diff: tiny files that ask for endless drawing, and malformed ones.

Each gives a finding (preflight) or a clean error (exit 0, 1 or 2, never 70, no traceback), within bounded time
and memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from functools import partial
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES
from issue_builder.base import bounded
from issue_builder.base.bounded import Budget, LimitExceeded, Limits, OverBudget, call_bounded, run_tool
from issue_builder.base.diagnostics import IssueBuilderError, RenderError
from issue_builder.base.forked import ChildFailed, Forked, die_with_parent
from issue_builder.base.paths import ICC_DIR
from issue_builder.base.preflight_report import PreflightSettings
from issue_builder.checks.preflight.run import preflight as run_preflight
from issue_builder.editions.colours import CmykConverter, convert_pdf

Name = pikepdf.Name
needs_gs = pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")


# ---------------------------------------------------------------- building hostile files


def _page_pdf(content: bytes = b"", size: float = 200) -> pikepdf.Pdf:
    """One page with trim and bleed boxes; `content` compressed as its content stream."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0].obj
    page.MediaBox = [0, 0, size, size]  # pikepdf itself refuses pages beyond PDF's limit
    page.BleedBox = [0, 0, size, size]
    page.TrimBox = [9, 9, size - 9, size - 9]
    stream = pikepdf.Stream(pdf, zlib.compress(content, 9))
    stream.Filter = Name.FlateDecode
    page.Contents = pdf.make_indirect(stream)
    return pdf


def _form(pdf: pikepdf.Pdf, content: bytes, **extra) -> pikepdf.Stream:
    return pdf.make_stream(content, Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 200, 200], **extra)


def self_drawing_form(path: Path, copies: int = 4) -> Path:
    """The 792-byte attack: a form XObject whose direct resources hold itself, drawn `copies` times in itself."""
    pdf = _page_pdf(b"/X0 Do")
    form = _form(pdf, b" ".join([b"/X0 Do"] * copies))
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=form))
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=form))
    pdf.save(path)
    return path


def fan_out_chain(path: Path, levels: int = 12, copies: int = 4) -> Path:
    """No cycle, only fan-out: each form draws the one below it `copies` times ( copies ** levels forms in all)."""
    pdf = _page_pdf(b"/X Do")
    below = _form(pdf, b"0 0 m 10 10 l S")
    for _ in range(levels):
        below = _form(pdf, b" ".join([b"/X Do"] * copies), Resources=pikepdf.Dictionary(XObject={"/X": below}))
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=below))
    pdf.save(path)
    return path


def many_operators(path: Path, operator: bytes, count: int, size: float = 200) -> Path:
    """`count` copies of one instruction, compressed: a million `q` is 2.5 KB."""
    _page_pdf(operator * count, size).save(path)
    return path


def _json(result) -> dict:
    return json.loads(result.stdout) if result.stdout.strip() else {}


def _preflight(cli, pdf: Path, *options: str) -> tuple[int, dict, str]:
    result = cli("preflight", str(pdf), "--json", *options)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 2), result.stderr
    return result.exit_code, _json(result), result.stderr


def _messages(report: dict, check: str) -> list[str]:
    return [f["message"] for f in report.get("findings", []) if f["code"] == check]


# ---------------------------------------------------------------- item 3: tiny files, endless drawing


def test_a_form_that_draws_itself_is_a_finding_not_a_recursion(cli, tmp_path):
    code, report, _ = _preflight(cli, self_drawing_form(tmp_path / "self.pdf"), "--no-separations")
    assert code == 1
    assert "malformed content: form /X0 draws itself" in _messages(report, "structure")


def test_fan_out_of_forms_stops_at_the_budget(cli, tmp_path):
    code, report, _ = _preflight(cli, fan_out_chain(tmp_path / "chain.pdf"), "--no-separations")
    assert code == 1
    (message,) = _messages(report, "complexity")
    assert "forms, patterns or soft masks drawn more than 100,000 times" in message


def test_operators_are_counted_against_the_budget(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "MAX_OPERATORS", 10_000)
    code, report, _ = _preflight(cli, many_operators(tmp_path / "ops.pdf", b"0 0 m\n", 20_000), "--no-separations")
    assert code == 1
    assert "more than 10,000 drawing operations" in _messages(report, "complexity")[0]


@needs_gs
def test_a_million_saved_graphics_states_skip_ghostscript(cli, tmp_path):
    code, report, _ = _preflight(cli, many_operators(tmp_path / "q.pdf", b"q\n", 1_000_000))
    assert code == 1
    assert any("1,000,000 levels deep" in m for m in _messages(report, "complexity"))
    assert "ink checks skipped: the file is too complex to rasterise safely" in _messages(report, "total-ink")


def test_a_few_dozen_saved_states_are_a_warning(cli, tmp_path):
    _, report, _ = _preflight(cli, many_operators(tmp_path / "q.pdf", b"q\n", 40), "--no-separations")
    (finding,) = [f for f in report["findings"] if f["code"] == "complexity"]
    assert finding["severity"] == "warning" and "40 levels deep" in finding["message"]


def _fake_gs(tmp_path: Path, body: str) -> str:
    script = tmp_path / "gs"
    script.write_text(f"#!{sys.executable}\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_ghostscript_past_its_time_limit_is_a_finding(cli, tmp_path, monkeypatch):
    from issue_builder.checks.preflight import separations

    slow = _fake_gs(tmp_path, "import time\ntime.sleep(30)")
    monkeypatch.setattr(separations.shutil, "which", lambda name: slow)
    monkeypatch.setattr(bounded, "TOOL_LIMITS", Limits(seconds=1, memory_mb=512))
    started = time.monotonic()
    code, report, _ = _preflight(cli, many_operators(tmp_path / "plain.pdf", b"0 0 m\n", 1))
    assert time.monotonic() - started < 25
    assert code == 1
    assert "the ink checks could not be done: Ghostscript took longer than 1 s and was stopped" in _messages(
        report, "total-ink"
    )


def test_a_tool_past_its_memory_limit_is_a_clean_error(tmp_path):
    greedy = _fake_gs(tmp_path, "x = bytearray(400 * 1024 * 1024)")
    result = run_tool([greedy], "the greedy tool", Limits(seconds=20, memory_mb=100), capture_output=True)
    assert result.returncode != 0 and b"MemoryError" in result.stderr


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _fail(message: str) -> None:
    raise IssueBuilderError(message)


def test_call_bounded_returns_raises_and_stops():
    assert call_bounded(_sleep, 0, what="a nap") == "slept"
    with pytest.raises(IssueBuilderError, match="the user's fault"):
        call_bounded(_fail, "the user's fault", what="a failure")
    with pytest.raises(LimitExceeded, match="a long nap took longer than 1 s and was stopped"):
        call_bounded(_sleep, 30, what="a long nap", limits=Limits(seconds=1, memory_mb=100))
    with pytest.raises(LimitExceeded, match="needed more than 100 MB of memory"):
        call_bounded(_allocate, 1000, what="a greedy reader", limits=Limits(seconds=20, memory_mb=100))


def _raise(error: BaseException) -> None:
    raise error


def test_forked_work_side_by_side_gives_results_and_errors_as_they_were():
    started = time.monotonic()
    naps = [Forked(partial(_sleep, 1)) for _ in range(3)]
    assert [nap.result() for nap in naps] == ["slept"] * 3
    assert time.monotonic() - started < 2.5  # side by side, not one after the other
    with pytest.raises(IssueBuilderError, match="the user's fault"):
        Forked(partial(_fail, "the user's fault")).result()
    with pytest.raises(FileNotFoundError):  # a disk problem stays one: the caller says what it means for the user
        Forked(partial(_raise, FileNotFoundError(2, "no such file", "gone.pdf"))).result()
    with pytest.raises(ChildFailed, match=r"RuntimeError: a bug \(in a forked process\)") as bug:
        Forked(partial(_raise, RuntimeError("a bug"))).result()
    assert "RuntimeError: a bug" in bug.value.child_traceback
    with pytest.raises(ChildFailed, match=r"KeyError: 'x' \(in the child process of the check\)"):
        call_bounded(_raise, KeyError("x"), what="the check")
    with pytest.raises(LimitExceeded, match="a deep reader stopped: the file nests its objects too deeply"):
        call_bounded(_raise, RecursionError(), what="a deep reader")


def test_a_child_whose_parent_died_before_it_asked_to_be_stopped_with_it_ends_at_once():
    pid = os.fork()
    if pid == 0:  # as if forked by a process since gone: its parent is not the one it was told of
        try:
            die_with_parent(os.getppid() + 1)
        finally:
            os._exit(0)  # reached only when it carried on
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1
    pid = os.fork()
    if pid == 0:
        try:
            die_with_parent(os.getppid())
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0  # its parent alive: it carries on


def test_the_budget_counts_every_form_each_time_it_is_drawn():
    budget = Budget(operators=5, forms=2)
    budget.form()
    budget.form()
    with pytest.raises(OverBudget, match="more than 2 times"):
        budget.form()
    for _ in range(5):
        budget.operator()
    with pytest.raises(OverBudget, match="more than 5 drawing operations"):
        budget.operator()


def _to_cmyk(pdf: pikepdf.Pdf, budget: Budget | None = None) -> None:
    profile = (ICC_DIR / "issue-builder-fogra39-tac300.icc").read_bytes()
    convert_pdf(pdf, CmykConverter(profile, "relative-colorimetric"), budget)


def _operators(owner) -> list[str]:
    return [str(instruction.operator) for instruction in pikepdf.parse_content_stream(owner)]


def test_the_colour_conversion_converts_each_form_once_within_its_budget(tmp_path):
    pdf = pikepdf.open(fan_out_chain(tmp_path / "fan.pdf", levels=12))  # 4 ** 12 forms drawn, 13 forms in all
    forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
    for form in forms:
        form.write(b"1 0 0 rg " + form.read_bytes())
    _to_cmyk(pdf)
    assert len(forms) == 13 and all(_operators(form)[:1] == ["k"] for form in forms)
    pdf = pikepdf.open(self_drawing_form(tmp_path / "self.pdf"))
    _to_cmyk(pdf)
    with pytest.raises(RenderError, match="too complex to convert its colours: it asks for more than 3 drawing"):
        _to_cmyk(_page_pdf(b"q Q q Q 1 0 0 rg"), Budget(operators=3))


def test_the_colour_conversion_keeps_inline_images_and_odd_operands():
    pdf = _page_pdf(b"1 0 0 rg BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI /a /b /c RG 0 0 5 5 re f")
    _to_cmyk(pdf)
    (page,) = pdf.pages
    assert _operators(page) == ["k", "INLINE IMAGE", "RG", "re", "f"]  # malformed colours are left for preflight
    assert b"\nBI\n/W 1 /H 1 /CS /G /BPC 8\nID\n\x80 EI\n" in page.obj.Contents.read_bytes()


def test_diff_of_a_form_that_draws_itself_is_a_clean_error(cli, tmp_path):
    hostile = self_drawing_form(tmp_path / "self.pdf")
    result = cli("diff", str(hostile), str(hostile))
    assert result.exit_code == 2, result.stderr
    assert "self.pdf: too complex to compare: it asks for a form that draws itself (/X0 on page 1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_of_fan_out_is_a_clean_error(cli, tmp_path):
    hostile = fan_out_chain(tmp_path / "chain.pdf")
    result = cli("diff", str(hostile), str(hostile))
    assert result.exit_code == 2, result.stderr
    assert "chain.pdf: too complex to compare: it asks for forms, patterns or soft masks drawn more than" in (
        result.stderr
    )


def test_diff_past_its_time_limit_is_a_clean_error(cli, tmp_path, monkeypatch):
    plain = many_operators(tmp_path / "plain.pdf", b"0 0 m\n", 1)
    monkeypatch.setattr(bounded, "READER_LIMITS", Limits(seconds=0.001, memory_mb=1000))
    result = cli("diff", str(plain), str(plain))
    assert result.exit_code == 2
    assert "the comparison of" in result.stderr and "took longer than 0.001 s and was stopped" in result.stderr


# ---------------------------------------------------------------- item 9 and item 4: sizes no press can print


@needs_gs
def test_a_30000_pt_page_is_a_finding_and_is_not_rasterised(cli, tmp_path):
    code, report, _ = _preflight(cli, many_operators(tmp_path / "huge.pdf", b"0 0 m\n", 1, size=30_000))
    assert code == 1
    assert "the page (MediaBox) is 30,000 x 30,000 pt: PDF allows at most 14,400 units a side" in _messages(
        report, "page-size"
    )
    assert "ink checks skipped: the page is too large to rasterise" in _messages(report, "total-ink")


def test_a_page_larger_than_the_publication_is_a_finding(cli, tmp_path):
    huge = many_operators(tmp_path / "large.pdf", b"0 0 m\n", 1, size=2000)
    _, report, _ = _preflight(cli, huge, "--no-separations", "--manifest", str(FIXTURES / "bulletin" / "7.yaml"))
    (message,) = _messages(report, "page-size")
    assert message.startswith("the page (MediaBox) is 2,000 x 2,000 pt, larger than the publication's trim of")


def test_a_raster_pillow_refuses_is_a_finding(cli, tmp_path, monkeypatch):
    from issue_builder.checks.preflight import separations

    fake = _fake_gs(
        tmp_path,
        "import sys\nfrom PIL import Image\n"
        "out = [a for a in sys.argv if a.startswith('-sOutputFile=')][0].split('=', 1)[1]\n"
        "Image.new('CMYK', (64, 64)).save(out % 1)",
    )
    monkeypatch.setattr(separations.shutil, "which", lambda name: fake)
    monkeypatch.setattr(separations.Image, "MAX_IMAGE_PIXELS", 100)
    code, report, _ = _preflight(cli, many_operators(tmp_path / "plain.pdf", b"0 0 m\n", 1))
    assert code == 1
    assert any(m.startswith("the page's raster cannot be read") for m in _messages(report, "total-ink"))


# ---------------------------------------------------------------- item 4: malformed but readable files


def rich_pdf() -> pikepdf.Pdf:
    """A page that uses every kind of object preflight reads: forms, images, soft masks, patterns, shadings,
    colour spaces, fonts, annotations, a transparency group, an output intent and XMP metadata.

    Every dictionary is an indirect object, so that any of them can be made to hold itself."""
    pdf = _page_pdf(
        b"q /GS0 gs 1 0 0 1 5 5 cm /CS0 cs 1 scn 0 0 0 1 k BT /F1 12 Tf 10 10 Td (Hi) Tj ET /Fm0 Do /Sh0 sh "
        b"/Pattern cs /P0 scn 0 0 50 50 re f Q BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI"
    )
    ind = pdf.make_indirect

    def group(space):
        return ind(pikepdf.Dictionary(S=Name.Transparency, CS=space))

    image = pdf.make_stream(
        b"\x00" * 4, Type=Name.XObject, Subtype=Name.Image, Width=2, Height=2, ColorSpace=Name.DeviceGray
    )
    image.BitsPerComponent = 8
    form = _form(pdf, b"0 0 0 1 k 0 0 10 10 re f /Im0 Do", Matrix=[1, 0, 0, 1, 0, 0])
    form.Resources = ind(pikepdf.Dictionary(XObject=ind(pikepdf.Dictionary(Im0=image))))
    form.Group = group(Name.DeviceCMYK)
    mask = _form(pdf, b"0 g 0 0 200 200 re f", Group=group(Name.DeviceGray))
    function = ind(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[0, 0, 0, 1], N=1))
    shading = ind(pikepdf.Dictionary(ShadingType=2, ColorSpace=Name.DeviceCMYK, Coords=[0, 0, 1, 0], Function=function))
    tiling = pdf.make_stream(b"0 0 5 5 re f", PatternType=1, PaintType=1, TilingType=1, BBox=[0, 0, 10, 10])
    tiling.XStep, tiling.YStep, tiling.Matrix = 10, 10, [1, 0, 0, 1, 0, 0]
    tiling.Resources = ind(pikepdf.Dictionary())
    font = ind(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    page = pdf.pages[0].obj
    page.Resources = ind(
        pikepdf.Dictionary(
            XObject=ind(pikepdf.Dictionary(Fm0=form, Im0=image)),
            ExtGState=ind(
                pikepdf.Dictionary(
                    GS0=ind(pikepdf.Dictionary(SMask=ind(pikepdf.Dictionary(S=Name.Luminosity, G=mask))))
                )
            ),
            Pattern=ind(pikepdf.Dictionary(P0=tiling, P1=ind(pikepdf.Dictionary(PatternType=2, Shading=shading)))),
            Shading=ind(pikepdf.Dictionary(Sh0=shading)),
            ColorSpace=ind(
                pikepdf.Dictionary(CS0=ind(pikepdf.Array([Name.Separation, Name.Spot, Name.DeviceCMYK, function])))
            ),
            Font=ind(pikepdf.Dictionary(F1=font)),
        )
    )
    page.Group = group(Name.DeviceCMYK)
    appearance = _form(pdf, b"0 0 0 1 k 0 0 5 5 re f")
    annotation = pikepdf.Dictionary(Type=Name.Annot, Subtype=Name.Square, Rect=[0, 0, 5, 5])
    annotation.AP = ind(pikepdf.Dictionary(N=appearance))
    page.Annots = ind(pikepdf.Array([ind(annotation)]))
    profile = pdf.make_stream(b"not really ICC", N=4)
    intent = pikepdf.Dictionary(S=Name.GTS_PDFX, OutputConditionIdentifier="FOGRA39", DestOutputProfile=profile)
    pdf.Root.OutputIntents = ind(pikepdf.Array([ind(intent)]))
    pdf.Root.Metadata = pdf.make_stream(b"<x:xmpmeta><pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>")
    pdf.Root.Names = ind(pikepdf.Dictionary())
    pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-4"
    return pdf


def _page(pdf):
    return pdf.pages[0].obj


def _resources(pdf):
    return _page(pdf).Resources


# every dictionary preflight reads, and the keys in it it reads: (label, the dictionary, key)
TARGETS = [
    ("catalog", lambda pdf: pdf.Root, key)
    for key in ("/Metadata", "/OutputIntents", "/Names", "/IssueBuilderSources", "/Pages")
]
TARGETS += [("trailer", lambda pdf: pdf.trailer, key) for key in ("/Info", "/ID")]
TARGETS += [("info", lambda pdf: pdf.docinfo, "/GTS_PDFXVersion")]
TARGETS += [("output intent", lambda pdf: pdf.Root.OutputIntents[0], key) for key in ("/S", "/DestOutputProfile")]
TARGETS += [("output profile", lambda pdf: pdf.Root.OutputIntents[0].DestOutputProfile, "/N")]
TARGETS += [
    ("page", _page, key)
    for key in (
        "/MediaBox",
        "/TrimBox",
        "/BleedBox",
        "/ArtBox",
        "/Resources",
        "/Contents",
        "/Annots",
        "/Group",
        "/UserUnit",
    )
]
TARGETS += [("annotation", lambda pdf: _page(pdf).Annots[0], key) for key in ("/Rect", "/Subtype", "/AP")]
TARGETS += [("appearance", lambda pdf: _page(pdf).Annots[0].AP, "/N")]
TARGETS += [
    ("resources", _resources, key) for key in ("/XObject", "/ExtGState", "/Pattern", "/Shading", "/ColorSpace", "/Font")
]
TARGETS += [("xobjects", lambda pdf: _resources(pdf).XObject, key) for key in ("/Fm0", "/Im0")]
TARGETS += [
    ("form", lambda pdf: _resources(pdf).XObject.Fm0, key)
    for key in ("/Matrix", "/Resources", "/Group", "/Subtype", "/BBox")
]
TARGETS += [
    ("image", lambda pdf: _resources(pdf).XObject.Im0, key) for key in ("/Width", "/Height", "/ColorSpace", "/SMask")
]
TARGETS += [("graphics states", lambda pdf: _resources(pdf).ExtGState, "/GS0")]
TARGETS += [("graphics state", lambda pdf: _resources(pdf).ExtGState.GS0, "/SMask")]
TARGETS += [("soft mask", lambda pdf: _resources(pdf).ExtGState.GS0.SMask, "/G")]
TARGETS += [("patterns", lambda pdf: _resources(pdf).Pattern, key) for key in ("/P0", "/P1")]
TARGETS += [
    ("tiling pattern", lambda pdf: _resources(pdf).Pattern.P0, key) for key in ("/Matrix", "/PatternType", "/Resources")
]
TARGETS += [("shading pattern", lambda pdf: _resources(pdf).Pattern.P1, "/Shading")]
TARGETS += [("shadings", lambda pdf: _resources(pdf).Shading, "/Sh0")]
TARGETS += [("shading", lambda pdf: _resources(pdf).Shading.Sh0, "/ColorSpace")]
TARGETS += [("colour spaces", lambda pdf: _resources(pdf).ColorSpace, "/CS0")]
TARGETS += [("fonts", lambda pdf: _resources(pdf).Font, "/F1")]
TARGETS += [
    ("font", lambda pdf: _resources(pdf).Font.F1, key)
    for key in ("/BaseFont", "/Subtype", "/FontDescriptor", "/DescendantFonts")
]

WRONG = {
    "name": lambda pdf, parent: Name("/Bogus"),
    "integer": lambda pdf, parent: 7,
    "string": lambda pdf, parent: pikepdf.String("x"),
    "short array": lambda pdf, parent: pikepdf.Array([Name("/A"), 1, "s"]),
    "dictionary": lambda pdf, parent: pikepdf.Dictionary(),
    "stream": lambda pdf, parent: pdf.make_stream(b"garbage ( [ <<"),
    "itself": lambda pdf, parent: parent,
}


def _malformed(tmp_path: Path, label: str, parent_of, key: str, wrong: str) -> Path | None:
    """The rich page with parent_of(pdf)[key] of the wrong type; None when that cannot be written."""
    path = tmp_path / f"{label.replace(' ', '-')}-{key[1:]}-{wrong.replace(' ', '-')}.pdf"
    pdf = rich_pdf()
    parent = parent_of(pdf)
    if wrong == "itself" and not parent.is_indirect:
        return None  # a direct object cannot hold itself
    parent[key] = WRONG[wrong](pdf, parent)
    try:
        pdf.save(path, fix_metadata_version=False)
    except (pikepdf.PdfError, TypeError, ValueError):
        return None  # pikepdf will not write it: no reader meets it
    return path


def test_the_rich_page_itself_is_read_without_structure_findings(cli, tmp_path):
    path = tmp_path / "rich.pdf"
    rich_pdf().save(path)
    _, report, _ = _preflight(cli, path, "--no-separations")
    assert _messages(report, "structure") == []
    assert "the output profile has 4 components, not 4 (CMYK)" not in _messages(report, "output-intent")


@pytest.mark.parametrize("target", TARGETS, ids=[f"{t[0]}-{t[2][1:]}" for t in TARGETS])
def test_wrong_object_types_give_findings_not_crashes(cli, tmp_path, target):
    label, parent_of, key = target
    for wrong in WRONG:
        path = _malformed(tmp_path, label, parent_of, key, wrong)
        if path is None:
            continue
        code, _, stderr = _preflight(cli, path, "--no-separations")
        assert code in (1, 2), (wrong, stderr)


@pytest.mark.parametrize(
    "content",
    [
        b"1 0 0 1 cm",
        b"/a 0 0 1 0 0 cm",
        b"(x) 0 0 1 0 0 cm",
        b"[1 2] << /A 1 >> 0 0 0 0 cm",
        b"cs",
        b"CS",
        b"Do",
        b"sh",
        b"1 Do",
        b"(Fm0) Do",
        b"[/Fm0] sh",
        b"/Fm0 /Fm0 Do",
        b"k BT (x) Tj ET",
        b"/a /b /c /d k BT (x) Tj ET",
        b"0 0 0 1e400 k BT (x) Tj ET",
        b"1e400 0 0 1 0 0 cm /Im0 Do",
        b"0 0 0 0 0 0 cm /Im0 Do",
        b"Q Q Q q",
        b"BI ID EI",
        b"BI /CS /Nonsense ID \x00 EI",
        b"<< /A [ ( ] >> gs",
        b") ] >> %",
    ],
)
def test_malformed_operators_give_findings_not_crashes(cli, tmp_path, content):
    pdf = rich_pdf()
    pdf.pages[0].obj.Contents = pdf.make_stream(content)
    path = tmp_path / "operators.pdf"
    pdf.save(path)
    code, _, _ = _preflight(cli, path, "--no-separations")
    assert code in (1, 2)


def test_wrong_operands_are_named(cli, tmp_path):
    pdf = rich_pdf()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"1 0 0 1 cm cs Do sh")
    path = tmp_path / "operands.pdf"
    pdf.save(path)
    _, report, _ = _preflight(cli, path, "--no-separations")
    assert set(_messages(report, "structure")) >= {
        "malformed content: cm takes six numbers, found 4 operands (int, int, int, int)",
        "malformed content: cs takes a name, found no operands",
        "malformed content: Do takes a name, found no operands",
        "malformed content: sh takes a name, found no operands",
    }


def test_named_crashes_of_the_issue_are_findings(cli, tmp_path):
    """The list in the issue: a TrimBox that is a name, an annotation that is an integer, an OutputIntent and
    Metadata of the wrong type, a form whose direct Resources contain itself."""

    def change(pdf):
        page = _page(pdf)
        page.TrimBox = Name("/Letter")
        page.Annots = pikepdf.Array([5])
        pdf.Root.OutputIntents = pikepdf.Array([3])
        pdf.Root.Metadata = pikepdf.Dictionary(Type=Name.Metadata)
        form = _resources(pdf).XObject.Fm0
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
        form.write(b"/Fm0 Do /Fm0 Do")

    pdf = rich_pdf()
    change(pdf)
    path = tmp_path / "named.pdf"
    pdf.save(path, fix_metadata_version=False)
    code, report, _ = _preflight(cli, path, "--no-separations")
    assert code == 1
    messages = {f["message"] for f in report["findings"]}
    assert {
        "TrimBox is not four numbers",
        "an /Annots entry is not an annotation dictionary",
        "an /OutputIntents entry is not an output intent dictionary",
        "the document's /Metadata is not a stream",
        "malformed content: form /Fm0 draws itself",
    } <= messages


operand = st.one_of(
    st.integers(-(10**6), 10**6).map(lambda v: str(v).encode()),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:f}".encode()),
    st.sampled_from([b"/Fm0", b"/Im0", b"/CS0", b"/Sh0", b"/P0", b"/GS0", b"/F1", b"/Pattern", b"/DeviceRGB"]),
    st.sampled_from([b"(text)", b"[1 /a (b)]", b"<< /A 1 >>", b"true", b"null", b"[]", b"1e999"]),
)
operator = st.sampled_from(
    [b"q", b"Q", b"cm", b"rg", b"RG", b"cs", b"CS", b"k", b"g", b"sc", b"scn", b"Tj", b"TJ", b"'", b'"']
    + [b"sh", b"Do", b"gs", b"BT", b"ET", b"Tf", b"re", b"f", b"xyz"]
)
instruction = st.tuples(st.lists(operand, max_size=7), operator).map(lambda i: b" ".join([*i[0], i[1]]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instruction, max_size=12))
def test_any_operands_give_a_report(instructions):
    pdf = rich_pdf()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"\n".join(instructions))
    form = pdf.pages[0].obj.Resources.XObject.Fm0
    form.write(b"\n".join(reversed(instructions)))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"fuzz-{os.getpid()}.pdf"
    try:
        pdf.save(path)
        report = run_preflight(path, PreflightSettings(separations=False))
    finally:
        path.unlink(missing_ok=True)
    assert not report.passed  # the rich page is no PDF/X file: it fails, with findings, never with an exception


def test_diff_out_with_a_metadata_dictionary_writes_the_copy(cli, tmp_path):
    old = tmp_path / "old.pdf"
    rich_pdf().save(old)
    pdf = rich_pdf()
    pdf.Root.Metadata = pikepdf.Dictionary(Type=Name.Metadata)
    new = tmp_path / "new.pdf"
    pdf.save(new, fix_metadata_version=False)
    result = cli("diff", str(old), str(new), "--out", str(tmp_path / "marked.pdf"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "marked.pdf").is_file()


@pytest.mark.parametrize("target", TARGETS[:12] + TARGETS[20:30], ids=lambda t: f"{t[0]}-{t[2][1:]}")
def test_diff_out_of_malformed_files_is_clean(cli, tmp_path, target):
    label, parent_of, key = target
    old = tmp_path / "old.pdf"
    rich_pdf().save(old)
    for wrong in ("name", "dictionary", "itself"):
        new = _malformed(tmp_path, label, parent_of, key, wrong)
        if new is None:
            continue
        result = cli("diff", str(old), str(new), "--out", str(tmp_path / "marked.pdf"))
        assert result.exit_code in (0, 1, 2), (wrong, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, (wrong, result.stderr)


# ---------------------------------------------------------------- the hostile corpus, each run as a user runs it


HOSTILE = {
    "self-drawing form": lambda path: self_drawing_form(path),
    "fan-out": lambda path: fan_out_chain(path),
    "a million q": lambda path: many_operators(path, b"q\n", 1_000_000),
    "30000 pt page": lambda path: many_operators(path, b"0 0 m\n", 1, size=30_000),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_hostile_corpus_finishes_as_a_command(tmp_path, name):
    pdf = HOSTILE[name](tmp_path / "hostile.pdf")
    command = [sys.executable, "-c", "from issue_builder.cli import main; main()"]
    for args in (["preflight", str(pdf)], ["diff", str(pdf), str(pdf), "--out", str(tmp_path / "marked.pdf")]):
        result = subprocess.run(command + args, capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1, 2), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_pdf_past_the_size_limit_is_refused_before_any_reader_opens_it(cli, tmp_path: Path, rendered_bulletin):
    huge = tmp_path / "huge.pdf"
    with open(huge, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(20 * 1024**3)  # sparse: 20 GB that no reader may be handed
    web = str(rendered_bulletin / "the-tenant-bulletin-7-web.pdf")
    for args in (["comments", str(huge)], ["diff", str(huge), web], ["diff", web, str(huge)]):
        result = cli(*args)
        assert result.exit_code == 2 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "huge.pdf: 21,474,836,480 bytes; a PDF of at most 536,870,912 is read" in result.stderr
