"""Request bodies of the command endpoints. Each becomes a command of docs/messages.md."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra.channels.outbound import OutboundPolicy, OutboundRefused, check_contacts
from infra.wire.report import FactsIn

LevelValue = Literal["I", "II", "III", "IV", "non_graded"]
Reason = str


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AcknowledgeAlertIn(_Body):
    """Acknowledge an alert (a `notify` step); its escalation stops."""

    action_key: str = Field(min_length=1, max_length=120, examples=["notify_leading_group"])


class TaskIn(_Body):
    """Acknowledge a task order (no result needed)."""

    note: str = Field("", max_length=2000)


class CompleteTaskIn(_Body):
    """Report a step done, with what was done."""

    result: str = Field("", max_length=4000, examples=["Samples of 6 dishes sent to the CDC lab."])


class DecideLevelIn(_Body):
    """Set the response level; a reason is mandatory (only a commander may lower it)."""

    level: LevelValue = Field(examples=["II"])
    reason: str = Field(min_length=1, max_length=2000, examples=["Expert committee: cases linked to a school."])


class VerifiedFactsIn(_Body):
    """Verified figures that override the aggregate, and why."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"facts": {"cases": 48, "hospitalized": 5, "deaths": 0}, "reason": "Hospital lists reconciled"}
            ]
        },
    )

    facts: FactsIn
    reason: str = Field(min_length=1, max_length=2000)


class NoteIn(_Body):
    """A note on the timeline."""

    text: str = Field(min_length=1, max_length=4000, examples=["Called the school head; canteen closed."])


class SignalsIn(_Body):
    """Inputs of the termination criteria, e.g. site_controlled: true, patients_stable_since: ISO time."""

    signals: dict[str, bool | str | int | float | None] = Field(
        min_length=1, max_length=32, examples=[{"site_controlled": True, "secondary_hazards_removed": True}]
    )

    @field_validator("signals")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not key or len(key) > 64:
                raise ValueError("signal names are 1 to 64 characters")
        return value


class TerminationIn(_Body):
    """Propose or approve the end of the response, with a reason."""

    reason: str = Field(min_length=1, max_length=2000, examples=["All patients discharged; no new case in 72 h."])


class AssignShiftIn(_Body):
    """Put people on duty for a unit's shift on a date (overrides the rotation)."""

    unit: str = Field(min_length=1, max_length=120, examples=["district_food_safety_office"])
    date: date
    shift: str = Field(min_length=1, max_length=32, examples=["day"])
    leader_on_duty: str | None = Field(None, max_length=120)
    duty_officer: str | None = Field(None, max_length=120)


class UpdateContactsIn(_Body):
    """Change a person's contact channels (null removes one).

    Webhook addresses must match TOCSIN_WEBHOOK_ALLOWLIST, robot addresses be on TOCSIN_ROBOT_HOSTS (or be a
    robot's name from the channel secrets file), and neither be a private address: else 422 naming the rule."""

    contacts: dict[str, str | None] = Field(
        min_length=1, max_length=16, examples=[{"phone": "+86 138 0000 0001", "email": None}]
    )

    @field_validator("contacts")
    @classmethod
    def _sizes(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for key, item in value.items():
            if not key or len(key) > 32 or (item is not None and len(item) > 200):
                raise ValueError("channel names are 1 to 32 characters and addresses at most 200")
        return value

    def check_outbound(self, policy: OutboundPolicy) -> None:
        """Refuse a webhook or robot address that breaks an outbound rule: 422 naming the rule and the channel."""
        try:
            check_contacts(self.contacts, policy)
        except OutboundRefused as refused:
            error = {
                "type": "outbound_rule",
                "loc": ("body", "contacts", refused.channel),
                "msg": str(refused),
                "ctx": {"rule": refused.rule},
            }
            raise RequestValidationError([error]) from None
