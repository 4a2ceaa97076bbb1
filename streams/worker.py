"""Everything the worker runs: importing this module registers every agent and timer on the app."""

from __future__ import annotations

from streams import agents, notifier, projector
from streams.app import app

__all__ = ["agents", "app", "notifier", "projector"]
