"""Resolve the broker's Java classpath from Maven Central with `mvn`, cached per pom.xml content."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import structlog

__all__ = ["POM", "ClasspathError", "resolve_classpath"]

log = structlog.get_logger(__name__)

POM = Path(__file__).with_name("pom.xml")
"""The pom that lists the broker's jars (kafka_2.13 and a log4j2 binding)."""


class ClasspathError(RuntimeError):
    """Maven is missing or could not resolve the broker's jars."""


def _pom_key(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def _cached(cache: Path, key: str) -> str | None:
    """The cached classpath if it was built from this pom and every jar still exists."""
    try:
        data = json.loads(cache.read_text())
    except (OSError, ValueError):
        return None
    classpath = data.get("classpath") if isinstance(data, dict) else None
    if data.get("pom_sha256") != key or not isinstance(classpath, str) or not classpath:
        return None
    if not all(Path(jar).is_file() for jar in classpath.split(":")):
        log.info("kafka.classpath.stale", reason="a cached jar is missing", cache=str(cache))
        return None
    return classpath


def resolve_classpath(cache: Path, pom: Path = POM, *, mvn: str | None = None) -> str:
    """The classpath for `pom`, from `cache` when still valid, else by running mvn once.

    The cache is keyed by the pom's SHA-256, so editing the pom re-resolves; jars stay in ~/.m2.
    """
    key = _pom_key(pom)
    hit = _cached(cache, key)
    if hit is not None:
        return hit
    mvn_path = mvn or shutil.which("mvn")
    if mvn_path is None:
        raise ClasspathError("mvn not found on PATH: install Maven 3.8+ (Debian: apt-get install maven)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    out = cache.with_name(cache.name + ".mvn.txt")
    cmd = [
        mvn_path, "-q", "-B", "-f", str(pom),
        "dependency:build-classpath", f"-Dmdep.outputFile={out}",
    ]  # fmt: skip
    log.info("kafka.classpath.resolving", pom=str(pom), command=" ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not out.is_file():
        detail = (result.stdout + result.stderr).strip()[-4000:]
        raise ClasspathError(f"mvn could not resolve {pom} (exit {result.returncode}):\n{detail}")
    classpath = out.read_text().strip()
    out.unlink()
    missing = [jar for jar in classpath.split(":") if not Path(jar).is_file()]
    if not classpath or missing:
        raise ClasspathError(f"mvn returned an unusable classpath for {pom}; missing: {missing[:3]}")
    tmp = cache.with_name(cache.name + ".tmp")
    tmp.write_text(json.dumps({"pom_sha256": key, "classpath": classpath}, indent=1))
    tmp.replace(cache)
    log.info("kafka.classpath.resolved", jars=classpath.count(":") + 1, cache=str(cache))
    return classpath
