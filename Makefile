# Geoportal: `make demo` serves the demo city, `make test` runs every check.
SHELL := /bin/bash
PY := .venv/bin/python
SEED_ARGS ?= --appeals 20000 --projects 60 --seed 42
ENVFILE := set -a; source var/services.env; set +a;

.PHONY: demo test setup setup-test seed serve lint typecheck pytest test-deploy bench bench-cluster clean

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --with-browser

seed: setup
	$(ENVFILE) $(PY) manage.py seed_demo $(SEED_ARGS)
	$(ENVFILE) $(PY) manage.py train_router --quiet || echo "router training skipped"

demo: seed
	$(ENVFILE) scripts/serve.sh

lint:
	.venv/bin/ruff check .

typecheck:
	$(ENVFILE) .venv/bin/mypy

# Tests use Redis database 1 (TEST_REDIS_DB overrides it, for parallel checkouts) so they never touch the demo's queues and cache.
pytest:
	$(ENVFILE) REDIS_URL=$${REDIS_URL%/*}/$${TEST_REDIS_DB:-1} .venv/bin/pytest --ignore=tests/deploy

# The multi-node deployment on real parts (deploy/README.md): a streaming replica, PgBouncer, nginx,
# two web nodes, two workers, an S3 server and a locust load, all started on free ports (~3 min).
test-deploy: bench-deps
	$(ENVFILE) REDIS_URL=$${REDIS_URL%/*}/$${TEST_REDIS_DB:-1} .venv/bin/pytest tests/deploy -p no:cacheprovider

test: setup-test
	$(MAKE) --no-print-directory lint typecheck pytest test-deploy

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
