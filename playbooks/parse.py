"""Playbook text to a validated `Playbook`: YAML, then the JSON Schema, then meaning. Pure: no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from jsonschema import Draft202012Validator, ValidationError

from playbooks.build import Builder
from playbooks.errors import PlaybookError, Problem
from playbooks.json_types import JsonValue
from playbooks.model import Playbook
from playbooks.schema import SCHEMA
from playbooks.yaml_source import Located, YamlSyntaxError, format_path, load_located

_VALIDATOR = Draft202012Validator(SCHEMA)


def parse_playbook(text: str, filename: str) -> Playbook:
    """Validate a playbook file's text and build it; raise PlaybookError listing every problem."""
    try:
        located = load_located(text)
    except YamlSyntaxError as error:
        raise PlaybookError([Problem(filename, error.line, "", f"not valid YAML: {error}")]) from None
    problems = [
        Problem(filename, line, format_path(path), f"duplicate key {path[-1]!r}") for path, line in located.duplicates
    ]
    problems += schema_problems(located, filename)
    if problems:
        raise PlaybookError(problems)
    builder = Builder(located, filename)
    playbook = builder.build(content_hash(located.data), source=text)
    if builder.problems:
        raise PlaybookError(builder.problems)
    return playbook


def content_hash(data: JsonValue) -> str:
    """sha256 of the playbook's data in canonical JSON: comments and layout do not change it."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def schema_problems(located: Located, filename: str) -> list[Problem]:
    """Every place the data breaks the published JSON Schema, in words a plan officer reads."""
    if not isinstance(located.data, Mapping):
        return [Problem(filename, 1, "", "a playbook is a mapping of fields (id, version, title, ...)")]
    problems = []
    for error in _VALIDATOR.iter_errors(located.data):
        for path, message in _explain(error):
            problems.append(Problem(filename, located.line_of(path), format_path(path), message))
    return problems


def _explain(error: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    path = tuple(error.absolute_path)
    schema, instance, validator = error.schema, error.instance, error.validator
    if "propertyNames" in error.schema_path:
        path = (*path, instance)
    if validator == "pattern" and "x-error" in schema:
        return [(path, f"{instance!r} {schema['x-error']}")]
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(instance) - set(allowed), key=str)
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return [((*path, key), f"unknown field {key!r}{hint}") for key in extra]
    if validator == "required":
        missing = [k for k in error.validator_value if k not in instance]
        return [(path, f"missing required field {k!r}") for k in missing]
    if validator == "enum":
        choices = ", ".join(str(v) for v in error.validator_value)
        return [(path, f"{instance!r} is not one of {choices}")]
    if validator == "oneOf" and "since" in schema.get("properties", {}):
        return [(path, "a criterion has either since + at_least, or confirmed")]
    return [(path, error.message)]
