"""Tabletop drills (桌面推演): scenario format, scenario clock, the runner's pure core, scoring, bots, reports.

Pure except `load_scenario` (reads a file) and `write_report` (writes the report files). Kafka, the API
and the console live with the driver that performs the runner's effects: drills.live (the live driver),
drills.host (one steerable run on Kafka), drills.service (the drill service), drills.messages (message injects
through the delivery layer) — import those modules directly.
"""

from drills.bots import BEHAVIOURS, PlayerAction, bot_actions
from drills.clock import ClockError, ScenarioClock
from drills.control import ACTIONS, COMMAND_TYPES, DrillCommand, apply_command
from drills.effects import DeliverMessage, Effect, ExerciseEnded, InjectStateChanged, PublishReport
from drills.model import Expectation, Inject, Objective, Scenario, format_scenario_time, parse_scenario_time
from drills.observations import ActionObserved, IncidentObserved, Observation
from drills.report import write_report
from drills.result import CANCELLED, EXECUTED, ON_HOLD, SCHEDULED, InjectStatus, LogEntry, RunResult, Window
from drills.runner import DrillCommandError, DrillRun, report_id
from drills.scenario import SCENARIO_DIR, ScenarioError, load_scenario, parse_scenario, sample_scenarios
from drills.scoring import Assessment, GroupScore, Score, score, score_run
from drills.simulate import SimulatedPlatform, Simulation, simulate

__all__ = [
    "ACTIONS",
    "BEHAVIOURS",
    "CANCELLED",
    "COMMAND_TYPES",
    "EXECUTED",
    "ON_HOLD",
    "SCENARIO_DIR",
    "SCHEDULED",
    "ActionObserved",
    "Assessment",
    "ClockError",
    "DeliverMessage",
    "DrillCommand",
    "DrillCommandError",
    "DrillRun",
    "Effect",
    "ExerciseEnded",
    "Expectation",
    "GroupScore",
    "IncidentObserved",
    "Inject",
    "InjectStateChanged",
    "InjectStatus",
    "LogEntry",
    "Objective",
    "Observation",
    "PlayerAction",
    "PublishReport",
    "RunResult",
    "Scenario",
    "ScenarioClock",
    "ScenarioError",
    "Score",
    "SimulatedPlatform",
    "Simulation",
    "Window",
    "apply_command",
    "bot_actions",
    "format_scenario_time",
    "load_scenario",
    "parse_scenario",
    "parse_scenario_time",
    "report_id",
    "sample_scenarios",
    "score",
    "score_run",
    "simulate",
    "write_report",
]
