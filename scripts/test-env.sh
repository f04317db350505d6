#!/usr/bin/env bash
# Run a command (the test suite) so that two checkouts testing on one machine at once never share
# state: a Redis server of its own on a free port (its queues, cache and counters), stopped when
# the command ends. (The test database is already the checkout's own: geoportal/settings.py names
# it after the checkout's path.)
#
# Before this, every checkout's suite used Redis database 1 and the database test_geoportal: a
# second clone testing at the same time committed appeals and agencies into the first one's
# database and its Celery worker took the other's tasks (a hundred failures in an otherwise green
# run). REDIS_URL is always replaced by the private server.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

pidfile="$PWD/var/test-redis.pid"
for attempt in 1 2 3 4 5 6 7 8; do
    # a free port picked by the kernel; another process may take it before Redis binds: try again
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
            --pidfile "$pidfile" --logfile "$PWD/var/test-redis.log" >/dev/null; then
        for _ in $(seq 50); do
            redis-cli -p "$port" ping >/dev/null 2>&1 && break 2
            sleep 0.1
        done
    fi
    if [[ $attempt == 8 ]]; then
        echo "test-env: could not start a Redis server of its own (see var/test-redis.log)" >&2
        exit 1
    fi
done
trap 'kill "$(cat "$pidfile")" 2>/dev/null || true' EXIT

export REDIS_URL="redis://127.0.0.1:$port/${TEST_REDIS_DB:-1}"
echo "test-env: Redis on 127.0.0.1:$port" >&2
"$@"
