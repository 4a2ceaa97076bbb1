"""Real local receivers: an HTTP server and an SMTP server, each in its own thread, recording what they get.

Shared by the benchmarks (bench/pipeline.py) and the delivery tests (tests/integration/channels, tests/e2e),
which is why they live here and not under tests/: bench/ never imports tests/.

    with HttpReceiver() as http, SmtpReceiver() as smtp:
        http.fail_next(3, 503)
        ... deliver to http.url / smtp.host:smtp.port ...
        assert http.requests[-1].json()["subject"] == "..."
        assert smtp.messages[0]["Subject"] == "..."
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

__all__ = ["HttpReceiver", "ReceivedMail", "ReceivedRequest", "SmtpReceiver", "free_port"]

BOT_OK = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}
"""The default answer: what DingTalk, WeCom and Feishu bots all read as success."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_port_run(count: int) -> int:
    """A port P with P..P+count-1 all free a moment ago (a broker and its controller; a local cluster)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count >= 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


class _Receiver:
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the HTTP receiver got, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    received_at: float = 0.0
    """time.perf_counter() when the request arrived (for latency measurements)."""

    def json(self) -> Any:
        """The body parsed as UTF-8 JSON."""
        return json.loads(self.body.decode("utf-8"))

    @property
    def accepted(self) -> bool:
        """True when the receiver answered 2xx."""
        return 200 <= self.status < 300


HANG_AT_MOST = 120.0
"""Seconds a request to a hanging path is held at most before its connection is closed unanswered."""
NO_ANSWER = 0
"""The status recorded for a request held by a hanging path and never answered."""


class _Server(ThreadingHTTPServer):
    """A threading HTTP server with a real server's listen backlog (the standard library's 5 resets bursts)."""

    request_queue_size = 512


class HttpReceiver(_Receiver):
    """A stdlib HTTP server on 127.0.0.1 that records every request; can fail the next N with a status, and break
    one path (hang, or answer an error) until it is mended."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._failures: list[tuple[int, bytes]] = []
        self._answer: tuple[int, bytes] = (200, json.dumps(BOT_OK).encode())
        self._broken: dict[str, int] = {}
        """Path → the status it answers while broken (NO_ANSWER: it hangs)."""
        self._mended = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321 (any path is accepted)."""
        if self._server is None:
            raise RuntimeError("HttpReceiver is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request so far, failed ones included, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def accepted(self) -> list[ReceivedRequest]:
        """The requests answered 2xx."""
        return [request for request in self.requests if request.accepted]

    def fail_next(self, count: int, status: int = 503, body: object = None) -> None:
        """Answer the next `count` requests with `status` (and `body` as JSON when given)."""
        payload = json.dumps(body if body is not None else {"error": f"injected {status}"}).encode()
        with self._lock:
            self._failures.extend([(status, payload)] * count)

    def answer(self, status: int, body: object) -> None:
        """Answer every request that is not failed on purpose with `status` and `body` as JSON."""
        with self._lock:
            self._answer = (status, json.dumps(body, ensure_ascii=False).encode())

    def break_path(self, path: str, status: int = NO_ANSWER) -> None:
        """Until `mend`, answer every request to `path` with `status`, or with NO_ANSWER hold it unanswered (at
        most HANG_AT_MOST seconds, then close the connection): a recipient's endpoint that is down or hangs."""
        with self._lock:
            self._broken[path] = status

    def mend(self, path: str) -> None:
        """Answer `path` normally again (requests it is holding are still closed unanswered)."""
        with self._mended:
            self._broken.pop(path, None)
            self._mended.notify_all()

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | None:
        """The answer to a request (None: hold it, then close the connection without one), recorded."""
        with self._mended:
            received = time.perf_counter()
            broken = self._broken.get(path)
            if broken == NO_ANSWER:
                self._requests.append(ReceivedRequest(method, path, headers, body, NO_ANSWER, received))
                self._mended.wait_for(lambda: path not in self._broken, timeout=HANG_AT_MOST)
                return None
            if broken is not None:
                status, payload = broken, json.dumps({"error": f"broken on purpose: {broken}"}).encode()
            else:
                status, payload = self._failures.pop(0) if self._failures else self._answer
            self._requests.append(ReceivedRequest(method, path, headers, body, status, received))
        return status, payload

    def start(self) -> None:
        """Listen on a free port in a daemon thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender went away mid-request (a killed worker): nothing was received
                    self.close_connection = True
                    return
                answer = receiver._handle("POST", self.path, dict(self.headers.items()), body)
                if answer is None:  # a hanging path: the sender gets no answer at all
                    self.close_connection = True
                    return
                status, payload = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="http-receiver", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


@dataclass(frozen=True)
class ReceivedMail:
    """One message the SMTP receiver accepted: envelope recipients and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class _SmtpHandler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        failure = self._receiver._take_failure()
        if failure is not None:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self._receiver._record(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpReceiver(_Receiver):
    """A real aiosmtpd server on 127.0.0.1 that keeps every message; can refuse the next N recipients."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._lock = threading.Lock()
        self._mails: list[ReceivedMail] = []
        self._failures: list[str] = []
        self._controller: Controller | None = None

    @property
    def mails(self) -> list[ReceivedMail]:
        """Every accepted message with its envelope, oldest first."""
        with self._lock:
            return list(self._mails)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed (`msg["Subject"]` is decoded), oldest first."""
        return [mail.message for mail in self.mails]

    def fail_next(self, count: int, reply: str = "451 4.3.0 try again later") -> None:
        """Answer the next `count` RCPT commands with `reply` (4xx temporary, 5xx permanent)."""
        with self._lock:
            self._failures.extend([reply] * count)

    def _take_failure(self) -> str | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mails.append(mail)

    def start(self) -> None:
        """Serve SMTP on a free port in aiosmtpd's own thread."""
        self.port = free_port(self.host)
        self._controller = Controller(_SmtpHandler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop the server."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
