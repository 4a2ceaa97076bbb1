"""Real local receivers that check credentials: SMTP with STARTTLS and AUTH, an SMS gateway that wants a token,
and a webhook receiver that verifies X-Tocsin-Signature the way docs/channels.md tells a receiver to."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.integration.channels.receivers import free_port

__all__ = ["CheckingHttpServer", "SecureSmtpReceiver", "SmtpSession", "TokenGateway", "VerifyingWebhookReceiver"]

SMTP_USER = "tocsin-relay"
REPLAY_WINDOW = 300


@dataclass(frozen=True)
class SmtpSession:
    """One message accepted by the secure SMTP receiver, and how its session got there."""

    message: EmailMessage
    over_tls: bool
    login: str | None


class SecureSmtpReceiver:
    """aiosmtpd on 127.0.0.1 with a certificate from a throwaway CA; STARTTLS offered, and (by default) required
    together with AUTH. `ca_file` is the CA a client must trust."""

    def __init__(self, directory: Path, password: str, *, offer_tls: bool = True) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.password = password
        self._ca = trustme.CA()
        self.ca_file = directory / "smtp-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._offer_tls = offer_tls
        self._lock = threading.Lock()
        self._sessions: list[SmtpSession] = []
        self.refused_logins = 0
        self._controller: Controller | None = None

    @property
    def sessions(self) -> list[SmtpSession]:
        """Every accepted message, oldest first."""
        with self._lock:
            return list(self._sessions)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and hmac.compare_digest(data.password.decode(), self.password)
        )
        if not ok:
            with self._lock:
                self.refused_logins += 1
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message with whether it came over TLS and who logged in."""
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self._lock:
            self._sessions.append(SmtpSession(message, session.ssl is not None, login))
        return "250 Message accepted for delivery"

    def __enter__(self) -> Self:
        self.port = free_port(self.host)
        options: dict[str, Any] = {}
        if self._offer_tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ca.issue_cert(self.host).configure_cert(context)
            options = {"tls_context": context, "require_starttls": True, "auth_required": True}
        self._controller = Controller(
            self, hostname=self.host, port=self.port, authenticator=self._authenticate, **options
        )
        self._controller.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass(frozen=True)
class Checked:
    """One request a checking server got, and its verdict."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    verdict: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


Check = Callable[[dict[str, str], bytes], tuple[int, str]]


class CheckingHttpServer:
    """A stdlib HTTP server on 127.0.0.1 that answers each POST by `check(headers, body)` and records it."""

    def __init__(self, check: Check) -> None:
        self._check = check
        self._lock = threading.Lock()
        self._requests: list[Checked] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Checked]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def __enter__(self) -> Self:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {key.lower(): value for key, value in self.headers.items()}
                status, verdict = outer._check(headers, body)
                with outer._lock:
                    outer._requests.append(Checked(self.path, headers, body, status, verdict))
                payload = json.dumps({"errcode": 0, "code": 0} if status == 200 else {"error": verdict}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class TokenGateway(CheckingHttpServer):
    """An SMS gateway that answers 401 unless `header` carries `value` exactly."""

    def __init__(self, header: str, value: str) -> None:
        def check(headers: dict[str, str], body: bytes) -> tuple[int, str]:
            given = headers.get(header.lower())
            if given is None:
                return 401, "missing token"
            return (200, "ok") if hmac.compare_digest(given, value) else (401, "wrong token")

        super().__init__(check)


def verify_tocsin_signature(secret: str, headers: dict[str, str], body: bytes, now: float) -> str:
    """What docs/channels.md tells a receiver to do; "ok" or why the request is refused."""
    timestamp = headers.get("x-tocsin-timestamp", "")
    given = headers.get("x-tocsin-signature", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW:
        return "stale or missing timestamp"
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "ok" if hmac.compare_digest(given, f"sha256={expected}") else "bad signature"


class VerifyingWebhookReceiver(CheckingHttpServer):
    """A webhook receiver that verifies each request's signature with `secret` and answers 401 when it fails."""

    def __init__(self, secret: str) -> None:
        def check(headers: dict[str, str], body: bytes) -> tuple[int, str]:
            verdict = verify_tocsin_signature(secret, headers, body, time.time())
            return (200 if verdict == "ok" else 401), verdict

        super().__init__(check)
