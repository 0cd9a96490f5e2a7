"""`new` starts an issue that checks and renders; `schema` is the manifest's JSON Schema, made from the typed model,
accepting the real manifests and refusing wrong ones as `check` does."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from helpers import FIXTURES, REPO, copy_fixture, page_texts
from issue_builder.base.schema import Contact, PageSetup, Periodical
from issue_builder.base.types import Length
from issue_builder.load.manifest import load_manifest
from issue_builder.load.yaml_source import read_yaml

ISSUES = [REPO / "issues" / "18.yaml", FIXTURES / "bulletin" / "7.yaml", FIXTURES / "quartier" / "3.yaml"]
PUBLICATIONS = [p.parent / "publication.yaml" for p in ISSUES]


def schema_of(cli, *args: str) -> dict:
    result = cli("schema", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def validator(schema: dict) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def data_of(path: Path):
    """A file's values as the tool reads them (YAML 1.2 scalars: a date stays text), which editors see too."""
    document, problems = read_yaml(path)
    assert problems == []
    return document.data


def complaints(schema: dict, data) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator(schema).iter_errors(data))


# --- schema ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("manifest", ISSUES, ids=lambda p: p.name)
def test_the_real_manifests_satisfy_the_schema(cli, manifest):
    assert complaints(schema_of(cli), data_of(manifest)) == []


@pytest.mark.parametrize("publication", PUBLICATIONS, ids=lambda p: p.parent.name)
def test_the_publication_files_satisfy_the_publication_schema(cli, publication):
    assert complaints(schema_of(cli, "--publication"), data_of(publication)) == []


def test_a_wrong_manifest_fails_the_schema_where_check_fails_it(cli):
    schema = schema_of(cli)
    good = data_of(FIXTURES / "bulletin" / "7.yaml")
    bad = copy.deepcopy(good)
    bad["issue"] = "seven"
    bad["articles"][1]["opener"] = "sideways"
    bad["articles"][0]["sektion"] = "Law"
    del bad["articles"][2]["title"]
    bad["cover"]["focus"] = "somewhere"
    bad["page"] = {"width": "8.5 inches", "columns": 0}
    bad["colours"] = {"ink": {"cmyk": [0, 0, 0], "rgb": "black"}}
    bad["contact"] = {"email": "editors at example dot org", "phone": "call us", "web": "example"}
    bad["layout"] = "mine"  # the publication file's alone: an issue manifest may not choose the layout
    assert complaints(schema, bad) == [
        ": additionalProperties",
        "articles.0: additionalProperties",
        "articles.1.opener: enum",
        "articles.2: required",
        "colours.ink.cmyk: minItems",
        "colours.ink.rgb: pattern",
        "contact.email: pattern",
        "contact.phone: pattern",
        "contact.web: pattern",
        "cover.focus: pattern",
        "issue: type",
        "page.columns: exclusiveMinimum",
        "page.width: pattern",
    ]
    del bad["articles"]
    assert ": required" in complaints(schema, bad)  # an issue needs its articles
    assert complaints(schema, {**good, "articles": []}) == ["articles: minItems"]


def test_a_setting_changed_in_part_is_valid_as_check_finds_it(cli, bulletin):
    """Settings merge key by key with the publication file: no key of theirs is required in either file."""
    manifest = bulletin / "7.yaml"
    manifest.write_text(
        manifest.read_text("utf-8") + 'periodical:\n  tagline: Special issue\ncolours:\n  accent: { rgb: "#0b5394" }\n',
        "utf-8",
    )
    assert complaints(schema_of(cli), data_of(manifest)) == []
    assert cli("check", str(manifest)).exit_code == 0


def test_issue_keys_are_refused_in_the_publication_file(cli):
    publication = data_of(FIXTURES / "bulletin" / "publication.yaml")
    assert complaints(schema_of(cli, "--publication"), {**publication, "issue": 3}) == [": additionalProperties"]


