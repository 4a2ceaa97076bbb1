"""Errors of the delivery layer.

    DeliveryError                      anything that stopped a message reaching an address
    ├── TemporaryDeliveryError         worth retrying: timeouts, refused connections, HTTP 408/425/429/5xx,
    │                                  SMTP 4xx, a bot's "too many requests"
    ├── PermanentDeliveryError         retrying will not help: HTTP 4xx, SMTP 5xx, a bot's error code
    │   └── NoContactError             the recipient has no address on the requested channel
    ├── UnknownChannelError            no channel of that name is configured
    └── ExerciseIsolationViolation     refused by the exercise guard (DESIGN invariant 5): an exercise message
                                       without exercise_id, an actual message with one, an actual message to
                                       the exercise sink, or a channel used outside the Dispatcher

    TemplateError (ValueError)         a message template is malformed or a placeholder has no value
    CapError (ValueError)              a CAP alert breaks a CAP 1.2 rule before it is rendered

The Dispatcher retries TemporaryDeliveryError, stops at PermanentDeliveryError, and returns both as a
`failed` DeliveryResult with the reason. It raises only ExerciseIsolationViolation, which is a caller's bug.
"""

from __future__ import annotations

__all__ = [
    "CapError",
    "DeliveryError",
    "ExerciseIsolationViolation",
    "NoContactError",
    "PermanentDeliveryError",
    "TemplateError",
    "TemporaryDeliveryError",
    "UnknownChannelError",
]


class DeliveryError(Exception):
    """A message did not reach its address."""


class TemporaryDeliveryError(DeliveryError):
    """A failure that may pass: the Dispatcher retries it with backoff."""


class PermanentDeliveryError(DeliveryError):
    """A failure that will not pass by retrying: the Dispatcher stops at once."""


class NoContactError(PermanentDeliveryError):
    """The recipient has no address on the requested channel."""


class UnknownChannelError(DeliveryError):
    """No channel of the requested name is configured."""


class ExerciseIsolationViolation(DeliveryError):
    """The exercise guard refused a delivery (DESIGN invariant 5)."""


class TemplateError(ValueError):
    """A message template is malformed, or a placeholder has no value."""


class CapError(ValueError):
    """A CAP alert breaks a rule of CAP 1.2."""
