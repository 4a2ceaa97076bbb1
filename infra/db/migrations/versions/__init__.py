"""Migration scripts, oldest first (see docs/adr/0011-migrations-and-startup-check.md)."""
