"""End-to-end fixtures: one platform (worker + API) per test session, on the real broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.platform import Platform


@pytest.fixture(scope="session")
def platform(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A running worker and API under a fresh topic prefix and database."""
    running = Platform(bootstrap=kafka_bootstrap, workdir=Path(tmp_path_factory.mktemp("platform")))
    running.start("worker")
    running.start("api")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop_all()
