"""What every command handler shares: the refusal it raises and the context it runs in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from playbooks.model import Playbook
from playbooks.organisation import Organisation


class CommandRefused(ValueError):
    """The command does not apply to the incident as it is, or its actor may not send it; the text says why."""


@dataclass(frozen=True)
class Context:
    """What a handler needs besides the state and the command: the incident's playbook and the time.

    `district`, when given, is checked against each report's location (a town not in the district is accepted
    and flagged in the incident's `warnings`).
    """

    playbook: Playbook
    now: datetime
    district: Organisation | None = None
