# VideoForge: the two commands a person needs are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
PY         := $(VENV)/bin/python
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
STATE_DIR  ?= $(CURDIR)/.state
INVENTORY  ?= inventories/local
export ANSIBLE_HOME := $(CURDIR)/.ansible
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VF_STATE_DIR := $(STATE_DIR)

.PHONY: help venv up down status logs test lint pytest molecule bench cost clean client browser wrk

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The venv is rebuilt only when the pins change: a second `make` goes straight to work.
$(STAMP): requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP)  ## Create .venv with the pinned dependencies

client: $(STAMP)  ## Build the React client (npm ci + vite build)
	@$(MAKE) -s -C apps/client build

browser:  ## Install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

up: $(STAMP) client  ## Run the whole platform locally and print its URL
	@$(BIN)/ansible-playbook -i $(INVENTORY) site.yml
	@$(PY) -m twin.stack url

down: $(STAMP)  ## Stop the local platform (data stays under .state/)
	@$(PY) -m twin.stack down

status: $(STAMP)  ## Show the local processes
	@$(PY) -m twin.stack status

# The linters and their arguments are declared once, in tests/test_lint.py (make test runs them too),
# side by side: ansible-lint's rules take one core, the others and the syntax check the other.
# The API contract test's pytest plugins (schemathesis, hypothesis) were most of each pytest
# process's start (1.8 of 2.5 s of CPU) and lint needs neither.
lint: $(STAMP)  ## ruff, yamllint, ansible-lint (production profile), the playbooks' syntax
	@$(BIN)/pytest -q -p no:cacheprovider -p no:schemathesis -p no:hypothesispytest -n 2 --dist loadgroup \
		tests/test_lint.py

# The suite on several workers: each test file (with its module fixtures) is one group, the
# e2e files that share a platform are a group per platform, every molecule scenario and linter
# is an item of its own (tests/conftest.py schedules the groups). Most of a test's time is waiting on a subprocess
# (ansible-playbook, FFmpeg, moto, Chromium), so more workers than cores pays (measured: 4 workers
# 808 s, 6 workers 780 s on 2 cores; the slowest items are listed at the end of each run).
WORKERS ?= 4
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25

pytest: $(STAMP) client browser
	@$(PYTEST)

molecule: $(STAMP)
	@$(PY) tools/molecule_all.py

# The suite runs the linters and every molecule scenario as pytest items (tests/test_lint.py,
# tests/roles/test_molecule.py); `make lint` and `make molecule` run them on their own. The
# installs go side by side (Chromium's apt beside pip and npm).
test:  ## The whole suite: lint, molecule and pytest, on $(WORKERS) workers
	@$(MAKE) -s -j3 venv client browser
	@$(PYTEST)

wrk:  ## Install Debian's wrk (a load generator in C) for the benchmarks when it is missing
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

bench: $(STAMP) client wrk  ## Benchmarks; results land in bench/results/
	@$(PY) -m bench

# Prices the inventory's model (docs/prices.yml, docs/COST.md); reads no account. The report is
# also written to $(STATE_DIR)/cost/<environment>.json and .txt.
cost: $(STAMP)  ## Monthly cost of a model: make cost INVENTORY=inventories/prod
	@$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/cost.yml

clean: down  ## Remove local state and build output (not the venv)
	rm -rf $(STATE_DIR) apps/client/dist .ansible
