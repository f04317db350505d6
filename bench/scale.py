"""Scale bench: every public endpoint timed at the database's current size, saved, and compared
with a run at another size (growth factor side by side with the issue's goals).

    set -a; source var/services.env; set +a        # better: a database of its own for large seeds
    .venv/bin/python manage.py seed_demo --appeals 1000000 --projects 60 --seed 42
    .venv/bin/python bench/scale.py --save var/scale/bench-1m.json
    .venv/bin/python manage.py seed_demo --appeals 10000000 --projects 60 --seed 42
    .venv/bin/python bench/scale.py --save var/scale/bench-10m.json --compare var/scale/bench-1m.json

Or both sizes in one run, each database with its own server, the two taking turns on every
request (load on a shared machine then weighs on both alike); the other database is only read:

    .venv/bin/python bench/scale.py --groups tile,heatmap,clusters --rounds 15 \
        --other-database postgis://geoportal:geoportal@127.0.0.1:5432/geoportal_scale

With ``--baseline DIR`` (another checkout: ``git archive COMMIT | tar -x -C DIR`` and a ``.venv``
link), each database is also served by that version's code, the four servers taking turns:
before and after at both sizes in one run, e.g. the heatmap of issue 22's third round:

    git archive e47583d | tar -x -C /tmp/i22-base && ln -s $PWD/.venv /tmp/i22-base/.venv
    DATABASE_URL=postgis://…/geoportal_i21 .venv/bin/python bench/scale.py --groups heatmap --rounds 15 \
        --no-rebuild --other-database postgis://…/geoportal_scale --baseline /tmp/i22-base

The tile tables are rebuilt first when they do not count the current public appeals (timed;
never with ``--no-rebuild``, nor on the other database).
Server: ``scripts/web.sh`` (granian, 1 worker, the production WSGI entry), anonymous requests
over one kept-alive libcurl connection with ``Accept-Encoding: br, gzip``. Each endpoint: one
warm-up, then the median of ``--rounds`` requests; tiles are uncached (the layer's generation is
bumped before every request) and timed beside their own SQL run directly (ad hoc). Viewports are
1280 × 800 px over the city centre (``MAP_DEFAULT_CENTER``)."""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
# BENCH_CACHE_PREFIX: another run on the same Redis keeps its own keys (the end of a run deletes them)
os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-scale")

import django  # noqa: E402

django.setup()

from bench.servers import exit_on_sigterm, free_port, start_web  # noqa: E402
from bench.tile_client import tile_tables_current  # noqa: E402
from bench.tiles import viewport_bbox  # noqa: E402

os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-scale")  # bench.tiles set its own; the server started here shares ours
import pycurl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

from geoportal.env import database_from_url  # noqa: E402
from issues.models import Appeal  # noqa: E402
from tiles import aggregates, cache  # noqa: E402
from tiles.filters import TileFilters  # noqa: E402
from tiles.grid import tiles_for_point  # noqa: E402
from tiles.layers import LAYERS  # noqa: E402
from tiles.models import AppealCellAggregate, AppealStatusCell  # noqa: E402
from tiles.sql import run_statement  # noqa: E402

ACCEPT = ["Accept-Encoding: br, gzip"]
# growth goal (1M → 10M) per group; None: no goal named
GROWTH_GOAL = {"tile": 1.5, "clusters": 1.5, "heatmap": 1.5}
GROUPS = ("tile", "heatmap", "clusters", "search", "api", "pivot", "pages")
SLOW_MS = 5000  # an endpoint slower than this is timed once after its warm-up


_handles: dict[int, Any] = {}


