"""Copy-fitting: each body page's fill measured and reported, and the layout's strategies (tighter steps, the house
box, smaller titles) chosen by the publication's `typesetting` settings; on copies of the gazette (A5, two columns)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import cli_said, copy_fixture, edit, page_texts
from issue_builder.layout.copyfit import Fit, Measured, Rules, next_fit

LONG_TITLE = (
    "Seed Swaps Across the Borough Bring Forty Growers to the Community Hall"  # 4 lines at full size, 3 a step down
)
WATER = "Water Rights on the Lower Plots"
WEB = "the-allotment-gazette-3-web.pdf"


DEFAULTS = "  min_fill: 35\n  tighten_steps: 2\n  title_steps: 2\n  filler: house-ad\n"


def gazette(tmp: Path, typesetting: str = "") -> Path:
    """A copy of the gazette whose first article has a title one step too long, set with the default `typesetting`
    but for the settings given (in the issue's manifest, which overrides the publication's)."""
    folder = copy_fixture("gazette", tmp)
    edit(folder / "3.yaml", "  - title: Seed Swaps Across the Borough\n", f"  - title: {LONG_TITLE}\n")
    given = dict(line.split(":", 1) for line in (DEFAULTS + typesetting).splitlines())
    with (folder / "3.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write("typesetting:\n" + "".join(f"{key}:{value}\n" for key, value in given.items()))
    return folder


def render(folder: Path, *extra: str) -> tuple[int, str]:
    """`render 3.yaml --only web --keep-html` in `folder`: (exit code, what it printed)."""
    return cli_said(
        "render", str(folder / "3.yaml"), "--out", str(folder / "out"), "--only", "web", "--keep-html", *extra
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, str]:
    """The gazette set with the default settings: (output folder, what the render printed)."""
    folder = gazette(tmp_path_factory.mktemp("fitted"))
    code, said = render(folder)
    assert code == 0, said
    return folder / "out", said


@pytest.fixture(scope="module")
def unfitted(tmp_path_factory) -> tuple[Path, str]:
    """The gazette with no tightening and no house box."""
    folder = gazette(tmp_path_factory.mktemp("unfitted"), "  tighten_steps: 0\n  filler: none\n")
    code, said = render(folder)
    assert code == 0, said
    return folder / "out", said


def _runs(texts: list[str], title: str, last_words: str) -> list[int]:
    """Pages (from 1) from the one the article's title opens (after the contents) to the one with its last words."""
    flat = [" ".join(t.split()) for t in texts]
    first = next(n for n, text in enumerate(flat, start=1) if n > 2 and title in text)
    last = next(n for n, text in enumerate(flat, start=1) if last_words in text)
    return list(range(first, last + 1))


SEED_END = "bring a neighbour."
WATER_END = "it keeps the water free."


# the fill, measured


def test_the_fill_is_measured_on_a_page_whose_lines_are_known():
    import issue_builder.layout.engine  # noqa: F401 - fontconfig confined before WeasyPrint loads fonts
    from issue_builder.layout.engine import weasyprint
    from issue_builder.layout.fit import body_line, page_fill

    # a 200 x 400 px text area holding 5 body lines of 20 px in one column, the last one short: a quarter full
    html = (
        "<style>@page { size: 260px 480px; margin: 40px 30px } body, p { margin: 0 } body { font: 10px/20px serif }</style>"
        '<div class="article-body"><p>one<br>two<br>three<br>four<br>five</p></div>'
    )
    pages = weasyprint.HTML(string=html).render().pages
    line = body_line(pages)
    assert line == (20.0, 200.0)
    fill = page_fill(pages[0], line)
    assert fill.fill == pytest.approx(0.25) and fill.percent == 25
    assert fill.lines == 5 and fill.lines_short_of(0.35) == 2  # 7 lines make 35%
    assert fill.free == pytest.approx(300 * 0.75)  # points under the last line
    # a tinted box and a picture count as filled as text does
    boxed = html.replace("</div>", '</div><div style="height: 100px; background: #eee"></div>')
    assert page_fill(weasyprint.HTML(string=boxed).render().pages[0], line).fill == pytest.approx(0.5)


# the strategies


