"""Who may do what on Kafka (docs/adr/0022): each component's ACLs under a topic prefix, and the admin requests that
create ACLs and SCRAM users.

Least privilege per principal (DESIGN.md invariant 8): `api` writes the command and report topics and reads what it
serves; `worker` owns the platform's topics, its changelogs and faust's internal topics (prefixed by its app ids) and
its consumer groups; `drill` hosts drills; a `reporter` writes `<prefix>reports` and reads nothing. `admin` (the
operator) and `broker` are super users and need no ACL.

aiokafka 0.14 has the wire structs of CreateAcls/DeleteAcls (v1, which Kafka 4 still serves) but no call for them, and
nothing for AlterUserScramCredentials: this module sends both through an admin client's connection, so adding a reporter
takes one round trip instead of a JVM start.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DeleteAclsRequest_v1
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)
from pydantic import SecretStr

__all__ = [
    "COMPONENTS",
    "DRILL_GROUP",
    "ROLES",
    "WORKER_APP_IDS",
    "Acl",
    "KafkaAdminError",
    "ResourceNotFound",
    "SecurityDisabled",
    "acls_for",
    "create_acls",
    "delete_acls_of",
    "upsert_scram_user",
]


class ResourceType(IntEnum):
    """Kafka's ACL resource types (the ones used here)."""

    TOPIC = 2
    GROUP = 3


class PatternType(IntEnum):
    """How an ACL's resource name matches."""

    ANY = 1
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka's ACL operations (the ones used here). READ and WRITE imply DESCRIBE; CREATE does not."""

    ANY = 1
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


_ANY_RESOURCE = 1
_ALLOW = 3
_ANY_PERMISSION = 1
_SCRAM_SHA_512 = 2
SCRAM_ITERATIONS = 4096
_SECURITY_DISABLED = 54
_RESOURCE_NOT_FOUND = 91
_ERRORS: dict[int, type[KafkaAdminError]] = {}

COMPONENTS = ("api", "worker", "drill")
"""The platform's own principals, made when the local broker is formatted."""
ROLES = (*COMPONENTS, "reporter")
WORKER_APP_IDS = ("worker", "intake", "writer", "notifier", "projector")
"""The worker's faust app ids (= consumer groups) under the prefix: `all` and each role (streams/app.py:group_id)."""
DRILL_GROUP = "tocsin-drills"
"""The drill service's consumer group (drills/service.py:GROUP), the same under every prefix."""

_R, _W, _C, _D = Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE
_WORKER_TOPICS: tuple[tuple[str, tuple[Operation, ...]], ...] = (
    ("reports", (_R, _C)),
    ("reports.dlq", (_W, _C)),
    ("reports.accepted", (_R, _W, _C)),
    ("incident-commands", (_R, _W, _C)),
    ("incident-events", (_R, _W, _C)),
    ("roster-commands", (_R, _C)),
    ("drill-commands", (_D, _C)),  # created with the others at start-up, never read
    ("drill-events", (_R, _C)),
    ("playbook-versions", (_R, _W, _C)),
)
_TOPICS_OF: dict[str, tuple[tuple[str, tuple[Operation, ...]], ...]] = {
    "api": (
        ("reports", (_W,)),
        ("incident-commands", (_W,)),
        ("roster-commands", (_W, _R)),  # the API follows the roster changes it serves
        ("drill-commands", (_W,)),
        ("incident-events", (_R,)),  # the live feed (SSE)
        ("reports.accepted", (_D,)),  # the worker's consumer lag (/metrics)
        ("drill-events", (_D,)),
    ),
    "worker": _WORKER_TOPICS,
    "drill": (
        ("drill-commands", (_R, _C)),
        ("drill-events", (_W, _C)),
        ("reports", (_W,)),  # injects and player bots
        ("incident-commands", (_W,)),
        ("incident-events", (_R,)),
    ),
    "reporter": (("reports", (_W,)),),
}


class KafkaAdminError(RuntimeError):
    """The broker refused an ACL or user change."""


class SecurityDisabled(KafkaAdminError):
    """The broker has no authorizer (or no SASL): there are no ACLs or SCRAM users to manage."""


class ResourceNotFound(KafkaAdminError):
    """What was to be deleted does not exist (e.g. a SCRAM credential)."""


_ERRORS.update({_SECURITY_DISABLED: SecurityDisabled, _RESOURCE_NOT_FOUND: ResourceNotFound})


