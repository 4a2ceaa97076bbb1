"""The worker roles (streams/worker.py). Importing this builds no app, so the CLI checks a role before it does."""

from __future__ import annotations

ALL = "all"
ROLES = ("intake", "writer", "notifier", "projector")
"""The scalable roles; `all` runs every one of them in one process (and one consumer group)."""


class UnknownRole(ValueError):
    """A worker role that does not exist."""


def check_role(role: str) -> str:
    """`role` if it is `all` or one of ROLES; raise UnknownRole naming the choices."""
    if role != ALL and role not in ROLES:
        raise UnknownRole(f"TOCSIN_WORKER_ROLE: unknown role {role!r} (choose {ALL}, {', '.join(ROLES)})")
    return role
