"""Property-based tests: any manifest text or Markdown either works or raises the project's own user error; any
content stream is read as pikepdf reads it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pikepdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issue_builder.base.bounded import Budget
from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.pdf_content import read_instructions, shown_strings
from issue_builder.base.schema import IssueManifest
from issue_builder.load.yaml_source import parse_yaml
from issue_builder.prepare.markdown import render_markdown
from issue_builder.validate.convert import Converter

YAMLISH = st.lists(
    st.sampled_from(list("abc:-[]{}&*!|>'\"#\n\t 0129.~%@`,?") + ["no", "yes", "0x1", "<<", "\x00"]), max_size=200
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_any_yaml_gives_a_document_or_located_problems(text):
    doc, problems = parse_yaml(text, Path("m.yaml"))
    assert doc is not None or problems
    for problem in problems:
        assert problem.file == Path("m.yaml") and problem.message


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
        max_leaves=20,
    )
)
def test_any_data_converts_or_reports(data):
    doc, _ = parse_yaml("a: 1\n", Path("m.yaml"))
    doc.data = data
    converter = Converter(doc, Path("/nonexistent-root"))
    try:
        converter.convert(data, IssueManifest, ())
    except IssueBuilderError:
        pass
    for problem in converter.problems:
        assert problem.message


MARKDOWNISH = st.lists(
    st.sampled_from(
        list("ab #*_[]()!<>\"'\n:-`^|~\\")
        + [
            "<script>",
            "</p>",
            "[^1]",
            "[^1]: note",
            "::: pullquote",
            ":::",
            "![x](y.png)",
            "<a href=file:///etc>",
            "&amp;",
            "<img src=javascript:x>",
            "[l](javascript:alert(1))",
        ]
    ),
    max_size=300,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH)
def test_any_markdown_renders_sanitised_html(text):
    body, problems = render_markdown(text, Path("a.md"), lambda src, line: None)
    lowered = body.html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered  # as text they are escaped: &lt;script
    for tag in re.findall(r"<[a-z][^>]*>", lowered):  # real tags only: escaped text cannot act
        assert not re.search(r'(href|src)\s*=\s*"?\s*(javascript|file|data):', tag), tag
        assert not tag.startswith(("<script", "<iframe", "<object", "<embed", "<link", "<style")), tag
    assert all(p.message for p in problems)


CONTENT_TOKENS = st.sampled_from(
    [b"0", b"-3", b"+4", b"007", b"0.5", b".25", b"5.", b"-0.", b"1.50", b"/CS0", b"/a#20b", b"(t)", b"(a\\)b)"]
    + [b"<41>", b"[1 /a (b) 5.]", b"<< /A 1. >>", b"true", b"null", b"[]", b")", b"]", b">>", b"{", b"1e3", b"%c\n"]
    + [b"rg", b"RG", b"k", b"cs", b"scn", b"Tj", b"q", b"Q", b"cm", b"Do", b"BT", b"ET", b"BI", b"ID", b"EI"]
    + [b"BI /W 1 /H 1 /CS /RGB /BPC 8 ID \x80\x00\x00 EI", b"BI /W 2 /H 1 /CS /G /BPC 8 /D [1. 0] ID \x00\x01 EI"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CONTENT_TOKENS, max_size=40).map(b" ".join))
def test_the_content_walker_reads_what_pikepdf_parses(content):
    """The colour conversion writes back what the walker reads: the same instructions as pikepdf's own parser."""
    pdf = pikepdf.new()
    stream = pdf.make_stream(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pikepdf warns of an unexpected end of stream
        try:
            expected = [
                i if isinstance(i, pikepdf.ContentStreamInlineImage) else (list(i.operands), i.operator)
                for i in pikepdf.parse_content_stream(stream)
            ]
            written = pikepdf.unparse_content_stream(expected)
        except (pikepdf.PdfError, IndexError, AttributeError):
            return  # pikepdf cannot read or write it back (an inline image without data): no reference
    read: list = []
    read_instructions(
        stream,
        Budget(),
        lambda operands, op: read.append(operands[0].instruction() if op == "BI" else (operands, pikepdf.Operator(op))),
        rewrite=True,
    )
    assert pikepdf.unparse_content_stream(read) == written


SHOWN_ITEMS = st.one_of(
    st.binary(max_size=6).map(pikepdf.String),  # hex or literal as qpdf writes them: parentheses, backslashes, NUL
    st.integers(-3000, 3000),
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: round(x, 6)),
    st.sampled_from([pikepdf.Name("/X"), pikepdf.Array([1]), True, None]),  # what no TJ should hold
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SHOWN_ITEMS, max_size=30))
def test_the_strings_of_a_show_are_read_as_item_by_item(items):
    """A TJ array's strings read from it written out whole are the strings read item by item, at the same places."""
    shown = pikepdf.Array(items)
    by_item = [(at, bytes(item)) for at, item in enumerate(shown) if isinstance(item, pikepdf.String) and bytes(item)]
    assert shown_strings(shown) == by_item
