"""`tocsin drill check|schema|score-demo|run|report|serve|control`: scenarios, scoring, live drills, steering.

`run` hosts a drill in-process through the real pipeline (drills/host.py, ADR 0015/0018), steerable like any
hosted drill; `serve` is the drill service that hosts the drills started on Kafka; `control` publishes a
controller command; `report` re-renders a stored run.
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
from infra.kafka.security import use_principal
from infra.wire import DrillCommandType
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
    bot: Annotated[
        str | None, typer.Option("--bot", help=f"Player bot: {' | '.join(BEHAVIOURS)} (default: none, people play).")
    ] = None,
    exercise_id: Annotated[str | None, typer.Option("--exercise-id", help="Exercise id (default: generated).")] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Where the report goes (default: var/drills/<exercise-id>/).")
    ] = None,
) -> None:
    """Run a drill through Kafka and the worker: live inject list, score at the end, after-action report.

    The run is hosted like the drill service's (drills/host.py): `tocsin drill control` and the API steer it.
    """
    import asyncio
    from datetime import UTC, datetime

    from rich.console import Console

    from drills.control import new_exercise_id
    from drills.host import DrillHost, DrillRequest
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
    use_principal("drill")  # the local broker's `drill` principal, unless TOCSIN_KAFKA_* say otherwise (ADR 0022)
    settings = Settings()
    exercise = exercise_id or new_exercise_id(loaded.id, datetime.now(UTC))
    directory = report_dir or settings.data_dir / "drills" / exercise
    request = DrillRequest(
        exercise,
        loaded,
        path.read_text(encoding="utf-8"),
        speed,
        bot,
        requested_by={"user": _console_user(), "roles": ["drill_controller"]},
    )
    host = DrillHost(request, settings, directory=directory)
    host.stop_reason = "interrupted at the console"
    console = Console()
    view = _LiveView(loaded.end.total_seconds())
    typer.echo(f"exercise {exercise}: steer it with `tocsin drill control {exercise} pause|resume|stop|...`", err=True)
    with view.live(console):
        try:
            live = asyncio.run(host.run(view.update))
        except Exception as error:
            typer.echo(f"drill {exercise} failed: {error}", err=True)
            raise typer.Exit(1) from None
    typer.echo(score_text(live.score))
    for line in live.rejected:
        typer.echo(f"rejected player command: {line}", err=True)
    for line in live.unanswered:
        typer.echo(f"no answer from the platform: {line}", err=True)
    for line in host.drill.refused:
        typer.echo(f"refused controller command: {line}", err=True)
    for name in ("run.json", *(p.name for p in sorted(directory.glob("aar-*")))):
        typer.echo(f"wrote {directory / name}", err=True)


@app.command()
def serve() -> None:
    """Run the drill service: host every drill started on Kafka (one service per deployment); Ctrl-C stops it."""
    import asyncio

    from infra.logs import configure_logging
    from infra.settings import Settings

    use_principal("drill")
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    asyncio.run(_serve(settings))


async def _serve(settings: Any) -> None:
    import asyncio
    import signal

    from drills.service import DrillService

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await DrillService(settings).run(stop)


@app.command()
def control(
    exercise_id: Annotated[str, typer.Argument(help="The exercise to steer (EX-...).")],
    action: Annotated[
        str, typer.Argument(help="pause | resume | stop | speed | fire | hold | release | skip | cancel | advance.")
    ],
    inject_id: Annotated[
        str | None,
        typer.Argument(help="The inject, for fire/hold/release/skip/cancel; the phase in play, for advance."),
    ] = None,
    speed: Annotated[float | None, typer.Option("--speed", help="The new speed (1 to 600), for `speed`.")] = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for the drill's answer (0: do not).")] = 10.0,
) -> None:
    """Publish a controller command for a hosted drill and print its answer (exit 1 if rejected or none).

    `advance PHASE_ID` closes the phase in play of a discussion-based drill (AdvancePhase, ADR 0029): the next
    phase opens, or after the last one the exercise ends.
    """
    import asyncio

    from infra.settings import Settings

    kind, payload = _control_command(action, inject_id, speed)
    answer = asyncio.run(_send_command(Settings(), exercise_id, kind, payload, wait))
    if wait > 0:
        _print_answer(exercise_id, answer, wait)


PHASE_ACTION = "advance"
"""The facilitator's verb: close the phase in play (AdvancePhase)."""


def _usage(message: str) -> typer.Exit:
    """Print a usage error; the exit (code 2) to raise."""
    typer.echo(message, err=True)
    return typer.Exit(2)


