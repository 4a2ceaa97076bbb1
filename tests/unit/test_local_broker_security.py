"""The local broker's identities, and a data dir formatted without security (no JVM runs here)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bench.receivers import free_port
from infra.kafka.broker import BrokerError, LocalBroker, _argfile_quote
from infra.kafka.credentials import read_broker_secrets, read_credentials
from infra.settings import Settings


def broker(tmp_path: Path) -> LocalBroker:
    """A local broker under `tmp_path` on a free port (never started here)."""
    return LocalBroker(Settings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}"))


def test_formatting_makes_every_platform_principal_with_its_own_password(tmp_path: Path) -> None:
    local = broker(tmp_path)

    secrets = local._new_identities()

    directory = local.credentials_dir
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert read_broker_secrets(directory) == secrets
    passwords = set()
    for name in ("admin", "api", "worker", "drill"):
        stored = read_credentials(directory, name)
        assert stored is not None, name
        assert (stored.username, stored.role, stored.bootstrap) == (name, name, local.bootstrap)
        assert len(stored.password.get_secret_value()) >= 40
        passwords.add(stored.password.get_secret_value())
    assert len(passwords) == 4
    assert {stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()} == {0o600}


def test_formatting_again_forgets_the_old_users(tmp_path: Path) -> None:
    local = broker(tmp_path)
    local._new_identities()
    (local.credentials_dir / "reporter-old.json").write_text("{}")
    old_admin = read_credentials(local.credentials_dir, "admin")

    local._new_identities()

    assert not (local.credentials_dir / "reporter-old.json").exists()
    assert read_credentials(local.credentials_dir, "admin") != old_admin


def test_a_data_dir_formatted_without_security_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    local = broker(tmp_path)
    local.log_dir.mkdir(parents=True)
    (local.log_dir / "meta.properties").write_text("cluster.id=old\n")

    with pytest.raises(BrokerError, match=r"older Tocsin.*tocsin kafka start --reformat"):
        local.start(timeout=5)

    assert (local.log_dir / "meta.properties").is_file()  # nothing was deleted
    assert local.status(probe_timeout=0.1).secured is False


def test_reformat_moves_the_unsecured_data_aside(tmp_path: Path) -> None:
    local = broker(tmp_path)
    local.log_dir.mkdir(parents=True)
    (local.log_dir / "meta.properties").write_text("cluster.id=old\n")

    local._check_secured(reformat=True)

    assert not local.formatted
    [aside] = [p for p in local.data_dir.iterdir() if p.name.startswith("data.before-sasl-")]
    assert (aside / "meta.properties").read_text() == "cluster.id=old\n"


def test_java_argument_files_quote_every_argument() -> None:
    assert _argfile_quote("SCRAM-SHA-512=[name=a,password=b]") == '"SCRAM-SHA-512=[name=a,password=b]"'
    assert _argfile_quote('a "b" \\c') == '"a \\"b\\" \\\\c"'
