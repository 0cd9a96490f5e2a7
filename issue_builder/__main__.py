"""Allows `python -m issue_builder`."""

from issue_builder.cli import main

if __name__ == "__main__":  # worker processes of `render -j` import this module again
    main()
