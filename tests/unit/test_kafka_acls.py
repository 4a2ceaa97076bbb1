"""Least privilege on Kafka (DESIGN.md invariant 8): what each principal's ACLs allow, and what they never allow."""

from __future__ import annotations

import pytest

from drills.service import GROUP as DRILL_SERVICE_GROUP
from infra.kafka.acls import COMPONENTS, DRILL_GROUP, ROLES, Acl, Operation, PatternType, ResourceType, acls_for
from infra.settings import Settings
from streams.app import SharedChangelogTable, app, group_id
from streams.app import settings as streams_settings
from streams.roles import ALL
from streams.roles import ROLES as WORKER_ROLES

PREFIX = "tocsin."
TOPIC, GROUP = ResourceType.TOPIC, ResourceType.GROUP
R, W, C, D = Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE


def allowed(role: str, resource: ResourceType, name: str, operation: Operation, prefix: str = PREFIX) -> bool:
    """Whether `role`'s ACLs allow `operation` on the resource `name` (READ and WRITE imply DESCRIBE, as in Kafka)."""
    for acl in acls_for(role, role, prefix):
        matches = acl.name == name if acl.pattern == PatternType.LITERAL else name.startswith(acl.name)
        implied = {acl.operation} | ({D} if acl.operation in (R, W) else set())
        if acl.resource == resource and matches and operation in implied:
            return True
    return False


def test_a_reporter_may_write_reports_and_nothing_else() -> None:
    assert acls_for("reporter", "reporter-1", PREFIX) == [
        Acl(TOPIC, "tocsin.reports", PatternType.LITERAL, "User:reporter-1", W)
    ]


@pytest.mark.parametrize("role", ["reporter", "api", "drill"])
def test_only_the_worker_reads_incident_commands(role: str) -> None:
    assert not allowed(role, TOPIC, "tocsin.incident-commands", R)
    assert allowed("worker", TOPIC, "tocsin.incident-commands", R)


@pytest.mark.parametrize("role", ["reporter", "api", "drill"])
def test_only_the_worker_writes_incident_events_and_reads_reports(role: str) -> None:
    assert not allowed(role, TOPIC, "tocsin.incident-events", W)
    assert not allowed(role, TOPIC, "tocsin.reports", R)
    assert allowed("worker", TOPIC, "tocsin.incident-events", W)


def test_the_api_writes_the_command_and_report_topics_and_reads_what_it_serves() -> None:
    for topic in ("reports", "incident-commands", "roster-commands", "drill-commands"):
        assert allowed("api", TOPIC, PREFIX + topic, W), topic
    for topic in ("incident-events", "roster-commands"):
        assert allowed("api", TOPIC, PREFIX + topic, R), topic
    assert allowed("api", GROUP, "tocsin.worker", D)  # the consumer lag on /metrics
    assert not allowed("api", GROUP, "tocsin.worker", R)  # describing it is not joining it


def test_no_principal_may_create_topics_outside_its_own() -> None:
    for role in ROLES:
        for acl in acls_for(role, role, PREFIX):
            if acl.operation == C:
                assert role in ("worker", "drill"), acl
                assert acl.name.startswith(PREFIX), acl


@pytest.mark.parametrize("role", [ALL, *WORKER_ROLES])
def test_the_worker_may_join_the_group_of_every_role(role: str) -> None:
    group = group_id(Settings(topic_prefix=PREFIX, worker_role=role))
    assert allowed("worker", GROUP, group, R)
    assert allowed("worker", TOPIC, f"{group}-__assignor-__leader", W)  # faust's internal topic of that app


def test_the_worker_owns_its_changelogs() -> None:
    changelog = SharedChangelogTable(app, name="incidents")._changelog_topic_name()
    prefix = streams_settings.topic_prefix  # the changelog is named under the prefix streams.app was built with
    for operation in (R, W, C):
        assert allowed("worker", TOPIC, changelog, operation, prefix)
    assert not allowed("api", TOPIC, changelog, R, prefix)


def test_the_drill_principal_may_join_the_drill_services_group() -> None:
    assert DRILL_GROUP == DRILL_SERVICE_GROUP
    assert allowed("drill", GROUP, DRILL_SERVICE_GROUP, R)
    assert not allowed("reporter", GROUP, DRILL_SERVICE_GROUP, R)


def test_the_components_are_the_platforms_own_principals() -> None:
    assert COMPONENTS == ("api", "worker", "drill")
    with pytest.raises(ValueError, match="unknown Kafka role"):
        acls_for("admin", "admin", PREFIX)
