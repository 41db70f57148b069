# The README's two commands: `make up` and `make test`.
.PHONY: up test setup setup-test down status

up: setup
	.venv/bin/centralita init
	.venv/bin/centralita user bootstrap-admin
	.venv/bin/centralita up

test: setup-test
	.venv/bin/pytest -q -p no:cacheprovider

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

down:
	.venv/bin/centralita down

status:
	.venv/bin/centralita status
