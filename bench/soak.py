"""Soak: a steady report stream for a long while; memory, consumer lag and first-page p99 sampled every 10 s.

    .venv/bin/python -m bench.soak [--minutes 30] [--rate 2] [--json var/soak.json] [--chart var/soak.png]

A broker of the soak's own (free ports, data under var/soak/; never the shared one), the API and one process per
worker role, paging by webhook to a real local receiver (loopback only). Level-IV reports go through the API at
`--rate` per second. Every 10 s it samples each process's resident memory (/proc), each role group's consumer lag,
and the p50/p99 latency from a report's 202 to the first page of its incident, over the reports of that window
(a report still unpaged when the window is read counts as infinitely late). It prints a line per sample, draws the
three series in a PNG and writes them as JSON, with each process's memory growth from the first to the last
quarter of the run: flat is what the issue asks. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx

from bench.district import district_on_receivers
from bench.faults import opening, say, start
from bench.ledger import lag_by_role
from bench.platform import Platform
from bench.receivers import HttpReceiver, free_port_run
from infra.kafka.broker import LocalBroker
from infra.settings import Settings

PARTITIONS = 4
VENUE = re.compile(r"venue-soak-\d+")
"""The soak's venues, as a page's subject names them."""
SAMPLE_SECONDS = 10.0


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def percentile(values: list[float], sent: int, pct: float) -> float | None:
    """Nearest-rank percentile over `sent` reports in ms; the unpaged ones count as infinitely late (None)."""
    rank = max(1, -(-int(pct * sent) // 100))
    ordered = sorted(values)
    return None if sent == 0 or rank > len(ordered) else round(ordered[rank - 1] * 1000, 1)


@dataclass
class FirstPages:
    """When each report was accepted, and when the first page naming its venue arrived."""

    hooks: HttpReceiver
    accepted: dict[str, float] = field(default_factory=dict)
    """Venue → time.perf_counter() of the 202."""
    first: dict[str, float] = field(default_factory=dict)
    read: int = 0

    def update(self) -> None:
        """Read the pages that arrived since the last call."""
        requests = self.hooks.requests
        for request in requests[self.read :]:
            found = VENUE.search(str(request.json().get("subject", "")))
            if found is not None and found.group(0) not in self.first:
                self.first[found.group(0)] = request.received_at
        self.read = len(requests)

    def window(self, start: float, end: float) -> dict[str, Any]:
        """p50/p99 first-page latency of the reports accepted in [start, end)."""
        accepted = list(self.accepted.items())  # one C-level copy: the generator thread adds to it meanwhile
        venues = [v for v, at in accepted if start <= at < end]
        latencies = [self.first[v] - self.accepted[v] for v in venues if v in self.first]
        return {
            "sent": len(venues),
            "paged": len(latencies),
            "p50_ms": percentile(latencies, len(venues), 50),
            "p99_ms": percentile(latencies, len(venues), 99),
        }


def generate(platform: Platform, pages: FirstPages, rate: float, stop: threading.Event) -> None:
    """Post a new level-IV report every 1/rate s until stopped; record each 202's time."""
    with platform.client() as client:
        n = 0
        start = time.perf_counter()
        while not stop.is_set():
            report = opening(f"soak-{n}")
            venue = report["location"]["venue"]
            try:
                if client.post("/api/v1/reports", json=report).status_code == 202:
                    pages.accepted[venue] = time.perf_counter()
            except httpx.HTTPError as exc:  # a soak goes on; the report shows as unpaged
                say(f"report {n}: {exc!r}")
            n += 1
            stop.wait(max(0.0, start + n / rate - time.perf_counter()))


def sample(platform: Platform, pages: FirstPages, began: float, window: tuple[float, float]) -> dict[str, Any]:
    """One sample: memory per process, lag per role, first-page latency of the last window."""
    pages.update()
    lags, _ = asyncio.run(lag_by_role(platform, PARTITIONS))
    return {
        "t_s": round(time.perf_counter() - began, 1),
        "rss_mb": {name: rss_mb(process.pid) for name, process in platform.processes.items()},
        "lag": lags,
        **pages.window(*window),
    }


