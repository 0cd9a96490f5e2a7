"""`issue-builder import`: a writer's document (.docx, .odt, .html, .md) into a Markdown article of an issue."""
