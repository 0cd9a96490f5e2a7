"""The job ticket carries what the printer asks for, from `printing.job`, and `package` names every field left out."""

from __future__ import annotations

import json

from helpers import edit, line_of
from issue_builder.base.preflight_report import Report
from issue_builder.package.printer import job_ticket
from issue_builder.package.ticket import ticket_fields
from issue_builder.prepare.issue import prepare_issue

JOB = """  job:
    quantity: 1200
    cover: separate
    cover_stock: 250 gsm silk cover
    proof: contract-proof
    contact:
      name: Dana Reyes
      email: production@example.org
      phone: +44 20 7946 0958
    delivery:
      address: "Union Hall, 12 River Street\\nRiverside"
      date: 2024-09-27
"""
MISSING = [
    "printing.job.quantity",
    "printing.job.cover",
    "printing.job.cover_stock",
    "printing.job.proof",
    "printing.job.contact.name",
    "printing.job.contact.email",
    "printing.job.contact.phone",
    "printing.job.delivery.address",
    "printing.job.delivery.date",
]


def test_package_warns_once_per_missing_field_and_the_ticket_says_so(cli, bulletin):
    out = bulletin / "out"
    result = cli("package", str(bulletin / "7.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    warned = [line.split(": ")[1] for line in result.stderr.splitlines() if "job ticket says" in line]
    assert warned == MISSING  # printing.paper is set in the bulletin: not warned about
    ticket = json.loads((out / "the-tenant-bulletin-7-printer" / "job-ticket.json").read_text("utf-8"))
    assert ticket["quantity"] == ticket["proof_wanted"] == ticket["cover"] == "not specified"
    assert ticket["production_contact"] == {"name": "not specified", "email": "not specified", "phone": "not specified"}
    assert "bulletin@example.org" not in json.dumps(ticket)  # the readers' contact is not the printer's
    assert ticket["text_stock"] == "90 gsm coated silk" and ticket["ink_limit"] == "300%"
    assert ticket["press_condition"].startswith("FOGRA39 (")


def test_every_job_field_reaches_the_ticket(bulletin):
    edit(
        bulletin / "publication.yaml",
        "  paper: 90 gsm coated silk\n",
        "  paper: 90 gsm coated silk\n  max_ink: 280\n" + JOB,
    )
    issue = prepare_issue(bulletin / "7.yaml")
    ticket, missing = ticket_fields(issue, "x-print.pdf", 8, issue.press, Report(None, 8))
    assert missing == []
    assert ticket["quantity"] == 1200 and ticket["cover"] == "separate cover"
    assert (ticket["text_stock"], ticket["cover_stock"]) == ("90 gsm coated silk", "250 gsm silk cover")
    assert ticket["proof_wanted"] == "hard-copy contract proof" and ticket["ink_limit"] == "280%"
    assert ticket["production_contact"] == {
        "name": "Dana Reyes",
        "email": "production@example.org",
        "phone": "+44 20 7946 0958",
    }
    assert ticket["delivery"] == {"address": "Union Hall, 12 River Street Riverside", "date": "2024-09-27"}
    assert ticket["binding"] == "saddle-stitch" and ticket["trim"] == "148mm x 210mm"
    text = next(f for f in job_ticket(ticket) if f.name == "job-ticket.txt").data.decode()
    assert "Production contact\n  Name" in text and "Dana Reyes" in text and "Quantity            1200" in text


def test_a_self_cover_needs_no_cover_stock(bulletin):
    job = JOB.replace("cover: separate\n    cover_stock: 250 gsm silk cover\n", "cover: self-cover\n")
    edit(bulletin / "publication.yaml", "  paper: 90 gsm coated silk\n", "  paper: 90 gsm coated silk\n" + job)
    issue = prepare_issue(bulletin / "7.yaml")
    ticket, missing = ticket_fields(issue, "x-print.pdf", 8, issue.press, Report(None, 8))
    assert missing == [] and ticket["cover"] == "self-cover"
    assert ticket["cover_stock"] == "the text stock (self-cover)"


def test_bad_job_values_are_refused_with_their_key_and_line(cli, bulletin):
    bad = JOB.replace("quantity: 1200", "quantity: 0").replace("proof: contract-proof", "proof: maybe")
    bad = bad.replace("production@example.org", "production-at-example")
    edit(bulletin / "publication.yaml", "  paper: 90 gsm coated silk\n", "  paper: 90 gsm coated silk\n" + bad)
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    publication = bulletin / "publication.yaml"
    for needle, key in (
        ("quantity: 0", "printing.job.quantity"),
        ("proof: maybe", "printing.job.proof"),
        ("production-at-example", "printing.job.contact.email"),
    ):
        assert f"publication.yaml:{line_of(publication, needle)}: {key}: " in result.stderr, result.stderr
