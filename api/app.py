"""The FastAPI application factory: the API's composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.console import mount_console
from api.deps import Services
from api.drill_catalog import ScenarioCatalog
from api.errors import AUTH
from api.guard import EdgeGuard
from api.publisher import KafkaPublisher, Publisher
from api.routers import (
    attention,
    audit,
    cap,
    cases,
    commands,
    decisions,
    drills,
    events,
    exports,
    health,
    incidents,
    me,
    playbooks,
    public_info,
    reports,
    roster,
    tabletop,
    vocabulary,
    warnings,
)
from infra.channels.cap_feed import CapAlertStore
from infra.clock import Clock, SystemClock
from infra.db.engine import Database
from infra.db.migrate import SchemaNotMigrated, check_migrated
from infra.db.retry import database_down
from infra.district import DistrictDataError, load_organisation
from infra.district.commands import apply_roster_command, follow_roster_commands
from infra.notify.cap_store import SqlCapAlertStore
from infra.settings import Settings
from playbooks import PlaybookLibrary, load_library
from playbooks.organisation import Organisation, OrganisationError

API_PREFIX = "/api/v1"
FOLLOWER_STOP_SECONDS = 5.0
"""How long shutting down waits for the roster follower to stop."""
log = structlog.get_logger("tocsin.api")

DESCRIPTION = """
Incident reports in, graded incidents and their response out. **Reads** come from the SQL read model;
**writes** are commands published to Kafka (202 + command id; `?wait=N` waits for the outcome).

**Authentication**: every endpoint except `/healthz` and `/readyz` needs `Authorization: Bearer <token>`.
Tokens are issued by `tocsin token issue USER`. 401: no or bad token; 403: wrong role, unit or exercise
(the body says which); 404: no such id, or one you may not see. Each operation lists its roles in
`x-required-roles`. See docs/api.md.
"""


def _organisation(config: Settings) -> Organisation | None:
    try:
        return load_organisation(config.district_dir)
    except (DistrictDataError, OSError) as exc:
        log.warning("startup.no_district", error=str(exc), district_dir=str(config.district_dir or "sample"))
        return None


def create_app(  # noqa: PLR0913 - the composition root: settings, then one optional override per service
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    publisher: Publisher | None = None,
    cap_alerts: CapAlertStore | None = None,
    organisation: Organisation | None = None,
    playbook_library: PlaybookLibrary | None = None,
    scenarios: ScenarioCatalog | None = None,
) -> FastAPI:
    """Build the API for one deployment. At start-up it refuses an unmigrated database (run `tocsin db upgrade`).

    Everything not given is built from `settings` at start-up: the playbook library, the organisation (from
    the district files), the publisher (Kafka; tests give an InMemoryPublisher), the wall clock. `scenarios`
    (the drill scenario catalog) comes from the composition root (tocsin/api_factory.py); without it drills
    cannot be started (503).
    """
    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await check_migrated(config.database_url)
        except SchemaNotMigrated as exc:
            log.error("startup.refused", reason=str(exc))
            raise
        db = Database(config.database_url)
        library = playbook_library or load_library(
            config.playbook_dir, selections={"food_safety": config.grading_family}
        )
        services = Services(
            settings=config,
            db=db,
            publisher=publisher
            if publisher is not None
            else KafkaPublisher(config.kafka_bootstrap, timeout=config.kafka_publish_timeout),
            clock=clock or SystemClock(),
            playbooks=library,
            organisation=organisation or _organisation(config),
            cap_alerts=cap_alerts or SqlCapAlertStore(db),
            scenarios=scenarios,
        )
        app.state.services = services
        follower = asyncio.create_task(_follow_roster(services), name="roster-follower")
        try:
            yield
        finally:
            await _stop(follower)
            await services.publisher.close()
            await db.dispose()

    app = FastAPI(title="Tocsin API", version="1", lifespan=lifespan, description=DESCRIPTION)
    for module in (
        reports,
        incidents,
        cases,
        commands,
        exports,
        roster,
        playbooks,
        audit,
        events,
        cap,
        drills,
        me,
        vocabulary,
        attention,
        decisions,
        public_info,
        warnings,
        tabletop,
    ):
        # every route here is behind a token: document 400/401/403 even where a router forgets to (schemathesis checks)
        app.include_router(module.router, prefix=API_PREFIX, responses=AUTH)
    app.include_router(health.router)
    app.include_router(health.router, prefix=API_PREFIX, include_in_schema=False)
    mount_console(app)
    _install_handlers(app)
    app.add_middleware(EdgeGuard)
    return app


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for it to end. aiokafka can swallow a cancellation that lands while its consumer
    starts (the task then goes on to wait for messages), so cancel again until it ends, within a bound."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FOLLOWER_STOP_SECONDS
    while not task.done() and loop.time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.done():
        log.warning("task.stop_timeout", task=task.get_name(), seconds=FOLLOWER_STOP_SECONDS)


async def _follow_roster(services: Services) -> None:
    """Keep the roster views current: replay and follow the roster's command log onto the loaded district."""

    async def apply(command: dict[str, Any]) -> None:
        if services.organisation is None:
            return
        try:
            services.organisation = apply_roster_command(services.organisation, command)
        except OrganisationError as exc:
            log.warning("roster.command.rejected", id=command.get("id"), reason=str(exc))

    try:
        await follow_roster_commands(
            services.settings.kafka_bootstrap, services.settings.topic("roster-commands"), apply
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # Kafka down at start-up: the views stay on the district files
        log.warning("roster.follow.failed", error=repr(exc))


def _install_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, exc: Exception) -> Response:
        if request.url.path.endswith("/reports") and hasattr(request.app.state, "services"):
            request.app.state.services.metrics.reports.labels("rejected").inc()
        assert isinstance(exc, RequestValidationError)
        return await request_validation_exception_handler(request, exc)

    async def on_database_down(request: Request, exc: Exception) -> Response:
        log.error("database.unavailable", error=repr(exc))
        return _problem(503, "the database is unavailable; try again shortly")

    async def on_crash(request: Request, exc: Exception) -> Response:
        if database_down(exc):  # e.g. asyncpg's "the database system is not yet accepting connections" at its start
            return await on_database_down(request, exc)
        request_id = getattr(request.state, "request_id", "?")
        log.exception("http.unhandled", error=repr(exc))
        return _problem(500, f"internal error (request id {request_id}); the operators' log has the details")

    app.add_exception_handler(RequestValidationError, on_validation)
    # PostgreSQL stopped or unreachable: asyncpg raises ConnectionRefusedError (an OSError SQLAlchemy does not wrap)
    # or TimeoutError on connect, InterfaceError on a dropped connection; a full pool is a PoolTimeout. All are 503.
    for unavailable in (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError):
        app.add_exception_handler(unavailable, on_database_down)
    app.add_exception_handler(Exception, on_crash)


def _problem(code: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=code)
