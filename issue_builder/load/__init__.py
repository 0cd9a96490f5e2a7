"""Stage 1: read manifest files into plain data with the source line of every key."""
