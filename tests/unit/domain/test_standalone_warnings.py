"""A warning on its own (playbooks/warnings.py): issued as a draft, public only after approval, adjusted by an
Update, lifted by a Cancel, its status and level derived from its bulletins; pure, time passed in."""

from __future__ import annotations

import pytest

from playbooks.commands import (
    Actor,
    AddNote,
    ApprovePublicInfo,
    Delivery,
    DraftPublicInfo,
    IssueWarning,
    RecordDelivery,
    Role,
    WithdrawPublicInfo,
)
from playbooks.context import CommandRefused
from playbooks.events import PublicInfoDrafted, PublicInfoPublished, WarningIssued
from playbooks.public_info import BulletinEdit, BulletinKind, BulletinState, MsgType, WarningLevel
from playbooks.warnings import (
    HazardWarning,
    WarningStatus,
    first_draft_id,
    handle_warning,
    is_warning_id,
    issue_warning,
)
from tests.unit.domain.factories import DUTY_OFFICER, PUBLICITY, ctx

WARNING_ID = "WRN-0001"
ALERT = first_draft_id(WARNING_ID)


def issue(level: WarningLevel = WarningLevel.YELLOW, actor: Actor = DUTY_OFFICER) -> HazardWarning:
    """A yellow mushroom warning for two towns, issued by the duty officer at minute 0."""
    command = IssueWarning(
        warning_id=WARNING_ID,
        incident_type="food_safety",
        hazard="野生毒蘑菇中毒",
        warning_level=level,
        areas=("城关街道", "东城街道"),
        basis="近两周抽检发现多批次野生菌含毒",
        actor=actor,
    )
    warning, _events = issue_warning(command, ctx(0), mode="actual", exercise_id=None)
    return warning


def published(warning: HazardWarning, draft_id: str, minutes: float) -> None:
    """Approve a draft and bring back the notifier's CAP record for it."""
    handle_warning(warning, ApprovePublicInfo(draft_id=draft_id, actor=PUBLICITY), ctx(minutes))
    delivered(warning, draft_id, minutes + 1)


def delivered(warning: HazardWarning, draft_id: str, minutes: float) -> None:
    """The notifier's CAP record of an approved draft comes back."""
    record = Delivery(
        idempotency_key=f"k-{draft_id}",
        action_key=f"public-info:{draft_id}",
        status="delivered",
        channel="cap",
        extra={"bulletin_id": draft_id},
    )
    handle_warning(warning, RecordDelivery(deliveries=(record,)), ctx(minutes))


def test_issuing_records_the_warning_and_drafts_its_alert_from_the_template() -> None:
    command = IssueWarning(
        warning_id=WARNING_ID,
        incident_type="food_safety",
        hazard="野生毒蘑菇中毒",
        warning_level=WarningLevel.YELLOW,
        areas=("城关街道",),
        basis="抽检趋势",
        actor=DUTY_OFFICER,
    )
    warning, events = issue_warning(command, ctx(0), mode="actual", exercise_id=None)
    assert [type(e) for e in events] == [WarningIssued, PublicInfoDrafted]
    alert = warning.bulletins[ALERT]
    assert (alert.kind, alert.msg_type, alert.state) == (BulletinKind.WARNING, MsgType.ALERT, BulletinState.DRAFT)
    assert alert.headline == "城关街道野生毒蘑菇中毒黄色预警"
    assert (alert.severity, alert.areas) == ("Moderate", ("城关街道",))
    assert (warning.status, warning.level) == (WarningStatus.DRAFT, None)


def test_a_warning_is_active_only_once_its_approved_alert_is_published() -> None:
    warning = issue()
    handle_warning(warning, ApprovePublicInfo(draft_id=ALERT, actor=PUBLICITY), ctx(5))
    assert warning.status is WarningStatus.DRAFT
    delivered(warning, ALERT, 6)
    assert (warning.status, warning.level, warning.current) == (
        WarningStatus.ACTIVE,
        WarningLevel.YELLOW,
        warning.bulletins[ALERT],
    )


def test_a_duty_officer_issues_and_adjusts_but_does_not_approve() -> None:
    warning = issue()
    with pytest.raises(CommandRefused, match="only a commander or publicity"):
        handle_warning(warning, ApprovePublicInfo(draft_id=ALERT, actor=DUTY_OFFICER), ctx(1))
    observer = Actor("观察员", frozenset({Role.OBSERVER}))
    with pytest.raises(CommandRefused, match="issues a warning"):
        issue(actor=observer)


