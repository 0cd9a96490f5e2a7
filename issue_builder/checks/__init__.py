"""Checks: the written PDFs read back, the editorial lint and the preflight."""
