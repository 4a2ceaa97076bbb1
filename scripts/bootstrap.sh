#!/usr/bin/env bash
# Install the system packages Tocsin's build needs, only where missing (Debian/Ubuntu, run as root):
# GNU make, Python 3.11 with venv, a Java 17+ runtime and Maven (for the local Kafka broker), git, and Chromium
# with CJK fonts for the console's browser tests (Playwright drives the system's Chromium: tests/browser).
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

missing=()
command -v make >/dev/null 2>&1 || missing+=(make)
command -v git >/dev/null 2>&1 || missing+=(git)
if ! command -v python3.11 >/dev/null 2>&1; then
  missing+=(python3.11 python3.11-venv)
elif ! python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3.11-venv)
fi
if ! command -v java >/dev/null 2>&1 && [ ! -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; then
  missing+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# The browser tests' Chromium: TOCSIN_CHROMIUM when set (tests/browser/conftest.py), else Debian's package.
if [ -z "${TOCSIN_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  missing+=(chromium)
fi
# Chinese text in the console's screenshots (fc-list is fontconfig's, which Chromium brings).
if [ -z "${TOCSIN_CHROMIUM:-}" ] && ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
  missing+=(fonts-noto-cjk)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: make, git, python3.11, java, mvn and chromium are present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: missing ${missing[*]} and no apt-get here: install them by hand" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
