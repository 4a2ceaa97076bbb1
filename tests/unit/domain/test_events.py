"""Each event's JSON payload (`payload.event` on incident-events) keeps the keys other programs read.

The projector, the exports, the live feed, the drill runner and outside consumers read these payloads; a
key that disappears or is renamed breaks them silently, so every event's keys are pinned here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.wire import CommandType
from playbooks.assessment import Assessment, Recommendation
from playbooks.commands import Delivery
from playbooks.events import (
    EVENT_CLASSES,
    ActionsPlanned,
    ActionUpdated,
    AssessmentRecorded,
    CommandRejected,
    Event,
    FactsVerified,
    IncidentClosed,
    IncidentOpened,
    ItemChange,
    LevelChanged,
    NoteAdded,
    NotificationFailed,
    NotificationSent,
    PublicInfoApproved,
    PublicInfoDrafted,
    PublicInfoEdited,
    PublicInfoPublished,
    PublicInfoWithdrawn,
    ReportReceived,
    TerminationProposed,
    TerminationSignalsUpdated,
    WarningIssued,
)
from playbooks.facts import Facts
from playbooks.levels import Level
from playbooks.public_info import Bulletin, BulletinKind, BulletinState, MsgType
from playbooks.response import Item
from playbooks.termination import CriterionStatus, TerminationStatus
from tests.unit.domain.factories import T0

ITEM = Item(
    key="sampling",
    kind="task",
    title="采样",
    owner="cdc",
    due_at=T0 + timedelta(hours=2),
    deadline="2h",
    planned_at=T0,
    level="IV",
)
CRITERIA = TerminationStatus((CriterionStatus("stable", "患者稳定", True, "ok"),))
DELIVERY = Delivery(idempotency_key="INC-1|notify|p1|0@sms", action_key="notify", status="delivered", channel="sms")
ITEM_KEYS = {
    "key",
    "kind",
    "title",
    "owner",
    "due_at",
    "deadline",
    "planned_at",
    "level",
    "escalation",
    "recipients",
    "group",
    "message",
    "relative_to",
    "status",
    "escalation_step",
    "acknowledged_by",
    "completed_by",
    "result",
    "history",
    "acknowledged_at",
    "completed_at",
    "repeat",
    "occurrence",
    "warning",
}
DELIVERY_KEYS = {
    "idempotency_key",
    "action_key",
    "recipient_id",
    "recipient_name",
    "channel",
    "routed_to",
    "status",
    "reason",
    "subject",
    "attempts",
}

BULLETIN = Bulletin(
    id="step-public_information",
    kind=BulletinKind.INFORMATION,
    msg_type=MsgType.ALERT,
    state=BulletinState.DRAFT,
    headline="关于城关街道一起食品安全事件的情况通报",
    description="…",
    instruction="…",
    event="食品安全事故",
    areas=("城关街道",),
    urgency="Expected",
    severity="Minor",
    certainty="Observed",
    created_at=T0,
    created_by=None,
)
BULLETIN_KEYS = {"draft_id", "by", "state", "bulletin"}
ASSESSMENT = Assessment(
    id="assessment-1",
    experts=("王专家",),
    conclusion="病例已控制",
    recommendation=Recommendation.LOWER_LEVEL,
    assessed_at=T0,
    recorded_by="值班员",
    recorded_at=T0,
)

PINNED: list[tuple[Event, set[str]]] = [
    (
        IncidentOpened(at=T0, report_id="r-1", playbook_id="food_safety", playbook_version="3", rule_set="family_a"),
        {"report_id", "playbook_id", "playbook_version", "rule_set"},
    ),
    (
        ReportReceived(
            at=T0,
            report_id="r-1",
            source="hospital:区人民医院",
            reported_at=T0,
            facts=Facts(cases=3),
            superseded=False,
            description="",
        ),
        {"report_id", "source", "reported_at", "facts", "superseded", "description", "cases"},
    ),
    (
        LevelChanged(
            at=T0,
            from_level=Level.NON_GRADED,
            to_level=Level.IV,
            rule_id="iv_cases",
            explanation="30 cases",
            decided_by=None,
            reason=None,
        ),
        {"from", "to", "rule_id", "explanation", "decided_by", "reason", "at"},
    ),
    (ActionsPlanned(at=T0, cause="facts", items=(ITEM,)), {"cause", "items"}),
    (
        ActionUpdated(at=T0, key="sampling", change=ItemChange.ACKNOWLEDGED, by="值班员", item=ITEM),
        {"change", "by", "at", "key", "item"},
    ),
    (
        ActionUpdated(at=T0, key="sampling", change=ItemChange.COMPLETED, by="cdc", item=ITEM, result="送检"),
        {"change", "by", "at", "result", "key", "item"},
    ),
    (
        ActionUpdated(
            at=T0,
            key="sampling",
            change=ItemChange.ESCALATED,
            by=None,
            item=ITEM,
            to_role="leading_group",
            step=1,
            overdue_by_seconds=60,
        ),
        {"change", "by", "at", "to_role", "step", "overdue_by_seconds", "key", "item"},
    ),
    (FactsVerified(at=T0, facts=Facts(cases=9), by="值班员", reason="核实"), {"facts", "by", "reason", "at"}),
    (NoteAdded(at=T0, text="note", by="值班员"), {"text", "by"}),
    (TerminationSignalsUpdated(at=T0, signals={"site_controlled": True}, by="值班员"), {"signals", "by"}),
    (TerminationProposed(at=T0, by=None, reason="criteria hold", criteria=CRITERIA), {"by", "reason", "criteria"}),
    (
        IncidentClosed(at=T0, by="指挥长", reason="done", criteria=CRITERIA, correlation_key="actual|food_safety|x"),
        {"by", "reason", "criteria", "correlation_key"},
    ),
    (NotificationSent(at=T0, delivery=DELIVERY), DELIVERY_KEYS),
    (NotificationFailed(at=T0, delivery=DELIVERY), DELIVERY_KEYS),
    (
        CommandRejected(at=T0, command_id="c-1", command=CommandType.DECIDE_LEVEL, reason="no", by="值班员"),
        {
            "command_id",
            "command",
            "reason",
            "by",
        },
    ),
    (PublicInfoDrafted(at=T0, bulletin=BULLETIN, by=None, cause="step x"), BULLETIN_KEYS | {"cause"}),
    (PublicInfoEdited(at=T0, bulletin=BULLETIN, by="宣传", fields=("headline",)), BULLETIN_KEYS | {"fields"}),
    (PublicInfoApproved(at=T0, bulletin=BULLETIN, by="宣传", note=""), BULLETIN_KEYS | {"note", "referenced"}),
    (PublicInfoPublished(at=T0, bulletin=BULLETIN, by=None), BULLETIN_KEYS),
    (PublicInfoWithdrawn(at=T0, bulletin=BULLETIN, by="宣传", reason="r"), BULLETIN_KEYS | {"reason"}),
    (
        AssessmentRecorded(at=T0, assessment=ASSESSMENT),
        {"id", "experts", "conclusion", "recommendation", "level", "assessed_at", "recorded_by", "recorded_at"},
    ),
    (
        WarningIssued(
            at=T0,
            warning_id="WRN-1",
            hazard="野生毒蘑菇中毒",
            areas=("城关街道",),
            basis="抽检趋势",
            incident_type="food_safety",
            by="值班员",
        ),
        {"warning_id", "hazard", "areas", "basis", "incident_type", "by", "mode", "exercise_id"},
    ),
]


@pytest.mark.parametrize(("event", "keys"), PINNED, ids=[f"{e.type}-{i}" for i, (e, _) in enumerate(PINNED)])
def test_the_payload_keys_are_pinned(event: Event, keys: set[str]) -> None:
    assert set(event.to_data()) == keys


def test_every_event_class_has_a_pinned_payload() -> None:
    assert {type(event) for event, _ in PINNED} == set(EVENT_CLASSES)


def test_planned_and_updated_steps_carry_the_steps_full_json() -> None:
    planned = ActionsPlanned(at=T0, cause="facts", items=(ITEM,)).to_data()
    updated = ActionUpdated(at=T0, key="sampling", change=ItemChange.ACKNOWLEDGED, by="值班员", item=ITEM).to_data()
    assert set(planned["items"][0]) == ITEM_KEYS
    assert set(updated["item"]) == ITEM_KEYS
    assert (planned["items"][0]["status"], updated["change"]) == ("pending", "acknowledged")


def test_times_and_levels_are_written_as_text() -> None:
    changed = LevelChanged(
        at=T0, from_level=Level.IV, to_level=Level.III, rule_id=None, explanation="", decided_by="指挥长", reason="r"
    ).to_data()
    assert (changed["from"], changed["to"], changed["at"]) == ("IV", "III", T0.isoformat())


def test_a_replayed_delivery_says_so_and_unknown_fields_are_kept() -> None:
    replayed = Delivery(
        idempotency_key="k", action_key="a", status="in_doubt", replayed=True, extra={"gateway_ref": "g-1"}
    )
    data = NotificationFailed(at=T0, delivery=replayed).to_data()
    assert set(data) == DELIVERY_KEYS | {"replayed", "gateway_ref"}
    assert (data["replayed"], data["gateway_ref"]) == (True, "g-1")
    assert "replayed" not in NotificationSent(at=T0, delivery=DELIVERY).to_data()
