"""The build: one driver of named steps used by every command that makes outputs."""
