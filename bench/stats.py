"""Pivot statistics: the HTTP endpoint vs its own SQL statement run directly, side by side.

    set -a; source var/services.env; set +a
    .venv/bin/python bench/stats.py [--reps 5]

Starts the production web server (scripts/web.sh: granian, 1 worker, DEBUG=0) on a free loopback port against the configured database,
then for three typical slices alternates: GET /api/v1/stats/appeals over HTTP (anonymous, so
public scope) and the very statement analytics.sql.pivot_sql builds for the same request, run
through a database cursor. Medians in milliseconds and the HTTP/SQL ratio are printed (goal ≤ 1.3).
The last columns time the one-phase form of the same statement (every appeal aggregated once per
grouping set, as before the two-phase form; ``two_phase=False``) and how much faster the served
form is; a slice with a percentile has only the one-phase form. JIT follows the settings (off
unless DB_JIT=1).
The size of the data set is printed first: quote it with the results."""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import free_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
os.environ.setdefault("DEBUG", "1")  # this process reads the demo settings (no SECRET_KEY needed)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics import sql  # noqa: E402
from analytics.params import parse_pivot  # noqa: E402

SLICES = [
    ("district × category × month", {"rows": "district,category", "cols": "month", "metrics": "count"}),
    ("agency × quarter, on-time + median", {"rows": "agency", "cols": "quarter",
                                            "metrics": "count,on_time_share,median_days"}),
    ("classifier section × channel", {"rows": "classifier_section", "cols": "channel", "metrics": "count"}),
]


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48), ALLOWED_HOSTS="127.0.0.1",
               # plain HTTP on loopback, one client: no TLS redirect, no per-address limits in the way
               SECURE_SSL_REDIRECT="0", TILES_RENDER_RATE="1000000/min", ANON_PAGE_RATE="1000000/min",
               API_ANON_RATE="1000000/min",
               LOG_LEVEL="WARNING")
    env.update(PORT=str(port), WEB_WORKERS="1")  # the production web server, one worker process
    proc = subprocess.Popen([str(ROOT / "scripts" / "web.sh"), "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/stats/catalog", timeout=5).status_code < 500:
                return proc
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("scripts/web.sh did not start within 60 s")


def run_sql(params: dict[str, str], two_phase: bool | None = None) -> tuple[float, int]:
    spec = parse_pivot(params)
    built = sql.pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters, public=True, now=timezone.now(),
                          tz=settings.TIME_ZONE, two_phase=two_phase)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(built.sql, built.params)
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


def run_http(session: requests.Session, base: str, params: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    response = session.get(f"{base}/api/v1/stats/appeals?{urlencode(params)}", timeout=300)
    body = response.json()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {body}")
    return elapsed, len(body["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE is_public) FROM issues_appeal")
        total, public = cursor.fetchone()
    print(f"appeals in the database: {total:,} ({public:,} public); reps per side: {args.reps}; "
          f"server: scripts/web.sh (granian) 1 worker, DEBUG=0; scope: public (anonymous)")
    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        print(f"{'slice':38} {'rows':>6} {'SQL ms':>9} {'HTTP ms':>9} {'HTTP/SQL':>9} {'1-phase ms':>11} "
              f"{'speedup':>8}")
        for name, params in SLICES:
            run_http(session, base, params)  # warm both paths (plans, caches, connection)
            run_sql(params)
            sql_times, http_times, one_phase_times = [], [], []
            rows = http_rows = one_rows = 0
            for _ in range(args.reps):
                elapsed, rows = run_sql(params)
                sql_times.append(elapsed)
                elapsed, http_rows = run_http(session, base, params)
                http_times.append(elapsed)
                elapsed, one_rows = run_sql(params, two_phase=False)
                one_phase_times.append(elapsed)
            assert rows == http_rows == one_rows, (rows, http_rows, one_rows)
            sql_ms, http_ms = statistics.median(sql_times) * 1000, statistics.median(http_times) * 1000
            one_ms = statistics.median(one_phase_times) * 1000
            spec = parse_pivot(params)
            same = sql.pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters, public=True, now=timezone.now(),
                                 tz=settings.TIME_ZONE).sql == sql.pivot_sql(
                spec.rows, spec.cols, spec.metrics, spec.filters, public=True, now=timezone.now(),
                tz=settings.TIME_ZONE, two_phase=False).sql
            speedup = "(same)" if same else f"{one_ms / sql_ms:.2f}x"
            print(f"{name:38} {rows:>6} {sql_ms:>9.1f} {http_ms:>9.1f} {http_ms / sql_ms:>8.2f}x {one_ms:>11.1f} "
                  f"{speedup:>8}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
