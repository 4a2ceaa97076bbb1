"""The worker's playbook library, with archived versions so each incident keeps the plan it was activated under."""

from __future__ import annotations

import structlog

from infra.playbook_archive import read_versions
from playbooks import Playbook, PlaybookLibrary, UnknownPlaybook, load_library
from streams.app import settings

log = structlog.get_logger("tocsin.streams")
ARCHIVE_TOPIC = settings.topic("playbook-versions")

_library: PlaybookLibrary | None = None


def selections() -> dict[str, str]:
    """Rule-set choices of this deployment (only for playbooks the library has)."""
    return {"food_safety": settings.grading_family}


def install(library: PlaybookLibrary) -> None:
    """Use this library (the worker start-up loads it together with the archive)."""
    global _library
    _library = library


def library() -> PlaybookLibrary:
    """The library, loaded from the playbook directory on first use if start-up did not install one."""
    global _library
    if _library is None:
        _library = load_library(settings.playbook_dir, selections=selections())
    return _library


async def playbook_for(incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
    """The playbook an incident runs under; re-reads the archive once if the version is unknown here."""
    try:
        found = library().get(incident_type, version)
    except UnknownPlaybook:
        log.info("playbook.archive.reload", incident_type=incident_type, version=version)
        install(library().including(await read_versions(settings.kafka_bootstrap, ARCHIVE_TOPIC)))
        try:
            found = library().get(incident_type, version)
        except UnknownPlaybook as exc:
            # A version from before the archive existed, or a lost archive: keep the incident running on
            # the current plan rather than stopping every incident of this worker; say so loudly.
            found = library().get(incident_type)
            log.error(
                "playbook.version.unavailable",
                incident_type=incident_type,
                version=version,
                using=found.version,
                reason=str(exc),
            )
    if rule_set and rule_set != found.rule_set:
        return found.with_rule_set(rule_set)
    return found
