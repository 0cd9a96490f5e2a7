"""Editorial lint: typography fixed and counted, repeated deks, short bodies, bylines, titles and page budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import edit, line_of
from issue_builder.checks.editorial import SHORT_BODY_WORDS, normalise
from issue_builder.prepare.markdown import render_markdown
from issue_builder.prepare.typography import smarten


def md(text: str, language: str = "en"):
    body, problems = render_markdown(text, Path("a.md"), lambda src, line: src, language)
    assert problems == []
    return body


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line]


# --- typography ---------------------------------------------------------------------------------------------------


def test_quotes_dashes_and_dots_become_typographic_and_are_counted():
    body = md('"Quotes", \'single\', don\'t -- and 1990--91, a---b, wait... end.\n\nSecond "para".')
    assert "“Quotes”, ‘single’, don’t – and 1990–91, a—b, wait… end." in body.html
    assert "Second “para”." in body.html
    t = body.typography
    assert (t.quotes, t.dashes, t.ellipses, t.unpaired) == (7, 3, 1, 0)
    assert t.describe_fixed() == "7 straight quotes, 3 double hyphens, 1 triple dot"


def test_typography_reaches_inline_html_html_blocks_footnotes_and_captions_but_not_code():
    body = md(
        'He said <em>"no"</em> -- twice.[^1]\n\n'
        '<aside class="pullquote">"Never" -- not once... <code>"x" --</code></aside>\n\n'
        "![A plan](plan.jpg \"The 'new' plan -- as agreed\")\n\n"
        'Type `"raw" -- text` or \\"escaped\\".\n\n[^1]: A "note".\n'
    )
    html = body.html
    assert "He said <em>“no”</em> – twice." in html
    assert '<aside class="pullquote">“Never” – not once… <code>"x" --</code></aside>' in html
    assert "<figcaption>The ‘new’ plan – as agreed</figcaption>" in html
    assert '<code>"raw" -- text</code>' in html and '"escaped"' in html  # code and escapes stay as typed
    assert '<span class="footnote">A “note”.</span>' in html
    assert (body.typography.quotes, body.typography.dashes, body.typography.ellipses) == (8, 3, 1)


def test_only_dashes_and_ellipses_are_replaced_not_other_markdown_it_shortcuts():
    html = md("Options (a), (b) and (c); 5 +- 1; etc.. done").html
    assert "(c)" in html and "©" not in html and "+-" in html and "etc.." in html


def test_quotes_follow_the_language_and_unpaired_quotes_are_left_and_located():
    assert "„Guten Tag“, sagte er, ‚gut‘ – geht’s?" in md("\"Guten Tag\", sagte er, 'gut' -- geht's?", "de").html
    assert "«\u202fBonjour\u202f»" in md('"Bonjour"', "fr-CA").html
    body = md('Fine.\n\nHe is 6\' 2" tall, "she said.\n')
    assert body.typography.unpaired == 2 and body.typography.unpaired_lines == [3]


def test_plain_text_is_smartened_and_counted():
    text, counts = smarten('Outright "Regime Change" -- now...', "en")
    assert text == "Outright “Regime Change” – now…"
    assert (counts.quotes, counts.dashes, counts.ellipses) == (2, 1, 1)


def test_repeats_are_compared_without_case_spacing_quote_or_dash_differences():
    assert normalise("An  “anti-imperialist” movement — now.") == normalise('an "anti-imperialist" MOVEMENT -\nnow')


# --- the lint through `check` ----------------------------------------------------------------------------------------


def test_bulletin_lint_findings_name_manifest_line_and_key(cli, bulletin):
    manifest = bulletin / "7.yaml"
    result = cli("check", str(manifest))
    assert result.exit_code == 0, result.stderr
    found = warnings(result.stderr)
    assert found == [
        f"{manifest}:{line_of(manifest, 'The New Lease Law')}: warning: articles[1].author: no author: the layout "
        "prints a byline, this article will have none",
        f"{manifest}:{line_of(manifest, 'Meeting Notes')}: warning: articles[2].author: no author: the layout prints a "
        "byline, this article will have none",
        f"{manifest}:{line_of(manifest, 'meeting.md')}: warning: articles[2].body: only 94 words (bodies under "
        f"{SHORT_BODY_WORDS} are reported): is the text complete?",
    ]
    # what the build corrected by itself is counted as notes, which never fail a build
    assert [line for line in result.stdout.splitlines() if ": note: " in line] == [
        f"{manifest}:{line_of(manifest, 'rent-strike.md')}: note: articles[0].body: 8 straight quotes fixed in the "
        "output (7/articles/rent-strike.md)",
        f"{manifest}:{line_of(manifest, 'lease-law.md')}: note: articles[1].body: 2 straight quotes fixed in the "
        "output (7/articles/lease-law.md)",
    ]
    assert "3 warnings (3 from the lint), 2 notes" in result.stdout
    # the lint is advice: --strict fails on what render --strict fails on, which never runs the lint
    strict = cli("check", str(manifest), "--strict")
    assert strict.exit_code == 0, strict.stderr
    assert "warning: articles[2].body: only 94 words" in strict.stdout + strict.stderr


def test_a_dek_repeated_from_another_article_names_both(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(
        manifest,
        "    dek: What the general meeting decided in September.",
        "    dek: >-\n      how a rent strike in three tower blocks turned into the biggest\n"
        "      tenant victory the city has seen in a decade",
    )
    result = cli("check", str(manifest))
    assert result.exit_code == 0
    line = line_of(manifest, "dek: >-")
    assert (
        f'{manifest}:{line}: warning: articles[2].dek: same dek as articles[0] "After Eleven Months of Organising '
        'Door to Door, the Tenants of the Riverside Towers Won Every One of Their Repair Demands" (this is '
        'articles[2] "Meeting Notes")'
    ) in result.stderr


def test_a_title_repeated_as_another_articles_dek_is_reported(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "    dek: What the general meeting decided in September.", "    dek: The new lease law")
    result = cli("check", str(manifest))
    assert 'articles[2].dek: dek is the title of articles[1] "The New Lease Law"' in result.stderr


def test_no_byline_findings_when_the_layout_prints_no_bylines(cli, bulletin):
    (bulletin / "layout" / "article-head.html").write_text(
        '<header class="article-head"><h1 class="article-title">{{ article.title }}</h1></header>\n', "utf-8"
    )
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0
    assert "author" not in result.stderr and "articles[2].body: only 94 words" in result.stderr


def test_images_without_alt_text_and_unpaired_quotes_point_into_the_markdown(cli, bulletin):
    article = bulletin / "7" / "articles" / "lease-law.md"
    article.write_text(article.read_text("utf-8") + '\n![](../img/plan.jpg)\n\nA shelf 6" deep.\n', "utf-8")
    lines = article.read_text("utf-8").splitlines()
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr
    figure = lines.index("![](../img/plan.jpg)") + 1
    assert f"lease-law.md:{figure}: warning: articles[1].body: image without alt text: ../img/plan.jpg" in result.stderr
    assert (
        f"articles[1].body: 1 straight quote left as typed (7/articles/lease-law.md) (line {len(lines)}): "
        "an unclosed quotation, or an inch mark (″)?"
    ) in result.stderr


def test_straight_quotes_in_printed_manifest_text_are_reported(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "  - title: The New Lease Law", '  - title: The New "Lease" Law -- Explained')
    edit(manifest, "    - What the new lease law means", "    - What the law's change means...")
    result = cli("check", str(manifest))
    assert "articles[1].title: 2 straight quotes, 1 double hyphen fixed in the output" in result.stdout
    assert "cover.lines[1]: 1 straight quote, 1 triple dot fixed in the output" in result.stdout
    from issue_builder.prepare.issue import prepare_issue

    issue = prepare_issue(manifest)  # what the layout prints
    assert issue.articles[1].title == "The New “Lease” Law – Explained"
    assert issue.manifest.cover.lines[1] == "What the law’s change means…"


def test_check_json_lists_every_finding_with_its_stage(cli, bulletin):
    edit(bulletin / "7.yaml", "      alt: The union's round badge\n", "")
    result = cli("check", str(bulletin / "7.yaml"), "--json")
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["articles"] == 3
    stages = {(f["stage"], f["key"]) for f in data["findings"]}
    assert ("manifest", "articles[2].image.alt") in stages and ("lint", "articles[2].body") in stages
    assert all(f["severity"] in ("warning", "note") and f["file"] and f["line"] for f in data["findings"])
    assert {f["severity"] for f in data["findings"] if "fixed in the output" in f["message"]} == {"note"}
    strict = cli("check", str(bulletin / "7.yaml"), "--json", "--strict")
    assert strict.exit_code == 1 and json.loads(strict.stdout)["ok"] is False


def test_page_budget_is_validated(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "    opener: text\n", "    opener: text\n    page_budget: 0\n")
    result = cli("check", str(manifest))
    assert result.exit_code == 2
    assert (
        f"7.yaml:{line_of(manifest, 'page_budget')}: articles[1].page_budget: must be greater than 0" in result.stderr
    )
    edit(manifest, "page_budget: 0", "page_budget: 2")
    assert cli("check", str(manifest)).exit_code == 0


# --- checks of the laid-out pages ------------------------------------------------------------------------------------


def _prepare(folder: Path):
    from issue_builder.prepare.issue import prepare_issue

    return prepare_issue(folder / "7.yaml")


def _pages(issue, html: str | None = None) -> list:
    import weasyprint

    import issue_builder.layout.engine  # noqa: F401 - isolates fontconfig before WeasyPrint loads fonts
    from issue_builder.base.paths import FONTS_DIR
    from issue_builder.layout.fetcher import SandboxFetcher
    from issue_builder.layout.html import render_html

    if html is not None:
        return weasyprint.HTML(string=html).render().pages
    rendered = render_html(issue, part="main")
    fetcher = SandboxFetcher([issue.root, FONTS_DIR, *rendered.layout_chain], issue_root=issue.root)
    return weasyprint.HTML(string=rendered.html, base_url=rendered.base_url, url_fetcher=fetcher).render().pages


@pytest.fixture(scope="module")
def laid_out_bulletin(tmp_path_factory):
    from helpers import copy_fixture

    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("lint"))
    edit(folder / "7.yaml", "    opener: text\n", "    opener: text\n    page_budget: 1\n")
    edit(
        folder / "7.yaml", "    body: 7/articles/meeting.md\n", "    body: 7/articles/meeting.md\n    page_budget: 1\n"
    )
    (folder / "7" / "articles" / "lease-law.md").write_text(
        "A longer law.\n\n" + "Another paragraph of the law.\n\n" * 160, "utf-8"
    )
    issue = _prepare(folder)
    return issue, _pages(issue)


def test_title_lines_count_the_laid_out_lines_of_each_title(laid_out_bulletin):
    from issue_builder.layout.fit import title_findings, titles

    issue, pages = laid_out_bulletin
    lines = {article: runs for article, (runs, _) in titles(pages).items()}
    assert set(lines) == {a.id for a in issue.articles}
    assert lines[issue.articles[0].id] == 4  # the long title of the bulletin's first article, as on page 3
    assert lines["the-new-lease-law"] == 1 and lines["meeting-notes"] == 1
    assert title_findings(pages, issue) == []  # the bulletin's layout allows four lines (--title-max-lines: 4)


def test_the_layout_sets_the_lines_a_title_may_run_in_css(laid_out_bulletin):
    from issue_builder.layout.fit import title_findings, titles

    issue, _ = laid_out_bulletin
    title = "<h1>One two three four five six seven eight</h1>"
    html = (
        "<style>@page { size: 200px 400px; margin: 10px } h1 { font-size: 30px; line-height: 1 }"
        " .wide h1 { --title-max-lines: 9 }</style>"
        f'<article id="article-the-new-lease-law">{title}</article>'
        f'<article class="wide" id="article-meeting-notes">{title}<h1>a later h1 is not the title</h1></article>'
    )
    pages = _pages(issue, html)
    lines = {article: runs for article, (runs, _) in titles(pages).items()}
    assert lines["the-new-lease-law"] == lines["meeting-notes"] >= 4
    found = title_findings(pages, issue)
    assert len(found) == 1 and found[0].startswith(
        f"articles[1] title runs {lines['the-new-lease-law']} lines; the layout allows 3"
    )


def test_articles_over_their_page_budget_are_reported(laid_out_bulletin):
    from issue_builder.layout.fit import page_budget_findings

    issue, pages = laid_out_bulletin
    starts = {}
    for number, page in enumerate(pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("article-"):
                starts.setdefault(anchor.removeprefix("article-"), number)
    law, meeting = starts["the-new-lease-law"], starts["meeting-notes"]
    assert meeting - law >= 2  # the lengthened law runs several pages
    law_finding = f"articles[1] runs {meeting - law} pages, budget 1 ('The New Lease Law')"
    assert page_budget_findings(starts, meeting, issue) == [law_finding]  # the last article ends on the page given
    assert page_budget_findings(starts, meeting + 1, issue) == [
        law_finding,
        "articles[2] runs 2 pages, budget 1 ('Meeting Notes')",
    ]
    assert page_budget_findings({"the-new-lease-law": 5, "meeting-notes": 6}, 6, issue) == []


def test_a_render_reports_articles_over_their_page_budget(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "    body: 7/articles/rent-strike.md", "    body: 7/articles/rent-strike.md\n    page_budget: 1")
    result = cli("render", str(manifest), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 0, result.stderr
    assert "warning: editorial: articles[0] runs 2 pages, budget 1" in result.stderr
    strict = cli("render", str(manifest), "--out", str(bulletin / "out"), "--only", "web", "--strict", "--force")
    assert strict.exit_code == 1 and "articles[0] runs 2 pages, budget 1" in strict.stderr


def test_alt_texts_that_say_nothing_about_the_picture_are_named(cli, bulletin: Path):
    manifest = bulletin / "7.yaml"
    edit(manifest, "  alt: Tower blocks at dusk", "  alt: The Tenant Bulletin issue 7 cover")
    result = cli("check", str(manifest))
    assert result.exit_code == 0, result.stderr
    cover = f"7.yaml:{line_of(manifest, 'The Tenant Bulletin issue 7 cover')}: warning: cover.alt: alt text"
    assert any(
        line.endswith("says that there is a picture, not what it shows: describe it") and cover in line
        for line in result.stderr.splitlines()
    ), result.stderr
    assert "repeats the title" not in result.stderr


def test_an_alt_text_that_repeats_the_title_is_named(cli, bulletin: Path):
    manifest = bulletin / "7.yaml"
    text = manifest.read_text("utf-8")
    title = "After Eleven Months of Organising Door to Door, the Tenants of the Riverside Towers Won Every One of Their Repair Demands"
    first_alt = next(
        line for line in text.splitlines() if line.strip().startswith("alt:") and "Tower blocks" not in line
    )
    edit(manifest, first_alt, first_alt.split("alt:")[0] + f"alt: {title}")
    result = cli("check", str(manifest))
    assert "articles[0].image.alt: alt text only repeats the title" in result.stderr, result.stderr