def chart(samples: list[dict[str, Any]], path: Path) -> None:
    """Memory, lag and first-page p99 over time, one panel each, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t_s"] / 60 for s in samples]
    figure, (memory, lag, latency) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for name in samples[0]["rss_mb"]:
        memory.plot(t, [s["rss_mb"].get(name) for s in samples], label=name)
    memory.set_ylabel("RSS (MB)")
    memory.legend(fontsize="small", ncol=3)
    for role in samples[0]["lag"]:
        lag.plot(t, [s["lag"][role] for s in samples], label=role)
    lag.set_ylabel("consumer lag (messages)")
    lag.legend(fontsize="small", ncol=4)
    latency.plot(t, [s["p99_ms"] for s in samples], label="p99")
    latency.plot(t, [s["p50_ms"] for s in samples], label="p50")
    latency.set_ylabel("first page (ms)")
    latency.set_xlabel("minutes")
    latency.legend(fontsize="small")
    figure.suptitle("Tocsin soak: steady level-IV reports through the API")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def growth(samples: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each process's median RSS in the last quarter minus the first quarter, in MB."""
    quarter = max(1, len(samples) // 4)
    out: dict[str, float | None] = {}
    for name in samples[0]["rss_mb"]:
        early = [s["rss_mb"][name] for s in samples[:quarter] if s["rss_mb"].get(name) is not None]
        late = [s["rss_mb"][name] for s in samples[-quarter:] if s["rss_mb"].get(name) is not None]
        out[name] = round(statistics.median(late) - statistics.median(early), 1) if early and late else None
    return out


def soak(minutes: float, rate: float, root: Path) -> dict[str, Any]:
    """Run the soak; its figures."""
    broker = LocalBroker(Settings(data_dir=root / "kafka-home", kafka_bootstrap=f"127.0.0.1:{free_port_run(2)}"))
    say(f"starting a broker of the soak's own on {broker.bootstrap}")
    broker.start(timeout=240)
    stop = threading.Event()
    samples: list[dict[str, Any]] = []
    try:
        with HttpReceiver() as hooks:
            workdir = root / "platform"
            district = district_on_receivers(workdir / "district", webhook_base=hooks.url)
            platform = Platform(
                bootstrap=broker.bootstrap,
                workdir=workdir,
                prefix=f"soak-{uuid.uuid4().hex[:6]}.",
                credentials=broker.credentials_dir,
                extra_env={
                    "TOCSIN_PARTITIONS": str(PARTITIONS),
                    "TOCSIN_DISTRICT_DIR": str(district),
                    "TOCSIN_NOTIFY_CHANNELS": "webhook",
                    "TOCSIN_LOG_LEVEL": "WARNING",
                },
            )
            os.environ["TOCSIN_KAFKA_CREDENTIALS_DIR"] = str(broker.credentials_dir)
            try:
                start(platform)
                pages = FirstPages(hooks)
                began = time.perf_counter()
                threading.Thread(target=generate, args=(platform, pages, rate, stop), daemon=True).start()
                say(f"platform ready; {rate}/s for {minutes} min, a sample every {SAMPLE_SECONDS:.0f} s")
                while time.perf_counter() - began < minutes * 60:
                    time.sleep(SAMPLE_SECONDS)
                    now = time.perf_counter()
                    # the window before last: its reports have had SAMPLE_SECONDS to be paged
                    row = sample(platform, pages, began, (now - 2 * SAMPLE_SECONDS, now - SAMPLE_SECONDS))
                    samples.append(row)
                    rss = " ".join(f"{k.removeprefix('worker-')}={v}" for k, v in row["rss_mb"].items())
                    say(f"t={row['t_s']:>6.0f}s RSS MB {rss}; lag {row['lag']}; p99 {row['p99_ms']} ms ({row['sent']})")
                    platform.check_alive()
            finally:
                stop.set()
                platform.stop_all()
    finally:
        broker.stop()
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "minutes": minutes,
        "rate": rate,
        "sample_seconds": SAMPLE_SECONDS,
        "load": [round(x, 2) for x in os.getloadavg()],
        "rss_growth_mb": growth(samples) if samples else {},
        "samples": samples,
    }


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--minutes", type=float, default=30.0, help="how long to run")
    cli.add_argument("--rate", type=float, default=2.0, help="level-IV reports per second")
    cli.add_argument("--json", type=Path, default=Path("var/soak.json"))
    cli.add_argument("--chart", type=Path, default=Path("var/soak.png"))
    cli.add_argument("--workdir", type=Path, default=Path("var/soak"))
    return cli


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def run(argv: list[str] | None = None) -> None:
    """Entry point: soak, then print the growth, write the JSON and draw the chart."""
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    root = args.workdir.resolve() / datetime.now().strftime("%Y%m%d-%H%M%S")
    figures = soak(args.minutes, args.rate, root)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if figures["samples"]:
        chart(figures["samples"], args.chart)
        say(f"chart written to {args.chart}")
    print(f"RSS growth, first to last quarter (MB): {figures['rss_growth_mb']}")
    say(f"figures written to {args.json}")


if __name__ == "__main__":
    run()
