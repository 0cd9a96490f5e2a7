"""The boxes WeasyPrint laid a page out in, for the checks of the laid-out pages: read through `page_root` alone."""

from __future__ import annotations


def page_root(page):  # a weasyprint.Page -> its weasyprint PageBox
    """The page's root box: every box placed on the page is among its descendants.

    WeasyPrint has no public API for it: a `weasyprint.Page` offers its size, bleed, links, anchors, bookmarks and
    forms, while the overflow, title-fit and image-resolution checks need the boxes themselves, which it keeps in the
    private `_page_box`. This is the one place that reads it, so that a WeasyPrint release renaming it breaks here.
    """
    return page._page_box
