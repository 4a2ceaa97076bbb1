"""The real local receivers of the delivery tests; they live in bench/receivers.py, shared with the benchmarks."""

from __future__ import annotations

from bench.receivers import BOT_OK, NO_ANSWER, HttpReceiver, ReceivedMail, ReceivedRequest, SmtpReceiver, free_port

__all__ = ["BOT_OK", "NO_ANSWER", "HttpReceiver", "ReceivedMail", "ReceivedRequest", "SmtpReceiver", "free_port"]
