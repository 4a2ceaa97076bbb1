"""E-mail over SMTP with the stdlib `smtplib`, run in a worker thread; UTF-8 subject and body."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime

from infra.channels.base import Channel
from infra.channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from infra.channels.model import OutboundMessage

__all__ = ["EmailChannel", "build_email"]


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
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        name: str = "email",
    ) -> None:
        self.name = name
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls = starttls
        self._timeout = timeout

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        if "@" not in address:
            raise PermanentDeliveryError(f"not an e-mail address: {address!r}")
        mail = build_email(message, self._sender, address)
        await asyncio.to_thread(self._send_blocking, mail)

    def _send_blocking(self, mail: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._username is not None:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _classify(code, f"SMTP refused the recipient: {code} {reply!r}") from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(f"SMTP server lacks a needed extension: {error}") from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, f"SMTP error {error.smtp_code} {error.smtp_error!r}") from error
        except OSError as error:  # SMTPServerDisconnected, refused connections, timeouts
            raise TemporaryDeliveryError(f"SMTP {self._host}:{self._port}: {type(error).__name__}: {error}") from error
