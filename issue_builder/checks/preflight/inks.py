"""Press ink checks in the content: black text that knocks out, white that overprints, small text in several inks."""

from __future__ import annotations

import pikepdf

from issue_builder.base.bounded import Budget, OverBudget
from issue_builder.base.pdf_content import MAX_FORM_DEPTH, numbers
from issue_builder.base.preflight_report import Report
from issue_builder.editions.prepress import (
    FILL_PAINT,
    IDENTITY,
    SMALL_TEXT,
    STROKE_PAINT,
    GState,
    InkFollower,
    multiply,
)

CHECKS = ["knockout-black-text", "overprint-white", "small-text-inks"]


class _PageInks:
    """What one page's content shows: counts of each kind of finding, and an example of each."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.knockout = 0
        self.white: set[str] = set()
        self.small: dict[str, float] = {}  # colour -> smallest size shown in it

    def stream(self, owner, state: GState, depth: int) -> None:
        if depth > MAX_FORM_DEPTH:
            return  # deeper forms are not drawn by most renderers either (nor read by the content check)
        if depth:
            self.budget.form()
        try:
            _Check(self, owner.get("/Resources"), state, depth).read(owner)
        except (pikepdf.PdfError, TypeError, ValueError):
            return  # unreadable content: the content check reports it


class _Check(InkFollower):
    def __init__(self, page: _PageInks, resources, state: GState, depth: int):
        super().__init__(resources, state, page.budget, depth)
        self.page = page

    def show_text(self, op: str) -> None:
        s = self.state
        if self.uses_fill():
            if s.fill.black and not s.overprint_fill:
                self.page.knockout += 1
            if s.fill.white and s.overprint_fill:
                self.page.white.add("text")
            if s.fill.inks > 1 and (size := self.text_size()) < SMALL_TEXT:
                colour = "/".join(f"{v * 100:.0f}" for v in s.fill.cmyk)
                self.page.small[colour] = min(size, self.page.small.get(colour, size))
        if self.uses_stroke() and s.stroke.white and s.overprint_stroke:
            self.page.white.add("outlined text")

    def paint_path(self, op: str) -> None:
        s = self.state
        if op in FILL_PAINT and s.fill.white and s.overprint_fill:
            self.page.white.add("a filled shape")
        if op in STROKE_PAINT and s.stroke.white and s.overprint_stroke:
            self.page.white.add("a line")

    def draw_form(self, name: str, form: pikepdf.Stream, state: GState) -> None:
        matrix = numbers(form.get("/Matrix", list(IDENTITY)), 6)
        inner = GState(**{**state.__dict__, "ctm": multiply(tuple(matrix), state.ctm) if matrix else state.ctm})
        self.page.stream(form, inner, self.depth + 1)


def check_inks(pdf: pikepdf.Pdf, report: Report, page_sources: dict[int, str], budget: Budget | None = None) -> None:
    """Black text set to knock out, white set to overprint, and text under SMALL_TEXT pt in more than one ink."""
    report.checks += CHECKS
    budget = budget or Budget()
    for number, page in enumerate(pdf.pages, start=1):
        found = _PageInks(budget)
        try:
            found.stream(page.obj, GState(), 0)
        except OverBudget:
            return  # the content check has reported the file as too complex
        source = page_sources.get(number)
        if found.knockout:
            report.add(
                "knockout-black-text",
                "warning",
                f"black (100% K) text knocks out of what is under it in {found.knockout} place(s): any "
                "misregistration shows a white halo; set it to overprint",
                number,
                source,
            )
        if found.white:
            report.add(
                "overprint-white",
                "error",
                f"white set to overprint ({', '.join(sorted(found.white))}): it disappears in print",
                number,
                source,
            )
        for colour, size in sorted(found.small.items()):
            report.add(
                "small-text-inks",
                "warning",
                f"{size:.2f} pt text in {colour} (C/M/Y/K): text under {SMALL_TEXT:g} pt in more than one ink "
                "blurs at the slightest misregistration",
                number,
                source,
            )