def test_an_article_a_few_lines_over_is_pulled_back_by_tightening(fitted, unfitted):
    fitted_texts = page_texts(fitted[0] / WEB)
    unfitted_texts = page_texts(unfitted[0] / WEB)
    assert len(_runs(unfitted_texts, WATER, WATER_END)) == 2  # untightened, its last lines run onto a page of their own
    assert len(_runs(fitted_texts, WATER, WATER_END)) == 1
    html = (fitted[0] / "the-allotment-gazette-3-html" / "02-water-rights-on-the-lower-plots.html").read_text()
    assert re.search(r"\.article-body \{[^}]*line-height: 12\.3pt; letter-spacing: -0\.01em;", html)  # two steps
    untightened = (unfitted[0] / "the-allotment-gazette-3-html" / "02-water-rights-on-the-lower-plots.html").read_text()
    assert "line-height" not in re.search(r"\.article-body \{[^}]*\}", untightened).group(0)


def test_the_house_box_takes_the_rest_of_a_short_last_page(fitted, unfitted):
    texts = [" ".join(t.split()) for t in page_texts(fitted[0] / WEB)]
    seed = _runs(texts, "Seed Swaps", SEED_END)
    assert "SUBSCRIBE TO THE ALLOTMENT GAZETTE" in texts[seed[-1] - 1].upper()
    assert not any("Subscribe to" in t for t in texts[: seed[-1] - 1])
    assert "warning: underfilled" not in fitted[1]
    plain = [" ".join(t.split()) for t in page_texts(unfitted[0] / WEB)]
    assert not any("SUBSCRIBE TO THE ALLOTMENT GAZETTE" in t.upper() for t in plain[2:-2])  # filler: none


def test_a_title_over_its_lines_is_set_a_step_smaller(fitted):
    html = (
        fitted[0]
        / "the-allotment-gazette-3-html"
        / "01-seed-swaps-across-the-borough-bring-forty-growers-to-the-community-hall.html"
    ).read_text()
    # 26pt on 27.56pt as the layout sets it, one step (8%) smaller
    assert '<h1 class="article-title" style="font-size: 23.92pt; line-height: 25.36pt">' in html
    assert "title runs" not in fitted[1]


def test_a_title_over_its_lines_is_refused_when_title_steps_is_0(tmp_path):
    folder = gazette(tmp_path, "  title_steps: 0\n")
    code, said = render(folder)
    assert code == 1
    assert "the render failed; no output was written" in said
    assert (
        f"editorial: articles[0] title runs 4 lines; the layout allows 3 ('{LONG_TITLE}'): shorten it, or allow "
        "more lines" in said
    )
    assert not (folder / "out" / WEB).exists()


def test_underfilled_pages_are_warned_about_with_the_article_and_the_fix(unfitted):
    _, said = unfitted
    found = [line for line in said.splitlines() if "underfilled" in line]
    assert len(found) == 2, said
    seed, water = found
    assert re.search(
        rf"warning: underfilled: page 4: p4 is \d+% full: cut \d+ lines from articles\[0\] '{LONG_TITLE}', "
        r"or add \d+ lines",
        seed,
    ), seed
    assert re.search(
        rf"warning: underfilled: page 6: p6 is 4% full: cut 4 lines from articles\[1\] '{WATER}', or add 25 lines",
        water,
    ), water
    assert re.search(r"2 warnings, 2 pages under 35% full \(p4, p6\)", said), said


def test_the_threshold_is_the_publications(tmp_path):
    folder = gazette(tmp_path, "  tighten_steps: 0\n  filler: none\n  min_fill: 3\n")
    code, said = render(folder)
    assert code == 0 and "underfilled" not in said and "under 3% full" not in said, said


# the decision alone


RULES = Rules(min_fill=0.35, tighten_steps=2, title_steps=2, filler=True)


def test_the_decision_steps_the_title_then_tightens_then_boxes():
    long = Measured(3, 0.9, 90, 10, title_lines=4, title_allowed=3, title_size=26, title_leading=27.5)
    fits = Measured(3, 0.02, 2, 600)
    assert next_fit({}, RULES) == Fit()
    smaller, smallest = Fit(title=1, title_size=26, title_leading=27.5), Fit(title=2, title_size=26, title_leading=27.5)
    assert next_fit({Fit(): long}, RULES) == smaller  # set from the size the layout gave the title
    assert next_fit({Fit(): long, smaller: long, smallest: long}, RULES) == smallest  # then refused
    assert next_fit({Fit(): long}, Rules(0.35, 2, 0, True)) == Fit()  # title_steps 0: refused at once
    tried = {Fit(): fits}
    assert next_fit(tried, RULES) == Fit(tighten=1)
    tried[Fit(tighten=1)] = Measured(3, 0.01, 1, 610)
    assert next_fit(tried, RULES) == Fit(tighten=2)
    tried[Fit(tighten=2)] = Measured(2, 0.9, 95, 20)
    assert next_fit(tried, RULES) == Fit(tighten=2)  # the page saved: final
    assert next_fit({Fit(): fits}, Rules(0.35, 0, 2, False)) == Fit()  # tighten_steps 0: never tighter


