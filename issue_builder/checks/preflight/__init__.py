"""Preflight: an independent check of any PDF against the print profile, as a printer's preflight runs it."""
