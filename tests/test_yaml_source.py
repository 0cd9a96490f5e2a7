"""The strict YAML reader: each trap of YAML is an error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from issue_builder.load import yaml_source
from issue_builder.load.yaml_source import MAX_MANIFEST_BYTES, parse_yaml, read_yaml


def errors(text: str) -> list[str]:
    doc, problems = parse_yaml(text, Path("m.yaml"))
    assert problems
    return [str(p) for p in problems]


def test_plain_values_keep_their_types_and_lines():
    doc, problems = parse_yaml(
        'issue: 18\ndate: 2019-03-01\nratio: 1.5\ntitle: "no"\nflag: true\nnone: ~\n', Path("m.yaml")
    )
    assert problems == []
    assert doc.data == {"issue": 18, "date": "2019-03-01", "ratio": 1.5, "title": "no", "flag": True, "none": None}
    assert doc.locations[("ratio",)].line == 3


@pytest.mark.parametrize("value", ["no", "yes", "on", "Off", "y", "N"])
def test_yaml11_booleans_are_errors(value):
    assert errors(f"a: 1\nb: {value}\n") == [
        f"m.yaml:2: b: '{value}' is ambiguous (YAML 1.1 reads it as a boolean): write true or false, or quote it"
    ]


@pytest.mark.parametrize("value", ["012", "0x1F", "1:20", "1_000", ".inf"])
def test_ambiguous_numbers_are_errors(value):
    (message,) = errors(f"n: {value}\n")
    assert message.startswith("m.yaml:1: n: ") and "ambiguous" in message


def test_duplicate_keys_name_both_lines():
    assert errors("a: 1\nb: 2\na: 3\n") == ["m.yaml:3: a: duplicate key 'a' (first set on line 1)"]


def test_duplicate_keys_nested():
    (message,) = errors("cover:\n  image: a.jpg\n  image: b.jpg\n")
    assert message == "m.yaml:3: cover.image: duplicate key 'image' (first set on line 2)"


def test_aliases_and_anchors_are_refused():
    assert errors("a: &x [1, 2]\nb: *x\n") == ["m.yaml:1: anchors (&name) are not allowed in manifests"]
    bomb = 'a: &a ["lol","lol"]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\n'
    assert "not allowed" in errors(bomb)[0]


def test_python_tags_are_refused():
    (message,) = errors("x: !!python/object/apply:os.system [echo hi]\n")
    assert message.startswith("m.yaml:1: x: YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed")


def test_explicit_str_tag_is_allowed():
    doc, problems = parse_yaml("x: !!str no\n", Path("m.yaml"))
    assert problems == [] and doc.data == {"x": "no"}


def test_tabs_and_syntax_errors_carry_the_line():
    (message,) = errors("a:\n\tb: 1\n")
    assert message.startswith("m.yaml:2: invalid YAML:")


def test_multiple_documents_and_empty_files():
    assert "invalid YAML" in errors("a: 1\n---\nb: 2\n")[0]
    assert errors("# only a comment\n") == ["m.yaml: file is empty"]


def test_merge_keys_are_refused():
    (message,) = errors("a:\n  <<: {b: 1}\n")
    assert "merge keys" in message


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    doc, problems = read_yaml(path)
    assert doc is None
    assert problems[0].line == 2 and "not valid UTF-8 (byte 0xe9)" in problems[0].message


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes(b"a: " + b"x" * MAX_MANIFEST_BYTES + b"\n")
    doc, problems = read_yaml(path)
    assert doc is None and "at most" in problems[0].message


def test_control_characters_are_errors_with_their_line():
    assert errors("a: 1\nb: x\x07y\n") == ["m.yaml:2: invalid YAML: character U+0007 is not allowed"]


def test_an_unquoted_colon_in_a_value_is_named_with_the_fix():
    text = "issue: 1\narticles:\n  - title: x\n    dek: Venezuela: the day they did not pass\n"
    assert errors(text) == [
        "m.yaml:4: invalid YAML: mapping values are not allowed here; a value holding ': ' must be quoted, "
        'e.g. dek: "Venezuela: the day they did not pass"'
    ]
    (message,) = errors('title: He said "no": twice\n')
    assert message.endswith("""e.g. title: 'He said "no": twice'""")


def test_a_key_out_of_line_is_not_taken_for_a_colon_in_a_value():
    (message,) = errors("articles:\n  - title: a\n     dek: b\n")
    assert message == (
        "m.yaml:3: invalid YAML: mapping values are not allowed here; this key is not lined up with the keys of "
        "its mapping: check its indentation against the lines above"
    )


@pytest.mark.parametrize("text", ["cover:\n\timage: a.jpg\n", "cover:\n  image: a.jpg\n  \talt: x\n"])
def test_tab_indentation_gets_a_hint(text):
    (message,) = errors(text)
    assert message.startswith(f"m.yaml:{text.count(chr(10), 0, text.index(chr(9))) + 1}: invalid YAML: ")
    assert message.endswith("YAML is indented with spaces, never tabs: replace the tab on this line with spaces")


def test_an_unclosed_quote_names_the_line_where_it_opens():
    text = 'issue: 1\ntitle: "Venezuela: the day\ndek: x\nauthor: y\n'
    assert errors(text) == [
        'm.yaml:2: invalid YAML: found unexpected end of stream; the quoted value that begins on this line with " '
        'is never closed: add the closing "'
    ]
    (message,) = errors("issue: 1\ntitle: 'Tis the season\ndek: x\n")
    assert message.startswith("m.yaml:2: ") and "apostrophe ('Tis), put the whole value in double quotes" in message


def test_text_after_a_closing_quote_gets_a_hint():
    (message,) = errors('title: "Hands off" Venezuela\n')
    assert message == (
        "m.yaml:1: invalid YAML: expected <block end>, but found '<scalar>'; the value goes on after its closing \": "
        """put the whole value in quotes of the other kind, e.g. title: '"Hands off" Venezuela'"""
    )
    (message,) = errors("title: 'It's here'\n")
    assert message.endswith('e.g. title: "It\'s here"')


def test_values_that_cannot_begin_a_plain_scalar_get_a_hint():
    (message,) = errors("author: @someone\n")
    assert message.endswith("a value cannot begin with @: put the whole value in quotes")
    (message,) = errors('title: "C:\\path"\n')
    assert "a backslash in double quotes begins an escape" in message


def test_hints_do_not_change_what_is_accepted():
    doc, problems = parse_yaml('dek: "Venezuela: the day"\nlines:\n  - "Matamoros: won"\n', Path("m.yaml"))
    assert problems == [] and doc.data == {"dek": "Venezuela: the day", "lines": ["Matamoros: won"]}


READERS_SAMPLE = (
    "# a comment\nissue: 18\ndate: 2019-03-01\nratio: 1.5\nquoted: 'x: y'\nblock: |\n  two\n  lines\n"
    "folded: >\n  one\n  line\nempty:\nlist:\n  - a\n  - {b: 1, c: [2, 3]}\n  - 'it''s'\n  - \"tab\\there\"\n"
    "unicode: Guaidó, Αθήνα, עברית\nnull: ~\nflag: false\n"
)


@pytest.mark.parametrize(
    "source",
    [READERS_SAMPLE, *(p.read_text("utf-8") for p in sorted(Path(__file__).parent.parent.glob("issues/*.yaml")))]
    + [p.read_text("utf-8") for p in sorted((Path(__file__).parent / "fixtures").glob("*/*.yaml"))],
)
def test_libyaml_and_pyyaml_read_a_file_alike(source: str, monkeypatch):
    """A file is read by libyaml (fast) and, where it finds a problem, by PyYAML (the messages): both give the same
    values at the same lines."""
    fast = parse_yaml(source, Path("m.yaml"))
    monkeypatch.setattr(yaml_source.yaml, "__with_libyaml__", False)
    slow = parse_yaml(source, Path("m.yaml"))
    assert fast[0].data == slow[0].data and fast[1] == slow[1]
    assert fast[0].locations == slow[0].locations


def test_a_problem_libyaml_finds_is_told_in_pyyaml_s_words():
    assert errors("a: 1\n\tb: 2\n") == [
        "m.yaml:2: invalid YAML: found character '\\t' that cannot start any token; YAML is indented with spaces, "
        "never tabs: replace the tab on this line with spaces"
    ]
