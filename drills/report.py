"""The after-action report (演练评估报告): timeline, response chart, strengths, areas for improvement, plan.

Built once as blocks (render.py) and written as Markdown and HTML, with the chart image beside them.
Everything comes from the run's result and score; the report date is passed in (no clock is read here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from drills.chart import chart_rows, write_chart
from drills.improvement import improvement_plan, plan_csv
from drills.model import format_scenario_time
from drills.render import Block, Bullets, Heading, Image, Paragraph, Table, to_html, to_markdown
from drills.report_discussion import discussion_blocks, discussion_improvements, discussion_strengths, score_parts
from drills.result import RunResult
from drills.scoring import LATE, MET, MISSED, Assessment, GroupScore, Score, score_run

STATUS_NAMES = {
    MET: "按时 met",
    LATE: "超时 late",
    MISSED: "未完成 missed",
    "open": "未到时限 open",
    "void": "未触发 void",
}
HIDDEN_LOG_KINDS = frozenset({"system"})


def write_report(
    result: RunResult, directory: Path, *, score: Score | None = None, report_date: date | None = None
) -> tuple[Path, Path, Path]:
    """Write the report as Markdown and HTML plus the chart image (and the plan as CSV); return the first three."""
    directory.mkdir(parents=True, exist_ok=True)
    scored = score if score is not None else score_run(result)
    stem = directory / f"aar-{_safe(result.exercise_id)}"
    rows = chart_rows(scored, scenario_start=result.scenario_start, ended_at=result.ended_at)
    image = write_chart(rows, stem.with_name(stem.name + "-timeline"), f"{result.scenario.id}: response vs deadlines")
    blocks = report_blocks(result, scored, image_name=image.name, report_date=report_date or result.ended_at.date())
    title = f"演练评估报告 — {result.scenario.title}"
    md, page = stem.with_suffix(".md"), stem.with_suffix(".html")
    md.write_text(to_markdown(blocks), encoding="utf-8")
    page.write_text(to_html(blocks, title), encoding="utf-8")
    plan = improvement_plan(result.scenario, scored, report_date or result.ended_at.date())
    stem.with_name(stem.name + "-improvement-plan.csv").write_text(plan_csv(plan), encoding="utf-8")
    return md, page, image


def report_blocks(result: RunResult, score: Score, *, image_name: str, report_date: date) -> list[Block]:
    """The report's content as blocks, in reading order."""
    scenario = result.scenario

    def t(moment: datetime | None) -> str:
        return format_scenario_time(result.offset(moment)) if moment else "—"

    plan = improvement_plan(scenario, score, report_date)
    overall = "—" if score.overall is None else f"{score.overall:.1f} / 100"
    blocks: list[Block] = [
        Heading(f"演练评估报告 After-action report：{scenario.title}", 1),
        Paragraph(
            f"演练编号 exercise: {result.exercise_id} · 预案 playbook: {scenario.playbook} "
            f"{scenario.playbook_version} · T+0 = {result.scenario_start.isoformat()} · "
            f"结束 ended: {t(result.ended_at)} · 报告日期 report date: {report_date.isoformat()}"
        ),
        Paragraph(f"总分 overall score: {overall}" + score_parts(score)),
        Heading("按目标评分 Score by objective"),
        _group_table("目标 objective", score.objectives),
        Heading("按单位评分 Score by unit"),
        _group_table("单位 unit", score.units),
        Heading("响应时间与时限 Response times vs deadlines"),
        Image(image_name, "响应时间与时限 response times vs deadlines"),
        Table(
            (
                "预期行动 expected action",
                "单位 unit",
                "注入 inject",
                "时限 due",
                "完成 done",
                "结果 result",
                "超时 late by",
            ),
            tuple(
                (
                    f"{a.expectation.id}：{a.expectation.title}",
                    scenario.unit_name(a.expectation.unit),
                    f"{a.expectation.inject_id} {t(a.anchor_at)}",
                    t(a.due_at),
                    t(a.done_at),
                    STATUS_NAMES[a.status],
                    _span(a.late_by),
                )
                for a in score.assessments
            ),
        ),
        Heading("时间线 Timeline"),
        Table(
            ("时间 time", "类别 kind", "内容 what"),
            tuple((t(e.at), e.kind, e.text) for e in result.log if e.kind not in HIDDEN_LOG_KINDS),
        ),
        Heading("注入执行情况 Injects"),
        Table(
            ("注入 inject", "类型 type", "方式 delivery", "计划 planned", "状态 state", "执行 executed", "说明 note"),
            tuple(
                (
                    f"{i.id}：{i.title}",
                    i.type,
                    i.delivery,
                    format_scenario_time(i.at) if i.at is not None else "—",
                    i.state,
                    t(i.executed_at),
                    i.note,
                )
                for i in result.injects
            ),
        ),
        *discussion_blocks(result, score),
        Heading("优势 Strengths"),
        Bullets(
            (*_strengths(score.assessments, scenario.unit_name), *discussion_strengths(scenario, score.discussion))
            or ("（无）none",)
        ),
        Heading("待改进 Areas for improvement"),
        Bullets(
            (
                *_improvements(score.assessments, scenario.unit_name),
                *discussion_improvements(scenario, score.discussion),
            )
            or ("（无）none",)
        ),
        Heading("改进计划 Improvement plan"),
        Table(
            ("改进措施 action", "责任单位 owner", "完成时限 due date"),
            tuple((f"{i.issue}：{i.action}", i.owner_name, i.due.isoformat()) for i in plan)
            or (("（无）none", "—", "—"),),
        ),
    ]
    return blocks


def _group_table(label: str, groups: Sequence[GroupScore]) -> Table:
    return Table(
        (label, "得分 score", "按时 met", "超时 late", "未完成 missed", "不计分 unscored"),
        tuple(
            (
                g.title,
                "—" if g.percent is None else f"{g.percent:.1f}",
                str(g.met),
                str(g.late),
                str(g.missed),
                str(g.unscored),
            )
            for g in groups
        ),
    )


def _span(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _strengths(assessments: Sequence[Assessment], unit_name: Callable[[str], str]) -> tuple[str, ...]:
    met = [a for a in assessments if a.status == MET and a.response_time is not None and a.allowed]
    met.sort(key=lambda a: (a.response_time or timedelta(0)) / (a.allowed or timedelta(minutes=1)))
    name = unit_name
    lines = []
    for a in met:
        early = "提前 early, " if (a.response_time or timedelta(0)) * 2 <= (a.allowed or timedelta(0)) else ""
        lines.append(
            f"{name(a.expectation.unit)}：{a.expectation.title}（{early}用时 took {_span(a.response_time)}，"
            f"时限 allowed {_span(a.allowed)}）"
        )
    return tuple(lines)


def _improvements(assessments: Sequence[Assessment], unit_name: Callable[[str], str]) -> tuple[str, ...]:
    name = unit_name
    lines = []
    for a in assessments:
        if a.status == LATE:
            lines.append(
                f"{name(a.expectation.unit)}：{a.expectation.title}（超时 late by {_span(a.late_by)}，"
                f"时限 allowed {_span(a.allowed)}）"
            )
        elif a.status == MISSED:
            lines.append(f"{name(a.expectation.unit)}：{a.expectation.title}（演练结束前未完成 not done）")
    return tuple(lines)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "exercise"
