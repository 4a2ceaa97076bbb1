"""Public information, warnings and expert assessment in the pure domain: drafts, approval, publication, refusals."""

from __future__ import annotations

import pytest

from playbooks.assessment import Recommendation
from playbooks.commands import (
    ApprovePublicInfo,
    DecideLevel,
    Delivery,
    DraftPublicInfo,
    EditPublicInfo,
    RecordDelivery,
    WithdrawPublicInfo,
)
from playbooks.events import PublicInfoDrafted, PublicInfoPublished, PublicInfoWithdrawn
from playbooks.handlers import CommandRefused, handle
from playbooks.incident import Incident, from_dict, to_dict
from playbooks.levels import Level
from playbooks.public_info import BulletinEdit, BulletinKind, BulletinState, MsgType, WarningLevel
from playbooks.response import ItemStatus
from tests.unit.domain.factories import COMMANDER, DUTY_OFFICER, PUBLICITY, assessed, ctx, incident_with, report

STEP_DRAFT = "step-public_information"


def state_of(state: Incident, draft_id: str) -> BulletinState:
    """A bulletin's state now (a call, so a test can check it again after a command changed it)."""
    return state.bulletins[draft_id].state


def published(state: Incident, draft_id: str, minutes: float) -> None:
    """Approve a draft and bring back the notifier's CAP record for it."""
    handle(state, ApprovePublicInfo(draft_id=draft_id, actor=PUBLICITY), ctx(minutes))
    record = Delivery(
        idempotency_key=f"k-{draft_id}",
        action_key=f"public-info:{draft_id}",
        status="delivered",
        channel="cap",
        extra={"bulletin_id": draft_id},
    )
    handle(state, RecordDelivery(deliveries=(record,)), ctx(minutes + 1))


def test_a_level_four_incident_drafts_public_information_from_the_template_not_the_task_title() -> None:
    state = incident_with(report(35, venue_type="restaurant", venue="老街饭店"))
    draft = state.bulletins[STEP_DRAFT]
    assert (draft.state, draft.kind, draft.msg_type, draft.created_by) == (
        BulletinState.DRAFT,
        BulletinKind.INFORMATION,
        MsgType.ALERT,
        None,
    )
    assert draft.headline == "关于城关街道一起食品安全事件的情况通报"
    assert "老街饭店" in draft.description and "35人" in draft.description
    assert "发布权威信息" not in draft.headline + draft.description
    assert "12315" in draft.instruction
    assert (draft.event, draft.areas, draft.severity, draft.urgency) == (
        "食品安全事故",
        ("城关街道",),
        "Minor",
        "Expected",
    )


def test_a_raise_to_level_two_adds_no_second_draft_while_one_is_open() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    events = handle(state, DecideLevel(level=Level.II, reason="学校聚集", actor=COMMANDER), ctx(5)).events
    assert "press_release" in state.items and "press_conference" in state.items
    assert not [e for e in events if isinstance(e, PublicInfoDrafted)]
    assert list(state.bulletins) == [STEP_DRAFT]


def test_publication_comes_only_from_the_notifiers_record_of_an_approved_draft() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    early = Delivery(idempotency_key="k", action_key="x", status="delivered", extra={"bulletin_id": STEP_DRAFT})
    handle(state, RecordDelivery(deliveries=(early,)), ctx(1))
    assert state.bulletins[STEP_DRAFT].state is BulletinState.DRAFT
    published(state, STEP_DRAFT, 5)
    bulletin = state.bulletins[STEP_DRAFT]
    assert (bulletin.state, bulletin.approved_by) == (BulletinState.PUBLISHED, "宣传干事")
    assert state.items["public_information"].status is ItemStatus.COMPLETED


def test_only_publicity_or_a_commander_edits_or_approves() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    with pytest.raises(CommandRefused, match="only a commander or publicity approves public information"):
        handle(state, ApprovePublicInfo(draft_id=STEP_DRAFT, actor=DUTY_OFFICER), ctx(1))
    edit = EditPublicInfo(draft_id=STEP_DRAFT, edit=BulletinEdit(headline="更正后的标题"), actor=COMMANDER)
    handle(state, edit, ctx(2))
    assert (state.bulletins[STEP_DRAFT].headline, state.bulletins[STEP_DRAFT].revision) == ("更正后的标题", 2)


def test_an_approved_bulletin_is_no_longer_edited_nor_discarded() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    handle(state, ApprovePublicInfo(draft_id=STEP_DRAFT, actor=PUBLICITY), ctx(1))
    with pytest.raises(CommandRefused, match="only a draft is edited"):
        handle(state, EditPublicInfo(draft_id=STEP_DRAFT, edit=BulletinEdit(headline="x"), actor=PUBLICITY), ctx(2))
    with pytest.raises(CommandRefused, match="approved and being published"):
        handle(state, WithdrawPublicInfo(draft_id=STEP_DRAFT, reason="改主意", actor=PUBLICITY), ctx(2))


