"""Bulletins (public information, refutations, warnings) as CAP 1.2 messages: what the notifier publishes once a
bulletin is approved, and what the API shows as the CAP preview of a draft.

One code path for both: `bulletin_message` builds the OutboundMessage the CAP channel publishes through the
Dispatcher (exercise isolation, de-duplication, retries), and `bulletin_alert` the alert it becomes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from infra.channels import CapAlert, CapDetails, Mode, OutboundMessage, Recipient, idempotency_key
from infra.channels.cap import cap_alert_from_message, cap_time
from playbooks.public_info import Bulletin, BulletinKind, BulletinState

__all__ = [
    "PUBLIC_FEED",
    "bulletin_action_key",
    "bulletin_alert",
    "bulletin_message",
    "cap_identifier",
]

PUBLIC_FEED = Recipient(id="cap:public", name="公众（CAP 预警）", contacts={"cap": "public"})
"""The recipient of public CAP alerts: the `public` feed (an exercise's alerts go to its own feed instead)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def cap_identifier(incident_id: str, bulletin_id: str) -> str:
    """The CAP identifier of a bulletin: stable, unique per incident, without spaces, commas, '<' or '&'."""
    return _UNSAFE.sub("-", f"tocsin-{incident_id}-{bulletin_id}")


def bulletin_action_key(bulletin_id: str) -> str:
    """The action key under which a bulletin's publication is delivered, recorded and de-duplicated."""
    return f"public-info:{bulletin_id}"


def _event(bulletin: Bulletin) -> str:
    """CAP `event` in words: the playbook's event, and for a warning its colour (e.g. 食品安全事故橙色预警)."""
    if bulletin.kind is BulletinKind.WARNING and bulletin.warning_level is not None:
        return f"{bulletin.event}{bulletin.warning_level.label}预警"
    return bulletin.event


def bulletin_message(  # noqa: PLR0913 - the bulletin and where it belongs, keyword-only
    bulletin: Bulletin,
    *,
    incident_id: str,
    sender: str,
    mode: Mode,
    exercise_id: str | None,
    sent: datetime,
    referenced: Mapping[str, Bulletin],
) -> OutboundMessage:
    """The CAP channel's message of a bulletin, sent at `sent`; `referenced` holds the bulletins it refers to."""
    sent_at = {ref: found.approved_at for ref, found in referenced.items() if found.approved_at is not None}
    references = tuple(
        f"{sender},{cap_identifier(incident_id, ref)},{cap_time(sent_at[ref])}"
        for ref in bulletin.references
        if ref in sent_at
    )
    areas = bulletin.areas or ("-",)
    details = CapDetails(
        event=_event(bulletin),
        category=bulletin.category,
        urgency=bulletin.urgency,
        certainty=bulletin.certainty,
        severity=bulletin.severity,
        scope="Public",
        msg_type=bulletin.msg_type.value,
        references=references,
        sender_name=bulletin.sender,
        instruction=bulletin.instruction,
        area_desc=areas[0],
        admin_code=bulletin.admin_code,
        area_descs=tuple(areas[1:]),
    )
    action_key = bulletin_action_key(bulletin.id)
    return OutboundMessage(
        id=cap_identifier(incident_id, bulletin.id),
        idempotency_key=idempotency_key(incident_id, action_key, PUBLIC_FEED.id, "cap"),
        incident_id=incident_id,
        action_key=action_key,
        subject=bulletin.headline,
        body=bulletin.description,
        created_at=sent,
        mode=mode,
        exercise_id=exercise_id,
        template="bulletin",
        cap=details,
        priority=5,
    )


def bulletin_alert(  # noqa: PLR0913 - the bulletin and where it belongs, keyword-only
    bulletin: Bulletin,
    *,
    incident_id: str,
    sender: str,
    mode: Mode,
    exercise_id: str | None,
    now: datetime,
    referenced: Mapping[str, Bulletin],
) -> CapAlert:
    """The CAP alert of a bulletin: as published once approved; before that a preview with status Draft."""
    sent = bulletin.approved_at or now
    message = bulletin_message(
        bulletin,
        incident_id=incident_id,
        sender=sender,
        mode=mode,
        exercise_id=exercise_id,
        sent=sent,
        referenced=referenced,
    )
    alert = cap_alert_from_message(message, sender)
    unapproved = bulletin.state is BulletinState.DRAFT or bulletin.approved_at is None
    return replace(alert, status="Draft") if unapproved and alert.status == "Actual" else alert
