"""The systemd units the project ships (infra/systemd) parse, and each one starts a real `tocsin` command."""

from __future__ import annotations

import configparser
import functools
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from streams.roles import ROLES
from tocsin.cli import _register, app

UNITS = Path(__file__).resolve().parents[2] / "infra" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))
EXECUTABLE = "/opt/tocsin/.venv/bin/tocsin"


def unit(path: Path) -> configparser.RawConfigParser:
    """A unit file read as INI (systemd repeats keys such as Environment=, so duplicates are allowed)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


@functools.cache
def tocsin() -> Any:
    """The `tocsin` command tree, built once (registering twice would add every sub-command twice)."""
    _register()
    return typer.main.get_command(app)


def command_of(words: list[str]) -> Any:
    """The `tocsin` sub-command `words` name, with its options checked against the command's own."""
    command = tocsin()
    rest = list(words)
    while hasattr(command, "commands") and rest and not rest[0].startswith("-"):  # a group (typer's own click)
        found = command.commands.get(rest.pop(0))
        assert found is not None, f"`tocsin {' '.join(words)}`: no such command"
        command = found
    known = {name for param in command.params for name in getattr(param, "opts", [])}
    assert [w for w in rest if w.startswith("--") and w not in known] == [], f"`tocsin {' '.join(words)}`"
    return command


def test_the_project_ships_the_api_the_worker_template_and_the_drill_service() -> None:
    assert [path.name for path in SERVICES] == ["tocsin-api.service", "tocsin-drills.service", "tocsin-worker@.service"]


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_unit_parses_restarts_and_starts_a_real_tocsin_command(path: Path) -> None:
    parsed = unit(path)
    assert {"Unit", "Service", "Install"} <= set(parsed.sections())
    assert parsed["Service"]["Restart"] == "always"
    assert parsed["Service"]["EnvironmentFile"] == "/etc/tocsin/tocsin.env"
    executable, *words = shlex.split(parsed["Service"]["ExecStart"])
    assert executable == EXECUTABLE
    roles = ROLES if "%i" in words else ("",)
    for role in roles:
        command_of([role if w == "%i" else w.replace("%H", "host1") for w in words])


def test_the_worker_template_takes_its_role_from_the_instance_name() -> None:
    words = shlex.split(unit(UNITS / "tocsin-worker@.service")["Service"]["ExecStart"])
    assert words[1:5] == ["worker", "--role", "%i", "--worker-id"]
