"""The `tocsin` command: the composition root that starts and operates every part of the platform."""
