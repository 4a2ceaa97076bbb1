"""Builders of test data, so each test states only what matters to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def report_dict(**overrides: Any) -> dict[str, Any]:
    """A valid report (wire format) at a unique school canteen, with `overrides` applied on top."""
    unique = uuid.uuid4().hex[:10]
    report: dict[str, Any] = {
        "report_id": f"test-{unique}",
        "source": "school",
        "reported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "incident_type": "food_safety",
        "location": {"admin_code": "990101001", "town": "城关街道", "venue": f"测试学校食堂-{unique}"},
        "venue_type": "school",
        "facts": {"cases": 5},
        "description": "测试报告",
        "reporter": {"name": "测试员", "unit": "测试学校"},
    }
    for key, value in overrides.items():
        if key in ("facts", "location", "reporter") and isinstance(value, dict):
            report[key] = {**report[key], **value}
        else:
            report[key] = value
    return report
