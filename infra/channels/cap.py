"""CAP 1.2 alerts (OASIS Common Alerting Protocol): plain data, checked when built, rendered with ElementTree.

Response levels map to CAP severity: I 特别重大 → Extreme, II 重大 → Severe, III 较大 → Moderate,
IV 一般 → Minor; anything else (non-graded, unknown) → Unknown. Exercise messages render as status=Exercise
with a note naming the exercise. Text is set on elements, never concatenated into XML, and characters that
XML 1.0 forbids are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from infra.channels.errors import CapError
from infra.channels.model import OutboundMessage
from infra.channels.templates import EXERCISE_MARK

__all__ = [
    "CAP_NS",
    "LEVEL_SEVERITY",
    "CapAlert",
    "CapArea",
    "CapInfo",
    "cap_alert_from_message",
    "cap_element",
    "cap_time",
    "render_cap_alert",
    "severity_for_level",
    "xml_text",
]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ET.register_namespace("cap", CAP_NS)

LEVEL_SEVERITY = {"I": "Extreme", "II": "Severe", "III": "Moderate", "IV": "Minor"}
STATUSES = frozenset({"Actual", "Exercise", "System", "Test", "Draft"})
MSG_TYPES = frozenset({"Alert", "Update", "Cancel", "Ack", "Error"})
SCOPES = frozenset({"Public", "Restricted", "Private"})
CATEGORIES = frozenset(
    {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}
)
URGENCIES = frozenset({"Immediate", "Expected", "Future", "Past", "Unknown"})
SEVERITIES = frozenset({"Extreme", "Severe", "Moderate", "Minor", "Unknown"})
CERTAINTIES = frozenset({"Observed", "Likely", "Possible", "Unlikely", "Unknown"})
_FORBIDDEN_IN_IDS = re.compile(r"[\s,<&]")
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def severity_for_level(level: str | None) -> str:
    """The CAP severity of a response level (I→Extreme … IV→Minor, else Unknown)."""
    return LEVEL_SEVERITY.get(level or "", "Unknown")


def cap_time(moment: datetime) -> str:
    """A CAP date-time: whole seconds, numeric offset, UTC as -00:00 (CAP 1.2 §3.3.2)."""
    offset = moment.utcoffset()
    if offset is None:
        raise CapError(f"CAP times need a UTC offset: {moment!r}")
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if offset == timedelta(0) else text


def _one_of(value: str, allowed: frozenset[str], what: str) -> None:
    if value not in allowed:
        raise CapError(f"CAP {what} {value!r} is not one of {sorted(allowed)}")


@dataclass(frozen=True)
class CapArea:
    """An affected area: a description and, when known, the administrative division code."""

    area_desc: str
    admin_code: str | None = None


@dataclass(frozen=True)
class CapInfo:
    """One <info> block."""

    event: str
    urgency: str
    severity: str
    certainty: str
    category: Sequence[str] = ("Health",)
    language: str = "zh-CN"
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    areas: Sequence[CapArea] = ()

    def __post_init__(self) -> None:
        if not self.category:
            raise CapError("a CAP info needs at least one category")
        for category in self.category:
            _one_of(category, CATEGORIES, "category")
        _one_of(self.urgency, URGENCIES, "urgency")
        _one_of(self.severity, SEVERITIES, "severity")
        _one_of(self.certainty, CERTAINTIES, "certainty")


@dataclass(frozen=True)
class CapAlert:
    """One CAP 1.2 <alert>; `references` are "sender,identifier,sent" triples of earlier alerts."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    infos: Sequence[CapInfo] = ()
    restriction: str | None = None
    addresses: str | None = None
    note: str | None = None
    references: Sequence[str] = field(default_factory=tuple)
    incidents: str | None = None

    def __post_init__(self) -> None:
        for what, value in (("identifier", self.identifier), ("sender", self.sender)):
            if not value or _FORBIDDEN_IN_IDS.search(value):
                raise CapError(f"CAP {what} {value!r} must be non-empty, without spaces, commas, '<' or '&'")
        cap_time(self.sent)
        _one_of(self.status, STATUSES, "status")
        _one_of(self.msg_type, MSG_TYPES, "msgType")
        _one_of(self.scope, SCOPES, "scope")
        if self.scope == "Restricted" and not self.restriction:
            raise CapError("a Restricted CAP alert needs a restriction")
        if self.scope == "Private" and not self.addresses:
            raise CapError("a Private CAP alert needs addresses")
        if self.msg_type != "Alert" and not self.references:
            raise CapError(f"a CAP {self.msg_type} needs references to the alerts it updates or cancels")
        for reference in self.references:
            if len(reference.split(",")) != 3 or " " in reference:
                raise CapError(f"CAP reference {reference!r} is not 'sender,identifier,sent'")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (most C0 controls, lone surrogates)."""
    return _NOT_XML.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None) -> None:
    if text:
        ET.SubElement(parent, f"{{{CAP_NS}}}{tag}").text = xml_text(text)


def cap_element(alert: CapAlert) -> ET.Element:
    """The <alert> element of `alert`, in schema order."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    for tag, text in (
        ("identifier", alert.identifier),
        ("sender", alert.sender),
        ("sent", cap_time(alert.sent)),
        ("status", alert.status),
        ("msgType", alert.msg_type),
        ("scope", alert.scope),
        ("restriction", alert.restriction),
        ("addresses", alert.addresses),
        ("note", alert.note),
        ("references", " ".join(alert.references)),
        ("incidents", alert.incidents),
    ):
        _sub(root, tag, text)
    for info in alert.infos:
        node = ET.SubElement(root, f"{{{CAP_NS}}}info")
        _sub(node, "language", info.language)
        for category in info.category:
            _sub(node, "category", category)
        for tag, text in (
            ("event", info.event or "-"),
            ("urgency", info.urgency),
            ("severity", info.severity),
            ("certainty", info.certainty),
            ("senderName", info.sender_name),
            ("headline", info.headline),
            ("description", info.description),
            ("instruction", info.instruction),
        ):
            _sub(node, tag, text)
        for area in info.areas:
            area_node = ET.SubElement(node, f"{{{CAP_NS}}}area")
            _sub(area_node, "areaDesc", area.area_desc or "-")
            if area.admin_code:
                geocode = ET.SubElement(area_node, f"{{{CAP_NS}}}geocode")
                _sub(geocode, "valueName", "admin_code")
                _sub(geocode, "value", area.admin_code)
    return root


