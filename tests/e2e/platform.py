"""The platform of the end-to-end tests (bench/platform.py, shared with the benchmarks) and API read helpers."""

from __future__ import annotations

from typing import Any

from bench.platform import Platform
from bench.receivers import free_port

__all__ = ["Platform", "free_port", "incident_detail", "incident_for_venue", "incidents", "post_report", "timeline"]


def incidents(platform: Platform, **params: Any) -> list[dict[str, Any]]:
    """The API's incident list."""
    with platform.client() as client:
        reply = client.get("/api/v1/incidents", params=params)
        reply.raise_for_status()
        items: list[dict[str, Any]] = reply.json()["items"]
        return items


def incident_for_venue(platform: Platform, venue: str) -> dict[str, Any] | None:
    """The incident at `venue`, if the read model has one."""
    for item in incidents(platform):
        if item["location"].get("venue") == venue:
            return item
    return None


def timeline(platform: Platform, incident_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The incident's timeline entries (of one event type, if given)."""
    with platform.client() as client:
        entries: list[dict[str, Any]] = client.get(f"/api/v1/incidents/{incident_id}/timeline").json()
    return [e for e in entries if kind is None or e["type"] == kind]


def post_report(platform: Platform, report: dict[str, Any]) -> None:
    """Post a report and insist on 202 (durably on the reports topic)."""
    with platform.client() as client:
        reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 202, reply.text


def incident_detail(platform: Platform, incident_id: str) -> dict[str, Any]:
    """The API's view of one incident."""
    with platform.client() as client:
        body: dict[str, Any] = client.get(f"/api/v1/incidents/{incident_id}").json()
        return body
