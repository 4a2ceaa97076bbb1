"""Kafka principals as an operator manages them: the components' ACLs under a prefix, and reporter users.

Works on the local broker and on a real cluster with SCRAM and an authorizer alike: every call goes through an admin
client authenticated as a super user (`admin` on the local broker, TOCSIN_KAFKA_USERNAME on a real cluster).
"""

from __future__ import annotations

from pathlib import Path

import structlog

from infra.kafka.acls import (
    COMPONENTS,
    KafkaAdminError,
    acls_for,
    create_acls,
    delete_acls_of,
    upsert_scram_user,
)
from infra.kafka.admin import admin_client
from infra.kafka.credentials import (
    BROKER,
    LocalCredentials,
    check_user_name,
    new_password,
    remove_credentials,
    write_credentials,
)
from infra.kafka.security import ADMIN, KafkaSecurity

__all__ = ["RESERVED", "UserExists", "add_user", "grant_components", "remove_user"]

log = structlog.get_logger(__name__)

RESERVED = (ADMIN, BROKER, *COMPONENTS)
"""Principals the platform owns: `user add` and `user remove` refuse them."""


class UserExists(KafkaAdminError):
    """A user of that name is stored already."""


async def grant_components(bootstrap: str, admin: KafkaSecurity, prefix: str) -> int:
    """Create the ACLs of api, worker and drill on the topics under `prefix`; return how many ACLs that is."""
    acls = [acl for role in COMPONENTS for acl in acls_for(role, role, prefix)]
    async with admin_client(bootstrap, admin) as client:
        count = await create_acls(client, acls)
    log.info("kafka.acls.granted", bootstrap=bootstrap, prefix=prefix, acls=count)
    return count


async def add_user(
    bootstrap: str, admin: KafkaSecurity, directory: Path, name: str, *, role: str, prefix: str
) -> LocalCredentials:
    """Create SCRAM user `name` with `role`'s ACLs under `prefix`, store its credentials in `directory`; return them.

    Refuses a reserved name and a name already stored in `directory` (UserExists).
    """
    check_user_name(name)
    if name in RESERVED:
        raise ValueError(f"{name!r} is one of the platform's own principals ({', '.join(RESERVED)})")
    if (directory / f"{name}.json").exists():
        raise UserExists(f"user {name} exists already ({directory / f'{name}.json'}); remove it first")
    acls = acls_for(role, name, prefix)
    protocol = admin.protocol if admin.sasl else "SASL_PLAINTEXT"
    credentials = LocalCredentials(
        username=name,
        password=new_password(),
        role=role,
        bootstrap=bootstrap,
        protocol=protocol,
        ca_file=str(admin.ca_file) if admin.ca_file else None,
    )
    async with admin_client(bootstrap, admin) as client:
        await upsert_scram_user(client, name, credentials.password)
        await create_acls(client, acls)
    write_credentials(directory, credentials)
    log.info("kafka.user.added", user=name, role=role, prefix=prefix, acls=len(acls))
    return credentials


async def remove_user(bootstrap: str, admin: KafkaSecurity, directory: Path, name: str) -> bool:
    """Retire user `name`: its ACLs go, its SCRAM password becomes one nobody knows, its files go. True if it existed.

    The credential is overwritten, not deleted: on Kafka 4.4 a RemoveUserScramCredentialRecord in the metadata log
    makes the restarted broker refuse every SCRAM login, its own principals' included (ADR 0022, reproduced by
    tests/e2e/test_kafka_security.py). A retired name can be added again with `user add`.
    """
    check_user_name(name)
    if name in RESERVED:
        raise ValueError(f"{name!r} is one of the platform's own principals ({', '.join(RESERVED)})")
    had_files = (directory / f"{name}.json").exists()
    async with admin_client(bootstrap, admin) as client:
        deleted = await delete_acls_of(client, name)
        if deleted or had_files:
            await upsert_scram_user(client, name, new_password())  # never stored: nobody can sign in as `name`
    remove_credentials(directory, name)
    log.info("kafka.user.removed", user=name, acls=deleted)
    return bool(deleted) or had_files
