"""The published JSON Schema of drill scenario files (scenario.schema.json is generated from it).

The schema checks shape; `scenario.py` then checks meaning: references, playbook action keys, times, reports.
`x-error` replaces jsonschema's message for a failed pattern with one a drill controller understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from drills.model import DELIVERIES, INJECT_TYPES, SCENARIO_TIME_PATTERN
from playbooks.duration import DURATION_PATTERN

SCHEMA_FILE = Path(__file__).parent / "scenario.schema.json"

_ID = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$", "x-error": "is not an id (lower-case letters, digits and _)"}
_TEXT = {"type": "string", "minLength": 1}
_IDS = {"type": "array", "items": {"$ref": "#/$defs/id"}}
_LEVELS = ["I", "II", "III", "IV"]


def _when(prop: str, values: list[str], required: list[str]) -> dict[str, Any]:
    return {"if": {"properties": {prop: {"enum": values}}, "required": [prop]}, "then": {"required": required}}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://tocsin.example/schemas/scenario.schema.json",
    "title": "Tocsin tabletop drill scenario (MSEL)",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "playbook", "end", "objectives", "units", "injects"],
    "properties": {
        "id": {"$ref": "#/$defs/id"},
        "title": _TEXT,
        "description": {"type": "string"},
        "playbook": {"$ref": "#/$defs/id"},
        "start": {
            "type": "string",
            "format": "date-time",
            "description": "nominal wall-clock moment of T+0, ISO-8601 with offset",
        },
        "end": {"$ref": "#/$defs/time"},
        "objectives": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/objective"}},
        "units": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/id"}},
        "injects": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/inject"}},
        "capabilities": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/capability"}},
        "phases": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/phase"}},
    },
    "$defs": {
        "id": _ID,
        "time": {
            "type": "string",
            "pattern": SCENARIO_TIME_PATTERN,
            "x-error": "is not a scenario time (T+h:mm, e.g. T+0:40)",
        },
        "duration": {"type": "string", "pattern": DURATION_PATTERN, "x-error": "is not a duration (e.g. 30m, 2h, 10d)"},
        "objective": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "title"],
            "properties": {"id": {"$ref": "#/$defs/id"}, "title": _TEXT, "description": {"type": "string"}},
        },
        "capability": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "title"],
            "properties": {"id": {"$ref": "#/$defs/id"}, "title": _TEXT},
        },
        "phase": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "title", "start", "end"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": _TEXT,
                "start": {"$ref": "#/$defs/time"},
                "end": {"$ref": "#/$defs/time"},
                "narrative": {"type": "string"},
                "jump": {"type": "string", "description": "what the time jump into this phase says happened"},
                "questions": {"type": "array", "items": {"$ref": "#/$defs/question"}},
            },
        },
        "question": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "to", "text", "capability"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "to": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/id"}},
                "text": _TEXT,
                "capability": {"$ref": "#/$defs/id"},
                "expect": {"type": "array", "items": {"$ref": "#/$defs/point"}},
            },
        },
        "point": {
            "oneOf": [
                _TEXT,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["point"],
                    "properties": {"point": _TEXT, "step": {"$ref": "#/$defs/id"}},
                },
            ]
        },
        "inject": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "title", "type"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": _TEXT,
                "type": {"enum": list(INJECT_TYPES)},
                "delivery": {"enum": list(DELIVERIES)},
                "at": {"$ref": "#/$defs/time"},
                "condition": {"$ref": "#/$defs/condition"},
                "unless": {"$ref": "#/$defs/id"},
                "sender": _TEXT,
                "receivers": _IDS,
                "text": _TEXT,
                "report": {
                    "type": "object",
                    "description": "a report body (DESIGN.md §3) without report_id, reported_at, mode and exercise_id",
                },
                "expect": {"type": "array", "items": {"$ref": "#/$defs/expectation"}},
            },
            "allOf": [
                {"if": {"not": {"required": ["delivery"]}}, "then": {"required": ["at"]}},
                _when("delivery", ["automatic"], ["at"]),
                _when("delivery", ["conditional"], ["condition"]),
                _when("delivery", ["contingency"], ["unless"]),
                _when("type", ["report", "update"], ["report"]),
                _when("type", ["message", "media_query", "phone_call", "decision_request"], ["text"]),
            ],
        },
        "condition": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "inject": {"$ref": "#/$defs/id"},
                "state": {"enum": ["executed", "cancelled"]},
                "incident": {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "properties": {
                        "level_at_least": {"enum": _LEVELS},
                        "status": {"enum": ["monitoring", "active", "termination_proposed", "closed"]},
                    },
                },
                "after": {"$ref": "#/$defs/duration"},
            },
        },
        "expectation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "objective"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "objective": {"$ref": "#/$defs/id"},
                "title": _TEXT,
                "acknowledge": {"$ref": "#/$defs/id"},
                "complete": {"$ref": "#/$defs/id"},
                "level_at_least": {"enum": _LEVELS},
                "unit": {"$ref": "#/$defs/id"},
                "deadline": {"$ref": "#/$defs/duration"},
                "due": {"$ref": "#/$defs/time"},
                "weight": {"type": "number", "exclusiveMinimum": 0},
            },
        },
    },
}

VALIDATOR = Draft202012Validator(SCHEMA)


def explain(error: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """A jsonschema error as (path, message) pairs in words a drill controller reads."""
    path = tuple(error.absolute_path)
    schema, instance, validator = error.schema, error.instance, error.validator
    if validator == "pattern" and "x-error" in schema:
        yield path, f"{instance!r} {schema['x-error']}"
    elif validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed), key=str):
            yield (*path, key), f"unknown field {key!r} (allowed: {', '.join(allowed)})"
    elif validator == "required":
        for key in error.validator_value:
            if key not in instance:
                yield path, f"missing required field {key!r}"
    elif validator == "enum":
        yield path, f"{instance!r} is not one of {', '.join(str(v) for v in error.validator_value)}"
    else:
        yield path, error.message
