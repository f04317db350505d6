#!/usr/bin/env bash
# Serve the portal (granian, scripts/web.sh) with a Celery worker and beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
# The demo: DEBUG on explicitly (the settings default to production, which needs SECRET_KEY and TLS).
export DEBUG="${DEBUG:-1}"
.venv/bin/python manage.py collectstatic --noinput -v 0
pids=()
cleanup() { trap - INT TERM EXIT; echo; echo "[serve] stopping"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT
.venv/bin/celery -A geoportal worker --loglevel=INFO --concurrency=2 >var/celery-worker.log 2>&1 & pids+=($!)
.venv/bin/celery -A geoportal beat --loglevel=INFO --schedule var/celerybeat-schedule >var/celery-beat.log 2>&1 & pids+=($!)
PORT=$PORT scripts/web.sh --access-log & pids+=($!)
cat <<TXT

  Geoportal is served on http://127.0.0.1:$PORT
    map .............. http://127.0.0.1:$PORT/
    admin ............ http://127.0.0.1:$PORT/admin/
    API docs ......... http://127.0.0.1:$PORT/api/v1/docs/
    health ........... http://127.0.0.1:$PORT/healthz
$(.venv/bin/python manage.py demo_logins)
  Celery logs: var/celery-worker.log, var/celery-beat.log.  Ctrl-C stops everything.

TXT
wait -n "${pids[@]}"
