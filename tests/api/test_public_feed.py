"""The public CAP feed is public: no token needed, and it holds only actual, public alerts; other feeds need one."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx

from infra.channels import CapAlert, CapInfo
from infra.channels.cap import CAP_NS
from infra.db.engine import Database
from infra.notify.cap_store import SqlCapAlertStore
from tests.api.conftest import Tokens

SENT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def alert(identifier: str, *, status: str = "Actual", scope: str = "Public") -> CapAlert:
    """A CAP alert as the notifier stores it."""
    info = CapInfo(event="食品安全事故", urgency="Expected", severity="Minor", certainty="Observed", headline="通报")
    restriction = "duty office" if scope == "Restricted" else None
    return CapAlert(identifier, "tocsin@x.gov.cn", SENT, status, "Alert", scope, (info,), restriction=restriction)


def identifiers(reply: httpx.Response) -> set[str]:
    """The CAP identifiers in an Atom feed."""
    return {
        a.findtext(f"{{{CAP_NS}}}identifier") or "" for a in ET.fromstring(reply.content).iter(f"{{{CAP_NS}}}alert")
    }


async def test_anyone_reads_the_public_feed_and_it_holds_only_actual_public_alerts(
    client: httpx.AsyncClient, db: Database
) -> None:
    store = SqlCapAlertStore(db)
    await store.publish("public", alert("a-1"))
    await store.publish("public", alert("x-1", status="Exercise"))
    await store.publish("public", alert("r-1", scope="Restricted"))
    reply = await client.get("/api/v1/cap/feed")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/atom+xml")
    assert identifiers(reply) == {"a-1"}


async def test_another_feed_needs_a_token(client: httpx.AsyncClient, db: Database, tokens: Tokens) -> None:
    await SqlCapAlertStore(db).publish("restricted", alert("r-2", scope="Restricted"))
    assert (await client.get("/api/v1/cap/feed", params={"feed": "restricted"})).status_code == 401
    reply = await client.get("/api/v1/cap/feed", params={"feed": "restricted"}, headers=tokens.role("observer"))
    assert identifiers(reply) == {"r-2"}


async def test_a_bad_token_is_refused_even_for_the_public_feed(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/cap/feed", headers={"Authorization": "Bearer tocsin_not-a-token"})
    assert reply.status_code == 401
