"""Fixtures shared by every test suite: the Kafka broker requirement, and the markers of what a test needs.

Markers (pyproject.toml): `broker` (the Kafka broker), `postgres` (the PostgreSQL server), `subprocess` (starts
processes), `e2e` (real platform processes). `make unit` runs the tests with none of them. Those that follow
from a test's fixtures or other markers are set here, at collection, so they cannot be forgotten:
`kafka_bootstrap` (directly or through another fixture) means `broker`, `make_platform` (tests/e2e) means
`subprocess`, and `e2e` means both. The rest are set explicitly where the test is (e.g. the PostgreSQL
parameter of tests/integration/db).
"""

from __future__ import annotations

import asyncio
import os

import pytest

from infra.kafka.admin import probe

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
MARKER_OF_FIXTURE = {"kafka_bootstrap": "broker", "make_platform": "subprocess"}
"""A test using this fixture, directly or through others, gets this marker."""
MARKERS_OF_MARKER = {"e2e": ("broker", "subprocess")}
"""A test with this marker also gets these."""


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with what its fixtures and markers imply (MARKER_OF_FIXTURE, MARKERS_OF_MARKER)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        implied = {marker for fixture, marker in MARKER_OF_FIXTURE.items() if fixture in fixtures}
        for marker, also in MARKERS_OF_MARKER.items():
            if item.get_closest_marker(marker) is not None:
                implied.update(also)
        for marker in sorted(implied):
            item.add_marker(marker)


def broker_bootstrap() -> str:
    """Where the test broker is: TOCSIN_KAFKA_BOOTSTRAP, else the local broker `make test` starts."""
    return os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP)


def require_broker(bootstrap: str) -> None:
    """Fail (under CI=true) or skip (elsewhere) when no broker answers at `bootstrap`."""
    if asyncio.run(probe(bootstrap, timeout=10.0)):
        return
    message = (
        f"no Kafka broker answers at {bootstrap} (or it refuses this process's credentials, see "
        "infra/kafka/security.py); start one with `tocsin kafka start` (make test does)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap address of a reachable broker (fails under CI=true when there is none)."""
    bootstrap = broker_bootstrap()
    require_broker(bootstrap)
    return bootstrap