def get(port: int, path: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """One anonymous GET on the server's kept-alive connection, the body as sent (compressed or not)."""
    handle = _handles.get(port)
    if handle is None:
        handle = _handles[port] = pycurl.Curl()
        handle.setopt(pycurl.TIMEOUT, 600)
        handle.setopt(pycurl.NOSIGNAL, 1)
        handle.setopt(pycurl.HTTPHEADER, ACCEPT)
        handle.setopt(pycurl.HTTP_CONTENT_DECODING, 0)
    body = io.BytesIO()
    handle.setopt(pycurl.URL, f"http://127.0.0.1:{port}{path}" + (f"?{urlencode(params)}" if params else ""))
    handle.setopt(pycurl.WRITEDATA, body)
    handle.perform()
    return int(handle.getinfo(pycurl.RESPONSE_CODE)), body.getvalue()


@dataclass
class Target:
    """One database under test: its web server (own cache prefix) and its Django alias."""

    alias: str
    prefix: str
    root: Path = ROOT  # the checkout whose code serves it (--baseline: another version)
    port: int = 0
    appeals: int = 0
    public: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    @contextmanager
    def cache_prefix(self) -> Iterator[None]:
        """The tile cache calls of this process (bump, ready flag) under the target's prefix."""
        saved = settings.CACHES["default"].get("KEY_PREFIX")
        settings.CACHES["default"]["KEY_PREFIX"] = self.prefix
        try:
            yield
        finally:
            settings.CACHES["default"]["KEY_PREFIX"] = saved

    @property
    def label(self) -> str:
        return f"{self.public:,}" + (" base" if self.root != ROOT else "")

    def raw(self, statement: tuple[str, list[Any]]) -> bytes:
        with connections[self.alias].cursor() as cursor:
            rows = run_statement(cursor, statement)
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


def timed_ms(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - started) * 1000, result


def endpoints(sample_id: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(group, name, path, params) of the public endpoints measured."""
    lat, lon = settings.MAP_DEFAULT_CENTER
    found: list[tuple[str, str, str, dict[str, Any]]] = []
    for z in range(9, 19):
        bbox = ",".join(f"{v:.6f}" for v in viewport_bbox(lon, lat, z))
        found.append(("heatmap", f"heatmap z{z}", "/api/v1/heatmap", {"bbox": bbox, "z": z}))
    for z in (10, 12, 14):
        bbox = ",".join(f"{v:.6f}" for v in viewport_bbox(lon, lat, z))
        found.append(("clusters", f"clusters API z{z}", "/api/v1/clusters", {"bbox": bbox, "z": z}))
    z15 = ",".join(f"{v:.6f}" for v in viewport_bbox(lon, lat, 15))
    found += [
        ("search", "search page q=яма", "/search/", {"q": "яма"}),
        ("search", "search page q=фонарь во дворе", "/search/", {"q": "фонарь во дворе"}),
        ("api", "appeal detail (a click)", f"/api/v1/appeals/{sample_id}/", {}),
        ("pivot", "pivot median+p90 by category", "/api/v1/stats/appeals",
         {"rows": "category", "metrics": "count,median_days,p90_days"}),
        ("api", "choropleth", "/api/v1/choropleth", {}),
        ("api", "appeals list (z15 bbox)", "/api/v1/appeals/", {"bbox": z15}),
        ("pivot", "pivot count district×month", "/api/v1/stats/appeals",
         {"rows": "district", "cols": "month", "metrics": "count,on_time_share"}),
        ("pivot", "agency scorecards", "/api/v1/stats/agencies", {}),
        ("pivot", "hotspots", "/api/v1/stats/hotspots", {}),
        ("pages", "map page", "/map/", {}),
        ("pages", "home", "/", {}),
        ("api", "open311 requests", "/open311/v2/requests.json", {}),
        ("pages", "public stats page", "/stats/", {}),
    ]
    return found


def _turns(targets: list[Target], index: int) -> list[Target]:
    """The targets in turn order for a round: each goes first as often as the others."""
    shift = index % len(targets)
    return targets[shift:] + targets[:shift]


def measure_tiles(targets: list[Target], rounds: int) -> None:
    """Tiles over the city centre: uncached HTTP beside the same statement run directly, the
    targets taking turns in every round."""
    lat, lon = settings.MAP_DEFAULT_CENTER
    for z in range(10, 17):
        tile = tiles_for_point(lon, lat, range(z, z + 1))[0]
        statement = LAYERS["appeals"].build(tile, TileFilters(), True)
        times: dict[str, dict[str, list[float]]] = {t.prefix: {"http": [], "sql": []} for t in targets}
        sizes: dict[str, tuple[int, int]] = {}
        for index in range(rounds + 1):
            for target in _turns(targets, index):
                with target.cache_prefix():
                    cache.bump_layer("appeals")
                elapsed_http, (status, body) = timed_ms(
                    get, target.port, f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf")
                if status != 200:
                    raise RuntimeError(f"tile {tile}: HTTP {status}")
                elapsed_sql, raw = timed_ms(target.raw, statement)
                sizes[target.prefix] = (len(body), len(raw))
                if index:
                    times[target.prefix]["http"].append(elapsed_http)
                    times[target.prefix]["sql"].append(elapsed_sql)
        kind = "clusters" if z <= settings.TILES_CLUSTER_MAX_ZOOM else "points/thinned"
        name = f"tile z{z} ({kind})"
        for target in targets:
            row = {"group": "tile", "ms": statistics.median(times[target.prefix]["http"]),
                   "sql_ms": statistics.median(times[target.prefix]["sql"]),
                   "kb": sizes[target.prefix][0] / 1024, "raw_kb": sizes[target.prefix][1] / 1024}
            target.results[name] = row
        print(f"  {name}: " + "; ".join(f"{t.label}: {t.results[name]['ms']:.1f} ms (SQL {t.results[name]['sql_ms']:.1f})"
                                     for t in targets) + f"  load {os.getloadavg()[0]:.1f}", flush=True)


def measure(targets: list[Target], rounds: int, groups: set[str]) -> None:
    if "tile" in groups:
        measure_tiles(targets, rounds)
    samples = {t.alias: Appeal.objects.using(t.alias).public().exclude(location=None).order_by("id")
               .values_list("id", flat=True).first() for t in targets}
    for group, name, path, params in endpoints(0):
        if group not in groups:
            continue
        times: dict[str, list[float]] = {t.prefix: [] for t in targets}
        body: dict[str, bytes] = {}
        failed: dict[str, str] = {}
        last = rounds
        index = 0
        while index <= last:
            for target in _turns(targets, index):
                if target.prefix in failed:
                    continue
                url = path if "/appeals/0/" not in path else path.replace("/0/", f"/{samples[target.alias] or 1}/")
                elapsed, (status, body[target.prefix]) = timed_ms(get, target.port, url, params)
                if status != 200:  # reported in the table, and the run goes on
                    failed[target.prefix] = f"HTTP {status} after {elapsed:.0f} ms"
                elif index:
                    times[target.prefix].append(elapsed)
                elif elapsed > SLOW_MS:
                    last = 1  # a slow endpoint: one timed request after the warm-up
            index += 1
        for target in targets:
            target.results[name] = {"group": group, "kb": len(body[target.prefix]) / 1024,
                                    "ms": statistics.median(times[target.prefix]) if times[target.prefix] else math.nan}
            if target.prefix in failed:
                target.results[name]["error"] = failed[target.prefix]
        print(f"  {name}: " + "; ".join(f"{t.label}: {t.results[name].get('error') or format(t.results[name]['ms'], '.1f') + ' ms'}"
                                     for t in targets) + f"  load {os.getloadavg()[0]:.1f}", flush=True)


def goals(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    heat = [r["ms"] for n, r in results.items() if r["group"] == "heatmap"]
    if heat:
        lines.append(f"heatmap, every zoom z9–z18: {min(heat):.0f}–{max(heat):.0f} ms (goal ≤ 150 ms; "
                     "anchor at 1M before: 2.0 s at z12, 1.2 s z13, 0.5 s z14)")
    if "pivot median+p90 by category" in results:
        pivot = results["pivot median+p90 by category"]["ms"]
        lines.append(f"pivot with a median: {pivot:.0f} ms (goal ≤ 1 s; anchor at 1M: 3–5 s of SQL)")
    if "search page q=яма" in results:
        search = max(results["search page q=яма"]["ms"], results["search page q=фонарь во дворе"]["ms"])
        lines.append(f"search page: ≤ {search:.0f} ms (goal ≤ 200 ms; anchor at 1M: /search/?q=яма 0.8 s)")
    ratios = [(n, r["ms"] / r["sql_ms"]) for n, r in results.items() if r["group"] == "tile" and "sql_ms" in r]
    span = [v for n, v in ratios if any(f"z{z} " in n for z in range(10, 15))]
    if span:
        lines.append(f"uncached tiles / their own SQL (ad hoc) at z10–z14: {min(span):.2f}–{max(span):.2f}× "
                     f"(goal ≤ 1.2×); z15–z16: {', '.join(f'{v:.2f}×' for n, v in ratios if 'z15' in n or 'z16' in n)}")
    return lines


def add_database(alias: str, url: str) -> None:
    """A second database for this process (the other size of a growth run)."""
    configured = connections.configure_settings({"default": dict(connections.settings["default"]),
                                                 alias: database_from_url(url)})
    connections.settings[alias] = configured[alias]


def prepare(target: Target, may_rebuild: bool) -> float | None:
    """Counts the target's appeals, checks its tile tables (rebuilt when stale and allowed; the
    seconds it took) and marks them ready under its prefix."""
    target.appeals = Appeal.objects.using(target.alias).count()
    target.public = Appeal.objects.using(target.alias).public().filter(location__isnull=False).count()
    if not target.public:
        sys.exit(f"No public appeals in {connections[target.alias].settings_dict['NAME']}: "
                 "run manage.py seed_demo --appeals N first.")
    rebuild_s = None
    if not tile_tables_current(target.alias):
        if not may_rebuild:
            sys.exit(f"the tile tables of {connections[target.alias].settings_dict['NAME']} do not count its public "
                     "appeals (or its status cells have no totals: manage.py migrate tiles), and this run may not "
                     "rebuild them (--no-rebuild, or --other-database)")
        print("rebuilding the tile tables …", flush=True)
        rebuild_s, _rows = timed_ms(aggregates.rebuild_all)
        rebuild_s /= 1000
        print(f"tile tables rebuilt in {rebuild_s:.1f} s", flush=True)
    with target.cache_prefix():
        cache.mark_aggregates_ready()
    return rebuild_s


def print_table(target: Target, other: dict[str, Any] | None) -> None:
    """The target's figures, with the growth from ``other`` (a run at a smaller size) beside them."""
    print(f"\nappeals: {target.appeals:,} ({target.public:,} public with a point); status cells: "
          f"{AppealStatusCell.objects.using(target.alias).count():,}; "
          f"aggregate rows: {AppealCellAggregate.objects.using(target.alias).count():,}")
    header = f"{'endpoint':<34} {'ms p50':>8} {'SQL ms':>8} {'KB':>8}"
    if other:
        header += f" {'ms at ' + format(other['appeals'], ','):>16} {'growth':>7} {'goal':>6}"
    print(header)
    for name, row in target.results.items():
        line = f"{name:<34} {row['ms']:8.1f} {row.get('sql_ms', float('nan')):8.1f} {row['kb']:8.1f}"
        if other and name in other["results"]:
            before = other["results"][name]["ms"]
            goal = GROWTH_GOAL.get(row["group"])
            line += f" {before:16.1f} {row['ms'] / before:6.2f}× {('≤' + format(goal, 'g') + '×') if goal else '':>6}"
        print(line)
    print("\n== Against the issue's goals at this size ==")
    for line in goals(target.results):
        print(line)
    if other:
        for group in ("tile", "clusters", "heatmap"):
            growth = [row["ms"] / other["results"][n]["ms"] for n, row in target.results.items()
                      if row["group"] == group and n in other["results"]]
            if growth:
                print(f"growth {other['appeals']:,} → {target.appeals:,} for {group}: {min(growth):.2f}–"
                      f"{max(growth):.2f}×, geometric mean {statistics.geometric_mean(growth):.2f}× over "
                      f"{len(growth)} endpoints (goal ≤ {GROWTH_GOAL[group]}×)")
        sql_growth = [row["sql_ms"] / other["results"][n]["sql_ms"] for n, row in target.results.items()
                      if "sql_ms" in row and "sql_ms" in other["results"].get(n, {})]
        if sql_growth:
            print(f"growth of the tiles' own SQL: {min(sql_growth):.2f}–{max(sql_growth):.2f}×, geometric mean "
                  f"{statistics.geometric_mean(sql_growth):.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--save", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--compare", type=Path, help="a JSON file of a run at another size: print the growth")
    parser.add_argument("--other-database", metavar="URL",
                        help="a database of another size, measured in the same run, the two taking turns on every "
                             "request (only read: its tile tables must be current); prints the growth between them")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="only read the database: stop if the tile tables are not current (a shared database)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another checkout (with a .venv link): each database also served by its code, in turns")
    parser.add_argument("--groups", default=",".join(GROUPS),
                        help=f"the endpoint groups to measure, comma-separated (of {', '.join(GROUPS)})")
    args = parser.parse_args()
    exit_on_sigterm()
    groups = set(args.groups.split(","))
    if not groups <= set(GROUPS):
        parser.error(f"--groups: unknown {', '.join(sorted(groups - set(GROUPS)))}; known: {', '.join(GROUPS)}")
    prefix = str(settings.CACHES["default"]["KEY_PREFIX"])
    targets = [Target("default", prefix)]
    if args.other_database:
        add_database("other", args.other_database)
        targets.append(Target("other", f"{prefix}-other"))
    rebuild_s = prepare(targets[0], not args.no_rebuild)
    for target in targets[1:]:
        prepare(target, False)
    if args.baseline:
        for target in list(targets):
            base = Target(target.alias, f"{target.prefix}-base", root=args.baseline.resolve(),
                          appeals=target.appeals, public=target.public)
            with base.cache_prefix():
                cache.mark_aggregates_ready()
            targets.append(base)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} before", flush=True)
    servers = []
    try:
        for target in targets:
            target.port = free_port()
            database = connections[target.alias].settings_dict
            url = (f"postgis://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}:"
                   f"{database['PORT'] or 5432}/{database['NAME']}")
            servers.append(start_web(target.port, root=target.root,
                                     extra_env={"DATABASE_URL": url, "CACHE_KEY_PREFIX": target.prefix}))
        measure(targets, args.rounds, groups)
    finally:
        for web in servers:
            web.terminate()
            web.wait(timeout=30)
        for target in targets:
            keys = list(cache.client().scan_iter(match=f"{target.prefix}:tiles:*", count=1000))
            if keys:
                cache.client().delete(*keys)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} after")
    for root in dict.fromkeys(t.root for t in targets):
        if args.baseline:
            print(f"\n==== {'before: ' + str(root) if root != ROOT else 'after: this checkout'} ====")
        smaller, *larger = sorted((t for t in targets if t.root == root), key=lambda t: t.public)
        saved = {"appeals": smaller.appeals, "public_points": smaller.public, "results": smaller.results}
        if larger:
            print_table(smaller, None)
            print_table(larger[0], saved)
        else:
            print_table(smaller, json.loads(args.compare.read_text()) if args.compare else None)
    if args.save:
        first = targets[0]
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"appeals": first.appeals, "public_points": first.public, "rebuild_s": rebuild_s,
                                         "results": first.results}, ensure_ascii=False, indent=1))
        print(f"saved to {args.save}")


if __name__ == "__main__":
    main()
