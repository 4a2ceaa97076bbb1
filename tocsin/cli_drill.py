"""`tocsin drill check|schema|score-demo`: validate scenarios and demonstrate scoring with player bots.

`run` and `report` (through Kafka and the API) are registered by the drill driver, not here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

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
