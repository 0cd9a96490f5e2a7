"""Stage 3: prepare content for the layout: Markdown bodies, images, fonts."""
