"""Stage 6: read written PDFs back and check what they promise."""
