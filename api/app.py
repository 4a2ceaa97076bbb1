"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.publisher import Publisher
from api.routers import health, incidents, reports
from infra.db.engine import Database
from infra.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for one deployment; the database and Kafka producer open with the app's lifespan."""
    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(config.database_url)
        await db.create_schema()
        app.state.db = db
        app.state.publisher = Publisher(config.kafka_bootstrap)
        try:
            yield
        finally:
            await app.state.publisher.close()
            await db.dispose()

    app = FastAPI(
        title="Tocsin API", version="1", lifespan=lifespan,
        description="Incident reports in, graded incidents and their response out. Writes go through Kafka.",
    )
    app.state.settings = config
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(incidents.router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(health.router, prefix=API_PREFIX)
    return app
