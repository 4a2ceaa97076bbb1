"""Everything the worker runs: importing this module registers every agent and timer on the app."""

from __future__ import annotations

import faust

from streams import agents, incident_agent, notifier, projector, roster
from streams.app import app, ready_marker, settings

__all__ = ["TocsinWorker", "agents", "app", "incident_agent", "notifier", "projector", "roster"]


class TocsinWorker(faust.Worker):
    """faust's worker, which also touches the ready marker once the app has fully started."""

    async def on_startup_finished(self) -> None:
        """Say ready (log line and marker file) once tables are recovered and agents run."""
        await super().on_startup_finished()
        ready_marker(settings).touch()
