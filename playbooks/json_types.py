"""JSON at the domain's edges: wire payloads, the stored incident state, and parsed playbook files.

These aliases are the only place the domain admits `Any`: a JSON value's shape is known only where it is read
and checked (by `infra/wire` for messages, by the schema for playbooks), and the domain hands such values on
untouched (timeline entries, snapshots, termination signals, delivery attempts).
"""

from __future__ import annotations

from typing import Any

JsonValue = Any  # JSON boundary: a decoded JSON value (str, number, bool, None, list or object).
JsonObject = dict[str, JsonValue]  # JSON boundary: a decoded JSON object, e.g. a payload or a snapshot.
