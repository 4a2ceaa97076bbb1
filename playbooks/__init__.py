"""Tocsin's domain: incidents, response levels, grading and response planning.

Pure code: plain dataclasses and functions, no frameworks, no network, time passed in.
The only file reading is `load_library`; everything else works on text and data.
"""

from playbooks.conditions import FactSpec
from playbooks.duration import Duration, parse_duration
from playbooks.errors import LevelDecisionError, PlaybookError, Problem, UnknownPlaybook
from playbooks.evaluation import Evaluation, evaluate
from playbooks.facts import Facts, Regions
from playbooks.grading import Grading, RuleMatch, grade, suggest_lower
from playbooks.level_change import LevelChange, decide_level, raise_level
from playbooks.levels import Level
from playbooks.library import LIBRARY_DIR, PlaybookLibrary, build_library, load_library
from playbooks.model import ActionSpec, Criterion, Group, LevelPlan, Playbook, Rule, RuleSet
from playbooks.parse import parse_playbook
from playbooks.planning import PlannedAction, plan_additions, plan_post_incident, plan_response, replaced_by
from playbooks.termination import CriterionStatus, TerminationStatus, signal_names, termination_check

__all__ = [
    "LIBRARY_DIR",
    "ActionSpec",
    "Criterion",
    "CriterionStatus",
    "Duration",
    "Evaluation",
    "FactSpec",
    "Facts",
    "Grading",
    "Group",
    "Level",
    "LevelChange",
    "LevelDecisionError",
    "LevelPlan",
    "PlannedAction",
    "Playbook",
    "PlaybookError",
    "PlaybookLibrary",
    "Problem",
    "Regions",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "TerminationStatus",
    "UnknownPlaybook",
    "build_library",
    "decide_level",
    "evaluate",
    "grade",
    "load_library",
    "parse_duration",
    "parse_playbook",
    "plan_additions",
    "plan_post_incident",
    "plan_response",
    "raise_level",
    "replaced_by",
    "signal_names",
    "suggest_lower",
    "termination_check",
]
