# The README's two commands: `make up` and `make test`.
.PHONY: up test unit lint setup setup-test down status

up: setup
	.venv/bin/centralita init
	.venv/bin/centralita user bootstrap-admin
	.venv/bin/centralita up

# --durations: CI's log names the slowest tests, so a suite that grows shows where.
test: setup-test
	.venv/bin/pytest -q -p no:cacheprovider --durations=25

# Unit tests of pure logic and the database (SQLite and PostgreSQL): no Asterisk, no SIP.
unit: setup-test
	.venv/bin/pytest -q -p no:cacheprovider --ignore=tests/integration -m "not asterisk"

# ruff (lint, import order, format) and mypy, configured in pyproject.toml.
lint: setup-test
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

down:
	.venv/bin/centralita down

status:
	.venv/bin/centralita status
