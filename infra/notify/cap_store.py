"""CAP alerts in the SQL database: the notifier publishes, the API serves the Atom feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from infra.channels import CapAlert, CapArea, CapInfo
from infra.db.engine import Database
from infra.db.models import CapAlertRow


def alert_to_json(alert: CapAlert) -> dict[str, Any]:
    """A JSON-ready form of an alert."""
    data = asdict(alert)
    data["sent"] = alert.sent.isoformat()
    return data


def alert_from_json(data: dict[str, Any]) -> CapAlert:
    """Rebuild an alert stored by `alert_to_json`."""
    infos = tuple(
        CapInfo(
            **{
                **info,
                "category": tuple(info.get("category") or ()),
                "areas": tuple(CapArea(**area) for area in info.get("areas") or ()),
            }
        )
        for info in data.get("infos") or ()
    )
    return CapAlert(
        **{
            **data,
            "sent": datetime.fromisoformat(data["sent"]),
            "infos": infos,
            "references": tuple(data.get("references") or ()),
        }
    )


class SqlCapAlertStore:
    """CapAlertStore over the `cap_alerts` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def publish(self, feed: str, alert: CapAlert) -> None:
        """Add or replace `alert` in `feed`."""
        values = {"feed": feed, "identifier": alert.identifier, "sent": alert.sent, "alert": alert_to_json(alert)}
        statement = self.db.insert(CapAlertRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[CapAlertRow.feed, CapAlertRow.identifier],
            set_={"sent": values["sent"], "alert": values["alert"]},
        )
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def alerts(self, feed: str, limit: int = 100) -> Sequence[CapAlert]:
        """The alerts of `feed`, newest first."""
        query = select(CapAlertRow).where(CapAlertRow.feed == feed).order_by(CapAlertRow.sent.desc()).limit(limit)
        async with self.db.session() as session:
            return [alert_from_json(row.alert) for row in (await session.scalars(query)).all()]
