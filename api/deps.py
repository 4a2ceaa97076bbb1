"""Dependencies shared by the routers: settings, database, publisher."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.publisher import Publisher
from infra.db.engine import Database
from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    """The app's database handle."""
    db: Database = request.app.state.db
    return db


def get_publisher(request: Request) -> Publisher:
    """The app's Kafka publisher."""
    publisher: Publisher = request.app.state.publisher
    return publisher


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
