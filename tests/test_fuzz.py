"""Property-based tests: any manifest text or Markdown either works or raises the project's own user error."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issue_builder.base.diagnostics import IssueBuilderError
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