def test_a_warning_is_adjusted_by_an_update_and_lifted_by_an_approved_cancel() -> None:
    state = incident_with(report(5))
    warning = BulletinEdit(warning_level=WarningLevel.YELLOW, hazard="野生毒蘑菇")
    handle(state, DraftPublicInfo(draft_id="w1", kind=BulletinKind.WARNING, edit=warning, actor=PUBLICITY), ctx(1))
    assert (state.bulletins["w1"].severity, state.bulletins["w1"].headline) == (
        "Moderate",
        "城关街道野生毒蘑菇黄色预警",
    )
    published(state, "w1", 2)
    orange = BulletinEdit(warning_level=WarningLevel.ORANGE)
    adjust = DraftPublicInfo(draft_id="w2", kind=BulletinKind.WARNING, edit=orange, updates="w1", actor=PUBLICITY)
    handle(state, adjust, ctx(5))
    assert (state.bulletins["w2"].msg_type, state.bulletins["w2"].references) == (MsgType.UPDATE, ("w1",))
    published(state, "w2", 6)
    assert state.bulletins["w1"].superseded_by == "w2"

    events = handle(state, WithdrawPublicInfo(draft_id="w2", reason="风险解除", actor=PUBLICITY), ctx(10)).events
    assert [type(e) for e in events] == [PublicInfoDrafted]
    assert state_of(state, "w2") is BulletinState.PUBLISHED, "a publication stays until its Cancel is out"
    lift = state.bulletins["w2-cancel"]
    assert (lift.msg_type, lift.references, lift.headline) == (
        MsgType.CANCEL,
        ("w2", "w1"),
        "解除城关街道野生毒蘑菇橙色预警",
    )
    published(state, "w2-cancel", 11)
    assert state_of(state, "w2") is BulletinState.WITHDRAWN
    assert state_of(state, "w1") is BulletinState.WITHDRAWN


def test_a_warning_without_its_colour_or_a_refutation_without_its_rumour_is_refused() -> None:
    state = incident_with(report(5))
    with pytest.raises(CommandRefused, match="a warning needs a warning_level"):
        handle(state, DraftPublicInfo(draft_id="w", kind=BulletinKind.WARNING, actor=PUBLICITY), ctx(1))
    with pytest.raises(CommandRefused, match="needs the rumour it refutes"):
        handle(state, DraftPublicInfo(draft_id="r", kind=BulletinKind.REFUTATION, actor=PUBLICITY), ctx(1))
    assert state.bulletins == {}


def test_a_withdrawn_draft_is_on_record_with_the_reason() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    events = handle(state, WithdrawPublicInfo(draft_id=STEP_DRAFT, reason="口径待定", actor=COMMANDER), ctx(3)).events
    assert isinstance(events[0], PublicInfoWithdrawn) and events[0].reason == "口径待定"
    entry = {"change": "withdrawn", "by": "指挥长", "at": ctx(3).now.isoformat(), "reason": "口径待定"}
    assert state.bulletins[STEP_DRAFT].history[-1] == entry


def test_bulletins_and_assessments_survive_the_stored_state() -> None:
    state = assessed(incident_with(report(35, venue_type="restaurant")), Recommendation.MAINTAIN, 2)
    again = from_dict(to_dict(state))
    assert (again.bulletins, again.assessments) == (state.bulletins, state.assessments)


def test_lowering_needs_an_assessment_made_after_the_level_last_changed() -> None:
    state = assessed(incident_with(report(35, venue_type="restaurant")), Recommendation.LOWER_LEVEL, 1)
    handle(state, DecideLevel(level=Level.II, reason="学校聚集", actor=COMMANDER), ctx(5))
    with pytest.raises(CommandRefused, match=r"made since the level last changed"):
        handle(state, DecideLevel(level=Level.IV, reason="病例减少", actor=COMMANDER), ctx(10))
    assessed(state, Recommendation.LOWER_LEVEL, 20)
    handle(state, DecideLevel(level=Level.IV, reason="病例减少", actor=COMMANDER), ctx(30))
    assert state.level is Level.IV


def test_an_assessment_recommending_something_else_does_not_count() -> None:
    state = assessed(incident_with(report(60)), Recommendation.MAINTAIN, 5)
    with pytest.raises(CommandRefused, match="recommending lower_level"):
        handle(state, DecideLevel(level=Level.III, reason="病例减少", actor=COMMANDER), ctx(10))
    assert state.level is Level.II


def test_published_information_updated_later_is_an_update_draft_for_the_next_step() -> None:
    state = incident_with(report(35, venue_type="restaurant"))
    published(state, STEP_DRAFT, 2)
    events = handle(state, DecideLevel(level=Level.II, reason="学校聚集", actor=COMMANDER), ctx(5)).events
    [drafted] = [e for e in events if isinstance(e, PublicInfoDrafted)]
    assert (drafted.bulletin.msg_type, drafted.bulletin.references, drafted.cause) == (
        MsgType.UPDATE,
        (STEP_DRAFT,),
        "step press_release",
    )
    assert drafted.bulletin.severity == "Severe"
    assert not [e for e in events if isinstance(e, PublicInfoPublished)]
