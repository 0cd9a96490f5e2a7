"""Document-level preflight checks: PDF/X identification, output intent, encryption, actions, attachments."""

from __future__ import annotations

import re

import pikepdf

from issue_builder.base.findings import Finding, PreflightSettings, Report
from issue_builder.editions.pdfx import opentype_fonts, remove_transparency

_PDFX = re.compile(
    r"<pdfxid:GTS_PDFXVersion>\s*(PDF/X-[^<\s]+)\s*</pdfxid:GTS_PDFXVersion>|pdfxid:GTS_PDFXVersion=\"(PDF/X-[^\"]+)\""
)


def check_document(pdf: pikepdf.Pdf, report: Report, settings: PreflightSettings) -> None:
    add = report.findings.append
    report.checks += ["pdfx-identification", "output-intent", "encryption", "actions", "attachments", "page-count"]
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace") if "/Metadata" in pdf.Root else ""
    match = _PDFX.search(xmp)
    version = (match.group(1) or match.group(2)) if match else str(pdf.docinfo.get("/GTS_PDFXVersion", ""))
    wanted = "PDF/X-4" if settings.pdf_x == "4" else "PDF/X-1"
    if not version:
        add(Finding("pdfx-identification", "error", "no PDF/X version (GTS_PDFXVersion) in the metadata"))
    elif not version.startswith(wanted):
        add(Finding("pdfx-identification", "error", f"identified as {version}, not {wanted}"))
    if settings.pdf_x == "1a":
        conformance = str(pdf.docinfo.get("/GTS_PDFXConformance", ""))
        if not conformance.startswith("PDF/X-1a"):
            add(Finding("pdfx-identification", "error", "no GTS_PDFXConformance PDF/X-1a in the document information"))
        if float(pdf.pdf_version) > 1.4:
            add(Finding("pdf-version", "error", f"PDF {pdf.pdf_version}: PDF/X-1a:2003 allows at most PDF 1.4"))
        for what in sorted(set(remove_transparency(pdf, dry_run=True))):
            add(Finding("transparency", "error", f"uses {what}; PDF/X-1a allows no transparency"))
        for name in opentype_fonts(pdf):
            add(Finding("fonts", "error", f"font {name} is embedded as OpenType, which PDF/X-1a (PDF 1.4) cannot hold"))
    if "<pdf:Trapped>" not in xmp and 'pdf:Trapped="' not in xmp:
        add(
            Finding("pdfx-identification", "error", "Trapped (pdf:Trapped True or False) missing from the XMP metadata")
        )
    if "xmpMM:DocumentID" not in xmp:
        add(Finding("pdfx-identification", "error", "no document ID (xmpMM:DocumentID) in the XMP metadata"))
    if "/ID" not in pdf.trailer:
        add(Finding("pdfx-identification", "error", "no /ID in the file trailer"))
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFX"]
    if not intents:
        add(Finding("output-intent", "error", "no PDF/X output intent (/OutputIntents with /S /GTS_PDFX)"))
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if profile is None:
            add(Finding("output-intent", "error", "the output intent embeds no output profile (DestOutputProfile)"))
        elif int(profile.get("/N", 0)) != 4:
            add(
                Finding(
                    "output-intent", "error", f"the output profile has {profile.get('/N')} components, not 4 (CMYK)"
                )
            )
        if not str(intent.get("/OutputConditionIdentifier", "")):
            add(Finding("output-intent", "error", "the output intent has no OutputConditionIdentifier"))
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        add(Finding("encryption", "error", "the file is encrypted"))
    names = pdf.Root.get("/Names", {})
    if "/JavaScript" in names or "/OpenAction" in pdf.Root or "/AA" in pdf.Root:
        add(Finding("actions", "error", "the document has JavaScript or actions (OpenAction, AA)"))
    if "/EmbeddedFiles" in names:
        add(Finding("attachments", "error", "the document embeds files"))
    if not len(pdf.pages):
        add(Finding("page-count", "error", "the file has no pages"))
    elif settings.page_multiple > 1 and len(pdf.pages) % settings.page_multiple:
        missing = -len(pdf.pages) % settings.page_multiple
        add(
            Finding(
                "page-count",
                "error",
                f"{len(pdf.pages)} pages: the binding needs a multiple of {settings.page_multiple} ({missing} missing)",
            )
        )
