"""One module per CLI command; each turns options into calls on the pipeline stages."""
