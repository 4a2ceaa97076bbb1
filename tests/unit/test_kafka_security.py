"""Kafka client security: the settings, the options every client is built with, and the local credentials files."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import faust
import pytest
import trustme
from pydantic import SecretStr

from infra.kafka.credentials import (
    LocalCredentials,
    check_user_name,
    read_credentials,
    write_credentials,
)
from infra.kafka.security import (
    PLAINTEXT,
    PRINCIPAL_VARIABLE,
    KafkaSecurity,
    client_options,
    faust_credentials,
    kafka_security,
    use_principal,
)
from infra.settings import Settings

LOCAL = "127.0.0.1:19092"


def local(tmp_path: Path, **values: object) -> Settings:
    """Settings whose data dir holds a local broker at LOCAL (its credentials made by `stored`)."""
    return Settings(**{"data_dir": tmp_path, "kafka_bootstrap": LOCAL, **values})  # type: ignore[arg-type]


def stored(tmp_path: Path, name: str, bootstrap: str = LOCAL) -> LocalCredentials:
    """Store credentials for `name` where the local broker of `tmp_path` keeps them."""
    credentials = LocalCredentials(name, SecretStr(f"{name}-password"), name, bootstrap)
    write_credentials(tmp_path / "kafka" / "credentials", credentials)
    return credentials


# ---- settings ------------------------------------------------------------------------------------------------------


def test_sasl_without_a_user_and_password_is_refused_naming_the_variables() -> None:
    with pytest.raises(ValueError, match="TOCSIN_KAFKA_USERNAME and TOCSIN_KAFKA_PASSWORD"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_username="api")


def test_a_password_without_a_sasl_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="need TOCSIN_KAFKA_SECURITY_PROTOCOL=SASL_SSL"):
        Settings(kafka_username="api", kafka_password=SecretStr("x"))


def test_tls_files_without_a_tls_protocol_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="need TOCSIN_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL"):
        Settings(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_username="api",
            kafka_password=SecretStr("x"),
            kafka_ca_file=tmp_path / "ca.pem",
        )


def test_the_password_is_read_from_its_file_and_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "kafka-password"
    secret.write_text("s3cret-from-file\n")
    settings = Settings(kafka_security_protocol="SASL_SSL", kafka_username="api", kafka_password_file=secret)

    assert settings.kafka_password is not None
    assert settings.kafka_password.get_secret_value() == "s3cret-from-file"
    assert "s3cret-from-file" not in repr(settings)
    assert "s3cret-from-file" not in repr(kafka_security(settings))


def test_a_password_and_a_password_file_together_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "kafka-password"
    secret.write_text("a")
    with pytest.raises(ValueError, match="TOCSIN_KAFKA_PASSWORD or TOCSIN_KAFKA_PASSWORD_FILE"):
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_username="api",
            kafka_password=SecretStr("b"),
            kafka_password_file=secret,
        )


# ---- options for a real cluster --------------------------------------------------------------------------------------


def test_sasl_plaintext_gives_every_client_the_mechanism_user_and_password() -> None:
    settings = Settings(
        kafka_bootstrap="kafka-1:9092",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username="api",
        kafka_password=SecretStr("pw"),
    )

    assert client_options("kafka-1:9092", kafka_security(settings)) == {
        "bootstrap_servers": "kafka-1:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "api",
        "sasl_plain_password": "pw",
    }


def test_sasl_ssl_verifies_the_broker_against_the_configured_ca_and_presents_the_client_certificate(
    tmp_path: Path,
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client = ca.issue_cert("tocsin-api")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_username="api",
        kafka_password=SecretStr("pw"),
        kafka_ca_file=tmp_path / "ca.pem",
        kafka_cert_file=tmp_path / "client.pem",
        kafka_key_file=tmp_path / "client.key",
    )

    options = kafka_security(settings).aiokafka_options()

    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_plain_username"] == "api"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) == 1  # the configured CA, not the system's


def test_explicit_settings_win_over_the_local_broker_credentials(tmp_path: Path) -> None:
    stored(tmp_path, "admin")
    settings = local(tmp_path, kafka_security_protocol="SSL")

    assert kafka_security(settings).protocol == "SSL"
    assert kafka_security(settings).username == ""


# ---- the local broker ------------------------------------------------------------------------------------------------


def test_on_the_local_broker_a_process_signs_in_as_admin_by_default(tmp_path: Path) -> None:
    admin = stored(tmp_path, "admin")

    security = kafka_security(local(tmp_path))

    assert security == KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", admin.password)


def test_a_component_signs_in_as_its_own_principal(tmp_path: Path) -> None:
    stored(tmp_path, "admin")
    worker = stored(tmp_path, "worker")

    security = kafka_security(local(tmp_path, kafka_principal="worker"))

    assert (security.username, security.password) == ("worker", worker.password)


def test_another_broker_than_the_local_one_gets_no_local_credentials(tmp_path: Path) -> None:
    stored(tmp_path, "admin")

    assert kafka_security(local(tmp_path), "kafka.example.org:9092") == PLAINTEXT
    assert kafka_security(local(tmp_path, kafka_bootstrap="127.0.0.1:9092")) == PLAINTEXT


def test_without_credentials_clients_connect_in_plaintext(tmp_path: Path) -> None:
    assert kafka_security(local(tmp_path)) == PLAINTEXT
    assert client_options(LOCAL, PLAINTEXT) == {"bootstrap_servers": LOCAL, "security_protocol": "PLAINTEXT"}


def test_client_options_read_the_process_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored(tmp_path, "drill")
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(PRINCIPAL_VARIABLE, "drill")

    options = client_options(LOCAL)

    assert options["sasl_plain_username"] == "drill"
    assert options["sasl_plain_password"] == "drill-password"


def test_the_credentials_directory_can_be_named_for_processes_with_another_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored(tmp_path, "api")
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TOCSIN_KAFKA_CREDENTIALS_DIR", str(tmp_path / "kafka" / "credentials"))
    monkeypatch.setenv(PRINCIPAL_VARIABLE, "api")

    assert client_options(LOCAL)["sasl_plain_username"] == "api"


def test_a_component_default_principal_never_overrides_an_explicit_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRINCIPAL_VARIABLE, raising=False)
    use_principal("api")
    assert Settings().kafka_principal == "api"

    monkeypatch.setenv(PRINCIPAL_VARIABLE, "admin")
    use_principal("worker")
    assert Settings().kafka_principal == "admin"


def test_the_faust_worker_gets_the_same_sasl_credentials(tmp_path: Path) -> None:
    worker = stored(tmp_path, "worker")

    credentials = faust_credentials(local(tmp_path, kafka_principal="worker"))

    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password) == ("worker", worker.password.get_secret_value())
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert credentials.protocol.value == "SASL_PLAINTEXT"
    assert faust_credentials(local(tmp_path / "none")) is None


# ---- the credentials files -------------------------------------------------------------------------------------------


def test_credentials_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "credentials"
    write_credentials(directory, LocalCredentials("api", SecretStr("pw"), "api", LOCAL))

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in ("api.json", "api.properties"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600


def test_the_properties_file_is_a_kcat_config(tmp_path: Path) -> None:
    credentials = LocalCredentials("reporter-1", SecretStr("pw"), "reporter", LOCAL)
    write_credentials(tmp_path, credentials)

    lines = (tmp_path / "reporter-1.properties").read_text().splitlines()

    assert {line for line in lines if not line.startswith("#")} == {
        f"bootstrap.servers={LOCAL}",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanisms=SCRAM-SHA-512",
        "sasl.username=reporter-1",
        "sasl.password=pw",
    }
    assert read_credentials(tmp_path, "reporter-1") == credentials
    assert "pw" not in repr(credentials)


@pytest.mark.parametrize("name", ["", "../admin", "Admin", "a b", "-x", "x" * 65])
def test_user_names_that_are_not_plain_file_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="user name"):
        check_user_name(name)
