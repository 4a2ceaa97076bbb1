"""CAP as a channel: alerts are "delivered" by publishing them to a feed; the Atom feed that serves them.

The address of a CAP recipient is a feed name (e.g. "public"). Exercise alerts are always published to
the exercise's own feed "exercise:<exercise_id>", whatever the address, so a drill can never reach an
actual feed; an actual alert is refused on an "exercise:" feed. The Atom feed embeds each alert as
`<content type="application/cap+xml">` (RFC 4287 §4.1.3.3), so a reader needs no second request.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from infra.channels.base import Channel
from infra.channels.cap import CapAlert, cap_alert_from_message, cap_element, cap_time, xml_text
from infra.channels.errors import CapError, ExerciseIsolationViolation, PermanentDeliveryError
from infra.channels.model import OutboundMessage

__all__ = ["ATOM_NS", "CapAlertStore", "CapChannel", "InMemoryCapAlertStore", "exercise_feed", "render_atom_feed"]

ATOM_NS = "http://www.w3.org/2005/Atom"
EXERCISE_FEED_PREFIX = "exercise:"


def exercise_feed(exercise_id: str) -> str:
    """The feed name that holds the CAP alerts of one exercise."""
    return f"{EXERCISE_FEED_PREFIX}{exercise_id}"


class CapAlertStore(Protocol):
    """Published CAP alerts by feed name."""

    async def publish(self, feed: str, alert: CapAlert) -> None:
        """Add `alert` to `feed`, replacing an earlier alert with the same identifier."""
        ...

    async def alerts(self, feed: str) -> Sequence[CapAlert]:
        """The alerts of `feed`, newest first."""
        ...


class InMemoryCapAlertStore:
    """A CapAlertStore in a dict, for tests and single-process runs."""

    def __init__(self) -> None:
        self.feeds: dict[str, dict[str, CapAlert]] = {}

    async def publish(self, feed: str, alert: CapAlert) -> None:
        """Add or replace `alert` in `feed`."""
        self.feeds.setdefault(feed, {})[alert.identifier] = alert

    async def alerts(self, feed: str) -> Sequence[CapAlert]:
        """The alerts of `feed`, newest first."""
        return sorted(self.feeds.get(feed, {}).values(), key=lambda alert: alert.sent, reverse=True)


class CapChannel(Channel):
    """Publishes a message (with CapDetails) as a CAP 1.2 alert to the feed named by the address."""

    def __init__(self, store: CapAlertStore, sender: str, name: str = "cap") -> None:
        self.name = name
        self._store = store
        self._sender = sender

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        try:
            alert = cap_alert_from_message(message, self._sender)
        except CapError as error:
            raise PermanentDeliveryError(str(error)) from error
        if message.is_exercise:
            feed = exercise_feed(message.exercise_id or "")
        elif address.startswith(EXERCISE_FEED_PREFIX):
            raise ExerciseIsolationViolation(f"actual CAP alert {message.id!r} must not go to feed {address!r}")
        else:
            feed = address
        await self._store.publish(feed, alert)


def _atom(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attributes)
    if text is not None:
        node.text = xml_text(text)
    return node


def render_atom_feed(
    alerts: Sequence[CapAlert],
    feed_id: str,
    title: str,
    updated: datetime,
    *,
    self_url: str | None = None,
    alert_url: str | None = None,
) -> str:
    """An Atom feed of `alerts`, each entry embedding its CAP alert; `alert_url` may hold "{identifier}"."""
    # Atom tags stay unqualified under a literal xmlns: ElementTree's default_namespace rejects plain attributes.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _atom(feed, "id", feed_id)
    _atom(feed, "title", title)
    _atom(feed, "updated", cap_time(updated))
    if self_url:
        _atom(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    for alert in alerts:
        info = alert.infos[0] if alert.infos else None
        entry = _atom(feed, "entry")
        _atom(entry, "id", f"{feed_id}:{alert.identifier}")
        _atom(entry, "title", (info.headline or info.event) if info else alert.identifier)
        _atom(entry, "updated", cap_time(alert.sent))
        _atom(entry, "published", cap_time(alert.sent))
        author = _atom(entry, "author")
        _atom(author, "name", (info.sender_name if info else "") or alert.sender)
        if alert_url:
            href = alert_url.replace("{identifier}", alert.identifier)
            _atom(entry, "link", rel="alternate", type="application/cap+xml", href=href)
        if info and info.description:
            _atom(entry, "summary", info.description)
        _atom(entry, "content", type="application/cap+xml").append(cap_element(alert))
    body = ET.tostring(feed, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
