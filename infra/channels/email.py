"""E-mail over SMTP with the stdlib `smtplib`, run in a worker thread; UTF-8 subject and body.

Security: "starttls" upgrades the connection (and fails if the server does not offer STARTTLS: no silent
downgrade), "ssl" speaks TLS from the start (SMTPS, port 465). The server's certificate is always verified, against
the system's trust store or the CA file given. A login is sent only over TLS.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from infra.channels.base import Channel
from infra.channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from infra.channels.model import OutboundMessage

__all__ = ["EmailChannel", "SmtpSecurity", "build_email", "tls_context"]

SmtpSecurity = Literal["none", "starttls", "ssl"]


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A verifying TLS client context: the system's trust store, or only the CAs in `ca_file`."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def build_email(message: OutboundMessage, sender: str, address: str) -> EmailMessage:
    """The MIME message for `message` to `address` (UTF-8; the exercise headers for drills)."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.split())  # a report's line breaks must not end the header
    try:
        mail["From"] = sender
        mail["To"] = address
    except ValueError as error:  # an address with a line break: refuse rather than let it inject headers
        raise PermanentDeliveryError(f"invalid e-mail header: {error}") from error
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = f"<{message.id}@tocsin>"
    mail["X-Tocsin-Idempotency-Key"] = message.idempotency_key
    mail["X-Tocsin-Mode"] = message.mode
    if message.exercise_id:
        mail["X-Tocsin-Exercise-Id"] = message.exercise_id
    mail.set_content(message.body, charset="utf-8")
    return mail


def _classify(code: int, text: str) -> DeliveryError:
    return PermanentDeliveryError(text) if code >= 500 else TemporaryDeliveryError(text)


class EmailChannel(Channel):
    """Sends to the address (an e-mail address) through one SMTP server."""

    def __init__(  # noqa: PLR0913 - the SMTP server's settings, options keyword-only
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: SecretStr | str | None = None,
        security: SmtpSecurity = "none",
        ca_file: Path | None = None,
        timeout: float = 10.0,
        name: str = "email",
    ) -> None:
        if username and security == "none":
            raise ValueError("an SMTP login needs TLS: set the security to starttls or ssl")
        self.name = name
        self._host, self._port, self._sender = host, port, sender
        self._username = username or None
        self._password = SecretStr(password) if isinstance(password, str) else password
        self._security = security
        self._context = tls_context(ca_file) if security != "none" else None
        self._timeout = timeout

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        if "@" not in address:
            raise PermanentDeliveryError(f"not an e-mail address: {address!r}")
        mail = build_email(message, self._sender, address)
        await asyncio.to_thread(self._send_blocking, mail)

    def _connect(self) -> smtplib.SMTP:
        if self._security == "ssl":
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=self._context)
        return smtplib.SMTP(self._host, self._port, timeout=self._timeout)

    def _send_blocking(self, mail: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self._security == "starttls":
                    smtp.starttls(context=self._context)
                if self._username is not None:
                    smtp.login(self._username, self._password.get_secret_value() if self._password else "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentDeliveryError(
                f"SMTP {self._host}:{self._port} refused the login of {self._username!r} ({error.smtp_code}); "
                "check TOCSIN_SMTP_USERNAME and TOCSIN_SMTP_PASSWORD"
            ) from None
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _classify(code, f"SMTP refused the recipient: {code} {reply!r}") from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(f"SMTP server lacks a needed extension: {error}") from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, f"SMTP error {error.smtp_code} {error.smtp_error!r}") from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentDeliveryError(
                f"SMTP {self._host}:{self._port}: the server's certificate is not trusted ({error.verify_message}); "
                "set TOCSIN_SMTP_CA_FILE to the CA that signed it"
            ) from None
        except OSError as error:  # SMTPServerDisconnected, refused connections, timeouts
            raise TemporaryDeliveryError(f"SMTP {self._host}:{self._port}: {type(error).__name__}: {error}") from error