def render_cap_alert(alert: CapAlert) -> str:
    """The CAP 1.2 XML document of `alert`, UTF-8 declared, CAP as the default namespace."""
    body = ET.tostring(cap_element(alert), encoding="unicode", default_namespace=CAP_NS)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'


def cap_alert_from_message(message: OutboundMessage, sender: str) -> CapAlert:
    """The CAP alert of a message carrying CapDetails; exercise messages get status=Exercise."""
    details = message.cap
    if details is None:
        raise CapError(f"message {message.id!r} has no CAP details")
    info = CapInfo(
        event=details.event,
        urgency=details.urgency,
        severity=details.severity or severity_for_level(message.level),
        certainty=details.certainty,
        category=(details.category,),
        sender_name=details.sender_name,
        headline=message.subject,
        description=message.body,
        instruction=details.instruction,
        areas=(
            *((CapArea(details.area_desc, details.admin_code),) if details.area_desc else ()),
            *(CapArea(area) for area in details.area_descs),
        ),
    )
    exercise = message.is_exercise
    return CapAlert(
        identifier=message.id,
        sender=sender,
        sent=message.created_at,
        status="Exercise" if exercise else "Actual",
        msg_type=details.msg_type,
        scope=details.scope,
        restriction=details.restriction,
        references=details.references,
        incidents=message.incident_id or None,
        note=f"{EXERCISE_MARK} {message.exercise_id}" if exercise else None,
        infos=(info,),
    )
