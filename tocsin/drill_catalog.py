"""The API's scenario catalog (api.drill_catalog.ScenarioCatalog) over drills.scenario and the playbook library.

Scenarios are the sample files (drills/scenarios/*.yaml, or another directory), named by file stem or by
their `id`. The composition root builds it, so `api` never imports `drills` (docs/adr/0018).
"""

from __future__ import annotations

from pathlib import Path

import structlog

from api.drill_catalog import ObjectiveSummary, ScenarioInvalid, ScenarioSummary
from drills.model import Scenario
from drills.scenario import SCENARIO_DIR, ScenarioError, parse_scenario, sample_scenarios
from playbooks import PlaybookLibrary

__all__ = ["FileScenarioCatalog", "summary_of"]

log = structlog.get_logger("tocsin.drills.catalog")


def summary_of(scenario: Scenario) -> ScenarioSummary:
    """The API's summary of a validated scenario."""
    return ScenarioSummary(
        id=scenario.id,
        title=scenario.title,
        description=scenario.description,
        playbook=scenario.playbook,
        objectives=[ObjectiveSummary(id=o.id, title=o.title) for o in scenario.objectives],
        units=list(scenario.units),
        injects=len(scenario.injects),
        duration_seconds=scenario.end.total_seconds(),
    )


class FileScenarioCatalog:
    """Scenario files of a directory (default: the samples), validated against a playbook library."""

    def __init__(self, library: PlaybookLibrary, directory: Path | None = None) -> None:
        self.library = library
        self.directory = directory

    def _files(self) -> list[Path]:
        if self.directory is None or self.directory == SCENARIO_DIR:
            return sample_scenarios()
        return sorted(self.directory.glob("*.yaml"))

    def _parse(self, path: Path) -> tuple[ScenarioSummary, str]:
        text = path.read_text(encoding="utf-8")
        return self.check(text, path.name), text

    def list(self) -> list[ScenarioSummary]:
        """Every scenario file that validates, by id; one that does not is logged and left out."""
        found: list[ScenarioSummary] = []
        for path in self._files():
            try:
                found.append(self._parse(path)[0])
            except (ScenarioInvalid, OSError) as exc:
                log.warning("scenario.invalid", file=str(path), problems=str(exc))
        return sorted(found, key=lambda s: s.id)

    def get(self, name: str) -> tuple[ScenarioSummary, str]:
        """The scenario whose file stem or id is `name`, and its text; KeyError when none is."""
        files = self._files()
        for path in files:
            if path.stem == name:
                return self._parse(path)
        for path in files:
            try:
                summary, text = self._parse(path)
            except (ScenarioInvalid, OSError):
                continue
            if summary.id == name:
                return summary, text
        raise KeyError(name)

    def check(self, text: str, source: str) -> ScenarioSummary:
        """Validate scenario YAML; ScenarioInvalid lists every problem as `source:line path: message`."""
        try:
            scenario = parse_scenario(text, source, self.library)
        except ScenarioError as exc:
            raise ScenarioInvalid(str(p) for p in exc.problems) from exc
        except RecursionError as exc:
            raise ScenarioInvalid([f"{source}: not valid YAML: nested too deeply"]) from exc
        return summary_of(scenario)
