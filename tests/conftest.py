"""Fixtures shared by every test suite: the Kafka broker requirement."""

from __future__ import annotations

import asyncio
import os

import pytest

from infra.kafka.admin import probe

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def broker_bootstrap() -> str:
    """Where the test broker is: TOCSIN_KAFKA_BOOTSTRAP, else the local broker `make test` starts."""
    return os.environ.get("TOCSIN_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP)


def require_broker(bootstrap: str) -> None:
    """Fail (under CI=true) or skip (elsewhere) when no broker answers at `bootstrap`."""
    if asyncio.run(probe(bootstrap, timeout=10.0)):
        return
    message = f"no Kafka broker answers at {bootstrap}; start one with `tocsin kafka start` (make test does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The bootstrap address of a reachable broker (fails under CI=true when there is none)."""
    bootstrap = broker_bootstrap()
    require_broker(bootstrap)
    return bootstrap
