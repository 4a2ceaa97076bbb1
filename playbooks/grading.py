"""Grading: the playbook's ordered rules over an incident's facts; the highest matching level wins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from playbooks.conditions import FactValue, fact_env, render
from playbooks.facts import Facts
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.model import Playbook


@dataclass(frozen=True)
class RuleMatch:
    """A rule whose condition holds, with its explanation."""

    rule_id: str
    level: Level
    explanation: str


@dataclass(frozen=True)
class Grading:
    """The automatic level, the rule that decided it, and why (e.g. 'III: deaths = 1 ≥ 1 (rule III.death)')."""

    level: Level
    rule_id: str | None
    explanation: str
    matched: tuple[RuleMatch, ...] = ()
    rule_set: str = ""

    def to_dict(self) -> JsonObject:
        """JSON-ready form."""
        return {
            "level": self.level.value,
            "level_name": self.level.label,
            "rule_id": self.rule_id,
            "explanation": self.explanation,
            "rule_set": self.rule_set,
            "matched": [
                {"rule_id": m.rule_id, "level": m.level.value, "explanation": m.explanation} for m in self.matched
            ],
        }


def grade(playbook: Playbook, facts: Facts, *, venue_type: str | None = None) -> Grading:
    """Grade facts with the playbook's selected rule set; ties at one level go to the earlier rule."""
    env = fact_env(facts, venue_type, playbook.facts)
    matched = []
    for rule in playbook.rules:
        verdict = rule.when.evaluate(env)
        if verdict.holds:
            matched.append(RuleMatch(rule.id, rule.level, f"{rule.level.value}: {verdict.text} (rule {rule.id})"))
    if not matched:
        return Grading(
            Level.NON_GRADED,
            None,
            f"non_graded: no rule matched ({_figures(playbook, env)})",
            rule_set=playbook.rule_set,
        )
    best = max(matched, key=lambda m: m.level.rank)
    return Grading(best.level, best.rule_id, best.explanation, tuple(matched), playbook.rule_set)


def suggest_lower(playbook: Playbook, current: Level, facts: Facts, venue_type: str | None) -> Grading | None:
    """The automatic grading when it is below `current` (a suggestion for the commander), else None."""
    grading = grade(playbook, facts, venue_type=venue_type)
    return grading if grading.level < current else None


def _figures(playbook: Playbook, env: Mapping[str, FactValue]) -> str:
    used: set[str] = set().union(*(rule.when.facts() for rule in playbook.rules))
    names = [name for name in env if name in used]
    shown = [name for name in names if env[name]] or names[:1]
    return ", ".join(f"{name} = {render(env[name])}" for name in shown) or "no figures"
