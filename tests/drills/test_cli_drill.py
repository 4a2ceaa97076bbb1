"""`tocsin drill check|schema|score-demo` at the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from drills.schema import SCHEMA
from infra.wire import DrillCommandType
from tests.drills.factories import SMALL, line_of, write
from tocsin.cli_drill import _control_command, app

runner = CliRunner()


def test_check_of_the_samples_succeeds() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 6 scenario(s) valid")


def test_check_of_a_broken_file_prints_file_line_field_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "school.yaml", SMALL.replace("at: T+0:20", "at: T+1:7x"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    line = line_of(SMALL, "at: T+0:20")
    assert f"{path}:{line} injects[1].at: 'T+1:7x' is not a scenario time" in result.stdout


def test_check_of_a_missing_file_fails(tmp_path: Path) -> None:
    assert runner.invoke(app, ["check", str(tmp_path / "nope.yaml")]).exit_code == 1


def test_score_demo_prints_the_score_of_a_bot(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score-demo", "school_canteen", "--bot", "late", "--report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("score  50.0 / 100")
    assert (tmp_path / "aar-demo-school_canteen-late.md").is_file()


def test_score_demo_as_json() -> None:
    result = runner.invoke(app, ["score-demo", "public_opinion", "--bot", "perfect", "--speed", "1", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["percent"] == 100.0


def test_score_demo_refuses_an_unknown_bot_or_speed() -> None:
    assert runner.invoke(app, ["score-demo", "school_canteen", "--bot", "lazy"]).exit_code == 2
    assert runner.invoke(app, ["score-demo", "school_canteen", "--speed", "1000"]).exit_code == 2


def test_schema_prints_the_published_schema() -> None:
    assert json.loads(runner.invoke(app, ["schema"]).stdout) == SCHEMA


def test_control_refuses_a_bad_action_inject_or_speed_before_publishing_anything() -> None:
    cases = [
        (["EX-1", "explode"], "ACTION 'explode' is not one of pause, resume, stop, speed, fire, hold"),
        (["EX-1", "fire"], "fire needs an INJECT_ID"),
        (["EX-1", "pause", "media_call"], "pause takes no INJECT_ID (got 'media_call')"),
        (["EX-1", "speed"], "speed needs --speed N (1 to 600)"),
        (["EX-1", "speed", "--speed", "900"], "--speed: speed 900 is outside 1–600"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["control", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output


def test_score_demo_of_a_tabletop_prints_the_discussion_beside_the_timing() -> None:
    result = runner.invoke(app, ["score-demo", "cross_town_tabletop", "--bot", "absent", "--speed", "600"])
    assert result.exit_code == 0, result.output
    assert "discussion   0.0 / 100, overall   0.0 / 100" in result.stdout
    assert "   0.0  recovery  0 0 0 2" in result.stdout
    assert "terminate  answers 0 (no answer from leading_group, district_office)" in result.stdout


def test_control_advance_closes_the_named_phase_and_needs_one() -> None:
    kind, payload = _control_command("advance", "first_response", None)
    assert (kind, payload["phase_id"], payload["requested_by"]["roles"]) == (
        DrillCommandType.ADVANCE_PHASE,
        "first_response",
        ["drill_controller"],
    )
    with pytest.raises(typer.Exit) as missing:
        _control_command("advance", None, None)
    assert missing.value.exit_code == 2
    result = runner.invoke(app, ["control", "EX-x", "advanced"])
    assert result.exit_code == 2 and "advance" in result.output
