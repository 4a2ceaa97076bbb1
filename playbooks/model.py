"""A loaded playbook: rule sets that grade, level plans that respond, criteria that terminate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from playbooks.assessment import Decision
from playbooks.conditions import Condition, FactSpec
from playbooks.duration import WEEKDAYS, Duration, WorkingCalendar
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.public_info import PublicInfoSpec


@dataclass(frozen=True)
class Rule:
    """Grade at `level` when `when` holds."""

    id: str
    level: Level
    when: Condition
    title: str = ""


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of grading rules (a 'family' of criteria), with those it extends."""

    id: str
    title: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class ActionSpec:
    """One response step as the plan writes it; `id` is its key, the same at every level."""

    id: str
    kind: str
    title: str
    owner: str
    deadline: Duration
    relative_to: str
    escalation: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    when: Condition | None = None
    group: str | None = None
    supersedes: tuple[str, ...] = ()
    message: str = ""
    level: Level | None = None  # the lowest level that plans it; None for after-response steps
    repeat: Duration | None = None  # a recurring step: a new occurrence every `repeat` until the response ends


@dataclass(frozen=True)
class Group:
    """A headquarters working group and its ICS section."""

    id: str
    name: str
    ics: str
    lead_unit: str
    members: tuple[str, ...] = ()
    duties: str = ""


@dataclass(frozen=True)
class LevelPlan:
    """What one level adds: who leads, which groups form, which steps are planned."""

    level: Level
    name: str
    lead: str
    lead_unit: str
    groups: tuple[str, ...] = ()
    actions: tuple[ActionSpec, ...] = ()


@dataclass(frozen=True)
class Criterion:
    """A termination criterion: a signal held for a while (`since` + `at_least`) or `confirmed`."""

    id: str
    title: str
    since: str | None = None
    at_least: Duration | None = None
    confirmed: str | None = None


@dataclass(frozen=True)
class Playbook:
    """An incident type's emergency plan, with the rule set this deployment selected."""

    id: str
    version: str
    title: str
    incident_type: str
    rule_set: str
    rule_sets: Mapping[str, RuleSet]
    default_rule_set: str
    levels: Mapping[Level, LevelPlan]
    facts: Mapping[str, FactSpec]
    units: Mapping[str, str]
    roles: Mapping[str, str]
    groups: Mapping[str, Group] = field(default_factory=dict)
    after_response: tuple[ActionSpec, ...] = ()
    parameters: Mapping[str, Duration] = field(default_factory=dict)
    termination: tuple[Criterion, ...] = ()
    description: str = ""
    declared_version: str = ""
    content_hash: str = ""
    filename: str = ""
    source: str = field(default="", repr=False, compare=False)
    calendar: WorkingCalendar = field(default=WEEKDAYS, repr=False, compare=False)
    """Which days count as working days for `N working days` deadlines (the deployment passes its calendar)."""
    public_info: PublicInfoSpec | None = None
    """Who speaks to the public, the bulletin templates and their CAP fields (None: no public information)."""
    assessment_required: frozenset[Decision] = frozenset()
    """Decisions that need a recorded expert assessment first (`expert_assessment.required_for`)."""

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The grading rules of the selected rule set, in file order."""
        return self.rule_sets[self.rule_set].rules

    def with_rule_set(self, rule_set: str) -> Playbook:
        """This playbook grading with another of its rule sets; raise KeyError naming the choices."""
        if rule_set not in self.rule_sets:
            raise KeyError(
                f"playbook {self.id} has no rule set {rule_set!r} (choose from {', '.join(sorted(self.rule_sets))})"
            )
        return replace(self, rule_set=rule_set)

    def with_calendar(self, calendar: WorkingCalendar) -> Playbook:
        """This playbook counting working days on `calendar` (e.g. the State Council's, infra/calendar.py)."""
        return replace(self, calendar=calendar)

    def plan_levels(self, level: Level) -> tuple[LevelPlan, ...]:
        """The defined level plans from IV up to `level` (a level inherits those below it)."""
        return tuple(self.levels[lv] for lv in sorted(self.levels) if lv <= level)

    def all_actions(self) -> tuple[ActionSpec, ...]:
        """Every step the playbook defines, level by level, then after the response."""
        steps = [a for plan in self.plan_levels(Level.I) for a in plan.actions]
        return (*steps, *self.after_response)

    def summary(self) -> JsonObject:
        """A JSON-ready description for listings (GET /playbooks)."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "incident_type": self.incident_type,
            "rule_set": self.rule_set,
            "rule_sets": {k: v.title for k, v in self.rule_sets.items()},
            "levels": {
                lv.value: {"name": p.name, "lead": p.lead, "lead_unit": p.lead_unit}
                for lv, p in sorted(self.levels.items(), reverse=True)
            },
            "description": self.description,
        }
