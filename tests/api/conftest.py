"""API fixtures: the app in-process over httpx.ASGITransport, a migrated SQLite database, users with tokens
for every role, and the real Kafka broker under a topic prefix of its own (commands really are published)."""

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

ROLE_USERS = {
    # user name: (roles, unit, exercise)
    "duty": (("duty_officer",), None, None),
    "chief": (("commander",), None, None),
    "cdc1": (("unit_responder",), "cdc", None),
    "controller": (("drill_controller",), None, EXERCISE),
    "watcher": (("observer",), None, None),
    "drill_watcher": (("observer",), None, EXERCISE),
    "drill_duty": (("duty_officer",), None, EXERCISE),
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


@pytest.fixture(scope="session")
async def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once per session keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "tocsin.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


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


@pytest.fixture
def settings(tmp_path: Path, kafka_bootstrap: str, topic_prefix: str) -> Settings:
    """Settings of one test's API: its own SQLite file, the session's topics."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        data_dir=tmp_path / "var",
    )


@pytest.fixture
async def db(settings: Settings, migrated_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """The test's database, migrated."""
    shutil.copyfile(migrated_template, tmp_path / "api.db")
    database = Database(settings.database_url)
    try:
        yield database
    finally:
        await database.dispose()


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


@pytest.fixture
async def tokens(db: Database) -> Tokens:
    """One user per role (and exercise-scoped ones), each with a token."""
    issued = {}
    for name, (roles, unit, exercise) in ROLE_USERS.items():
        await users.add_user(db, name, roles=roles, unit=unit, exercise_id=exercise, now=seed.T0)
        issued[name] = await users.issue_token(db, name, now=seed.T0)
    return Tokens(issued)


@pytest.fixture
async def app(
    settings: Settings,
    db: Database,
    organisation: Organisation,
    library: PlaybookLibrary,
    scenarios: FileScenarioCatalog,
) -> AsyncIterator[FastAPI]:
    """The API with its lifespan running (database checked, Kafka producer on first use)."""
    application = create_app(settings, organisation=organisation, playbook_library=library, scenarios=scenarios)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://tocsin.test") as http:
        yield http
