"""The published JSON Schema of playbook files (library/playbook.schema.json is generated from it).

The schema checks shape; `parse.py` then checks meaning (fact names, references, levels).
`x-error` replaces jsonschema's message for a failed pattern with one a plan officer understands.
"""

from __future__ import annotations

from playbooks.conditions import FACT_TYPES, OPERATORS
from playbooks.duration import DURATION_PATTERN
from playbooks.json_types import JsonObject
from playbooks.public_info import CATEGORIES, CERTAINTIES, SEVERITIES, TEMPLATE_KINDS, URGENCIES, WarningLevel

ACTION_KINDS = ("notify", "task", "report_up", "public_info", "recall", "insurance_claim")
ANCHORS = ("activation", "first_report", "termination")
_ID = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$", "x-error": "is not an id (lower-case letters, digits and _)"}
_RULE_ID = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    "x-error": "is not a rule id (letters, digits, '.', '_' or '-')",
}
_TEXT = {"type": "string", "minLength": 1}
_IDS = {"type": "array", "items": {"$ref": "#/$defs/id"}}
_LEVEL_NAMES = ["I", "II", "III", "IV"]

SCHEMA: JsonObject = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://tocsin.example/schemas/playbook.schema.json",
    "title": "Tocsin graded response playbook",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "version",
        "title",
        "incident_type",
        "default_rule_set",
        "rule_sets",
        "levels",
        "units",
        "roles",
    ],
    "properties": {
        "id": {"$ref": "#/$defs/id"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$", "x-error": "is not a semver (e.g. 1.2.0)"},
        "title": _TEXT,
        "description": {"type": "string"},
        "incident_type": {"$ref": "#/$defs/id"},
        "parameters": {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": {"$ref": "#/$defs/duration"},
        },
        "facts": {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": {"$ref": "#/$defs/fact"},
        },
        "units": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": _TEXT,
        },
        "roles": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": _TEXT,
        },
        "default_escalation": _IDS,
        "groups": {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": {"$ref": "#/$defs/group"},
        },
        "default_rule_set": {"$ref": "#/$defs/id"},
        "rule_sets": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": {"$ref": "#/$defs/rule_set"},
        },
        "levels": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": [*_LEVEL_NAMES, "non_graded"]},
            "additionalProperties": {"$ref": "#/$defs/level"},
        },
        "after_response": {"type": "array", "items": {"$ref": "#/$defs/action"}},
        "public_info": {"$ref": "#/$defs/public_info"},
        "expert_assessment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["required_for"],
            "properties": {
                "title": _TEXT,
                "required_for": {"type": "array", "items": {"enum": ["lower_level", "termination"]}},
            },
        },
        "termination": {
            "type": "object",
            "additionalProperties": False,
            "required": ["criteria"],
            "properties": {"criteria": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/criterion"}}},
        },
    },
    "$defs": {
        "id": _ID,
        "duration": {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "x-error": "is not a duration (e.g. 30m, 2h, 10d, 10 working days)",
        },
        "fact": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"enum": list(FACT_TYPES)},
                "description": {"type": "string"},
                "enum": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        },
        "group": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "ics", "lead_unit"],
            "properties": {
                "name": _TEXT,
                "ics": {
                    "enum": [
                        "command",
                        "operations",
                        "planning",
                        "logistics",
                        "finance",
                        "public_information",
                        "liaison",
                        "safety",
                    ]
                },
                "lead_unit": {"$ref": "#/$defs/id"},
                "members": _IDS,
                "duties": {"type": "string"},
            },
        },
        "rule_set": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "rules"],
            "properties": {
                "title": _TEXT,
                "description": {"type": "string"},
                "extends": {"$ref": "#/$defs/id"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            },
        },
        "rule": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "level", "when"],
            "properties": {
                "id": _RULE_ID,
                "level": {"enum": _LEVEL_NAMES},
                "title": {"type": "string"},
                "when": {"$ref": "#/$defs/condition"},
            },
        },
        "condition": {
            "description": "{fact: NAME, OP: VALUE} | {all: [...]} | {any: [...]} | {not: {...}}",
            "type": "object",
            "minProperties": 1,
            "properties": {
                "fact": {"type": "string"},
                "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
                "not": {"$ref": "#/$defs/condition"},
            },
            "propertyNames": {"enum": ["fact", "all", "any", "not", *OPERATORS]},
        },
        "level": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "lead", "lead_unit"],
            "properties": {
                "name": _TEXT,
                "lead": _TEXT,
                "lead_unit": {"$ref": "#/$defs/id"},
                "groups": _IDS,
                "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
            },
        },
        "action": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "kind", "title", "owner", "deadline"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "kind": {"enum": list(ACTION_KINDS)},
                "title": _TEXT,
                "owner": {"$ref": "#/$defs/id"},
                "to": _IDS,
                "group": {"$ref": "#/$defs/id"},
                "deadline": {"$ref": "#/$defs/duration"},
                "relative_to": {"enum": list(ANCHORS)},
                "escalation": _IDS,
                "when": {"$ref": "#/$defs/condition"},
                "supersedes": _IDS,
                "message": {"type": "string"},
                "repeat": {"$ref": "#/$defs/duration"},
            },
        },
        "public_info": {
            "type": "object",
            "additionalProperties": False,
            "required": ["event", "sender", "hotline", "next_update", "templates"],
            "properties": {
                "event": _TEXT,
                "sender": _TEXT,
                "hotline": _TEXT,
                "next_update": {"$ref": "#/$defs/duration"},
                "category": {"enum": sorted(CATEGORIES)},
                "cap": {
                    "type": "object",
                    "propertyNames": {"enum": [*_LEVEL_NAMES, "non_graded"]},
                    "additionalProperties": {"$ref": "#/$defs/cap_fields"},
                },
                "warnings": {
                    "type": "object",
                    "propertyNames": {"enum": [w.value for w in WarningLevel]},
                    "additionalProperties": {"$ref": "#/$defs/cap_fields"},
                },
                "templates": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": list(TEMPLATE_KINDS),
                    "properties": {kind: {"$ref": "#/$defs/bulletin_template"} for kind in TEMPLATE_KINDS},
                },
            },
        },
        "cap_fields": {
            "type": "object",
            "additionalProperties": False,
            "required": ["urgency", "severity", "certainty"],
            "properties": {
                "urgency": {"enum": sorted(URGENCIES)},
                "severity": {"enum": sorted(SEVERITIES)},
                "certainty": {"enum": sorted(CERTAINTIES)},
            },
        },
        "bulletin_template": {
            "type": "object",
            "additionalProperties": False,
            "required": ["headline", "description", "instruction"],
            "properties": {"headline": _TEXT, "description": _TEXT, "instruction": _TEXT},
        },
        "criterion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "title"],
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": _TEXT,
                "since": {"$ref": "#/$defs/id"},
                "at_least": {
                    "type": "string",
                    "pattern": rf"^\$[a-z][a-z0-9_]*$|{DURATION_PATTERN}",
                    "x-error": "is not a duration or a $parameter",
                },
                "confirmed": {"$ref": "#/$defs/id"},
            },
            "oneOf": [
                {"required": ["since", "at_least"], "not": {"required": ["confirmed"]}},
                {"required": ["confirmed"], "not": {"anyOf": [{"required": ["since"]}, {"required": ["at_least"]}]}},
            ],
        },
    },
}
