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
shared: quote it)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from analytics import facts, hotspot_snapshots  # noqa: E402
from issues.models import Appeal  # noqa: E402

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


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def timed(client: Client, path: str, params: dict[str, str], rounds: int) -> float:
    times = []
    for index in range(rounds + 1):
        started = time.perf_counter()
        response = client.get(path, params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: HTTP {response.status_code} {response.content[:300]!r}")
        if index:
            times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-old", action="store_true", help="time only the served (new) form")
    parser.add_argument("--only", help="comma-separated figure names (substrings)")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    print(f"appeals: {Appeal.objects.count():,}; load average {load()}", flush=True)
    client = Client()
    results: dict[str, dict[str, Any]] = {}
    wanted = [f for f in FIGURES if not args.only or any(w in f[0] for w in args.only.split(","))]
    for name, path, params in wanted:
        new_ms = timed(client, path, params, args.rounds)
        row: dict[str, Any] = {"new_ms": new_ms, "load_new": load()}
        if not args.skip_old:
            with old_code():
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
