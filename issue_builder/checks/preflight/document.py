"""Document-level preflight checks: PDF/X identification, output intent, encryption, actions, attachments."""

from __future__ import annotations

import io
import re

import pikepdf
from PIL import ImageCms

from issue_builder.base.paths import DEFAULT_CMYK_PROFILE
from issue_builder.base.pdf_content import entries, is_dict, items, numbers
from issue_builder.base.preflight_report import PreflightSettings, Report
from issue_builder.editions.pdfx import opentype_fonts, remove_transparency
from issue_builder.prepare.press import REGISTERED, WrongCondition, press_condition

_PDFX = re.compile(
    r"<pdfxid:GTS_PDFXVersion>\s*(PDF/X-[^<\s]+)\s*</pdfxid:GTS_PDFXVersion>|pdfxid:GTS_PDFXVersion=\"(PDF/X-[^\"]+)\""
)


MAX_XMP_BYTES = 16 * 1024 * 1024  # XMP metadata read; PDF/X identification sits in its first kilobytes


def _xmp(pdf: pikepdf.Pdf, report: Report) -> str:
    """The document's XMP metadata as text; empty (and a finding) when /Metadata is not a stream."""
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return ""
    if not isinstance(metadata, pikepdf.Stream):
        report.add("pdfx-identification", "error", "the document's /Metadata is not a stream")
        return ""
    try:
        return metadata.read_bytes()[:MAX_XMP_BYTES].decode("utf-8", "replace")
    except pikepdf.PdfError as exc:
        report.add("pdfx-identification", "error", f"the XMP metadata cannot be read ({exc})")
        return ""


def _info(pdf: pikepdf.Pdf, key: str) -> str:
    """An entry of the document information dictionary as text; empty when absent or unreadable."""
    info = pdf.trailer.get("/Info")
    return str(info.get(key, "")) if isinstance(info, pikepdf.Dictionary) else ""


def check_document(pdf: pikepdf.Pdf, report: Report, settings: PreflightSettings) -> None:
    add = report.add
    report.checks += ["pdfx-identification", "output-intent", "encryption", "actions", "attachments", "page-count"]
    xmp = _xmp(pdf, report)
    match = _PDFX.search(xmp)
    version = (match.group(1) or match.group(2)) if match else _info(pdf, "/GTS_PDFXVersion")
    wanted = "PDF/X-4" if settings.pdf_x == "4" else "PDF/X-1"
    if not version:
        add("pdfx-identification", "error", "no PDF/X version (GTS_PDFXVersion) in the metadata")
    elif not version.startswith(wanted):
        add("pdfx-identification", "error", f"identified as {version}, not {wanted}")
    if settings.pdf_x == "1a":
        conformance = _info(pdf, "/GTS_PDFXConformance")
        if not conformance.startswith("PDF/X-1a"):
            add("pdfx-identification", "error", "no GTS_PDFXConformance PDF/X-1a in the document information")
        if float(pdf.pdf_version) > 1.4:
            add("pdf-version", "error", f"PDF {pdf.pdf_version}: PDF/X-1a:2003 allows at most PDF 1.4")
        for what in sorted(set(remove_transparency(pdf, dry_run=True))):
            add("transparency", "error", f"uses {what}; PDF/X-1a allows no transparency")
        for name in opentype_fonts(pdf):
            add("fonts", "error", f"font {name} is embedded as OpenType, which PDF/X-1a (PDF 1.4) cannot hold")
    if "<pdf:Trapped>" not in xmp and 'pdf:Trapped="' not in xmp:
        add("pdfx-identification", "error", "Trapped (pdf:Trapped True or False) missing from the XMP metadata")
    if "xmpMM:DocumentID" not in xmp:
        add("pdfx-identification", "error", "no document ID (xmpMM:DocumentID) in the XMP metadata")
    if "/ID" not in pdf.trailer:
        add("pdfx-identification", "error", "no /ID in the file trailer")
    _check_intents(pdf, report)
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        add("encryption", "error", "the file is encrypted")
    names = entries(pdf.Root, "/Names")
    if "/JavaScript" in names or "/OpenAction" in pdf.Root or "/AA" in pdf.Root:
        add("actions", "error", "the document has JavaScript or actions (OpenAction, AA)")
    if "/EmbeddedFiles" in names:
        add("attachments", "error", "the document embeds files")
    if not len(pdf.pages):
        add("page-count", "error", "the file has no pages")
    elif settings.page_multiple > 1 and len(pdf.pages) % settings.page_multiple:
        missing = -len(pdf.pages) % settings.page_multiple
        add(
            "page-count",
            "error",
            f"{len(pdf.pages)} pages: the binding needs a multiple of {settings.page_multiple} ({missing} missing)",
        )


def _check_intents(pdf: pikepdf.Pdf, report: Report) -> None:
    """A PDF/X output intent with a four-component (CMYK) output profile and a printing condition."""
    add = report.add
    if "/OutputIntents" in pdf.Root and not isinstance(pdf.Root.get("/OutputIntents"), pikepdf.Array):
        add("output-intent", "error", "/OutputIntents is not an array")
    listed = items(pdf.Root, "/OutputIntents")
    if any(not is_dict(i) for i in listed):
        add("output-intent", "error", "an /OutputIntents entry is not an output intent dictionary")
    intents = [i for i in listed if is_dict(i) and i.get("/S") == "/GTS_PDFX"]
    if not intents:
        add("output-intent", "error", "no PDF/X output intent (/OutputIntents with /S /GTS_PDFX)")
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if profile is None:
            add("output-intent", "error", "the output intent embeds no output profile (DestOutputProfile)")
        elif not isinstance(profile, pikepdf.Stream):
            add("output-intent", "error", "the output intent's DestOutputProfile is not an ICC profile stream")
        else:
            components = numbers([profile.get("/N", 0)], 1)
            if components != [4]:
                add("output-intent", "error", f"the output profile has {profile.get('/N')} components, not 4 (CMYK)")
            else:
                _check_condition(intent, profile, report)
        if not str(intent.get("/OutputConditionIdentifier", "")):
            add("output-intent", "error", "the output intent has no OutputConditionIdentifier")


MAX_PROFILE_BYTES = 32 * 1024**2  # an output profile compared with FOGRA39: the largest are a few MB


def _check_condition(intent: pikepdf.Dictionary, profile: pikepdf.Stream, report: Report) -> None:
    """A registered condition we can tell (FOGRA39 by how the profile prints, CRPC5/6 by its description) that the
    embedded profile is not: a warning, as the printer's RIP would print to the profile and preflight to the name."""
    named = str(intent.get("/OutputConditionIdentifier", ""))
    if named not in REGISTERED:
        return
    try:
        data = profile.read_bytes()
        if len(data) > MAX_PROFILE_BYTES:
            return
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data))).strip()
        press_condition(named, None, data, description, DEFAULT_CMYK_PROFILE.read_bytes())
    except (pikepdf.PdfError, OSError, ImageCms.PyCMSError):
        report.add("output-intent", "error", "the output profile is not a readable ICC profile")
    except WrongCondition as exc:
        report.add("output-intent", "warning", f"the output intent names {named}, but {exc.reason}")
