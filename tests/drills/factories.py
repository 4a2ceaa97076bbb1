"""Builders for the drill tests: a small scenario's text, the library, moments on the scenario clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from drills.model import Scenario
from drills.observations import ActionObserved, IncidentObserved
from drills.scenario import parse_scenario
from playbooks import PlaybookLibrary, load_library

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LIBRARY: PlaybookLibrary = load_library()

SMALL = """\
id: small
title: 小型演练
playbook: food_safety
end: T+3:00
objectives:
  - id: alerting
    title: 及时通知
  - id: treatment
    title: 医疗救治
units: [district_office, health_commission, leading_group, education]
injects:
  - id: first_report
    at: T+0:00
    type: report
    title: 学校报告 35 名学生发病
    sender: 实验小学
    receivers: [district_office]
    report:
      source: school
      location: {venue: 实验小学食堂, admin_code: "330102001"}
      venue_type: school
      facts: {cases: 35}
    expect:
      - id: alert
        objective: alerting
        acknowledge: notify_leading_group
      - id: treat
        objective: treatment
        complete: medical_treatment
        weight: 2
  - id: call
    at: T+0:20
    type: phone_call
    title: 医院来电
    sender: 区人民医院
    receivers: [health_commission]
    text: 已接收 18 名学生。
  - id: follow_up
    delivery: conditional
    condition: {inject: call, after: 10m}
    type: message
    title: 医院续报
    text: 2 人症状较重。
  - id: chase
    delivery: contingency
    unless: alert
    type: phone_call
    title: 区政府催问
    receivers: [district_office]
    text: 为何未通报？
  - id: level_two_call
    delivery: conditional
    condition: {incident: {level_at_least: II}}
    type: message
    title: 省工作组来电
    text: 工作组即将到达。
  - id: parents
    delivery: manual
    at: T+1:00
    type: message
    title: 家长聚集
    text: 家长在校门口聚集。
  - id: update
    at: T+1:30
    type: update
    title: 续报 60 人
    report:
      source: school
      location: {venue: 实验小学食堂, admin_code: "330102001"}
      venue_type: school
      facts: {cases: 60}
    expect:
      - id: phone
        objective: alerting
        complete: phone_report
        deadline: 20m
"""


def small(text: str = SMALL) -> Scenario:
    """The small scenario (or a variant of its text)."""
    return parse_scenario(text, "small.yaml", LIBRARY)


def at(minutes: float) -> datetime:
    """The scenario moment `minutes` after T+0."""
    return T0 + timedelta(minutes=minutes)


def acked(key: str, minutes: float) -> ActionObserved:
    """A step acknowledged `minutes` after T+0."""
    return ActionObserved(key, "acknowledged", at(minutes))


def completed(key: str, minutes: float) -> ActionObserved:
    """A step completed `minutes` after T+0."""
    return ActionObserved(key, "completed", at(minutes))


def level(value: str, minutes: float) -> IncidentObserved:
    """The incident at `value` `minutes` after T+0."""
    return IncidentObserved("INC-1", value, "active", at(minutes))


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of `needle`."""
    return text[: text.index(needle)].count("\n") + 1


def write(folder: Path, name: str, text: str) -> Path:
    """Write a file and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
