"""Property-based checks of the whole API against its own OpenAPI document (schemathesis).

A real server (uvicorn) on a migrated SQLite database with a small world in it; every operation gets a
bounded number of generated requests, authenticated as a commander. No response may be a 5xx, and every
response must match the documented status codes, content types and schemas. The SSE stream is left out:
it never ends by design (tests/api/test_live_feed.py covers it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from infra.db import users
from infra.db.drills import apply_drill_event
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.settings import Settings
from playbooks import PlaybookLibrary
from playbooks.organisation import Organisation
from tests.api import world
from tests.api.server import serving
from tests.integration.db import drill_events, seed
from tocsin.drill_catalog import FileScenarioCatalog

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


async def _prepare(url: str) -> str:
    await upgrade(url)
    db = Database(url)
    try:
        await world.build(db)
        for event in (
            drill_events.updated(3, exercise_id="EX-school_canteen-20261130043000-3f9a"),
            drill_events.updated(9, exercise_id="EX-finished", state="finished"),
            drill_events.report(exercise_id="EX-finished"),
        ):
            await apply_drill_event(db, event)
        await seed.add(db, seed.incident("inc-2f3a9c", level="III"), seed.action("inc-2f3a9c", "sampling"))
        await users.add_user(db, "fuzzer", roles=("commander", "duty_officer"), now=seed.T0)
        return await users.issue_token(db, "fuzzer", now=seed.T0)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    kafka_bootstrap: str,
    topic_prefix: str,
    organisation: Organisation,
    library: PlaybookLibrary,
    scenarios: FileScenarioCatalog,
) -> Iterator[tuple[str, str]]:
    """(base URL, token) of a served API."""
    path = Path(tmp_path_factory.mktemp("fuzz")) / "tocsin.db"
    config = Settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        data_dir=path.parent / "var",
    )
    loop = asyncio.new_event_loop()
    try:
        token = loop.run_until_complete(_prepare(config.database_url))
    finally:
        loop.close()
    with serving(create_app(config, organisation=organisation, playbook_library=library, scenarios=scenarios)) as base:
        yield base, token


# The document is the app's own (building the app touches no network); requests go to the live server.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi()).exclude(path="/api/v1/events/stream")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_the_api_keeps_its_contract(case: Case[Any], live: tuple[str, str]) -> None:
    base, token = live
    if case.query and "wait" in case.query:
        case.query["wait"] = 0  # no worker runs here: waiting would only time out (test_commands.py covers ?wait)
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)
