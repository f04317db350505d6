#!/usr/bin/env bash
# The portal's web server: granian running the WSGI application (geoportal.wsgi, where
# tiles.fastpath answers vector tiles). Used by `make demo` (scripts/serve.sh), the Docker image,
# bench/ and tests/geoportal/test_web_server.py, so all of them run the same server.
#
#   HOST (127.0.0.1)  PORT (8000)  WEB_WORKERS (processes; the CPU count)  WEB_THREADS (application
#   threads per process; 2: a slow report does not hold up the tiles behind it)
#   WSGI_APP (geoportal.wsgi:application); further arguments go to granian (e.g. --access-log).
#
# granian (Rust, HTTP/1.1 keep-alive) instead of gunicorn's sync worker: measured by
# bench/tiles.py, a cached tile is answered in about 0.4–0.5 ms instead of 0.7 ms.
#
# Behind nginx (deploy/nginx/geoportal.conf) in every deployment we ship. Here: a statement
# timeout for the web's database sessions (DB_STATEMENT_TIMEOUT_MS, 30 s), and Prometheus counters
# shared by the processes through PROMETHEUS_MULTIPROC_DIR (emptied at start), read by /metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
export DB_STATEMENT_TIMEOUT_MS="${DB_STATEMENT_TIMEOUT_MS:-30000}"
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/geoportal-metrics-${PORT:-8000}}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
granian=.venv/bin/granian
[ -x "$granian" ] || granian=granian  # the Docker image installs into the system Python
exec "$granian" --interface wsgi --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --workers "${WEB_WORKERS:-$(nproc)}" --blocking-threads "${WEB_THREADS:-2}" --runtime-threads 1 --respawn-failed-workers \
    --no-ws "$@" "${WSGI_APP:-geoportal.wsgi:application}"
