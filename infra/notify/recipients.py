"""Who a person is to the delivery layer, and which enabled channels can reach them."""

from __future__ import annotations

from collections.abc import Iterable

from infra.channels import Recipient
from playbooks.organisation import Person

OUTBOX = "outbox"


def recipient_of(person: Person) -> Recipient:
    """The person as a delivery recipient; the outbox reaches everyone (keyed by person id)."""
    contacts = {**dict(person.contacts), OUTBOX: person.id}
    return Recipient(id=person.id, name=person.name, unit=person.unit, role=",".join(person.roles), contacts=contacts)


def channels_for(recipient: Recipient, enabled: Iterable[str]) -> list[str]:
    """The enabled channels on which `recipient` has an address."""
    return [channel for channel in enabled if channel == OUTBOX or channel in recipient.contacts]
