"""`tocsin playbook check|evaluate|schema` at the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.unit.playbooks.factories import food_safety_text, line_of, write
from tocsin.cli_playbook import SCHEMA_FILE, app, schema_text

runner = CliRunner()


def test_check_of_the_library_succeeds_with_a_summary() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 3 playbook(s) valid")


def test_check_of_a_broken_file_prints_file_line_field_and_fails(tmp_path: Path) -> None:
    text = food_safety_text()
    line = line_of(text, "deadline: 30m")
    path = write(tmp_path, "food_safety.yaml", text.replace("deadline: 30m", "deadline: 30 mins please", 1))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line} levels.IV.actions[0].deadline: '30 mins please' is not a duration" in result.stdout


def test_evaluate_prints_the_grading_as_json() -> None:
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--type",
            "food_safety",
            "--facts",
            '{"cases": 10, "deaths": 1}',
            "--at",
            "2025-03-03T08:00:00+08:00",
        ],
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["explanation"] == "III: deaths = 1 ≥ 1 (rule III.death)"


def test_evaluate_selects_a_rule_set() -> None:
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--type",
            "food_safety",
            "--rule-set",
            "family_b",
            "--facts",
            '{"novel_contaminant": true, "regions": {"townships": 2}}',
        ],
    )
    assert json.loads(result.stdout)["rule_id"] == "II.novel_contaminant"


def test_evaluate_refuses_facts_that_are_not_json() -> None:
    result = runner.invoke(app, ["evaluate", "--type", "food_safety", "--facts", "{cases: 3"])
    assert result.exit_code == 2


def test_the_published_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()
