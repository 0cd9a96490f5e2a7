"""Layout: the prepared issue through the templates into HTML, and WeasyPrint's layout of it."""
