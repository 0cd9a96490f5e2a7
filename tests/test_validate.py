"""Manifest validation: every kind of error names file, line and key; all are reported at once."""

from __future__ import annotations

import json

from helpers import edit, line_of


def test_valid_issue_checks_clean(cli, bulletin):
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "OK: issue 7, 3 articles" in result.stdout
    as_json = json.loads(cli("check", str(bulletin / "7.yaml"), "--json").stdout)
    assert [f for f in as_json["findings"] if f["stage"] != "lint"] == []  # the editorial lint's are in test_lint.py


def test_all_errors_reported_together_with_file_line_and_key(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "      src: 7/img/towers.jpg", "      src: 7/img/missing.jpg")
    edit(manifest, "    section: Law", "    sektion: Law")
    edit(manifest, "issue: 7", "issue: seven")
    edit(manifest, "  - title: Meeting Notes\n", "  - slug: meeting-notes\n")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    err = result.stderr
    assert "4 errors in the manifest" in err
    assert f"7.yaml:{line_of(manifest, 'missing.jpg')}: articles[0].image.src: file not found: 7/img/missing.jpg" in err
    assert (
        f"7.yaml:{line_of(manifest, 'sektion')}: articles[1].sektion: unknown key 'sektion' (did you mean 'section'?)"
        in err
    )
    assert "7.yaml:1: issue: expected a whole number, got 'seven'" in err
    assert "articles[2]: missing required key 'title'" in err
    assert "Traceback" not in err


def test_wrong_types_and_formats(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "date: 2024-10-01", "date: 2024-13-01")
    edit(manifest, "  lines:\n    - Rent strike wins repairs\n    - What the new lease law means\n", "  lines: 5\n")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert "date: not a real date: '2024-13-01'" in result.stderr
    assert "cover.lines: expected a list, got 5" in result.stderr


