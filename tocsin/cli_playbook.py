"""`tocsin playbook check|evaluate|list|schema`: validate playbook files and try them on facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from playbooks import LIBRARY_DIR, Facts, PlaybookError, UnknownPlaybook, build_library, evaluate, load_library
from playbooks.schema import SCHEMA

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Graded response playbooks.")

SCHEMA_FILE = LIBRARY_DIR / "playbook.schema.json"

Files = Annotated[list[Path] | None, typer.Argument(help="Playbook files (default: the whole library).")]
LibraryDir = Annotated[Path | None, typer.Option("--library", help="Playbook directory (default: built-in).")]


@app.command()
def check(files: Files = None) -> None:
    """Validate playbook files; print each problem as file:line path: message; exit 1 on any."""
    paths = files or sorted(LIBRARY_DIR.glob("*.yaml"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        for path in missing:
            typer.echo(f"{path}: no such file", err=True)
        raise typer.Exit(1)
    names = {str(p) if files else p.name: p.read_text(encoding="utf-8") for p in paths}
    try:
        library = build_library(names)
    except PlaybookError as error:
        for problem in error.problems:
            typer.echo(str(problem))
        typer.echo(f"{len(error.problems)} problem(s) in {len(paths)} file(s)", err=True)
        raise typer.Exit(1) from None
    summary = ", ".join(f"{p.id} {p.version}" for p in library.all())
    typer.echo(f"OK: {len(library)} playbook(s) valid ({summary})")


@app.command("evaluate")
def evaluate_cmd(
    incident_type: Annotated[str, typer.Option("--type", help="Incident type, e.g. food_safety.")],
    facts: Annotated[str, typer.Option("--facts", help="Facts as JSON, e.g. '{\"cases\": 35}'.")] = "{}",
    venue_type: Annotated[str | None, typer.Option("--venue-type", help="e.g. school.")] = None,
    rule_set: Annotated[str | None, typer.Option("--rule-set", help="e.g. family_b.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Activation time, ISO-8601 (default: now).")] = None,
    library_dir: LibraryDir = None,
) -> None:
    """What-if: grade the facts and print level, rule, explanation and planned actions as JSON."""
    data = _json_object(facts)
    now = _moment(at)
    try:
        library = load_library(library_dir)
        playbook = library.get(incident_type)
        if rule_set is not None:
            playbook = playbook.with_rule_set(rule_set)
        result = evaluate(playbook, Facts.from_mapping(data), venue_type=venue_type, now=now)
    except (PlaybookError, UnknownPlaybook, KeyError, TypeError, ValueError) as error:
        typer.echo(str(error).strip('"'), err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@app.command("list")
def list_cmd(library_dir: LibraryDir = None) -> None:
    """List the library's playbooks with their versions and rule sets."""
    try:
        library = load_library(library_dir)
    except PlaybookError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps([p.summary() for p in library.all()], ensure_ascii=False, indent=2))


@app.command()
def schema(write: Annotated[bool, typer.Option("--write", help="Rewrite the published schema file.")] = False) -> None:
    """Print the playbook JSON Schema (or publish it to playbooks/library/playbook.schema.json)."""
    text = schema_text()
    if write:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {SCHEMA_FILE}")
    else:
        typer.echo(text, nl=False)


def schema_text() -> str:
    """The published schema file's exact content."""
    return json.dumps(SCHEMA, ensure_ascii=False, indent=2) + "\n"


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        typer.echo(f"--facts is not JSON: {error}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(data, dict):
        typer.echo("--facts must be a JSON object, e.g. '{\"cases\": 35}'", err=True)
        raise typer.Exit(2)
    return data


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"--at {text!r} is not an ISO-8601 time", err=True)
        raise typer.Exit(2) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
