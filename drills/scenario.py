"""Scenario text to a validated `Scenario`: YAML, then the JSON Schema, then meaning against the playbook.

Every problem names the file, the line, the field path and the bad value, e.g.
`school_canteen.yaml:42 injects[3].at: 'T+1:7x' is not a scenario time (T+h:mm, e.g. T+0:40)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drills.model import (
    EXPECTATION_KINDS,
    REPORT_TYPES,
    Condition,
    Expectation,
    IncidentCondition,
    Inject,
    InjectCondition,
    Objective,
    Scenario,
    format_scenario_time,
    parse_scenario_time,
)
from drills.scenario_phases import build_capabilities, build_phases
from drills.schema import VALIDATOR, explain
from infra.wire.report import ReportIn
from playbooks import ActionSpec, Level, PlaybookLibrary, Problem, UnknownPlaybook, load_library
from playbooks.duration import parse_duration
from playbooks.planning import replaced_by
from playbooks.yaml_source import Located, YamlSyntaxError, format_path, load_located

SCENARIO_DIR = Path(__file__).parent / "scenarios"
"""The sample scenarios shipped with the package."""
RUNNER_FIELDS = ("report_id", "reported_at", "mode", "exercise_id")
"""Report fields the runner fills in; a scenario must not set them."""
_PLACEHOLDER = {
    "report_id": "check",
    "reported_at": "2026-01-01T00:00:00+00:00",
    "mode": "exercise",
    "exercise_id": "check",
}

Path_ = tuple[str | int, ...]


class ScenarioError(Exception):
    """One or more scenario files are invalid; `problems` lists each one, located."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid scenario")


def sample_scenarios() -> list[Path]:
    """The sample scenario files, sorted by name."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def load_scenario(path: Path, library: PlaybookLibrary | None = None, *, filename: str | None = None) -> Scenario:
    """Read and validate a scenario file against the playbook library; raise ScenarioError."""
    text = path.read_text(encoding="utf-8")
    return parse_scenario(text, filename or path.name, library if library is not None else load_library())


def parse_scenario(text: str, filename: str, library: PlaybookLibrary) -> Scenario:
    """Validate a scenario's text and build it; raise ScenarioError listing every problem."""
    try:
        located = load_located(text)
    except YamlSyntaxError as error:
        raise ScenarioError([Problem(filename, error.line, "", f"not valid YAML: {error}")]) from None
    problems = [
        Problem(filename, line, format_path(path), f"duplicate key {path[-1]!r}") for path, line in located.duplicates
    ]
    if not isinstance(located.data, Mapping):
        raise ScenarioError([Problem(filename, 1, "", "a scenario is a mapping of fields (id, title, ...)")])
    for invalid in VALIDATOR.iter_errors(located.data):
        for path, message in explain(invalid):
            problems.append(Problem(filename, located.line_of(path), format_path(path), message))
    if problems:
        raise ScenarioError(problems)
    builder = _Builder(located, filename, library)
    scenario = builder.build()
    if builder.problems or scenario is None:
        raise ScenarioError(builder.problems)
    return scenario


