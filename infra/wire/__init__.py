"""Tocsin's wire contract, framework-free: the envelope, type names, reports, drills, dead letters (ADR 0020)."""

from infra.wire.dead_letter import DeadLetter, dead_letter
from infra.wire.envelope import MODES, NAMESPACE, SCHEMA_VERSION, Envelope, Mode, WireError, stable_id
from infra.wire.types import ROSTER_COMMANDS, CommandType, DrillCommandType, DrillEventType, EventType

__all__ = [
    "MODES",
    "NAMESPACE",
    "ROSTER_COMMANDS",
    "SCHEMA_VERSION",
    "CommandType",
    "DeadLetter",
    "DrillCommandType",
    "DrillEventType",
    "Envelope",
    "EventType",
    "Mode",
    "WireError",
    "dead_letter",
    "stable_id",
]
