"""API fixtures: the app in-process over httpx.ASGITransport, a migrated SQLite database and users with tokens
for every role.

Two ways to publish: `app`/`client` record what the API publishes in an InMemoryPublisher (`publisher`) and
need no broker (their settings point Kafka at a closed port, so nothing reaches one by accident);
`broker_app`/`broker_client` publish to the real Kafka broker under a topic prefix of this session, for the
tests that check what really lands on Kafka (they use `kafka_bootstrap`, so they are marked `broker`).

The in-memory app is built once per session: FastAPI prepares each route on its first request, once per app,
and that costs more than most tests. Each test still runs the app's lifespan afresh, so it gets new services
(database handle, metrics, roster views) on a fresh copy of the migrated database, and an emptied publisher.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.publisher import InMemoryPublisher
from infra.db import users
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.district import load_organisation
from infra.kafka.admin import ensure_topics
from infra.settings import Settings
from playbooks import PlaybookLibrary, load_library
from playbooks.organisation import Organisation
from tests.integration.db import seed
from tocsin.drill_catalog import FileScenarioCatalog

TOPICS = ("reports", "incident-commands", "incident-events", "roster-commands", "drill-commands", "drill-events")
EXERCISE = "ex-2026-06"
NO_BROKER = "127.0.0.1:1"
"""Where the in-memory tests' settings point Kafka: a closed port (the roster follower and /readyz fail fast)."""

ROLE_USERS = {
    # user name: (roles, unit, exercise)
    "duty": (("duty_officer",), None, None),
    "chief": (("commander",), None, None),
    "cdc1": (("unit_responder",), "cdc", None),
    "controller": (("drill_controller",), None, EXERCISE),
    "watcher": (("observer",), None, None),
    "drill_watcher": (("observer",), None, EXERCISE),
    "drill_duty": (("duty_officer",), None, EXERCISE),
    "drill_evaluator": (("evaluator",), None, EXERCISE),
    "drill_town": (("unit_responder",), "town_office", EXERCISE),
}
ROLE_OF = {
    "duty_officer": "duty",
    "commander": "chief",
    "unit_responder": "cdc1",
    "drill_controller": "controller",
    "observer": "watcher",
}


@pytest.fixture(scope="session")
async def topic_prefix(kafka_bootstrap: str) -> str:
    """A topic prefix of this test session, with the API's topics created (1 partition: ordered reads)."""
    prefix = f"apitest-{uuid.uuid4().hex[:8]}."
    await ensure_topics(kafka_bootstrap, [prefix + t for t in TOPICS], 1)
    return prefix


@dataclass
class Tokens:
    """Bearer tokens of the test users, by user name."""

    by_user: dict[str, str]

    def headers(self, user: str) -> dict[str, str]:
        """The Authorization header of `user`."""
        return {"Authorization": f"Bearer {self.by_user[user]}"}

    def role(self, role: str) -> dict[str, str]:
        """The Authorization header of the actual-scope user holding only `role`."""
        return self.headers(ROLE_OF[role])


@dataclass(frozen=True)
class Template:
    """A migrated SQLite file with one user per role (and exercise-scoped ones), and their tokens."""

    path: Path
    tokens: Tokens


@pytest.fixture(scope="session")
async def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The database each test copies (migrating and adding the users once per session keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "tocsin.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        issued = {}
        for name, (roles, unit, exercise) in ROLE_USERS.items():
            await users.add_user(database, name, roles=roles, unit=unit, exercise_id=exercise, now=seed.T0)
            issued[name] = await users.issue_token(database, name, now=seed.T0)
    finally:
        await database.dispose()
    return Template(path, Tokens(issued))


@pytest.fixture(scope="session")
def organisation() -> Organisation:
    """The sample district, loaded once."""
    return load_organisation()


@pytest.fixture(scope="session")
def library() -> PlaybookLibrary:
    """The built-in playbooks, loaded once."""
    return load_library(selections={"food_safety": "family_a"})


@pytest.fixture(scope="session")
def scenarios(library: PlaybookLibrary) -> FileScenarioCatalog:
    """The sample drill scenarios, as `tocsin run` gives them to the API."""
    return FileScenarioCatalog(library)


@pytest.fixture(scope="session")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API's SQLite file; `db` puts a fresh copy of the template there for each test."""
    return tmp_path_factory.mktemp("api") / "api.db"


@pytest.fixture(scope="session")
def settings(database_file: Path) -> Settings:
    """Settings of the API under test: the SQLite file `db` prepares, and no broker (Kafka at a closed port)."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{database_file}",
        kafka_bootstrap=NO_BROKER,
        topic_prefix="apitest-memory.",
        data_dir=database_file.parent / "var",
    )


@pytest.fixture
def broker_settings(settings: Settings, kafka_bootstrap: str, topic_prefix: str) -> Settings:
    """The test's settings on the real broker, with the session's topics."""
    return settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap, "topic_prefix": topic_prefix})


@pytest.fixture
async def db(settings: Settings, database_file: Path, template: Template) -> AsyncIterator[Database]:
    """The test's database: a fresh copy of the template (the last test's WAL files removed)."""
    for leftover in ("-wal", "-shm"):
        database_file.with_name(database_file.name + leftover).unlink(missing_ok=True)
    shutil.copyfile(template.path, database_file)
    database = Database(settings.database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def tokens(db: Database, template: Template) -> Tokens:
    """One user per role (and exercise-scoped ones) in the test's database, each with a token."""
    return template.tokens


@pytest.fixture(scope="session")
def session_publisher() -> InMemoryPublisher:
    """The in-memory app's publisher (see `publisher`)."""
    return InMemoryPublisher()


@pytest.fixture
def publisher(session_publisher: InMemoryPublisher) -> InMemoryPublisher:
    """What the test's `app` publishes, recorded instead of sent: empty, and taking messages, at the start."""
    session_publisher.published.clear()
    session_publisher.recover()
    return session_publisher


@pytest.fixture(scope="session")
def memory_app(
    settings: Settings,
    session_publisher: InMemoryPublisher,
    organisation: Organisation,
    library: PlaybookLibrary,
    scenarios: FileScenarioCatalog,
) -> FastAPI:
    """The API publishing into the in-memory publisher, built once (its lifespan runs in `app`)."""
    return create_app(
        settings, publisher=session_publisher, organisation=organisation, playbook_library=library, scenarios=scenarios
    )


@pytest.fixture
async def app(memory_app: FastAPI, db: Database, publisher: InMemoryPublisher) -> AsyncIterator[FastAPI]:
    """The API with its lifespan running on the test's database, publishing into `publisher` (no broker)."""
    async with memory_app.router.lifespan_context(memory_app):
        yield memory_app


@pytest.fixture
async def broker_app(
    broker_settings: Settings,
    db: Database,
    organisation: Organisation,
    library: PlaybookLibrary,
    scenarios: FileScenarioCatalog,
) -> AsyncIterator[FastAPI]:
    """The API with its lifespan running on the real broker (Kafka producer on first use, roster follower)."""
    application = create_app(broker_settings, organisation=organisation, playbook_library=library, scenarios=scenarios)
    async with application.router.lifespan_context(application):
        yield application


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://tocsin.test")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the in-memory app in-process."""
    async with _client(app) as http:
        yield http


@pytest.fixture
async def broker_client(broker_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking in-process to the app on the real broker."""
    async with _client(broker_app) as http:
        yield http
