"""The discussion's part of the after-action report: phases, questions with the answers and observations quoted,
ratings per capability and per unit beside the timing scores, and what went well or not."""

from __future__ import annotations

from datetime import datetime

from drills.evaluation import RATING_NAMES, DiscussionScore, RatedGroup
from drills.model import Scenario, format_scenario_time
from drills.render import Block, Bullets, Heading, Paragraph, Table
from drills.result import RunResult
from drills.scoring import Score


def score_parts(score: Score) -> str:
    """' (时效 timing 80.0 · 讨论 discussion 66.7)' when a discussion was rated, else ''."""
    if score.discussion is None:
        return ""
    return f"（时效 timing {_pct(score.percent)} · 讨论评估 discussion {_pct(score.discussion.percent)}）"


def discussion_blocks(result: RunResult, score: Score) -> list[Block]:
    """The phases, each question with its answers and observations, and the ratings tables."""
    scenario, discussion = result.scenario, score.discussion
    if not scenario.phases or discussion is None:
        return []

    def t(moment: datetime | None) -> str:
        return format_scenario_time(result.offset(moment)) if moment else "—"

    statuses = {p.id: p for p in result.discussion.phases}
    blocks: list[Block] = [
        Heading("推演阶段 Phases"),
        Table(
            ("阶段 phase", "情景时间 span", "开始 started", "结束 closed", "情景 narrative"),
            tuple(
                (
                    f"{p.id}：{p.title}",
                    f"{format_scenario_time(p.start)}–{format_scenario_time(p.end)}",
                    t(statuses[p.id].started_at) if p.id in statuses else "—",
                    t(statuses[p.id].closed_at) if p.id in statuses else "—",
                    " ".join(x for x in (p.jump, p.narrative) if x),
                )
                for p in scenario.phases
            ),
        ),
        Heading("按能力评估 Ratings by capability"),
        _rated_table("能力 capability", discussion.capabilities),
        Heading("按单位评估 Ratings and timing by unit"),
        _units_table(discussion, score),
        Heading("问题、回答与观察 Questions, answers and observations"),
    ]
    name = scenario.unit_name
    for q in discussion.questions:
        question = q.question
        blocks += [
            Heading(f"{question.id}：{question.text}", 3),
            Paragraph(
                f"阶段 phase: {question.phase} · 提问对象 to: {', '.join(name(u) for u in question.to)} · "
                f"能力 capability: {scenario.capability_title(question.capability)} · 得分 score: {_pct(q.percent)}"
            ),
            Bullets(
                tuple(f"预案要点 expected: {p.text}" + (f"（{p.step}）" if p.step else "") for p in question.points)
                + tuple(f"回答 answer — {name(a.unit)}（{a.by}, {t(a.at)}）：“{a.text}”" for a in q.answers)
                + tuple(f"观察 observation — {r.evaluator}: {RATING_NAMES[r.rating]}；{r.note}" for r in q.ratings)
                + tuple(f"未回答 no answer from {scenario.unit_name(u)}" for u in q.unanswered)
            ),
        ]
    if discussion.capability_ratings:
        blocks += [
            Heading("能力观察 Observations per capability", 3),
            Bullets(
                tuple(
                    f"{scenario.capability_title(r.capability or '')} — {r.evaluator}: "
                    f"{RATING_NAMES[r.rating]}；{r.note}"
                    for r in discussion.capability_ratings
                )
            ),
        ]
    return blocks


def discussion_strengths(scenario: Scenario, discussion: DiscussionScore | None) -> tuple[str, ...]:
    """Questions and capabilities every evaluator rated P or S (performed), with the ratings and notes."""
    if discussion is None:
        return ()
    lines = [
        f"{', '.join(scenario.unit_name(u) for u in q.question.to)}：{q.question.text}"
        f"（{'/'.join(r.rating for r in q.ratings)}；{_notes(q.ratings)}）"
        for q in discussion.questions
        if q.ratings and all(r.rating in ("P", "S") for r in q.ratings)
    ]
    lines += [
        f"{scenario.capability_title(r.capability)}（{r.rating}；{r.note or '—'}）"
        for r in discussion.capability_ratings
        if r.rating in ("P", "S") and r.capability is not None
    ]
    return tuple(lines)


def discussion_improvements(scenario: Scenario, discussion: DiscussionScore | None) -> tuple[str, ...]:
    """Questions and capabilities rated M or U (with the notes) and addressees that did not answer."""
    if discussion is None:
        return ()
    lines: list[str] = []
    for q in discussion.questions:
        low = [r for r in q.ratings if r.rating in ("M", "U")]
        if low:
            lines.append(
                f"{', '.join(scenario.unit_name(u) for u in q.question.to)}：{q.question.text}"
                f"（{'/'.join(r.rating for r in low)}；{_notes(low)}）"
            )
        lines += [f"{scenario.unit_name(u)}：未回答 did not answer “{q.question.text}”" for u in q.unanswered]
    lines += [
        f"{scenario.capability_title(r.capability)}（{r.rating}；{r.note or '—'}）"
        for r in discussion.capability_ratings
        if r.rating in ("M", "U") and r.capability is not None
    ]
    return tuple(lines)


def _notes(ratings: object) -> str:
    notes = [r.note for r in ratings if r.note] if isinstance(ratings, tuple | list) else []
    return "；".join(notes) or "—"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _rated_table(label: str, groups: tuple[RatedGroup, ...]) -> Table:
    return Table(
        (label, "得分 score", "P", "S", "M", "U"),
        tuple((g.title, _pct(g.percent), *(str(c) for c in g.counts)) for g in groups),
    )


def _units_table(discussion: DiscussionScore, score: Score) -> Table:
    timing = {g.key: g.percent for g in score.units}
    rated = {g.key: g for g in discussion.units}
    keys = list(dict.fromkeys([*rated, *timing]))
    return Table(
        ("单位 unit", "讨论评估 discussion", "时效 timing", "P", "S", "M", "U"),
        tuple(
            (
                rated[k].title if k in rated else next(g.title for g in score.units if g.key == k),
                _pct(rated[k].percent) if k in rated else "—",
                _pct(timing.get(k)),
                *((str(c) for c in rated[k].counts) if k in rated else ("0", "0", "0", "0")),
            )
            for k in keys
        ),
    )
