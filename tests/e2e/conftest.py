"""End-to-end fixtures: real local receivers, a district reachable on them, and platforms on the real broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.district import district_on_receivers
from tests.e2e.platform import Platform
from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver

PlatformFactory = Callable[..., Platform]


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    """A real SMTP server on 127.0.0.1 that records every mail."""
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def http() -> Iterator[HttpReceiver]:
    """A real HTTP server on 127.0.0.1 that records every webhook call."""
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def district(tmp_path_factory: pytest.TempPathFactory, http: HttpReceiver) -> Path:
    """The sample district, every person reachable by e-mail and webhook on the local receivers."""
    return district_on_receivers(Path(tmp_path_factory.mktemp("district")), webhook_base=http.url)


@pytest.fixture(scope="session")
def make_platform(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpReceiver, district: Path
) -> Iterator[PlatformFactory]:
    """Start platforms (worker + API) delivering to the local receivers; all are stopped at the end."""
    started: list[Platform] = []

    def start(*, district_dir: Path | None = None, **env: str) -> Platform:
        running = Platform(
            bootstrap=kafka_bootstrap,
            workdir=Path(tmp_path_factory.mktemp("platform")),
            extra_env={
                "TOCSIN_DISTRICT_DIR": str(district_dir or district),
                "TOCSIN_NOTIFY_CHANNELS": "email,webhook",
                "TOCSIN_SMTP_HOST": smtp.host,
                "TOCSIN_SMTP_PORT": str(smtp.port),
                "TOCSIN_NOTIFY_RETRY_BASE_DELAY": "0.2",
                "TOCSIN_NOTIFY_RETRY_MAX_DELAY": "1",
                "TOCSIN_SWEEP_INTERVAL": "1",
                **env,
            },
        )
        started.append(running)
        running.start("worker")
        running.start("api")
        running.wait_ready()
        running.wait_worker_ready()
        return running

    try:
        yield start
    finally:
        for running in started:
            running.stop_all()


@pytest.fixture(scope="session")
def platform(make_platform: PlatformFactory) -> Platform:
    """The shared platform: its clock runs at 120× so deadlines and escalations happen within seconds."""
    return make_platform(TOCSIN_CLOCK_SPEED="120")


@pytest.fixture(scope="module")
def drills_platform(make_platform: PlatformFactory) -> Iterator[Platform]:
    """Worker, API and the drill service under one prefix (one platform per test module)."""
    platform = make_platform()
    platform.start("drills")
    platform.wait_drills_ready()
    yield platform
    platform.kill("drills")
