"""The read model is a projection: rebuilding it from the event log gives identical tables."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.db.engine import Database
from infra.db.rebuild import table_rows
from tests.e2e.conftest import PlatformFactory
from tests.e2e.platform import incident_for_venue
from tests.factories import report_dict

pytestmark = pytest.mark.e2e


async def test_projector_rebuild_reproduces_the_read_model(make_platform: PlatformFactory, tmp_path: Path) -> None:
    running = make_platform()
    reports = [report_dict(venue_type="school", facts={"cases": 60}), report_dict(facts={"cases": 5})]
    with running.client() as client:
        for report in reports:
            assert client.post("/api/v1/reports", json=report).status_code == 202

    def both_open() -> bool:
        return all(incident_for_venue(running, r["location"]["venue"]) for r in reports)

    running.wait_for(both_open, what="both incidents")
    live = Database(running.env["TOCSIN_DATABASE_URL"])
    previous: object = None
    for _ in range(60):  # until deliveries and their timeline entries have settled
        current = await table_rows(live)
        if current == previous:
            break
        previous = current
        await asyncio.sleep(1)
    running.kill("worker")

    rebuilt_url = f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}"
    command = [sys.executable, "-m", "tocsin", "projector", "rebuild", "--database-url", rebuilt_url]
    await asyncio.to_thread(
        subprocess.run, command, env={**os.environ, **running.env}, check=True, capture_output=True, timeout=120
    )
    rebuilt = Database(rebuilt_url)
    try:
        expected = await table_rows(live)
        assert await table_rows(rebuilt) == expected
        # replaying the whole log again over the rebuilt database (upserts) changes nothing
        await asyncio.to_thread(
            subprocess.run, command, env={**os.environ, **running.env}, check=True, capture_output=True, timeout=120
        )
        assert await table_rows(rebuilt) == expected
    finally:
        await rebuilt.dispose()
        await live.dispose()
