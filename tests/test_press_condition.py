"""The output intent names the press condition its profile really is: a registered one only when it can be told."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from helpers import edit, line_of
from issue_builder.base.paths import DEFAULT_CMYK_PROFILE
from issue_builder.prepare.press import COLOR_ORG, WrongCondition, press_condition

BUILT_IN = DEFAULT_CMYK_PROFILE.read_bytes()
# a CMYK output profile that is not FOGRA39 (Ghostscript's SWOP-like default; read here, never committed)
OTHER = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
needs_other = pytest.mark.skipif(not OTHER.is_file(), reason="Ghostscript's default_cmyk.icc not installed")


def test_the_built_in_profile_is_fogra39_and_nothing_else():
    condition = press_condition(None, None, BUILT_IN, "issue-builder coated FOGRA39", BUILT_IN)
    assert (condition.identifier, condition.registry) == ("FOGRA39", COLOR_ORG)
    assert "FOGRA39" in condition.info
    for other in ("CGATS21_CRPC6", "CGATS21_CRPC5"):
        with pytest.raises(
            WrongCondition, match=f"the built-in profile is FOGRA39, not {other[-5:]}; name the printer's"
        ):
            press_condition(other, None, BUILT_IN, "issue-builder coated FOGRA39", BUILT_IN)
    assert press_condition("Custom", "our press", BUILT_IN, "x", BUILT_IN).identifier == "Custom"


def test_a_printers_fogra39_profile_is_told_by_how_it_prints():
    # the same colorimetry in other bytes (another creation date in the header): a printer's copy of FOGRA39
    copy = BUILT_IN[:24] + b"\x07\xe3\x00\x03\x00\x01\x00\x00\x00\x00\x00\x00" + BUILT_IN[36:]
    assert copy != BUILT_IN
    assert press_condition(None, None, copy, "ISO Coated v2", BUILT_IN).identifier == "Custom"
    condition = press_condition("FOGRA39", None, copy, "ISO Coated v2", BUILT_IN)
    assert (condition.identifier, condition.registry) == ("FOGRA39", COLOR_ORG)


@needs_other
def test_a_profile_that_is_not_fogra39_cannot_claim_it():
    other = OTHER.read_bytes()
    with pytest.raises(WrongCondition, match=r"is not FOGRA39: it prints \d+\.\d ΔE"):
        press_condition("FOGRA39", None, other, "Artifex CMYK SWOP Profile", BUILT_IN)
    condition = press_condition(None, None, other, "Artifex CMYK SWOP Profile", BUILT_IN)
    assert (condition.identifier, condition.info, condition.registry) == ("Custom", "Artifex CMYK SWOP Profile", "")


@needs_other
def test_crpc6_and_crpc5_only_from_a_profile_that_names_them():
    other = OTHER.read_bytes()
    gracol = press_condition("CGATS21_CRPC6", None, other, "GRACoL2013_CRPC6.icc", BUILT_IN)
    assert (gracol.identifier, gracol.registry) == ("CGATS21_CRPC6", COLOR_ORG) and "GRACoL 2013" in gracol.info
    swop = press_condition("CGATS21_CRPC5", "SWOP 2013 C3 at our printer", other, "SWOP2013_CRPC5", BUILT_IN)
    assert (swop.identifier, swop.info) == ("CGATS21_CRPC5", "SWOP 2013 C3 at our printer")
    with pytest.raises(
        WrongCondition, match=r"the output profile \(GRACoL2013_CRPC6\) does not name CRPC5 in its description"
    ):
        press_condition("CGATS21_CRPC5", None, other, "GRACoL2013_CRPC6", BUILT_IN)


@needs_other
@pytest.mark.slow
def test_the_print_pdf_names_a_printers_profile_custom_and_refuses_a_false_claim(cli, bulletin):
    shutil.copy(OTHER, bulletin / "printer.icc")
    edit(bulletin / "publication.yaml", "printing:\n", "printing:\n  output_profile: printer.icc\n")
    out = bulletin / "out"
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "print")
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(out / "the-tenant-bulletin-7-print.pdf") as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.OutputConditionIdentifier) == "Custom" and "/RegistryName" not in intent
        assert str(intent.OutputCondition) == str(intent.Info) and "SWOP" in str(intent.OutputCondition)
        assert intent.DestOutputProfile.read_bytes() == OTHER.read_bytes()
    pdf = str(out / "the-tenant-bulletin-7-print.pdf")
    result = cli("preflight", pdf, "--manifest", str(bulletin / "7.yaml"), "--no-separations", "--json")
    assert (
        result.exit_code == 0 and '"output-intent"' in result.stdout and '"code": "output-intent"' not in result.stdout
    )

    edit(
        bulletin / "publication.yaml",
        "  output_profile: printer.icc\n",
        "  output_profile: printer.icc\n  output_condition: FOGRA39\n",
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out2"), "--only", "print")
    line = line_of(bulletin / "publication.yaml", "output_condition: FOGRA39")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert f"publication.yaml:{line}: printing.output_condition: the output profile (" in result.stderr
    assert "is not FOGRA39" in result.stderr
    assert not (bulletin / "out2" / "the-tenant-bulletin-7-print.pdf").exists()


@needs_other
def test_preflight_warns_when_the_intent_names_a_condition_its_profile_is_not(cli, rendered_bulletin, tmp_path):
    swapped = tmp_path / "swapped.pdf"
    with pikepdf.open(rendered_bulletin / "the-tenant-bulletin-7-print.pdf") as pdf:
        (intent,) = pdf.Root.OutputIntents
        intent.DestOutputProfile.write(OTHER.read_bytes())
        pdf.save(swapped)
    result = cli("preflight", str(swapped), "--no-separations", "--bleed", "3mm", "--json")
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "output-intent"]
    assert finding["severity"] == "warning"
    assert finding["message"].startswith("the output intent names FOGRA39, but the output profile (")
    assert "is not FOGRA39: it prints" in finding["message"]
    result = cli("preflight", str(rendered_bulletin / "the-tenant-bulletin-7-print.pdf"), "--no-separations", "--json")
    assert '"code": "output-intent"' not in result.stdout  # our own FOGRA39 file: nothing to say


def test_check_refuses_a_false_claim_before_layout(cli, bulletin):
    edit(bulletin / "publication.yaml", "printing:\n", "printing:\n  output_condition: CGATS21_CRPC6\n")
    result = cli("check", str(bulletin / "7.yaml"))
    line = line_of(bulletin / "publication.yaml", "output_condition: CGATS21_CRPC6")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert (
        f"publication.yaml:{line}: printing.output_condition: the built-in profile is FOGRA39, not CRPC6"
        in result.stderr
    )
