"""Base layer: the typed model, diagnostics, paths, atomic writing and caches; imports no stage."""
