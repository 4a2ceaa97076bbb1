"""The worker's database handle: one engine per process, made on first use inside the worker's loop."""

from __future__ import annotations

from functools import cache

from infra.db.engine import Database
from streams.app import settings


@cache
def database() -> Database:
    """The read model and delivery log of this deployment."""
    return Database(settings.database_url)