def test_the_loosest_step_that_saves_the_page_is_kept_and_none_when_none_does():
    short = Measured(3, 0.02, 2, 600)
    saved = {Fit(): short, Fit(tighten=1): Measured(2, 0.9, 95, 20), Fit(tighten=2): Measured(2, 0.8, 90, 40)}
    assert next_fit(saved, RULES) == Fit(tighten=1)
    unsaved = {Fit(): short, Fit(tighten=1): short, Fit(tighten=2): short}
    assert next_fit(unsaved, Rules(0.35, 2, 2, False)) == Fit()
    boxed = next_fit(unsaved, RULES)
    assert boxed.tighten == 0 and 500 < boxed.filler <= 600 - 14
    assert next_fit({**unsaved, boxed: Measured(4, 0.9, 90, 0)}, RULES) == Fit()  # a box that adds a page goes


def test_a_relaid_section_gives_the_same_bytes_warm_or_cold(tmp_path):
    from issue_builder.layout.document import lay_out_issue
    from issue_builder.prepare.issue import prepare_issue

    issue = prepare_issue(gazette(tmp_path) / "3.yaml")
    cold = lay_out_issue(issue, tmp_path / "cache")
    cold_pdf = cold.pdf.read_bytes()
    entries = [json.loads(p.read_text()) for p in (tmp_path / "cache" / "sections").glob("*.json")]
    assert sum(e.get("report", 0) is None for e in entries) >= 1  # steps tried and not kept: measured, cached
    warm = lay_out_issue(issue, tmp_path / "cache")
    # the front, two articles, the tail and the folios, each one section however many steps an article took
    assert cold.sections[1] == 0 and cold.sections[0] >= 5 and warm.sections == (0, 5)
    assert warm.pdf.read_bytes() == cold_pdf and warm.fills == cold.fills


# reported in the flatplan


def test_the_flatplan_json_carries_each_body_pages_fill(tmp_path):
    from issue_builder.editions.finishers import EditionOptions
    from issue_builder.editions.render import render_issue
    from issue_builder.prepare.issue import prepare_issue
    from issue_builder.proofing.flatplan import flatplan_json, page_labels

    folder = gazette(tmp_path, "  tighten_steps: 0\n  filler: none\n")
    issue = prepare_issue(folder / "3.yaml")
    layout = render_issue(issue, ("web",), folder / ".cache", EditionOptions()).layout
    labels = page_labels(
        layout.pages,
        [(a.id, a.title, a.section) for a in issue.articles],
        layout.article_pages,
        layout.fill_pages,
        layout.fills,
    )
    pages = json.loads(json.dumps(flatplan_json(labels, issue.title, 35)))["pages"]
    fills = {p["page"]: (p["fill"], p["underfilled"]) for p in pages}
    assert fills[1] == fills[2] == (None, False)  # cover and contents are not body pages
    assert fills[6] == (4, True) and fills[4][1] and not fills[3][1] and fills[3][0] > 35
    assert all(p["fill"] is None for p in pages if p["kind"] != "article")


@pytest.mark.slow
def test_issue_18_ends_with_no_body_page_under_the_threshold(issue_18_cache):
    from helpers import REPO
    from issue_builder.editions.finishers import EditionOptions
    from issue_builder.editions.render import render_issue
    from issue_builder.prepare.issue import prepare_issue

    issue = prepare_issue(REPO / "issues" / "18.yaml")
    # the sections' measured fills as the session render laid them out (its cache), joined and finished again here
    layout = render_issue(issue, ("web",), issue_18_cache / ".cache", EditionOptions()).layout
    body = [fill for fill in layout.fills if fill is not None]
    assert len(body) >= 30 and min(body) >= issue.manifest.typesetting.min_fill, layout.fills
    assert not [d for d in layout.diagnostics if d.code == "underfilled"]
