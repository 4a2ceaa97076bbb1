"""The response-timeline chart: each expected action's window (inject → deadline) and when it was done.

A PNG drawn with matplotlib (no pyplot global state: a Figure and the Agg canvas). Labels are the expected
actions' ids (ASCII), so no CJK font is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drills.model import format_scenario_time
from drills.scoring import LATE, MET, MISSED, Score

COLOURS = {MET: "#2e7d32", LATE: "#ef6c00", MISSED: "#c62828"}


@dataclass(frozen=True)
class ChartRow:
    """One expected action on the chart, times in minutes since T+0."""

    label: str
    start: float
    due: float
    done: float | None
    status: str


def chart_rows(score: Score, *, scenario_start: datetime, ended_at: datetime) -> list[ChartRow]:
    """Rows for the scored actions, in MSEL order; a missed action is drawn at the end of the exercise."""
    rows = []
    for a in score.assessments:
        if a.status not in COLOURS or a.anchor_at is None or a.due_at is None:
            continue
        done = a.done_at if a.status != MISSED else ended_at
        rows.append(
            ChartRow(
                a.expectation.id,
                _minutes(a.anchor_at - scenario_start),
                _minutes(a.due_at - scenario_start),
                _minutes(done - scenario_start) if done is not None else None,
                a.status,
            )
        )
    return rows


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _tick_label(minutes: float) -> str:
    return format_scenario_time(timedelta(minutes=minutes))


def render_png(rows: Sequence[ChartRow], path: Path, title: str) -> Path:
    """Draw the chart with matplotlib and save it as PNG."""
    # imported here, not at module level: matplotlib takes a while to import and only reports draw charts
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 0.45 * len(rows) + 1.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for y, row in enumerate(reversed(rows)):
        axes.barh(y, row.due - row.start, left=row.start, height=0.5, color="#cfd8dc", edgecolor="#90a4ae")
        if row.done is not None:
            marker = "x" if row.status == MISSED else "o"
            axes.plot([row.done], [y], marker=marker, color=COLOURS[row.status], markersize=8, linestyle="none")
    axes.set_yticks(range(len(rows)), [r.label for r in reversed(rows)])
    top = max([r.due for r in rows] + [r.done or 0 for r in rows] + [60.0])
    step = 30 if top <= 360 else 120
    ticks = [float(m) for m in range(0, int(top) + step, step)]
    axes.set_xticks(ticks, [_tick_label(m) for m in ticks])
    axes.set_xlabel("scenario time (bar: inject -> deadline; o met / late, x missed at end)")
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def write_chart(rows: Sequence[ChartRow], stem: Path, title: str) -> Path:
    """Write the chart next to the report as `stem`.png."""
    return render_png(rows, stem.with_suffix(".png"), title)
