"""Versioning: semver plus a content hash; an incident keeps the version it was activated under."""

from __future__ import annotations

import re

import pytest

from playbooks import UnknownPlaybook, build_library, parse_playbook
from tests.unit.playbooks.factories import food_safety_text


def test_version_is_semver_plus_content_hash() -> None:
    playbook = parse_playbook(food_safety_text(), "food_safety.yaml")
    assert re.fullmatch(r"1\.1\.0\+[0-9a-f]{12}", playbook.version)
    assert playbook.content_hash.startswith("sha256:" + playbook.version.split("+")[1])


def test_comments_and_layout_do_not_change_the_version() -> None:
    text = food_safety_text()
    edited = "# reviewed 2025-03-01\n" + text.replace("deadline: 1h\n", "deadline: 1h   # per plan\n")
    assert parse_playbook(edited, "f.yaml").version == parse_playbook(text, "f.yaml").version


def test_a_changed_deadline_changes_the_version() -> None:
    text = food_safety_text()
    edited = text.replace("deadline: 24h", "deadline: 12h", 1)
    assert parse_playbook(edited, "f.yaml").version != parse_playbook(text, "f.yaml").version


def test_an_incident_gets_back_the_version_it_was_activated_under() -> None:
    old = parse_playbook(food_safety_text(), "food_safety.yaml")
    library = build_library({"food_safety.yaml": food_safety_text().replace("deadline: 24h", "deadline: 12h", 1)})
    library = library.including([parse_playbook(old.source, "food_safety.yaml")])
    assert library.get("food_safety", old.version).version == old.version
    assert library.get("food_safety").version != old.version


def test_a_version_the_library_does_not_hold_is_an_error() -> None:
    library = build_library({"food_safety.yaml": food_safety_text()})
    with pytest.raises(UnknownPlaybook, match=r"version '0\.9\.0\+abc' is not in the library"):
        library.get("food_safety", "0.9.0+abc")