def test_adjusting_is_an_update_that_replaces_the_publication_once_published() -> None:
    warning = issue()
    published(warning, ALERT, 1)
    adjust = DraftPublicInfo(
        draft_id="upd-1",
        kind=BulletinKind.WARNING,
        updates=ALERT,
        edit=BulletinEdit(warning_level=WarningLevel.ORANGE),
        actor=DUTY_OFFICER,
    )
    handle_warning(warning, adjust, ctx(10))
    update = warning.bulletins["upd-1"]
    assert (update.msg_type, update.references, update.severity) == (MsgType.UPDATE, (ALERT,), "Severe")
    assert warning.level is WarningLevel.YELLOW, "the adjustment is not public before approval"
    published(warning, "upd-1", 11)
    assert (warning.level, warning.bulletins[ALERT].superseded_by) == (WarningLevel.ORANGE, "upd-1")


def test_lifting_drafts_a_cancel_and_the_warning_is_lifted_once_it_is_published() -> None:
    warning = issue()
    published(warning, ALERT, 1)
    handle_warning(warning, WithdrawPublicInfo(draft_id=ALERT, reason="抽检已合格", actor=PUBLICITY), ctx(20))
    cancel = warning.bulletins[f"{ALERT}-cancel"]
    assert (cancel.msg_type, cancel.state) == (MsgType.CANCEL, BulletinState.DRAFT)
    assert cancel.headline.startswith("解除")
    assert warning.status is WarningStatus.ACTIVE
    handle_warning(warning, ApprovePublicInfo(draft_id=cancel.id, actor=PUBLICITY), ctx(21))
    record = Delivery(
        idempotency_key="k", action_key="a", status="delivered", channel="cap", extra={"bulletin_id": cancel.id}
    )
    events = handle_warning(warning, RecordDelivery(deliveries=(record,)), ctx(22))
    assert PublicInfoPublished in {type(e) for e in events}
    assert (warning.status, warning.level, warning.bulletins[ALERT].state) == (
        WarningStatus.LIFTED,
        None,
        BulletinState.WITHDRAWN,
    )


def test_a_withdrawn_first_draft_leaves_the_warning_discarded() -> None:
    warning = issue()
    handle_warning(warning, WithdrawPublicInfo(draft_id=ALERT, reason="误报", actor=PUBLICITY), ctx(2))
    assert warning.status is WarningStatus.DISCARDED


def test_a_warning_takes_only_warning_updates_and_no_incident_commands() -> None:
    warning = issue()
    published(warning, ALERT, 1)
    info = DraftPublicInfo(draft_id="x", kind=BulletinKind.INFORMATION, actor=DUTY_OFFICER)
    with pytest.raises(CommandRefused, match="holds only warnings"):
        handle_warning(warning, info, ctx(3))
    second_alert = DraftPublicInfo(
        draft_id="y", kind=BulletinKind.WARNING, edit=BulletinEdit(warning_level=WarningLevel.RED), actor=DUTY_OFFICER
    )
    with pytest.raises(CommandRefused, match="adjusted by an Update"):
        handle_warning(warning, second_alert, ctx(3))
    with pytest.raises(CommandRefused, match="does not apply to a warning"):
        handle_warning(warning, AddNote(text="x", actor=DUTY_OFFICER), ctx(3))


def test_an_issue_without_an_area_or_with_an_incident_id_is_refused() -> None:
    command = IssueWarning(
        warning_id="INC-1",
        incident_type="food_safety",
        hazard="h",
        warning_level=WarningLevel.BLUE,
        areas=("城关街道",),
        actor=DUTY_OFFICER,
    )
    with pytest.raises(CommandRefused, match="starts with 'WRN-'"):
        issue_warning(command, ctx(0), mode="actual", exercise_id=None)
    nowhere = IssueWarning(
        warning_id=WARNING_ID,
        incident_type="food_safety",
        hazard="h",
        warning_level=WarningLevel.BLUE,
        areas=(" ",),
        actor=DUTY_OFFICER,
    )
    with pytest.raises(CommandRefused, match="names the area"):
        issue_warning(nowhere, ctx(0), mode="actual", exercise_id=None)
    assert is_warning_id(WARNING_ID) and not is_warning_id("INC-20260801-abcd1234")


def test_a_warning_survives_its_stored_state() -> None:
    warning = issue()
    published(warning, ALERT, 1)
    again = HazardWarning.from_dict(warning.to_dict())
    assert again == warning
    assert (again.status, again.level) == (WarningStatus.ACTIVE, WarningLevel.YELLOW)
