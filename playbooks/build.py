"""Schema-valid playbook data to the model, checking what a schema cannot: names, references, levels."""

from __future__ import annotations

from collections.abc import Mapping
from string import Template

from playbooks.assessment import Decision
from playbooks.conditions import STANDARD_FACTS, Condition, FactSpec, Path, parse_condition
from playbooks.duration import Duration, parse_duration
from playbooks.errors import Problem
from playbooks.json_types import JsonValue
from playbooks.levels import Level
from playbooks.model import ActionSpec, Criterion, Group, LevelPlan, Playbook, Rule, RuleSet
from playbooks.public_info import TEMPLATE_NAMES as BULLETIN_NAMES
from playbooks.public_info import BulletinTemplate, CapFields, PublicInfoSpec, WarningLevel
from playbooks.yaml_source import Located, as_mapping, format_path

TEMPLATE_NAMES = frozenset(
    {"level", "level_name", "title", "playbook", *(name.replace(".", "_") for name in STANDARD_FACTS)}
)
"""Names a message template may use as ${name}, besides the playbook's own facts."""
MIN_REPEAT_SECONDS = 3600
"""The shortest period of a recurring step (`repeat: 1h`)."""


class Builder:
    """Builds a Playbook from schema-valid data, collecting a Problem for each broken reference."""

    def __init__(self, located: Located, filename: str) -> None:
        self.located = located
        self.filename = filename
        self.problems: list[Problem] = []
        self.data: Mapping[str, JsonValue] = located.data
        self.facts: dict[str, FactSpec] = dict(STANDARD_FACTS)
        self.parties: set[str] = set(self.data["units"]) | set(self.data["roles"])
        self.action_levels: dict[str, Level | None] = {}

    def issue(self, path: Path, message: str) -> None:
        """Record a problem at `path`."""
        self.problems.append(Problem(self.filename, self.located.line_of(path), format_path(path), message))

    def build(self, digest: str, *, source: str) -> Playbook:
        """The playbook, or a partial one when `problems` is not empty."""
        data = self.data
        self._facts()
        parameters = self._parameters()
        groups = self._groups()
        levels = self._levels(groups)
        rule_sets = self._rule_sets(levels)
        after = tuple(
            self._action(a, ("after_response", i), None) for i, a in enumerate(data.get("after_response") or [])
        )
        if data["default_rule_set"] not in rule_sets:
            self.issue(
                ("default_rule_set",),
                f"{data['default_rule_set']!r} is not a rule set (defined: {', '.join(sorted(rule_sets))})",
            )
        return Playbook(
            id=data["id"],
            version=f"{data['version']}+{digest[:12]}",
            title=data["title"],
            incident_type=data["incident_type"],
            rule_set=data["default_rule_set"],
            rule_sets=rule_sets,
            default_rule_set=data["default_rule_set"],
            levels=levels,
            facts=self.facts,
            units=dict(data["units"]),
            roles=dict(data["roles"]),
            groups=groups,
            after_response=after,
            parameters=parameters,
            termination=self._criteria(parameters),
            public_info=self._public_info(levels, after),
            assessment_required=frozenset(
                Decision(d) for d in as_mapping(data.get("expert_assessment")).get("required_for", [])
            ),
            description=data.get("description", ""),
            declared_version=data["version"],
            content_hash=f"sha256:{digest}",
            filename=self.filename,
            source=source,
        )

    def _facts(self) -> None:
        for name, spec in as_mapping(self.data.get("facts")).items():
            if name in STANDARD_FACTS:
                self.issue(("facts", name), f"{name!r} is a standard fact and cannot be redeclared")
                continue
            self.facts[name] = FactSpec(name, spec["type"], spec.get("description", ""), tuple(spec.get("enum", ())))

    def _parameters(self) -> dict[str, Duration]:
        found = {}
        for name, text in as_mapping(self.data.get("parameters")).items():
            found[name] = self._duration(text, ("parameters", name))
        return found

    def _duration(self, text: str, path: Path) -> Duration:
        duration = parse_duration(text)
        if duration.amount <= 0:
            self.issue(path, f"{text!r} is not a positive duration")
        return duration

    def _groups(self) -> dict[str, Group]:
        groups = {}
        for gid, spec in as_mapping(self.data.get("groups")).items():
            self._unit(spec["lead_unit"], ("groups", gid, "lead_unit"))
            for i, member in enumerate(spec.get("members", [])):
                self._unit(member, ("groups", gid, "members", i))
            groups[gid] = Group(
                gid,
                spec["name"],
                spec["ics"],
                spec["lead_unit"],
                tuple(spec.get("members", ())),
                spec.get("duties", ""),
            )
        return groups

    def _unit(self, name: str, path: Path) -> None:
        if name not in self.data["units"]:
            self.issue(path, f"{name!r} is not a declared unit (units: {', '.join(sorted(self.data['units']))})")

    def _party(self, name: str, path: Path) -> None:
        if name not in self.parties:
            self.issue(path, f"{name!r} is not a declared unit or role")

    def _levels(self, groups: Mapping[str, Group]) -> dict[Level, LevelPlan]:
        plans = {}
        for key in sorted(self.data["levels"], key=Level.parse):
            level, spec = Level.parse(key), self.data["levels"][key]
            path: Path = ("levels", key)
            self._unit(spec["lead_unit"], (*path, "lead_unit"))
            for i, gid in enumerate(spec.get("groups", [])):
                if gid not in groups:
                    self.issue((*path, "groups", i), f"{gid!r} is not a declared group")
            actions = tuple(
                self._action(a, (*path, "actions", i), level) for i, a in enumerate(spec.get("actions", []))
            )
            plans[level] = LevelPlan(
                level, spec["name"], spec["lead"], spec["lead_unit"], tuple(spec.get("groups", ())), actions
            )
        return plans

    def _action(self, spec: Mapping[str, JsonValue], path: Path, level: Level | None) -> ActionSpec:
        aid = spec["id"]
        if aid in self.action_levels:
            self.issue(
                (*path, "id"),
                f"action {aid!r} is already defined; a step has one id at every level "
                "(use supersedes to replace a lower level's step)",
            )
        for i, old in enumerate(spec.get("supersedes", [])):
            earlier = self.action_levels.get(old, Level.I)
            if old not in self.action_levels or level is None or (earlier is not None and earlier > level):
                self.issue((*path, "supersedes", i), f"{old!r} is not a step of this or a lower level")
        self.action_levels[aid] = level
        anchor = spec.get("relative_to", "termination" if level is None else "activation")
        if (anchor == "termination") != (level is None):
            where = "after_response" if level is None else "a level's actions"
            self.issue((*path, "relative_to"), f"{anchor!r} is not allowed in {where}")
        self._party(spec["owner"], (*path, "owner"))
        for i, name in enumerate(spec.get("to", [])):
            self._party(name, (*path, "to", i))
        chain = spec.get("escalation", self.data.get("default_escalation", []))
        if not chain:
            self.issue(path, "no escalation chain (set escalation, or default_escalation for the playbook)")
        for i, name in enumerate(chain):
            self._party(name, (*path, "escalation", i) if "escalation" in spec else ("default_escalation", i))
        group = spec.get("group")
        if group is not None and group not in as_mapping(self.data.get("groups")):
            self.issue((*path, "group"), f"{group!r} is not a declared group")
        self._template(spec.get("message", ""), (*path, "message"))
        repeat = self._repeat(spec.get("repeat"), (*path, "repeat"), level)
        return ActionSpec(
            id=aid,
            kind=spec["kind"],
            title=spec["title"],
            owner=spec["owner"],
            deadline=self._duration(spec["deadline"], (*path, "deadline")),
            relative_to=anchor,
            escalation=tuple(chain),
            recipients=tuple(spec.get("to", ())),
            when=self._condition(spec.get("when"), (*path, "when")),
            group=group,
            supersedes=tuple(spec.get("supersedes", ())),
            message=spec.get("message", ""),
            level=level,
            repeat=repeat,
        )

    def _public_info(self, levels: Mapping[Level, LevelPlan], after: tuple[ActionSpec, ...]) -> PublicInfoSpec | None:
        """The `public_info` section: required as soon as a step is of kind public_info."""
        spec = as_mapping(self.data.get("public_info"))
        steps = [a for plan in levels.values() for a in plan.actions] + list(after)
        if not spec:
            for action in steps:
                if action.kind == "public_info":
                    self.issue(
                        ("public_info",),
                        f"step {action.id!r} is of kind public_info, so the playbook needs a public_info section "
                        "(sender, hotline, next_update and the bulletin templates)",
                    )
                    break
            return None
        templates = {}
        for kind, text in as_mapping(spec.get("templates")).items():
            for part in ("headline", "description", "instruction"):
                self._bulletin_template(text[part], ("public_info", "templates", kind, part))
            templates[kind] = BulletinTemplate(text["headline"], text["description"], text["instruction"])
        return PublicInfoSpec(
            event=spec["event"],
            sender=spec["sender"],
            hotline=str(spec["hotline"]),
            next_update=self._duration(spec["next_update"], ("public_info", "next_update")),
            templates=templates,
            by_level={Level.parse(k): _cap(v) for k, v in as_mapping(spec.get("cap")).items()},
            by_warning={WarningLevel(k): _cap(v) for k, v in as_mapping(spec.get("warnings")).items()},
            category=spec.get("category", "Health"),
        )

    def _bulletin_template(self, text: str, path: Path) -> None:
        template = Template(text)
        if not template.is_valid():
            self.issue(path, f"{text!r} is not a valid template (write $$ for a dollar sign)")
            return
        for name in template.get_identifiers():
            if name not in BULLETIN_NAMES:
                self.issue(path, f"${{{name}}} is not a bulletin template name ({', '.join(sorted(BULLETIN_NAMES))})")

    def _repeat(self, text: JsonValue, path: Path, level: Level | None) -> Duration | None:
        """A recurring step's period: positive, at least an hour, and only for steps of the response."""
        if text is None:
            return None
        if level is None:
            self.issue(path, "repeat is not allowed in after_response (a step recurs until the response ends)")
        period = self._duration(str(text), path)
        if period.nominal().total_seconds() < MIN_REPEAT_SECONDS:
            self.issue(path, f"{text!r} is too short to repeat; a recurring step repeats at most hourly")
        return period

    def _template(self, text: str, path: Path) -> None:
        template = Template(text)
        if not template.is_valid():
            self.issue(path, f"{text!r} is not a valid template (write $$ for a dollar sign)")
            return
        known = TEMPLATE_NAMES | set(self.facts)
        for name in template.get_identifiers():
            if name not in known:
                self.issue(path, f"${{{name}}} is not a known fact or template name")

    def _condition(self, data: JsonValue, path: Path) -> Condition | None:
        if data is None:
            return None
        condition, issues = parse_condition(data, path, self.facts)
        for where, message in issues:
            self.issue(where, message)
        return condition

    def _rule_sets(self, levels: Mapping[Level, LevelPlan]) -> dict[str, RuleSet]:
        specs = self.data["rule_sets"]
        own = {name: self._rules(name, spec, levels) for name, spec in specs.items()}
        result = {}
        for name, spec in specs.items():
            chain, current = [name], spec.get("extends")
            while current is not None and current not in chain and current in specs:
                chain.append(current)
                current = specs[current].get("extends")
            if current is not None:
                problem = "extends itself" if current in chain else f"extends {current!r}, which is not a rule set"
                self.issue(("rule_sets", name, "extends"), problem)
            rules = tuple(r for base in reversed(chain) for r in own[base])
            seen: set[str] = set()
            for rule in rules:
                if rule.id in seen:
                    self.issue(("rule_sets", name), f"rule id {rule.id!r} appears twice (after extends)")
                seen.add(rule.id)
            result[name] = RuleSet(name, spec["title"], rules)
        return result

    def _rules(self, name: str, spec: Mapping[str, JsonValue], levels: Mapping[Level, LevelPlan]) -> list[Rule]:
        rules = []
        for i, rule in enumerate(spec["rules"]):
            path: Path = ("rule_sets", name, "rules", i)
            level = Level.parse(rule["level"])
            if level not in levels:
                self.issue((*path, "level"), f"{level.value} has no plan under levels")
            condition = self._condition(rule["when"], (*path, "when"))
            if condition is not None:
                rules.append(Rule(rule["id"], level, condition, rule.get("title", "")))
        return rules

    def _criteria(self, parameters: Mapping[str, Duration]) -> tuple[Criterion, ...]:
        criteria = []
        for i, spec in enumerate(as_mapping(self.data.get("termination")).get("criteria", [])):
            at_least = spec.get("at_least")
            duration = None
            if isinstance(at_least, str) and at_least.startswith("$"):
                duration = parameters.get(at_least[1:])
                if duration is None:
                    self.issue(("termination", "criteria", i, "at_least"), f"{at_least!r} is not a parameter")
            elif at_least is not None:
                duration = self._duration(at_least, ("termination", "criteria", i, "at_least"))
            criteria.append(Criterion(spec["id"], spec["title"], spec.get("since"), duration, spec.get("confirmed")))
        return tuple(criteria)


def _cap(data: Mapping[str, str]) -> CapFields:
    """CAP urgency, severity and certainty from a schema-valid mapping."""
    return CapFields(data["urgency"], data["severity"], data["certainty"])
