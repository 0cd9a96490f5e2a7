"""Stage 2: turn merged manifest data into the typed model, collecting every error."""
