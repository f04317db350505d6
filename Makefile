# Geoportal: `make demo` serves the demo city, `make test` runs every check.
SHELL := /bin/bash
PY := .venv/bin/python
SEED_ARGS ?= --appeals 20000 --projects 60 --seed 42
# The demo and the developer's tools run with DEBUG=1 (the settings default to production: DEBUG
# off, no secret key); `DEBUG=0 make …` overrides it.
ENVFILE := set -a; source var/services.env; set +a; export DEBUG=$${DEBUG:-1};

.PHONY: demo test setup setup-test seed serve lint typecheck schema pytest test-deploy bench bench-cluster clean

setup:
	DEBUG=$${DEBUG:-1} scripts/setup.sh

setup-test:
	DEBUG=$${DEBUG:-1} scripts/setup.sh --with-browser

seed: setup
	$(ENVFILE) $(PY) manage.py seed_demo $(SEED_ARGS)
	$(ENVFILE) $(PY) manage.py train_router --quiet || echo "router training skipped"

demo: seed
	$(ENVFILE) scripts/serve.sh

# lint-imports: the dependency contracts of pyproject.toml [tool.importlinter] (no cycles, one-way apps)
lint:
	.venv/bin/ruff check .
	.venv/bin/lint-imports

typecheck:
	$(ENVFILE) .venv/bin/mypy

# The OpenAPI document of /api/v1/: every view described, no warning tolerated (geoportal.openapi).
schema:
	mkdir -p var && $(ENVFILE) $(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

# Tests run on a Redis server of their own and a test database named after the checkout
# (scripts/test-env.sh): two checkouts testing at once, or a test run beside the demo, share nothing.
# --durations: the 25 slowest set-ups, calls and teardowns end the log, so a slower suite shows where.
pytest:
	$(ENVFILE) scripts/test-env.sh .venv/bin/pytest --ignore=tests/deploy --durations=25

# The multi-node deployment on real parts (deploy/README.md): a streaming replica, PgBouncer, nginx,
# two web nodes, two workers, an S3 server and a locust load, all started on free ports (~3 min).
test-deploy: bench-deps
	$(ENVFILE) scripts/test-env.sh .venv/bin/pytest tests/deploy -p no:cacheprovider

test: setup-test
	$(MAKE) --no-print-directory lint typecheck schema pytest test-deploy

# The load test needs only locust from the bench extra (its pin is read from pyproject.toml).
bench-deps:
	@LOCUST_SKIP_MONKEY_PATCH=1 .venv/bin/python -c "import locust" 2>/dev/null \
	  || .venv/bin/pip install -q "$$(grep -o 'locust==[0-9.]*' pyproject.toml)"

bench: setup
	$(ENVFILE) .venv/bin/pip install -q -e '.[bench]'
	$(ENVFILE) $(PY) bench/router.py

# Capacity at 1 and 2 web nodes behind nginx, full length (the test runs it shorter).
bench-cluster: setup bench-deps
	$(ENVFILE) $(PY) bench/cluster_load.py

clean:
	rm -rf var/static var/media var/test-artifacts