def test_publication_file_errors_point_into_the_publication_file(cli, bulletin):
    pub = bulletin / "publication.yaml"
    edit(pub, "  bleed: 3mm", "  bleed: 3 millimetres")
    edit(pub, '  accent: { cmyk: [90, 30, 0, 10], rgb: "#1565a8" }', '  accent: { cmyk: [90, 30, 0], rgb: "blue" }')
    pub.write_text(pub.read_text("utf-8") + "issue: 3\n", "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    err = result.stderr
    assert (
        f"publication.yaml:{line_of(pub, 'bleed:')}: page.bleed: expected a length such as 8.5in, 3mm or 9pt, got '3 millimetres'"
        in err
    )
    assert f"publication.yaml:{line_of(pub, 'accent:')}: colours.accent: cmyk must be four percentages" in err
    assert "issue: belongs in an issue manifest, not in the publication file" in err


def test_issue_overrides_publication_values(cli, bulletin):
    manifest = bulletin / "7.yaml"
    manifest.write_text(manifest.read_text("utf-8") + "page:\n  columns: 0\n", "utf-8")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert f"7.yaml:{line_of(manifest, 'columns: 0')}: page.columns: must be greater than 0" in result.stderr


def test_paths_must_stay_inside_the_issue_folder(cli, bulletin, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(b"not for the build")
    (bulletin / "7" / "img" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    manifest = bulletin / "7.yaml"
    edit(manifest, "image: 7/img/cover.jpg", "image: ../secret.jpg")
    edit(manifest, "body: 7/articles/rent-strike.md", "body: /etc/passwd")
    edit(manifest, "body: 7/articles/lease-law.md", "body: file:///etc/passwd")
    edit(manifest, "src: 7/img/badge.png", "src: 7/img/link.jpg")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    err = result.stderr
    assert "cover.image: points outside the issue folder bulletin/: ../secret.jpg" in err
    assert "articles[0].body: must be a relative path, not an absolute one: /etc/passwd" in err
    assert "articles[1].body: must be a file path inside the issue folder, not a URL: file:///etc/passwd" in err
    assert "articles[2].image.src: points outside the issue folder bulletin/: 7/img/link.jpg" in err


def test_cross_field_rules(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "  - title: The New Lease Law\n", "  - title: Meeting Notes\n")
    edit(manifest, "      alt: The union's round badge\n", "")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert "articles[2].title: same identifier 'meeting-notes' as articles[1]; set a distinct 'slug'" in result.stderr
    assert "warning: articles[2].image.alt: no alt text" in result.stderr


def test_missing_alt_text_is_a_warning_and_strict_makes_it_fail(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "      alt: The union's round badge\n", "")
    result = cli("check", str(manifest))
    assert result.exit_code == 0 and "warning: articles[2].image.alt: no alt text" in result.stderr
    strict = cli("check", str(manifest), "--strict")
    assert strict.exit_code == 1 and "--strict" in strict.stderr


def test_missing_manifest_and_missing_publication_file(cli, bulletin):
    result = cli("check", str(bulletin / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml: manifest not found" in result.stderr
    manifest = bulletin / "7.yaml"
    manifest.write_text("publication: other.yaml\n" + manifest.read_text("utf-8"), "utf-8")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert "7.yaml:1: publication: an issue manifest cannot choose its publication file" in result.stderr


def test_odd_values_are_errors_not_crashes(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "body: 7/articles/meeting.md", 'body: "7/articles/a\\0b.md"')
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("contact:\n", "contact:\n  web: file:///etc/passwd\n"), "utf-8")
    result = cli("check", str(manifest))
    assert result.exit_code == 2, result.stderr
    assert "articles[2].body: contains a NUL character" in result.stderr
    assert "contact.web: expected a web address such as `example.org`" in result.stderr


def test_markdown_image_names_with_spaces_and_accents(cli, bulletin):
    img = bulletin / "7" / "img"
    (img / "my plan.jpg").write_bytes((img / "plan.jpg").read_bytes())
    (img / "café.jpg").write_bytes((img / "plan.jpg").read_bytes())
    article = bulletin / "7" / "articles" / "meeting.md"
    article.write_text(
        article.read_text("utf-8") + "\n![Plan](<../img/my plan.jpg>)\n\n![Café](../img/café.jpg)\n", "utf-8"
    )
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr


def test_resolution_limits_must_be_in_order(cli, bulletin):
    edit(bulletin / "publication.yaml", "  min_ppi: 72", "  min_ppi: 150")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert (
        "printing.min_ppi: the failing limit (150 ppi) is above the warning limit warn_ppi (100 ppi)" in result.stderr
    )


def test_contact_email_phone_and_web_are_validated(cli, bulletin):
    pub = bulletin / "publication.yaml"
    edit(pub, "  email: bulletin@example.org", "  email: editors at example dot org")
    edit(pub, "  address:", "  phone: call the office\n  web: www.example..org\n  address:")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    err = result.stderr
    assert (
        f"publication.yaml:{line_of(pub, 'email:')}: contact.email: expected an email address such as "
        "`editors@example.org`" in err
    )
    assert f"publication.yaml:{line_of(pub, 'phone:')}: contact.phone: expected a telephone number" in err
    assert f"publication.yaml:{line_of(pub, 'web: www')}: contact.web: expected a web address" in err


def test_usual_ways_of_writing_contact_details_are_accepted(cli, bulletin):
    pub = bulletin / "publication.yaml"
    for email, phone, web in [
        ("first.last+print@mail.example.co.uk", "+44 20 7946 0958", "https://www.example.org:8443/join?from=print"),
        ("redaction@xn--gazette-qta.example", "(212) 555-0100 ext. 12", "example.org/contact#form"),
        ("o'brien@example.ie", "01 23 45 67 89", "HTTP://EXAMPLE.ORG"),
    ]:
        original = pub.read_text("utf-8")
        edit(pub, "  email: bulletin@example.org", f'  email: "{email}"\n  phone: "{phone}"\n  web: "{web}"')
        result = cli("check", str(bulletin / "7.yaml"))
        assert result.exit_code == 0, (email, phone, web, result.stderr)
        pub.write_text(original, "utf-8")


def test_a_coverline_with_an_unquoted_colon_gets_a_hint(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "    - Rent strike wins repairs", "    - Rent strike: the tenants won")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert (
        f"7.yaml:{line_of(manifest, 'Rent strike:')}: cover.lines[0]: expected text, got a mapping; text holding ': ' "
        'must be quoted, or YAML reads a mapping: write "Rent strike: the tenants won"' in result.stderr
    )


def test_the_language_is_a_language_tag(cli, bulletin):
    pub = bulletin / "publication.yaml"
    edit(pub, "  language: en-GB", "  language: English")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert (
        f"publication.yaml:{line_of(pub, 'language:')}: periodical.language: expected a BCP 47 language tag such as "
        "`en`, `fr-CA` or `pt-BR`" in result.stderr
    )
    edit(pub, "  language: English", "  language: zh-Hant-TW")
    assert cli("check", str(bulletin / "7.yaml")).exit_code == 0


def test_marks_further_out_than_an_inch_are_refused(cli, bulletin):
    pub = bulletin / "publication.yaml"
    edit(pub, "printing:\n", "printing:\n  marks:\n    offset: 100000pt\n")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    line = line_of(pub, "offset: 100000pt")
    assert f"publication.yaml:{line}: printing.marks.offset: at most 1in" in result.stderr