class _Builder:
    """Builds a Scenario from schema-valid data, collecting a Problem for each broken reference."""

    def __init__(self, located: Located, filename: str, library: PlaybookLibrary) -> None:
        self.located, self.filename, self.library = located, filename, library
        self.data: Mapping[str, Any] = located.data
        self.problems: list[Problem] = []
        self.end = timedelta(0)

    def issue(self, path: Path_, message: str) -> None:
        """Record a problem at `path`."""
        self.problems.append(Problem(self.filename, self.located.line_of(path), format_path(path), message))

    def build(self) -> Scenario | None:
        """The scenario, or None when its playbook is unknown (problems says why)."""
        data = self.data
        try:
            playbook = self.library.get(data["playbook"])
        except UnknownPlaybook as error:
            self.issue(("playbook",), str(error))
            return None
        self.playbook = playbook
        self.end = self._time(data["end"], ("end",))
        self.objectives = self._objectives()
        self.units = self._units()
        self.inject_ids = self._unique([i["id"] for i in data["injects"]], "injects", "inject")
        expectation_ids = [e["id"] for i in data["injects"] for e in i.get("expect") or []]
        self.expectation_ids = set(expectation_ids)
        self._duplicates(data["injects"])
        injects = tuple(self._inject(raw, ("injects", n)) for n, raw in enumerate(data["injects"]))
        self._check_usage(injects)
        capabilities = build_capabilities(data.get("capabilities") or [], self.issue)
        phases = build_phases(
            data.get("phases") or [],
            self.issue,
            end=self.end,
            units=self.units,
            capabilities=capabilities,
            playbook=playbook,
        )
        return Scenario(
            id=data["id"],
            title=data["title"],
            playbook=playbook.id,
            playbook_version=playbook.version,
            incident_type=playbook.incident_type,
            end=self.end,
            objectives=self.objectives,
            units=self.units,
            injects=injects,
            unit_names={**playbook.roles, **playbook.units},
            start=self._start(),
            description=data.get("description", ""),
            filename=self.filename,
            phases=phases,
            capabilities=capabilities,
        )

    def _time(self, text: str, path: Path_) -> timedelta:
        offset = parse_scenario_time(text)
        if path != ("end",) and offset > self.end:
            self.issue(path, f"{text!r} is after the end of the scenario ({format_scenario_time(self.end)})")
        return offset

    def _start(self) -> datetime | None:
        text = self.data.get("start")
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.issue(("start",), f"{text!r} is not an ISO-8601 time with an offset (e.g. 2026-11-30T08:00:00+08:00)")
            return None
        return moment

    def _unique(self, ids: list[str], section: str, what: str) -> set[str]:
        seen: set[str] = set()
        for n, item in enumerate(ids):
            if item in seen:
                self.issue((section, n, "id"), f"{what} id {item!r} is used twice")
            seen.add(item)
        return seen

    def _duplicates(self, injects: list[Mapping[str, Any]]) -> None:
        seen: set[str] = set()
        for n, raw in enumerate(injects):
            for m, exp in enumerate(raw.get("expect") or []):
                if exp["id"] in seen:
                    self.issue(("injects", n, "expect", m, "id"), f"expected action id {exp['id']!r} is used twice")
                seen.add(exp["id"])

    def _objectives(self) -> tuple[Objective, ...]:
        raw = self.data["objectives"]
        self._unique([o["id"] for o in raw], "objectives", "objective")
        return tuple(Objective(o["id"], o["title"], o.get("description", "")) for o in raw)

    def _units(self) -> tuple[str, ...]:
        known = set(self.playbook.units) | set(self.playbook.roles)
        for n, unit in enumerate(self.data["units"]):
            if unit not in known:
                self.issue(("units", n), f"{unit!r} is not a unit or role of playbook {self.playbook.id}")
        return tuple(dict.fromkeys(self.data["units"]))

    def _inject(self, raw: Mapping[str, Any], path: Path_) -> Inject:
        at = self._time(raw["at"], (*path, "at")) if "at" in raw else None
        receivers = tuple(raw.get("receivers") or ())
        roles = set(self.playbook.roles)
        for n, receiver in enumerate(receivers):
            if receiver not in self.units and receiver not in roles:
                self.issue(
                    (*path, "receivers", n),
                    f"{receiver!r} is not a participating unit or a playbook role "
                    "(exercise messages go to participants only)",
                )
        report = self._report(raw["report"], (*path, "report")) if raw["type"] in REPORT_TYPES else None
        if raw["type"] not in REPORT_TYPES and "report" in raw:
            self.issue((*path, "report"), f"an inject of type {raw['type']!r} carries text, not a report")
        condition = self._condition(raw, path) if "condition" in raw else None
        if "condition" in raw and raw.get("delivery") != "conditional":
            self.issue((*path, "condition"), "only a conditional inject has a condition (set delivery: conditional)")
        unless = raw.get("unless")
        if unless is not None and unless not in self.expectation_ids:
            self.issue((*path, "unless"), f"{unless!r} is not an expected action of this scenario")
        if unless is not None and raw.get("delivery") != "contingency":
            self.issue((*path, "unless"), "only a contingency inject has `unless` (set delivery: contingency)")
        expect = tuple(
            self._expectation(e, raw["id"], at, (*path, "expect", n)) for n, e in enumerate(raw.get("expect") or [])
        )
        return Inject(
            id=raw["id"],
            title=raw["title"],
            type=raw["type"],
            delivery=raw.get("delivery", "automatic"),
            at=at,
            sender=raw.get("sender", "controller"),
            receivers=receivers,
            report=report,
            text=raw.get("text", ""),
            condition=condition,
            unless=unless,
            expect=expect,
        )

    def _report(self, raw: Mapping[str, Any], path: Path_) -> Mapping[str, Any]:
        for key in RUNNER_FIELDS:
            if key in raw:
                self.issue((*path, key), f"{key!r} is filled in by the drill runner; remove it")
        body = {
            "source": "drill",
            "incident_type": self.playbook.incident_type,
            **{k: v for k, v in raw.items() if k not in RUNNER_FIELDS},
        }
        try:
            ReportIn.model_validate({**body, **_PLACEHOLDER})
        except ValidationError as error:
            for item in error.errors():
                where = (*path, *(str(p) if not isinstance(p, int) else p for p in item["loc"]))
                got = item.get("input")
                shown = "" if isinstance(got, Mapping) or got is None else f" (got {got!r})"
                self.issue(where, f"{item['msg']}{shown}")
        return body

    def _condition(self, raw: Mapping[str, Any], path: Path_) -> Condition | None:
        spec, where = raw["condition"], (*path, "condition")
        after = parse_duration(spec["after"]).nominal() if "after" in spec else timedelta(0)
        if ("inject" in spec) == ("incident" in spec):
            self.issue(where, "a condition names either an inject or the incident")
            return None
        if "inject" in spec:
            if spec["inject"] not in self.inject_ids or spec["inject"] == raw["id"]:
                self.issue((*where, "inject"), f"{spec['inject']!r} is not another inject of this scenario")
            return InjectCondition(spec["inject"], spec.get("state", "executed"), after)
        if "state" in spec:
            self.issue((*where, "state"), "`state` belongs to an inject condition")
        incident = spec["incident"]
        level = Level.parse(incident["level_at_least"]) if "level_at_least" in incident else None
        return IncidentCondition(level, incident.get("status"), after)

    def _expectation(self, raw: Mapping[str, Any], inject_id: str, at: timedelta | None, path: Path_) -> Expectation:
        kinds = [k for k in EXPECTATION_KINDS if k in raw]
        if len(kinds) != 1:
            self.issue(path, "an expected action has exactly one of acknowledge, complete, level_at_least")
        kind = kinds[0] if kinds else "acknowledge"
        target = str(raw.get(kind, ""))
        spec = self._action(target, (*path, kind)) if kind != "level_at_least" else None
        if raw["objective"] not in {o.id for o in self.objectives}:
            self.issue((*path, "objective"), f"{raw['objective']!r} is not an objective of this scenario")
        deadline, due, source = self._deadline(raw, spec, at, path)
        unknown_action = spec is None and kind != "level_at_least"
        unit = raw.get("unit") or (spec.owner if spec else "" if unknown_action else self._level_lead(target))
        if unit not in self.units and not (unknown_action and "unit" not in raw):
            self.issue(
                (*path, "unit") if "unit" in raw else path,
                f"{unit!r} is not a participating unit (add it to units or set unit:)",
            )
        title = raw.get("title") or (spec.title if spec else f"响应级别升至 {target} 级或以上")
        return Expectation(
            id=raw["id"],
            inject_id=inject_id,
            objective=raw["objective"],
            kind=kind,
            target=target,
            unit=unit,
            title=title,
            deadline=deadline,
            due=due,
            action_kind=spec.kind if spec else "",
            weight=float(raw.get("weight", 1.0)),
            deadline_source=source,
            superseded_by=tuple(
                a.id
                for a in self.playbook.all_actions()
                if spec is not None and spec.id in replaced_by(self.playbook, [a.id])
            ),
        )

    def _action(self, key: str, path: Path_) -> ActionSpec | None:
        spec = next((a for a in self.playbook.all_actions() if a.id == key), None)
        if spec is None:
            self.issue(path, f"{key!r} is not an action of playbook {self.playbook.id}")
        return spec

    def _level_lead(self, level: str) -> str:
        plan = self.playbook.levels.get(Level.parse(level))
        return plan.lead_unit if plan is not None else "leading_group"

    def _deadline(
        self, raw: Mapping[str, Any], spec: ActionSpec | None, at: timedelta | None, path: Path_
    ) -> tuple[timedelta | None, timedelta | None, str]:
        if "deadline" in raw and "due" in raw:
            self.issue(path, "an expected action has a deadline or a due time, not both")
        if "due" in raw:
            due = self._time(raw["due"], (*path, "due"))
            if at is not None and due <= at:
                self.issue((*path, "due"), f"{raw['due']!r} is not after its inject ({format_scenario_time(at)})")
            return None, due, "scenario"
        if "deadline" in raw:
            deadline = parse_duration(raw["deadline"]).nominal()
            if deadline <= timedelta(0):
                self.issue((*path, "deadline"), f"{raw['deadline']!r} is not a positive duration")
            return deadline, None, "scenario"
        if spec is None:
            if "level_at_least" in raw:
                self.issue(path, "a level_at_least expectation needs a deadline or a due time (the playbook has none)")
            return timedelta(hours=1), None, "scenario"
        return spec.deadline.nominal(), None, "playbook"

    def _check_usage(self, injects: tuple[Inject, ...]) -> None:
        used = {e.objective for inject in injects for e in inject.expect}
        for n, objective in enumerate(self.objectives):
            if objective.id not in used:
                self.issue(("objectives", n, "id"), f"objective {objective.id!r} has no expected action")
        waits = {i.id: i.condition.inject for i in injects if isinstance(i.condition, InjectCondition)}
        for n, inject in enumerate(injects):
            seen, current = {inject.id}, waits.get(inject.id)
            while current is not None and current not in seen:
                seen.add(current)
                current = waits.get(current)
            if current == inject.id and inject.id in waits:
                self.issue(
                    ("injects", n, "condition", "inject"),
                    f"inject {inject.id!r} waits on itself through a cycle of conditions",
                )
