# `make run` and `make test` set everything up on first use (.venv + pinned dependencies).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCKS := requirements/main.txt requirements/dev.txt requirements/dev-nodeps.txt pyproject.toml

.PHONY: run serve test check lint format bench fuzz clean browser

$(STAMP): $(LOCKS)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	SSL_CERT_FILE=$${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt} $(BIN)/uv pip sync -q --python $(BIN)/python requirements/main.txt requirements/dev.txt
	SSL_CERT_FILE=$${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt} $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -r requirements/dev-nodeps.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# The platform and the demo bank together (development mode, SQLite in ./.ledgerline).
run: $(STAMP)
	$(BIN)/ledgerline demo

# The browser tests drive Debian's Chromium (Playwright from PyPI never downloads a browser).
# Idempotent: nothing to do when /usr/bin/chromium is there; installs it (as root) otherwise.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	}

test: $(STAMP) browser
	scripts/check
	scripts/test --coverage-gate

check: $(STAMP)
	scripts/check

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Schemathesis over the whole OpenAPI document until BUDGET requests were answered; exit 1
# on any 5xx (scripts/fuzz.py; docs/security.md has the last figure).
BUDGET ?= 50000
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz.py --budget $(BUDGET)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache fuzz-report
