"""Dependencies shared by the routers: the app's services (built once at start-up) and the caller's address."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.drill_catalog import ScenarioCatalog
from api.metrics import ApiMetrics
from api.publisher import Publisher
from infra.channels.cap_feed import CapAlertStore, InMemoryCapAlertStore
from infra.clock import Clock
from infra.db.engine import Database
from infra.settings import Settings
from playbooks import PlaybookLibrary
from playbooks.organisation import Organisation


@dataclass
class Services:
    """Everything the routers use, built by the app's lifespan (the composition root of the API)."""

    settings: Settings
    db: Database
    publisher: Publisher
    clock: Clock
    playbooks: PlaybookLibrary
    organisation: Organisation | None
    cap_alerts: CapAlertStore = field(default_factory=InMemoryCapAlertStore)
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    scenarios: ScenarioCatalog | None = None
    """Drill scenarios (given by the composition root, tocsin/api_factory.py); None: drills cannot be started."""


def services(request: Request) -> Services:
    """The app's services (a plain function, for code that already holds the request)."""
    found: Services = request.app.state.services
    return found


# The dependencies below are `async def` although they do no I/O: FastAPI runs a sync dependency in its
# thread pool, a hop that costs more than the lookup itself on every request.


async def services_dependency(request: Request) -> Services:
    """The app's services."""
    return services(request)


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return services(request).settings


async def get_db(request: Request) -> Database:
    """The app's database handle."""
    return services(request).db


async def get_publisher(request: Request) -> Publisher:
    """The app's publisher (Kafka, unless create_app was given another)."""
    return services(request).publisher


async def get_clock(request: Request) -> Clock:
    """Where the API's time comes from."""
    return services(request).clock


async def client_ip(request: Request) -> str | None:
    """The caller's address as the socket sees it (put a proxy's X-Forwarded-For handling in the proxy)."""
    return request.client.host if request.client else None


ServicesDep = Annotated[Services, Depends(services_dependency)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ClientIp = Annotated[str | None, Depends(client_ip)]
