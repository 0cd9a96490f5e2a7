"""issue-builder: lays out a numbered periodical from a YAML manifest into print and web PDFs."""

__version__ = "0.1.0"
