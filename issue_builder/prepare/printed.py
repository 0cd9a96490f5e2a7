"""Which manifest values the layout prints: what is checked for glyphs and what proof marks are traced to."""

from __future__ import annotations

from issue_builder.load.yaml_source import KeyPath

# Manifest text the layout prints (alt texts, slugs and settings it does not print are left out).
ISSUE_TEXTS: tuple[KeyPath, ...] = (
    ("periodical", "name"),
    ("periodical", "tagline"),
    ("periodical", "publisher"),
    ("periodical", "issn"),
    ("periodical", "website"),
    ("date_label",),
    ("cover", "credit"),
    ("contact", "text"),
    ("contact", "email"),
    ("contact", "phone"),
    ("contact", "address"),
    ("contact", "web"),
    ("notice",),
)
ARTICLE_TEXTS: tuple[KeyPath, ...] = (
    ("kicker",),
    ("section",),
    ("title",),
    ("dek",),
    ("author",),
    ("image", "caption"),
    ("image", "credit"),
)
