"""Allows `python -m issue_builder`."""

from issue_builder.cli import main

main()