def test_descriptions_are_the_models_documentation(cli):
    schema = schema_of(cli)
    contact = schema["definitions"]["Contact"]
    assert contact["description"] == Contact.__doc__
    assert schema["definitions"]["Periodical"]["properties"]["issn"]["markdownDescription"].startswith(
        "ISSN (e.g. `1234-5679`"
    )
    assert schema["definitions"]["Periodical"]["properties"]["issn"]["description"].startswith("ISSN (e.g. 1234-5679")
    page = schema["definitions"]["PageSetup"]
    assert page["properties"]["bleed"]["default"] == PageSetup().bleed.text == "0.125in"
    assert schema["properties"]["articles"]["description"] == "Articles in reading order (at least one)."
    assert schema["required"] == ["issue", "date", "cover", "articles"]  # periodical comes from publication.yaml
    assert Periodical.__doc__ in schema["definitions"]["Periodical"]["description"]


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        (
            ("definitions", "Contact", "properties", "email"),
            ["editors@example.org", "a.b+c@mail.example.co.uk"],
            ["editors at example dot org", "a@localhost", "a@b@c.org", "@example.org"],
        ),
        (
            ("definitions", "Contact", "properties", "phone"),
            ["646-791-6279", "+44 20 7946 0958", "(212) 555-0100 ext. 12", "01.23.45.67.89"],
            ["call us", "646 791 6279 or 6280", "+"],
        ),
        (
            ("definitions", "Contact", "properties", "web"),
            ["example.org", "https://www.example.org:8443/a?b=c#d", "xn--bcher-kva.example"],
            ["example", "-bad.example.org", "https://example.org/a b", "ftp://example.org"],
        ),
    ],
)
def test_the_schema_says_what_check_says_of_contact_details(cli, field, good, bad):
    schema = schema_of(cli)
    for part in field:
        schema = schema[part]
    contact = Contact
    check = {f.name: f.metadata["check"] for f in contact.__dataclass_fields__.values()}[field[-1]]
    for value in good:
        assert check(value) is None and complaints(schema, value) == [], value
    for value in bad:
        assert check(value) is not None and complaints(schema, value) != [], value


