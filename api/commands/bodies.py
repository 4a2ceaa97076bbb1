"""Request bodies of the command endpoints. Each becomes a command of docs/messages.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


BulletinKindValue = Literal["information", "refutation", "warning"]
WarningLevelValue = Literal["blue", "yellow", "orange", "red"]
UrgencyValue = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
SeverityValue = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CertaintyValue = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]


class BulletinFieldsIn(_Body):
    """The fields of public information a person may write; a field left out keeps its value (or the template's)."""

    headline: str | None = Field(
        None, min_length=1, max_length=200, examples=["关于城关街道一起食品安全事件的情况通报"]
    )
    description: str | None = Field(None, min_length=1, max_length=4000)
    instruction: str | None = Field(None, min_length=1, max_length=2000)
    areas: list[str] | None = Field(None, min_length=1, max_length=30, examples=[["城关街道", "东城街道"]])
    urgency: UrgencyValue | None = None
    severity: SeverityValue | None = None
    certainty: CertaintyValue | None = None
    warning_level: WarningLevelValue | None = Field(None, description="a warning's colour (预警级别)")
    hazard: str | None = Field(None, min_length=1, max_length=200, examples=["毒蘑菇中毒"])

    @field_validator("areas")
    @classmethod
    def _area_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(0 < len(area.strip()) <= 100 for area in value):
            raise ValueError("each area is a name of 1 to 100 characters")
        return value

    def fields(self) -> dict[str, Any]:
        """The fields set, as the command payload carries them."""
        return self.model_dump(exclude_none=True, exclude={"kind", "updates", "rumour"})


class DraftIn(BulletinFieldsIn):
    """A new draft: authoritative information, a rumour refutation (辟谣) or a warning (预警).

    Fields left out are written from the playbook's template. `updates` names a published bulletin of the same
    kind: the draft is then its CAP `Update` (e.g. adjusting a warning's colour)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"kind": "information"},
                {"kind": "refutation", "rumour": "食堂已有学生死亡"},
                {"kind": "warning", "warning_level": "orange", "hazard": "毒蘑菇中毒", "areas": ["城关街道"]},
            ]
        },
    )

    kind: BulletinKindValue = "information"
    updates: str | None = Field(None, min_length=1, max_length=64, description="id of the publication it updates")
    rumour: str | None = Field(None, min_length=1, max_length=500, description="the rumour a refutation answers")

    @model_validator(mode="after")
    def _kind_fields(self) -> DraftIn:
        if self.kind == "warning" and self.updates is None and (self.warning_level is None or self.hazard is None):
            raise ValueError("a warning needs warning_level (blue, yellow, orange or red) and hazard")
        if self.kind == "refutation" and self.rumour is None:
            raise ValueError("a rumour refutation needs the rumour it refutes")
        if self.kind != "warning" and (self.warning_level is not None or self.hazard is not None):
            raise ValueError("warning_level and hazard belong to a warning")
        return self


class EditIn(BulletinFieldsIn):
    """Changes to a draft: only the fields given change."""

    @model_validator(mode="after")
    def _something(self) -> EditIn:
        if not self.fields():
            raise ValueError("give at least one field to change")
        return self


class ApproveIn(_Body):
    """Approve a draft for publication, with an optional note."""

    note: str = Field("", max_length=2000, examples=["已核稿，同意发布"])


class WithdrawIn(_Body):
    """Withdraw a draft, or (for a publication) draft its Cancel, with the reason."""

    reason: str = Field(min_length=1, max_length=2000, examples=["情况已变化，以新通报为准"])


class AssessmentIn(_Body):
    """The expert group's assessment (专家组研判): who, conclusion, recommendation and when."""

    experts: list[str] = Field(min_length=1, max_length=30, examples=[["王教授（市疾控中心）", "李主任（区人民医院）"]])
    conclusion: str = Field(min_length=1, max_length=4000, examples=["病例已得到有效控制，72 小时无新发病例"])
    recommendation: Literal["lower_level", "terminate", "maintain", "raise_level"]
    level: LevelValue | None = Field(None, description="the level the experts recommend, if they name one")
    assessed_at: datetime | None = Field(None, description="when the experts met (default: now)")

    @field_validator("experts")
    @classmethod
    def _expert_names(cls, value: list[str]) -> list[str]:
        if not all(0 < len(name.strip()) <= 200 for name in value):
            raise ValueError("each expert is a name of 1 to 200 characters")
        return value

    @field_validator("assessed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("assessed_at needs a UTC offset")
        return value


class WarningIn(BulletinFieldsIn):
    """A warning issued on its own (预警, e.g. from a sampling trend), not from an incident.

    `areas` (the towns) and `hazard` and `warning_level` are required; texts left out are written from the
    playbook's `warning` template. It reaches the public only once a publicity officer or commander approves it."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "hazard": "野生毒蘑菇中毒",
                    "warning_level": "yellow",
                    "areas": ["城关街道", "东城街道"],
                    "basis": "近两周抽检发现多批次野生菌含毒",
                }
            ]
        },
    )

    incident_type: str = Field(
        "food_safety", min_length=1, max_length=64, description="the playbook it is written with"
    )
    admin_code: str | None = Field(None, min_length=1, max_length=32, description="the area's administrative code")
    basis: str = Field("", max_length=2000, description="why it is issued, e.g. a sampling trend (依据)")
    mode: Literal["actual", "exercise"] = "actual"
    exercise_id: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _warning_fields(self) -> WarningIn:
        if self.warning_level is None or self.hazard is None or not self.areas:
            raise ValueError("a warning needs warning_level (blue, yellow, orange or red), hazard and areas")
        if (self.mode == "exercise") != (self.exercise_id is not None):
            raise ValueError("an exercise warning names its exercise_id, and only an exercise warning does")
        return self

    def fields(self) -> dict[str, Any]:
        """The bulletin fields set, as the IssueWarning payload carries them."""
        return self.model_dump(exclude_none=True, exclude={"mode", "exercise_id"})


class AdjustIn(BulletinFieldsIn):
    """Adjust a published warning (its CAP Update): a new colour, and optionally new text or areas."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [{"warning_level": "orange"}]}
    )

    @model_validator(mode="after")
    def _something(self) -> AdjustIn:
        if not self.fields():
            raise ValueError("give the new warning_level or at least one field to change")
        return self
