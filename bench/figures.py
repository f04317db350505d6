"""The heavy figures (home, public statistics, agency scorecards, pivots, hotspots), old against
new, back to back in one process against the configured database:

    DATABASE_URL=postgis://…/geoportal_scale DB_REQUEST_TIMEOUT_MS=300000 \\
        .venv/bin/python bench/figures.py [--rounds 3] [--skip-old] [--save var/scale/figures.json]

*new*: the pages as served (the pivots' additive metrics summed from the appeal facts, medians
from the answer-time histograms, the home headline from the facts, the default hotspots from the
background snapshot: run ``analytics.tasks.snapshot_hotspots`` first). *old*: the same request
with those switched off in this process (``analytics.facts.populated`` → False,
``HEADLINE_APPEAL_COUNTS`` empty, no snapshot): every figure from the appeals, as before.
Requests go through Django's test client (view, statements, template; no HTTP server), anonymous
(public scope). Each figure: one warm-up, then the median of ``--rounds``; the old form, slow,
is timed once after its warm-up. The load average is printed beside each line (the machine is
shared: quote it).

``--against issue22`` compares with the code before issue 22's last round instead (``--base``,
default the commit it started from): the public statistics page's medians from the full
answer-time histogram (not the coarse one), and the leadership report built by that commit's
``analytics/report.py`` (heat map and hotspots computed live). On a database this checkout may
not migrate (a shared one, only read), ``--scratch`` creates the tables the new code reads and
the database lacks as TEMP tables of this session, filled as the migration and the hotspot task
would (the coarse histogram from the histogram; the hotspot snapshot computed now, about 35 s
at ten million appeals): nothing outlives the run, nothing else sees them. The lead's one
command for issue 22 at ten million:

    DATABASE_URL=postgis://…/geoportal_scale DB_REQUEST_TIMEOUT_MS=300000 \
        .venv/bin/python bench/figures.py --against issue22 --scratch --only "public stats,leadership"
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no access log line per request in the output
os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-figures")  # its own "ready" flag

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics import facts, hotspot_snapshots, insights, report  # noqa: E402
from analytics.params import current_period  # noqa: E402
from analytics.sql import histogram  # noqa: E402
from bench.tile_client import tile_tables_current  # noqa: E402
from issues.models import Appeal  # noqa: E402
from tiles import cache  # noqa: E402

BASE = "e47583d"  # the commit issue 22's third round started from (--against issue22)

FIGURES: list[tuple[str, str, dict[str, str]]] = [
    ("home", "/", {}),
    ("public stats page", "/stats/", {}),
    ("agency scorecards page", "/stats/agencies/", {}),
    ("agency scorecards API", "/api/v1/stats/agencies", {}),
    ("pivot district×month on-time", "/api/v1/stats/appeals",
     {"rows": "district", "cols": "month", "metrics": "count,on_time_share"}),
    ("pivot median+p90 by category", "/api/v1/stats/appeals",
     {"rows": "category", "metrics": "count,median_days,p90_days"}),
    ("pivot every additive metric by agency", "/api/v1/stats/appeals",
     {"rows": "agency", "metrics": "count,on_time_share,overdue,redirect_share,satisfaction_avg,rated,per_1000"}),
    ("hotspots API (default window)", "/api/v1/stats/hotspots", {}),
    ("hotspots of /stats/ (6)", "/api/v1/stats/hotspots", {"days": "30", "limit": "6"}),
    ("leadership report (default period)", "", {}),  # built in process (no session row written)
]


@contextmanager
def old_code() -> Iterator[None]:
    """The facts and the hotspot snapshots unseen by this process: every figure from the appeals."""
    populated, headline, stored = facts.populated, settings.HEADLINE_APPEAL_COUNTS, hotspot_snapshots.stored
    facts.populated = lambda cursor: False  # type: ignore[assignment]
    hotspot_snapshots.stored = lambda *args, **kwargs: None  # type: ignore[assignment]
    settings.HEADLINE_APPEAL_COUNTS = ""
    try:
        yield
    finally:
        facts.populated = populated  # type: ignore[assignment]
        hotspot_snapshots.stored = stored  # type: ignore[assignment]
        settings.HEADLINE_APPEAL_COUNTS = headline


@contextmanager
def before_issue22(base: str) -> Iterator[None]:
    """The code before issue 22's third round: medians from the full histogram, the report of
    ``base`` (its analytics/report.py run against this checkout's other modules)."""
    serves, build = histogram.coarse_slice, report.build_report
    histogram.coarse_slice = lambda used, metrics: None  # type: ignore[assignment]
    report.build_report = module_at(base, "analytics/report.py", "analytics").build_report  # type: ignore[attr-defined]
    try:
        yield
    finally:
        histogram.coarse_slice = serves  # type: ignore[assignment]
        report.build_report = build  # type: ignore[assignment]


def module_at(commit: str, path: str, package: str) -> types.ModuleType:
    """A module's source at ``commit`` (git show), executed as a module of ``package``."""
    source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    module = types.ModuleType(f"{package}._at_{commit}")
    module.__package__ = package
    exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)  # noqa: S102 - our own repository's code
    return module


