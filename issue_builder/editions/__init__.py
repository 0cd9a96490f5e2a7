"""Editions: the laid-out issue finished into the print, web and proof PDFs and the web page."""
