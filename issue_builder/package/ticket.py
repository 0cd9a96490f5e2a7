"""The job ticket: what the printer needs to know about the job besides the file, and what the publication left out."""

from __future__ import annotations

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.preflight_report import Report
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.press import PressCondition

NOT_SPECIFIED = "not specified"
PROOFS = {"contract-proof": "hard-copy contract proof", "soft-proof": "PDF soft proof", "none": "none"}


def ticket_fields(
    issue: PreparedIssue, pdf_name: str, pages: int, condition: PressCondition, report: Report
) -> tuple[dict, list[Diagnostic]]:
    """The job ticket's fields (in the order people read them) and a warning for each job field the publication
    left out, naming its key."""
    m = issue.manifest
    job = m.printing.job
    missing: list[tuple[str, ...]] = []

    def given(value, *key: str):
        if value is None:
            missing.append(("printing", *key))
            return NOT_SPECIFIED
        return value

    quantity = given(job.quantity, "job", "quantity")  # in the order of the fields, for the warnings
    cover = given(job.cover, "job", "cover")
    if job.cover == "separate" or job.cover is None:
        cover_stock = given(job.cover_stock, "job", "cover_stock")
    else:
        cover_stock = job.cover_stock or "the text stock (self-cover)"
    contact = job.contact
    delivery = job.delivery
    text_stock = given(m.printing.paper, "paper")
    ticket = {
        "publication": m.periodical.name,
        "issue": m.issue,
        "date": m.date.isoformat(),
        "date_label": issue.date_label,
        "file": pdf_name,
        "pdf_standard": "PDF/X-4" if m.printing.pdf_x == "4" else "PDF/X-1a:2003",
        "trim": f"{m.page.width.text} x {m.page.height.text}",
        "bleed": m.page.bleed.text,
        "pages": pages,
        "quantity": quantity,
        "binding": m.binding,
        "cover": {"self-cover": "self-cover", "separate": "separate cover"}.get(cover, cover),
        "text_stock": text_stock,
        "cover_stock": cover_stock,
        "colour": "CMYK (4/4)",
        "press_condition": f"{condition.identifier} ({condition.info})",
        "output_profile": issue.output_profile.path.name,
        "ink_limit": f"{m.printing.max_ink}%",
        "proof_wanted": PROOFS.get(given(job.proof, "job", "proof"), NOT_SPECIFIED),
        "production_contact": {
            "name": given(contact.name, "job", "contact", "name"),
            "email": given(contact.email, "job", "contact", "email"),
            "phone": given(contact.phone, "job", "contact", "phone"),
        },
        "delivery": {
            "address": " ".join(given(delivery.address, "job", "delivery", "address").split()),
            "date": delivery.date.isoformat() if delivery.date else given(None, "job", "delivery", "date"),
        },
        "preflight": "passed" if report.passed else f"FAILED ({len(report.errors)} errors)",
    }
    return ticket, [_missing(key) for key in missing]


def _missing(key: tuple[str, ...]) -> Diagnostic:
    message = f"not set: the job ticket says '{NOT_SPECIFIED}' (the publication file is the place for it)"
    return Diagnostic(message, key=".".join(key), severity="warning", code="job-ticket")
