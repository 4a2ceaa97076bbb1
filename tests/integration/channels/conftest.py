"""Fixtures for channel tests: real local HTTP and SMTP receivers and an httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    """A running HTTP receiver."""
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A running SMTP receiver."""
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client with short timeouts."""
    async with httpx.AsyncClient(timeout=5.0) as http_client:
        yield http_client
