"""`tocsin drill check|schema|score-demo|run|report`: validate scenarios, demonstrate scoring, run live drills.

`run` plays a scenario through the real pipeline (drills/live.py, ADR 0015); `report` re-renders a stored run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from drills.bots import BEHAVIOURS
from drills.clock import ClockError, check_speed
from drills.report import write_report
from drills.scenario import SCENARIO_DIR, ScenarioError, load_scenario, parse_scenario, sample_scenarios
from drills.schema import SCHEMA, SCHEMA_FILE
from drills.scoring import Score, score_run
from drills.simulate import simulate
from playbooks import PlaybookError, PlaybookLibrary, load_library

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tabletop drills (桌面推演).")

Files = Annotated[list[Path] | None, typer.Argument(help="Scenario files (default: the sample scenarios).")]


@app.command()
def check(files: Files = None) -> None:
    """Validate scenario files against the schema and the playbooks; print file:line path: message; exit 1 on any."""
    paths = files or sample_scenarios()
    missing = [p for p in paths if not p.is_file()]
    for path in missing:
        typer.echo(f"{path}: no such file", err=True)
    if missing:
        raise typer.Exit(1)
    library = _library()
    problems, ids = [], []
    for path in paths:
        try:
            scenario = parse_scenario(path.read_text(encoding="utf-8"), str(path) if files else path.name, library)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        ids.append(scenario.id)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {len(paths)} file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {len(ids)} scenario(s) valid ({', '.join(ids)})")


@app.command()
def schema(write: Annotated[bool, typer.Option("--write", help="Rewrite the published schema file.")] = False) -> None:
    """Print the scenario JSON Schema (or publish it to drills/scenario.schema.json)."""
    if write:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
        typer.echo(f"wrote {SCHEMA_FILE}")
    else:
        typer.echo(schema_text(), nl=False)


@app.command("score-demo")
def score_demo(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or a sample's name (e.g. school_canteen).")],
    bot: Annotated[str, typer.Option("--bot", help=f"Player bot: {' | '.join(BEHAVIOURS)}.")] = "perfect",
    speed: Annotated[float, typer.Option("--speed", help="Scenario clock speed, 1 to 600.")] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the score as JSON.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the after-action report here.")] = None,
) -> None:
    """Run a scenario with a player bot on a simulated clock (no Kafka) and print the score."""
    if bot not in BEHAVIOURS:
        typer.echo(f"--bot {bot!r} is not one of {', '.join(BEHAVIOURS)}", err=True)
        raise typer.Exit(2)
    try:
        check_speed(speed)
    except ClockError as error:
        typer.echo(f"--speed: {error}", err=True)
        raise typer.Exit(2) from None
    path = Path(scenario) if Path(scenario).is_file() else SCENARIO_DIR / f"{scenario}.yaml"
    if not path.is_file():
        typer.echo(f"{scenario}: no such scenario file or sample", err=True)
        raise typer.Exit(2)
    library = _library()
    try:
        loaded = load_scenario(path, library)
    except ScenarioError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    simulation = simulate(loaded, bot, library=library, speed=speed)
    scored = score_run(simulation.result)
    typer.echo(json.dumps(scored.to_dict(), ensure_ascii=False, indent=2) if as_json else score_text(scored))
    for line in simulation.rejected:
        typer.echo(f"rejected player command: {line}", err=True)
    if report is not None:
        for written in write_report(simulation.result, report, score=scored):
            typer.echo(f"wrote {written}", err=True)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or a sample's name (e.g. school_canteen).")],
    speed: Annotated[float, typer.Option("--speed", help="Scenario clock speed, 1 to 600.")] = 60.0,
    bot: Annotated[str | None, typer.Option("--bot", help=f"Player bot: {' | '.join(BEHAVIOURS)} "
                                                          "(default: none, people play).")] = None,
    exercise_id: Annotated[str | None, typer.Option("--exercise-id", help="Exercise id (default: generated).")] = None,
    report_dir: Annotated[Path | None, typer.Option(
        "--report-dir", help="Where the report goes (default: var/drills/<exercise-id>/).")] = None,
) -> None:
    """Run a drill through Kafka and the worker: live inject list, score at the end, after-action report."""
    import asyncio
    from datetime import UTC, datetime

    from rich.console import Console

    from drills.live import result_to_dict, run_live
    from infra.settings import Settings

    if bot is not None and bot not in BEHAVIOURS:
        typer.echo(f"--bot {bot!r} is not one of {', '.join(BEHAVIOURS)}", err=True)
        raise typer.Exit(2)
    try:
        check_speed(speed)
    except ClockError as error:
        typer.echo(f"--speed: {error}", err=True)
        raise typer.Exit(2) from None
    path = _scenario_path(scenario)
    library = _library()
    try:
        loaded = load_scenario(path, library)
    except ScenarioError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    settings = Settings()
    exercise = exercise_id or f"EX-{loaded.id}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    directory = report_dir or settings.data_dir / "drills" / exercise
    console = Console()
    view = _LiveView(loaded.end.total_seconds())
    with view.live(console):
        try:
            live = asyncio.run(run_live(loaded, bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix,
                                        database_url=settings.database_url, speed=speed, bot=bot,
                                        exercise_id=exercise, progress=view.update))
        except RuntimeError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
    typer.echo(score_text(live.score))
    for line in live.rejected:
        typer.echo(f"rejected player command: {line}", err=True)
    for line in live.unanswered:
        typer.echo(f"no answer from the platform: {line}", err=True)
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / "run.json"
    stored.write_text(json.dumps(result_to_dict(live, path.read_text(encoding="utf-8")), ensure_ascii=False,
                                 indent=2), encoding="utf-8")
    typer.echo(f"wrote {stored}", err=True)
    for written in write_report(live.result, directory, score=live.score):
        typer.echo(f"wrote {written}", err=True)


@app.command("report")
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run's directory (with run.json), or the run.json itself.")],
) -> None:
    """Re-render the after-action report (Markdown, HTML, chart) of a stored live run."""
    from drills.live import result_from_dict

    stored = run_dir if run_dir.is_file() else run_dir / "run.json"
    if not stored.is_file():
        typer.echo(f"{stored}: no such file (run `tocsin drill run` first)", err=True)
        raise typer.Exit(2)
    result = result_from_dict(json.loads(stored.read_text(encoding="utf-8")), _library())
    scored = score_run(result)
    typer.echo(score_text(scored))
    for written in write_report(result, stored.parent, score=scored):
        typer.echo(f"wrote {written}", err=True)


class _LiveView:
    """The controller's view: a progress bar of scenario time and the live inject list."""

    def __init__(self, total_seconds: float) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.total = total_seconds
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[clock]}"), TimeElapsedColumn())
        self.task = self.progress.add_task("drill", total=total_seconds, clock="T+0:00")
        self.table_rows: list[tuple[str, str, str, str]] = []
        self._live: Any = None

    def live(self, console: Any) -> Any:
        from rich.live import Live

        self._live = Live(self._render(), console=console, refresh_per_second=4, transient=False)
        return self._live

    def update(self, drill: Any) -> None:
        from drills.model import format_scenario_time

        run = drill.run
        elapsed = min(drill.scenario_now(), run.end_at) - run.start if not run.finished else run.end_at - run.start
        self.progress.update(self.task, completed=elapsed.total_seconds(), clock=format_scenario_time(elapsed),
                             description=run.exercise_id)
        self.table_rows = [(s.id, s.title, s.state,
                            format_scenario_time(s.executed_at - run.start) if s.executed_at else "—")
                           for s in run.states()]
        if self._live is not None:
            self._live.update(self._render())

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        table = Table("inject", "title", "state", "executed", title="injects")
        for row in self.table_rows:
            table.add_row(*row)
        return Group(self.progress, table)


def _scenario_path(scenario: str) -> Path:
    path = Path(scenario) if Path(scenario).is_file() else SCENARIO_DIR / f"{scenario}.yaml"
    if not path.is_file():
        typer.echo(f"{scenario}: no such scenario file or sample", err=True)
        raise typer.Exit(2)
    return path


def score_text(score: Score) -> str:
    """The score as a short text table: overall, per objective, per unit, per expected action."""
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:5.1f}"

    lines = [f"score {pct(score.percent)} / 100", "objectives:"]
    lines += [f"  {pct(g.percent)}  {g.key}  met {g.met} late {g.late} missed {g.missed}" for g in score.objectives]
    lines.append("units:")
    lines += [f"  {pct(g.percent)}  {g.key}  met {g.met} late {g.late} missed {g.missed}" for g in score.units]
    lines.append("expected actions:")
    lines += [f"  {a.status:7} {a.expectation.id}" + (f" (late by {a.late_by})" if a.late_by else "")
              for a in score.assessments]
    return "\n".join(lines)


def schema_text() -> str:
    """The published schema file's exact content."""
    return json.dumps(SCHEMA, ensure_ascii=False, indent=2) + "\n"


def _library() -> PlaybookLibrary:
    try:
        return load_library()
    except PlaybookError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