@pytest.mark.parametrize("text", ["8.5in", " 3mm", "0.5 cm", "12pt", "8.5 inches", "3", "-3mm", "1e3mm", "3.mm"])
def test_the_length_pattern_reads_what_lengths_read(cli, text):
    pattern = schema_of(cli)["definitions"]["PageSetup"]["properties"]["width"]
    try:
        Length.parse(text)
        parses = True
    except ValueError:
        parses = False
    assert (complaints(pattern, text) == []) == parses


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js reads the patterns as editors do")
def test_every_pattern_is_a_javascript_regular_expression(cli, tmp_path):
    patterns = set()

    def collect(node):
        if isinstance(node, dict):
            patterns.update(v for k, v in node.items() if k == "pattern")
            for k, v in node.items():
                if k != "pattern":
                    collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(schema_of(cli))
    collect(schema_of(cli, "--publication"))
    (tmp_path / "patterns.json").write_text(json.dumps(sorted(patterns)), "utf-8")
    script = "for (const p of require(process.argv[1])) new RegExp(p, 'u');"  # editors read them in unicode mode
    done = subprocess.run(["node", "-e", script, str(tmp_path / "patterns.json")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(patterns) >= 8


def test_schema_out_writes_the_same_schema(cli, tmp_path):
    target = tmp_path / "schemas" / "issue.schema.json"
    result = cli("schema", "--out", str(target))
    assert result.exit_code == 0 and "the JSON Schema of an issue manifest" in result.stdout
    assert json.loads(target.read_text("utf-8")) == schema_of(cli)


# --- new ------------------------------------------------------------------------------------------------------


def test_new_starts_an_issue_that_checks_and_renders(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("new", "19", "--date", "2025-03-01")
    assert result.exit_code == 0, result.stderr
    manifest = Path("issues/19.yaml")
    for path in ("issues/19.yaml", "issues/19/articles/first-article.md", "issues/19/img/cover.jpg"):
        assert f"wrote {path}" in result.stdout and Path(path).is_file()
    for path in ("issues/publication.yaml", "issues/issue.schema.json", "issues/publication.schema.json"):
        assert Path(path).is_file()
    lines = manifest.read_text("utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=issue.schema.json"
    assert (
        Path("issues/publication.yaml")
        .read_text("utf-8")
        .startswith("# yaml-language-server: $schema=publication.schema.json\n")
    )
    assert json.loads(Path("issues/issue.schema.json").read_text("utf-8")) == schema_of(cli)
    assert complaints(schema_of(cli), data_of(manifest)) == []
    assert complaints(schema_of(cli, "--publication"), data_of(Path("issues/publication.yaml"))) == []
    assert "issue: 19" in lines and any(line.startswith("date: 2025-03-01") for line in lines)
    # the cover placeholder has the pixels the layout's cover needs at the warning limit: the default letter page
    # and its bleed, 8.75 x 11.25 in, at 300 ppi
    assert Image.open("issues/19/img/cover.jpg").size == (2625, 3375)

    check = cli("check", str(manifest), "--json")
    assert check.exit_code == 0, check.stderr
    data = json.loads(check.stdout)
    assert data["ok"] is True and data["issue"] == 19 and data["articles"] == 1
    assert [f["key"] for f in data["findings"] if f["severity"] != "note"] == ["articles[0].body"]  # a short body
    render = cli("render", str(manifest), "--out", "out", "--only", "web")
    assert render.exit_code == 0, render.stderr
    assert "cover-contrast" not in render.stderr  # the placeholder is dark: the default white cover type reads on it
    texts = page_texts(next(Path("out").glob("*-web.pdf")))
    assert "The First Article" in texts[2] and "THE PUBLICATION" in texts[0].upper()


def test_new_refuses_to_overwrite_an_issue(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("new", "5").exit_code == 0
    before = {p: p.read_bytes() for p in Path("issues").rglob("*") if p.is_file()}
    again = cli("new", "5")
    assert again.exit_code == 2
    assert "issues/5.yaml already exists: `new` never overwrites an issue" in again.stderr
    Path("issues/5.yaml").unlink()
    folder_left = cli("new", "5")
    assert folder_left.exit_code == 2 and "issues/5 already exists" in folder_left.stderr
    assert {p: p.read_bytes() for p in Path("issues").rglob("*") if p.is_file()} == {
        p: b for p, b in before.items() if p != Path("issues/5.yaml")
    }
    assert cli("new", "0").exit_code == 2  # not an issue number


def test_new_from_an_earlier_issue_takes_its_settings_not_its_articles(cli, tmp_path):
    folder = copy_fixture("quartier", tmp_path)
    publication = (folder / "publication.yaml").read_bytes()
    result = cli("new", "4", "--from", str(folder / "3.yaml"), "--date", "2025-07-01")
    assert result.exit_code == 0, result.stderr
    text = (folder / "4.yaml").read_text("utf-8")
    assert "contact:\n  phone: +33 4 78 00 00 00\n" in text  # issue 3's own setting, as it was written
    assert "volume: 2  # as in 3.yaml" in text
    assert "marche.md" not in text and "couverture.jpg" not in text and "Printemps" not in text
    assert (folder / "publication.yaml").read_bytes() == publication  # shared: never rewritten
    raw = load_manifest(folder / "4.yaml")
    assert raw.document.data["contact"]["phone"] == "+33 4 78 00 00 00"
    assert raw.document.data["periodical"]["name"] == "La Gazette du Quartier"  # from publication.yaml
    # the cover placeholder is the size this publication's layout places its cover at: 220 mm square with the
    # bleed, at its warning limit of 100 ppi
    assert Image.open(folder / "4" / "img" / "cover.jpg").size == (867, 867)
    check = cli("check", str(folder / "4.yaml"))
    assert check.exit_code == 0, check.stderr


def test_new_from_a_manifest_that_cannot_be_read_is_refused(cli, tmp_path):
    broken = tmp_path / "2.yaml"
    broken.write_text("issue: 2\ndek: a: b\n", "utf-8")
    result = cli("new", "3", "--from", str(broken))
    assert result.exit_code == 2 and "a value holding ': ' must be quoted" in result.stderr
    assert not (tmp_path / "3.yaml").exists() and not (tmp_path / "3").exists()
