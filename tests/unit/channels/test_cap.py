"""CAP 1.2 rendering: every alert validates against the official OASIS schema, Chinese intact."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.channels import (
    CapAlert,
    CapArea,
    CapDetails,
    CapError,
    CapInfo,
    cap_alert_from_message,
    render_cap_alert,
    severity_for_level,
)
from infra.channels.cap import CAP_NS, cap_time
from tests.unit.channels.cap_schema import assert_valid_cap
from tests.unit.channels.fakes import START, message

NS = {"cap": CAP_NS}
REFERENCE = "tocsin@district.example,INC-1-alert-1,2026-11-29T08:00:00+08:00"


def alert(**overrides: object) -> CapAlert:
    """A valid public food-safety alert, with `overrides`."""
    info = CapInfo(
        event="食物中毒",
        urgency="Immediate",
        severity="Moderate",
        certainty="Likely",
        category=("Health",),
        sender_name="某区食品安全委员会办公室",
        headline="某小学疑似食物中毒",
        description="患病 35 人，已送医。",
        instruction="停止食用可疑食品，出现症状请就医。",
        areas=(CapArea("某区某街道", "110105001"),),
    )
    fields: dict[str, object] = {
        "identifier": "INC-1-alert-2",
        "sender": "tocsin@district.example",
        "sent": START,
        "status": "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "infos": (info,),
    }
    fields.update(overrides)
    return CapAlert(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["Actual", "Exercise"])
@pytest.mark.parametrize("msg_type", ["Alert", "Update", "Cancel"])
@pytest.mark.parametrize("scope", ["Public", "Restricted"])
def test_every_combination_validates_against_the_schema(status: str, msg_type: str, scope: str) -> None:
    xml = render_cap_alert(
        alert(
            status=status,
            msg_type=msg_type,
            scope=scope,
            restriction="仅限区食安委成员单位" if scope == "Restricted" else None,
            references=(REFERENCE,) if msg_type != "Alert" else (),
        )
    )
    assert_valid_cap(xml)
    root = ET.fromstring(xml.encode())
    assert root.findtext("cap:status", namespaces=NS) == status
    assert root.findtext("cap:msgType", namespaces=NS) == msg_type
    assert root.findtext("cap:info/cap:headline", namespaces=NS) == "某小学疑似食物中毒"
    assert (root.find("cap:references", NS) is not None) == (msg_type != "Alert")


def test_alert_carries_the_expected_fields_in_chinese() -> None:
    root = ET.fromstring(render_cap_alert(alert()).encode())
    assert root.tag == f"{{{CAP_NS}}}alert"
    assert root.findtext("cap:sent", namespaces=NS) == "2026-11-29T08:00:00+08:00"
    assert root.findtext("cap:info/cap:language", namespaces=NS) == "zh-CN"
    assert root.findtext("cap:info/cap:category", namespaces=NS) == "Health"
    assert root.findtext("cap:info/cap:area/cap:areaDesc", namespaces=NS) == "某区某街道"
    assert root.findtext("cap:info/cap:area/cap:geocode/cap:valueName", namespaces=NS) == "admin_code"
    assert root.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=NS) == "110105001"


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("I", "Extreme"),
        ("II", "Severe"),
        ("III", "Moderate"),
        ("IV", "Minor"),
        ("non_graded", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_levels_map_to_cap_severity(level: str | None, severity: str) -> None:
    assert severity_for_level(level) == severity


def test_sent_has_whole_seconds_an_offset_and_utc_as_minus_zero() -> None:
    assert cap_time(datetime(2026, 11, 29, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))) == (
        "2026-11-29T08:00:00+08:00"
    )
    assert cap_time(datetime(2026, 11, 29, 0, 0, tzinfo=UTC)) == "2026-11-29T00:00:00-00:00"
    assert_valid_cap(render_cap_alert(alert(sent=datetime(2026, 11, 29, 0, 0, 0, 999, tzinfo=UTC))))


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"scope": "Restricted"}, "restriction"),
        ({"msg_type": "Update"}, "references"),
        ({"msg_type": "Cancel", "references": ("not a reference",)}, "sender,identifier,sent"),
        ({"identifier": "has space"}, "identifier"),
        ({"sender": "a,b"}, "sender"),
        ({"sent": datetime(2026, 11, 29, 8, 0)}, "offset"),
        ({"status": "Real"}, "status"),
    ],
)
def test_alerts_that_break_cap_rules_are_refused_before_rendering(overrides: dict[str, object], complaint: str) -> None:
    with pytest.raises(CapError, match=complaint):
        alert(**overrides)


def test_info_values_outside_the_cap_vocabulary_are_refused() -> None:
    with pytest.raises(CapError, match="category"):
        CapInfo(event="x", urgency="Immediate", severity="Minor", certainty="Likely", category=("Food",))


def test_an_exercise_message_becomes_an_exercise_alert_with_a_note() -> None:
    details = CapDetails(event="食物中毒", area_desc="某区", admin_code="110105")
    drill = cap_alert_from_message(message(mode="exercise", exercise_id="EX-7", level="II", cap=details), "tocsin")
    xml = render_cap_alert(drill)
    assert_valid_cap(xml)
    root = ET.fromstring(xml.encode())
    assert root.findtext("cap:status", namespaces=NS) == "Exercise"
    assert "EX-7" in (root.findtext("cap:note", namespaces=NS) or "")
    assert root.findtext("cap:info/cap:severity", namespaces=NS) == "Severe"


def test_markup_in_untrusted_text_stays_text() -> None:
    hostile = '</description><script>alert(1)</script>&amp; "引号" \x00\x0b'
    xml = render_cap_alert(
        alert(
            infos=(
                CapInfo(event=hostile, urgency="Unknown", severity="Unknown", certainty="Unknown", description=hostile),
            )
        )
    )
    assert_valid_cap(xml)
    root = ET.fromstring(xml.encode())
    assert root.findtext("cap:info/cap:description", namespaces=NS) == hostile.replace("\x00", "").replace("\x0b", "")


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    status=st.sampled_from(["Actual", "Exercise"]),
    msg_type=st.sampled_from(["Alert", "Update", "Cancel"]),
    scope=st.sampled_from(["Public", "Restricted"]),
    level=st.sampled_from(["I", "II", "III", "IV", "non_graded"]),
    category=st.sampled_from(["Health", "Safety"]),
    headline=chinese,
    description=texts,
    area=chinese,
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_any_alert_with_chinese_text_validates(
    status: str,
    msg_type: str,
    scope: str,
    level: str,
    category: str,
    headline: str,
    description: str,
    area: str,
    offset_minutes: int,
) -> None:
    info = CapInfo(
        event=headline,
        urgency="Immediate",
        severity=severity_for_level(level),
        certainty="Likely",
        category=(category,),
        headline=headline,
        description=description,
        areas=(CapArea(area),),
    )
    sent = datetime(2026, 11, 29, 8, 0, 0, 500, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    xml = render_cap_alert(
        alert(
            status=status,
            msg_type=msg_type,
            scope=scope,
            infos=(info,),
            sent=sent,
            restriction=area if scope == "Restricted" else None,
            references=(REFERENCE,) if msg_type != "Alert" else (),
        )
    )
    assert_valid_cap(xml)
    assert ET.fromstring(xml.encode()).findtext("cap:info/cap:headline", namespaces=NS) == headline
