# Tocsin: two commands on a fresh clone —  `make setup`  then  `make run`  (or `make test`).
# Needs GNU make, python3.11, java 17+ and mvn (scripts/bootstrap.sh installs them on Debian).
#
# Environment (nothing hidden; every TOCSIN_* variable is read by infra/settings.py):
#   TOCSIN_KAFKA_BOOTSTRAP  Kafka to use (default 127.0.0.1:9092). When you set it, `make test`
#                           uses that broker and does not start the local one (override: KAFKA_LOCAL=1).
#   TOCSIN_DATA_DIR         where the local broker keeps its files (default var/).
#   PYTHON                  interpreter for a new .venv (default python3.11).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tocsin-installed
TOCSIN := $(BIN)/tocsin
KAFKA  ?= $(TOCSIN) kafka

# Start the local broker for `make test` unless the caller points us at another one.
ifeq ($(origin TOCSIN_KAFKA_BOOTSTRAP),undefined)
KAFKA_LOCAL ?= 1
else
KAFKA_LOCAL ?= 0
endif
export TOCSIN_KAFKA_BOOTSTRAP ?= 127.0.0.1:9092

.PHONY: help setup run test unit lint typecheck imports playbook-check pytest kafka-start kafka-stop \
        kafka-status clean distclean faults soak

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last successful install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

setup: $(STAMP) ## Create .venv, install tocsin + dev tools, resolve the Kafka broker's jars (idempotent)
	$(KAFKA) classpath > /dev/null

run: setup ## Run the platform (broker, worker, API); Ctrl-C stops what it started
ifeq ($(KAFKA_LOCAL),1)
	env -u TOCSIN_KAFKA_BOOTSTRAP $(TOCSIN) run
else
	$(TOCSIN) run
endif

test: setup ## Start the local broker, then lint, typecheck, import contracts, playbook check, pytest
ifeq ($(KAFKA_LOCAL),1)
	$(KAFKA) start
endif
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(TOCSIN) playbook check
	bash scripts/with-postgres.sh $(BIN)/pytest

# The fast tier: tests marked broker, postgres, subprocess or e2e (tests/conftest.py, pyproject.toml) are left out,
# and Kafka points at a closed port, so a test that reaches for a broker anyway fails instead of finding one.
# tests/api/test_schemathesis.py is all broker-bound; not collecting it saves generating its cases (seconds).
UNIT_TESTS := not broker and not postgres and not subprocess and not e2e
NO_BROKER  := 127.0.0.1:1

unit: $(STAMP) ## Fast tier: every test needing no broker, PostgreSQL or subprocess (starts nothing); prints wall time
	TIMEFORMAT='make unit: %R s wall time'; time TOCSIN_KAFKA_BOOTSTRAP=$(NO_BROKER) \
	  $(BIN)/pytest -q -m "$(UNIT_TESTS)" --ignore=tests/api/test_schemathesis.py

# Faults (issue 16, docs/adr/0025; not part of `make test`): the fault e2e tests (a worker killed mid-stream with a
# ledger, every broker down, a three-broker cluster losing its leader) and 2 x 50,000 fuzzed reports.
FAULT_TESTS := tests/e2e/test_scale_out.py tests/e2e/test_delivery.py tests/e2e/test_kafka_down.py \
               tests/e2e/test_local_cluster.py tests/unit/streams/test_intake_fuzz.py tests/unit/test_loader_fuzz.py

# Then the crash matrix (bench/faults.py: every fault x 2 seeds on a three-broker cluster of its own, ~40 min on 2 cores);
# `make faults FAULTS_ARGS=--quick` for one seed and fewer reports.
FAULTS_ARGS ?=

faults: setup ## Fault tests, the decoder fuzz (100,000 inputs) and the crash matrix; var/faults.xml, var/faults.json
ifeq ($(KAFKA_LOCAL),1)
	$(KAFKA) start
endif
	mkdir -p var
	TIMEFORMAT='make faults: %R s wall time'; time TOCSIN_FUZZ_EXAMPLES=50000 TOCSIN_LOADER_FUZZ_EXAMPLES=1000 bash scripts/with-postgres.sh \
	  $(BIN)/pytest -v --junitxml=var/faults.xml $(FAULT_TESTS)
	TIMEFORMAT='make faults (matrix): %R s wall time'; time $(BIN)/python -m bench.faults --json var/faults.json $(FAULTS_ARGS)

# Soak (issue 16): 30 min of steady reports on a broker of its own; memory, lag and first-page p99 every 10 s.
SOAK_ARGS ?=

soak: setup ## Soak: 30 min steady load (SOAK_ARGS='--minutes 5'); var/soak.json and the chart var/soak.png
	$(BIN)/python -m bench.soak --json var/soak.json --chart var/soak.png $(SOAK_ARGS)

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy --strict (configured in pyproject.toml)
	$(BIN)/mypy

imports: $(STAMP) ## import-linter layer contracts
	$(BIN)/lint-imports

playbook-check: $(STAMP) ## validate the playbook library
	$(TOCSIN) playbook check

pytest: $(STAMP) ## pytest only (expects a broker at TOCSIN_KAFKA_BOOTSTRAP)
	$(BIN)/pytest

kafka-start: $(STAMP) ## Start the local Kafka broker (no-op if running)
	$(KAFKA) start

kafka-stop: $(STAMP) ## Stop the local Kafka broker
	$(KAFKA) stop

kafka-status: $(STAMP) ## Show the local Kafka broker's state
	$(KAFKA) status

clean: ## Remove caches and build output (keeps .venv and var/)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also stop the broker and remove var/ and .venv
	if [ -x $(TOCSIN) ]; then $(KAFKA) stop; fi
	rm -rf var $(VENV)