def scratch_tables() -> list[str]:
    """TEMP tables of this session for what this checkout reads and the database lacks (see the
    module's docstring); the names of those created. The session must outlive the requests: the
    per-request connection check is switched off."""
    from importlib import import_module

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    created = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('analytics_coarseanswertimehistogram') IS NULL")
        if cursor.fetchone()[0]:
            cursor.execute("CREATE TEMP TABLE analytics_coarseanswertimehistogram (id bigint GENERATED BY DEFAULT "
                           "AS IDENTITY, received_month timestamptz NOT NULL, sliced_by varchar(8) NOT NULL, "
                           "district_id bigint, agency_id bigint, category_id bigint, public boolean NOT NULL, "
                           "bucket smallint NOT NULL, count integer NOT NULL)")
            cursor.execute(import_module("analytics.migrations.0004_coarse_answer_time_histogram").FILL)
            cursor.execute("CREATE INDEX ON analytics_coarseanswertimehistogram (sliced_by, received_month)")
            cursor.execute("ANALYZE analytics_coarseanswertimehistogram")
            created.append("analytics_coarseanswertimehistogram")
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM analytics_hotspotsnapshot WHERE computed_at > %s)",
                       [timezone.now() - hotspot_snapshots.max_age()])
        if cursor.fetchone()[0]:  # no fresh snapshot (no beat on this database): take one, as the task does
            cursor.execute("CREATE TEMP TABLE analytics_hotspotsnapshot (id bigint GENERATED BY DEFAULT AS IDENTITY "
                           "PRIMARY KEY, public boolean NOT NULL, computed_at timestamptz NOT NULL, result jsonb NOT NULL)")
            created.append("analytics_hotspotsnapshot")
    if "analytics_hotspotsnapshot" in created:
        started = time.perf_counter()
        hotspot_snapshots.take(insights.hotspots)
        print(f"hotspot snapshot taken in {time.perf_counter() - started:.1f} s (load {load()})", flush=True)
    return created


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def default_report() -> None:
    """The leadership report of the current period, as the download builds it (over all appeals)."""
    report.build_report(current_period(timezone.now()))


def timed(client: Client, path: str, params: dict[str, str], rounds: int) -> float:
    times = []
    for index in range(rounds + 1):
        started = time.perf_counter()
        if path:
            response = client.get(path, params)
            if response.status_code != 200:
                raise SystemExit(f"{path} {params}: HTTP {response.status_code} {response.content[:300]!r}")
        else:
            default_report()
        elapsed = (time.perf_counter() - started) * 1000
        if index:
            times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-old", action="store_true", help="time only the served (new) form")
    parser.add_argument("--only", help="comma-separated figure names (substrings)")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--against", choices=("appeals", "issue22"), default="appeals",
                        help="old: every figure from the appeals (default), or the code before issue 22's third round")
    parser.add_argument("--base", default=BASE, help="the commit of --against issue22's report (default %(default)s)")
    parser.add_argument("--scratch", action="store_true",
                        help="TEMP tables for what the database lacks (a shared database: nothing persists)")
    args = parser.parse_args()
    print(f"appeals: {Appeal.objects.count():,}; load average {load()}", flush=True)
    if args.scratch:
        print(f"scratch (TEMP) tables: {', '.join(scratch_tables()) or 'none needed'}", flush=True)
    if tile_tables_current(totals=False):  # only read: the map's cell aggregates count the public appeals
        cache.mark_aggregates_ready()  # under this bench's cache prefix
    against: Callable[[], Any] = (lambda: before_issue22(args.base)) if args.against == "issue22" else old_code
    client = Client()
    results: dict[str, dict[str, Any]] = {}
    wanted = [f for f in FIGURES if not args.only or any(w in f[0] for w in args.only.split(","))]
    for name, path, params in wanted:
        new_ms = timed(client, path, params, args.rounds)
        row: dict[str, Any] = {"new_ms": new_ms, "load_new": load()}
        if not args.skip_old:
            with against():
                row["old_ms"] = timed(client, path, params, 1)
            row["load_old"] = load()
        results[name] = row
        old = f"old {row['old_ms']:9.0f} ms (load {row['load_old']})  " if "old_ms" in row else ""
        print(f"{name:<40} {old}new {new_ms:8.1f} ms (load {row['load_new']})", flush=True)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
