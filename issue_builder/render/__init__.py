"""Stage 4: render the prepared issue into HTML through the layout chain."""