@dataclass(frozen=True)
class Acl:
    """One ALLOW rule: `principal` may do `operation` on the resource, from any host."""

    resource: ResourceType
    name: str
    pattern: PatternType
    principal: str
    operation: Operation

    def creation(self) -> tuple[int, str, int, str, str, int, int]:
        """The entry of a CreateAcls v1 request."""
        return (self.resource, self.name, self.pattern, self.principal, "*", self.operation, _ALLOW)


def acls_for(role: str, username: str, prefix: str) -> list[Acl]:
    """The ACLs of principal `username` in `role` (api, worker, drill, reporter) on the topics under `prefix`."""
    if role not in _TOPICS_OF:
        raise ValueError(f"unknown Kafka role {role!r} (choose {', '.join(ROLES)})")
    principal = f"User:{username}"
    topic, group, literal = ResourceType.TOPIC, ResourceType.GROUP, PatternType.LITERAL
    acls = [Acl(topic, prefix + name, literal, principal, op) for name, ops in _TOPICS_OF[role] for op in ops]
    if role == "api":
        acls.append(Acl(group, f"{prefix}worker", literal, principal, Operation.DESCRIBE))
    if role == "worker":
        for app_id in WORKER_APP_IDS:  # changelogs and faust's internal topics: `<app id>-...`
            acls += [Acl(topic, f"{prefix}{app_id}-", PatternType.PREFIXED, principal, op) for op in (_R, _W, _C)]
            acls.append(Acl(group, f"{prefix}{app_id}", literal, principal, Operation.READ))
    if role == "drill":
        acls.append(Acl(group, DRILL_GROUP, literal, principal, Operation.READ))
    return acls


# ---- wire: AlterUserScramCredentials v0 (flexible), CreateAcls v1, DeleteAcls v1 ---------------------------------


class AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc] # aiokafka is untyped
    """AlterUserScramCredentials response, version 0."""

    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]
    """AlterUserScramCredentials request, version 0 (the only one)."""

    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields))),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, deletions: list[tuple[Any, ...]], upsertions: list[tuple[Any, ...]]) -> None:
        self.deletions, self.upsertions = deletions, upsertions

    def build(self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]) -> Any:
        return request_struct_class(self.deletions, self.upsertions, {})


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, acls: Sequence[Acl]) -> None:
        self.acls = acls

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> Any:
        return request_struct_class([acl.creation() for acl in self.acls])


class _DeleteAcls(Request[DeleteAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 31

    def __init__(self, principal: str) -> None:
        self.principal = principal

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> Any:
        every = (_ANY_RESOURCE, None, PatternType.ANY, self.principal, None, Operation.ANY, _ANY_PERMISSION)
        return request_struct_class([every])


def _raise_for(code: int, message: str | None, what: str) -> None:
    if code == 0:
        return
    error = f"{what}: {for_code(code).__name__}{f' ({message})' if message else ''}"
    raise _ERRORS.get(code, KafkaAdminError)(error)


async def create_acls(admin: AIOKafkaAdminClient, acls: Iterable[Acl]) -> int:
    """Create `acls` (creating one that exists changes nothing); return how many were sent."""
    wanted = list(dict.fromkeys(acls))
    if not wanted:
        return 0
    response: Any = await admin._send_request(_CreateAcls(wanted))
    for acl, (code, message) in zip(wanted, response.creation_responses, strict=True):
        _raise_for(code, message, f"ACL {acl.operation.name} on {acl.resource.name} {acl.name} for {acl.principal}")
    return len(wanted)


async def delete_acls_of(admin: AIOKafkaAdminClient, username: str) -> int:
    """Delete every ACL of `User:username`; return how many there were."""
    response: Any = await admin._send_request(_DeleteAcls(f"User:{username}"))
    code, message, matching = response.filter_responses[0]
    _raise_for(code, message, f"deleting the ACLs of {username}")
    return len(matching)


def _salted(password: SecretStr, salt: bytes) -> bytes:
    """SCRAM's SaltedPassword: Hi(password, salt, i) = PBKDF2-HMAC-SHA-512 (RFC 5802)."""
    return hashlib.pbkdf2_hmac("sha512", password.get_secret_value().encode(), salt, SCRAM_ITERATIONS)


async def upsert_scram_user(admin: AIOKafkaAdminClient, username: str, password: SecretStr) -> None:
    """Create user `username` with a SCRAM-SHA-512 credential for `password`, or replace its credential."""
    salt = os.urandom(32)
    upsertion: tuple[Any, ...] = (username, _SCRAM_SHA_512, SCRAM_ITERATIONS, salt, _salted(password, salt), {})
    response: Any = await admin._send_request(_AlterScram([], [upsertion]))
    for _user, code, message, _tags in response.results:
        _raise_for(code, message, f"SCRAM credential of {username}")
