"""What a worker process runs: importing this module registers the agents and timers of the configured role.

| role      | agents (consumer group `<prefix><role>`)              | state                          |
|-----------|-------------------------------------------------------|--------------------------------|
| intake    | intake (reports), correlate (reports.accepted)        | `correlations` table           |
| writer    | incident (incident-commands), the deadline sweep      | `incidents` table              |
| notifier  | notify (incident-events), the roster follower         | delivery log in the database   |
| projector | projector (incident-events), drill projector          | the SQL read model             |
| all       | every agent above in one process (`<prefix>worker`)   |                                |
"""

from __future__ import annotations

from importlib import import_module

import faust

from streams.app import ALL, ROLES, app, check_role, ready_marker, settings

MODULES: dict[str, tuple[str, ...]] = {
    "intake": ("streams.agents",),
    "writer": ("streams.incident_agent",),
    "notifier": ("streams.notifier", "streams.roster"),
    "projector": ("streams.projector", "streams.drill_projector"),
}
"""The modules whose import registers each role's agents, tables and timers on the app."""


def register(role: str) -> list[str]:
    """Import the agent modules of `role` (every role's for `all`); return their names."""
    roles = ROLES if check_role(role) == ALL else (role,)
    names = [name for r in roles for name in MODULES[r]]
    for name in names:
        import_module(name)
    return names


registered = register(settings.worker_role)

__all__ = ["TocsinWorker", "app", "registered"]


class TocsinWorker(faust.Worker):
    """faust's worker, which also touches the ready marker once the app has fully started."""

    async def on_startup_finished(self) -> None:
        """Say ready (log line and marker file) once tables are recovered and agents run."""
        await super().on_startup_finished()
        ready_marker(settings).touch()
