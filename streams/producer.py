"""The worker's producer: acks=all and idempotent, always (docs/adr/0025).

faust turns on aiokafka's idempotence only inside its transactions (`processing_guarantee="exactly_once"`, which
Tocsin does not use: DESIGN.md invariant 3). Without it, a produce request retried after a broker failover can
write a message twice; with it, the broker drops the retry by producer id and sequence number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import ProducerT

from streams.offsets import TocsinApp

IDEMPOTENT = {"acks": "all", "enable_idempotence": True}
"""What every Tocsin producer sets: wait for all in-sync replicas, and let the broker drop retried duplicates."""


class IdempotentProducer(aiokafka_driver.Producer):
    """faust's aiokafka producer with acks=all and idempotence outside transactions too."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**IDEMPOTENT, **super()._settings_extra()}


class IdempotentApp(TocsinApp):
    """The worker app (offset-safe consumer, `TocsinApp`) whose producer is `IdempotentProducer`."""

    def _new_producer(self) -> ProducerT:
        return IdempotentProducer(self.transport, loop=self.loop, beacon=self.beacon)