def _control_command(
    action: str, inject_id: str | None, speed: float | None
) -> tuple[DrillCommandType, dict[str, Any]]:
    """The command ACTION names and its payload; exit 2 when an argument is missing, extra or out of range."""
    from drills.control import ACTIONS, ADVANCE_PHASE, INJECT_COMMANDS, SET_SPEED

    payload: dict[str, Any] = {"requested_by": {"user": _console_user(), "roles": ["drill_controller"]}}
    if action == PHASE_ACTION:
        if not inject_id:
            raise _usage(f"{action} needs the PHASE_ID of the phase in play")
        return ADVANCE_PHASE, {**payload, "phase_id": inject_id}
    kind = ACTIONS.get(action)
    if kind is None:
        raise _usage(f"ACTION {action!r} is not one of {', '.join([*ACTIONS, PHASE_ACTION])}")
    if kind in INJECT_COMMANDS:
        if not inject_id:
            raise _usage(f"{action} needs an INJECT_ID")
        payload["inject_id"] = inject_id
    elif inject_id:
        raise _usage(f"{action} takes no INJECT_ID (got {inject_id!r})")
    if kind == SET_SPEED:
        if speed is None:
            raise _usage("speed needs --speed N (1 to 600)")
        try:
            payload["speed"] = check_speed(speed)
        except ClockError as error:
            raise _usage(f"--speed: {error}") from None
    return kind, payload


def _print_answer(exercise_id: str, answer: dict[str, Any] | None, wait: float) -> None:
    """Print the drill's state after the command; exit 1 when the command was rejected or not answered."""
    from drills.control import DRILL_UPDATED

    if answer is None:
        typer.echo(
            f"no answer from exercise {exercise_id} within {wait:g} s (is it hosted? `tocsin drill serve`)", err=True
        )
        raise typer.Exit(1)
    if answer["type"] != DRILL_UPDATED:
        typer.echo(f"rejected: {answer['payload'].get('reason')}", err=True)
        raise typer.Exit(1)
    state = answer["payload"]
    typer.echo(f"{exercise_id}: {state['state']} at T+{_clock(state['elapsed_seconds'])}, speed {state['speed']:g}")


async def _send_command(
    settings: Any, exercise_id: str, kind: DrillCommandType, payload: dict[str, Any], wait: float
) -> dict[str, Any] | None:
    """Publish a command; if `wait` > 0, return the drill's answer to it (DrillUpdated or rejected) or None."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from drills.control import envelope
    from drills.host import drill_topics, ensure_drill_topics
    from infra.kafka.reading import read_from_end
    from infra.kafka.security import client_options

    await ensure_drill_topics(settings)
    commands, events = drill_topics(settings)
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka_bootstrap), group_id=None, enable_auto_commit=False, metadata_max_age_ms=2_000
    )
    producer = AIOKafkaProducer(
        **client_options(settings.kafka_bootstrap), acks="all", enable_idempotence=True, metadata_max_age_ms=2_000
    )
    await consumer.start()
    await producer.start()
    try:
        await read_from_end(consumer, events)
        command_id = str(uuid.uuid4())
        message = envelope(kind, exercise_id=exercise_id, payload=payload, at=datetime.now(UTC), id_=command_id)
        await producer.send_and_wait(commands, message.to_json(), key=exercise_id.encode())
        typer.echo(f"sent {kind} {command_id} to {exercise_id}", err=True)
        if wait <= 0:
            return None
        try:
            async with asyncio.timeout(wait):
                while True:
                    for records in (await consumer.getmany(timeout_ms=200)).values():
                        for record in records:
                            event = json.loads(record.value)
                            if event.get("causation") == command_id:
                                return dict(event)
        except TimeoutError:
            return None
    finally:
        await producer.stop()
        await consumer.stop()


def _console_user() -> str:
    import getpass

    try:
        return f"console:{getpass.getuser()}"
    except (KeyError, OSError):
        return "console"


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


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
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[clock]}"), TimeElapsedColumn()
        )
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
        paused = " (paused)" if getattr(drill, "held", False) and not run.finished else ""
        self.progress.update(
            self.task,
            completed=elapsed.total_seconds(),
            clock=format_scenario_time(elapsed),
            description=run.exercise_id + paused,
        )
        self.table_rows = [
            (s.id, s.title, s.state, format_scenario_time(s.executed_at - run.start) if s.executed_at else "—")
            for s in run.states()
        ]
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
    lines += [
        f"  {a.status:7} {a.expectation.id}" + (f" (late by {a.late_by})" if a.late_by else "")
        for a in score.assessments
    ]
    if score.discussion is not None:
        discussion = score.discussion
        lines.append(f"discussion {pct(discussion.percent)} / 100, overall {pct(score.overall)} / 100")
        lines.append("capabilities (P S M U):")
        lines += [f"  {pct(g.percent)}  {g.key}  {' '.join(map(str, g.counts))}" for g in discussion.capabilities]
        lines.append("questions:")
        lines += [
            f"  {pct(q.percent)}  {q.question.id}  answers {len(q.answers)}"
            + (f" (no answer from {', '.join(q.unanswered)})" if q.unanswered else "")
            for q in discussion.questions
        ]
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
