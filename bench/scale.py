"""Scale bench: every public endpoint timed at the database's current size, saved, and compared
with a run at another size (growth factor side by side with the issue's goals).

    set -a; source var/services.env; set +a        # better: a database of its own for large seeds
    .venv/bin/python manage.py seed_demo --appeals 1000000 --projects 60 --seed 42
    .venv/bin/python bench/scale.py --save var/scale/bench-1m.json
    .venv/bin/python manage.py seed_demo --appeals 10000000 --projects 60 --seed 42
    .venv/bin/python bench/scale.py --save var/scale/bench-10m.json --compare var/scale/bench-1m.json

The tile tables are rebuilt first when they do not count the current public appeals (timed).
Server: ``scripts/web.sh`` (granian, 1 worker, the production WSGI entry), anonymous requests
over one kept-alive libcurl connection with ``Accept-Encoding: br, gzip``. Each endpoint: one
warm-up, then the median of ``--rounds`` requests; tiles are uncached (the layer's generation is
bumped before every request) and timed beside their own SQL run directly (ad hoc). Viewports are
1280 × 800 px over the city centre (``MAP_DEFAULT_CENTER``)."""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
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

from bench.servers import free_port, start_web  # noqa: E402
from bench.tile_client import tile_tables_current  # noqa: E402
from bench.tiles import Runner, viewport_bbox  # noqa: E402

os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-scale")  # bench.tiles set its own; the server started here shares ours
import pycurl  # noqa: E402
from django.conf import settings  # noqa: E402

from issues.models import Appeal  # noqa: E402
from tiles import aggregates, cache  # noqa: E402
from tiles.filters import TileFilters  # noqa: E402
from tiles.grid import tiles_for_point  # noqa: E402
from tiles.layers import LAYERS  # noqa: E402
from tiles.models import AppealCellAggregate, AppealStatusCell  # noqa: E402

ACCEPT = ["Accept-Encoding: br, gzip"]
# growth goal (1M → 10M) per group; None: no goal named
GROWTH_GOAL = {"tile": 1.5, "clusters": 1.5, "heatmap": 1.5}
SLOW_MS = 5000  # an endpoint slower than this is timed once after its warm-up


_handle: Any = None


def get(port: int, path: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """One anonymous GET on a kept-alive connection, the body as sent (compressed or not)."""
    global _handle
    if _handle is None:
        _handle = pycurl.Curl()
        _handle.setopt(pycurl.TIMEOUT, 600)
        _handle.setopt(pycurl.NOSIGNAL, 1)
        _handle.setopt(pycurl.HTTPHEADER, ACCEPT)
        _handle.setopt(pycurl.HTTP_CONTENT_DECODING, 0)
    body = io.BytesIO()
    _handle.setopt(pycurl.URL, f"http://127.0.0.1:{port}{path}" + (f"?{urlencode(params)}" if params else ""))
    _handle.setopt(pycurl.WRITEDATA, body)
    _handle.perform()
    return int(_handle.getinfo(pycurl.RESPONSE_CODE)), body.getvalue()


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


def measure(port: int, rounds: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    run = Runner(port, None)
    lat, lon = settings.MAP_DEFAULT_CENTER
    # Tiles over the city centre: uncached HTTP beside the same statement run directly.
    for z in range(10, 17):
        tile = tiles_for_point(lon, lat, range(z, z + 1))[0]
        statement = LAYERS["appeals"].build(tile, TileFilters(), cache.aggregates_ready())
        http, sql = [], []
        for index in range(rounds + 1):
            cache.bump_layer("appeals")
            elapsed_http, (status, body) = timed_ms(get, port, f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf")
            if status != 200:
                raise RuntimeError(f"tile {tile}: HTTP {status}")
            elapsed_sql, raw = timed_ms(run.raw, *statement)
            if index:
                http.append(elapsed_http)
                sql.append(elapsed_sql)
        kind = "clusters" if z <= settings.TILES_CLUSTER_MAX_ZOOM else "points/thinned"
        name = f"tile z{z} ({kind})"
        results[name] = {"group": "tile", "ms": statistics.median(http), "sql_ms": statistics.median(sql),
                         "kb": len(body) / 1024, "raw_kb": len(raw) / 1024}
        print(f"  {name}: {results[name]['ms']:.1f} ms (SQL {results[name]['sql_ms']:.1f} ms)", flush=True)
    sample = Appeal.objects.public().exclude(location=None).order_by("id").values_list("id", flat=True).first()
    for group, name, path, params in endpoints(int(sample or 1)):
        times: list[float] = []
        body = b""
        index = 0
        while index <= rounds:
            elapsed, (status, body) = timed_ms(get, port, path, params)
            if status != 200:
                raise RuntimeError(f"{name}: HTTP {status} {path}?{urlencode(params)} {body[:200]!r}")
            if index:
                times.append(elapsed)
            elif elapsed > SLOW_MS:
                index = rounds - 1  # a slow endpoint: one timed request after the warm-up
            index += 1
        results[name] = {"group": group, "ms": statistics.median(times), "kb": len(body) / 1024}
        print(f"  {name}: {results[name]['ms']:.1f} ms", flush=True)
    return results


def goals(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    heat = [r["ms"] for n, r in results.items() if r["group"] == "heatmap"]
    lines.append(f"heatmap, every zoom z9–z18: {min(heat):.0f}–{max(heat):.0f} ms (goal ≤ 150 ms; "
                 "anchor at 1M before: 2.0 s at z12, 1.2 s z13, 0.5 s z14)")
    pivot = results["pivot median+p90 by category"]["ms"]
    lines.append(f"pivot with a median: {pivot:.0f} ms (goal ≤ 1 s; anchor at 1M: 3–5 s of SQL)")
    search = max(results["search page q=яма"]["ms"], results["search page q=фонарь во дворе"]["ms"])
    lines.append(f"search page: ≤ {search:.0f} ms (goal ≤ 200 ms; anchor at 1M: /search/?q=яма 0.8 s)")
    ratios = [(n, r["ms"] / r["sql_ms"]) for n, r in results.items() if r["group"] == "tile" and "sql_ms" in r]
    span = [v for n, v in ratios if any(f"z{z} " in n for z in range(10, 15))]
    lines.append(f"uncached tiles / their own SQL at z10–z14: {min(span):.2f}–{max(span):.2f}× (goal ≤ 1.2×); "
                 f"z15–z16: {', '.join(f'{v:.2f}×' for n, v in ratios if 'z15' in n or 'z16' in n)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--save", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--compare", type=Path, help="a JSON file of a run at another size: print the growth")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="only read the database: stop if the tile tables are not current (a shared database)")
    args = parser.parse_args()
    total = Appeal.objects.count()
    public = Appeal.objects.public().filter(location__isnull=False).count()
    if not public:
        sys.exit("No public appeals: run manage.py seed_demo --appeals N first.")
    rebuild_s = None
    if not tile_tables_current():
        if args.no_rebuild:
            sys.exit("the tile tables do not count the current public appeals, and --no-rebuild forbids rebuilding them")
        print("rebuilding the tile tables …", flush=True)
        rebuild_s, _rows = timed_ms(aggregates.rebuild_all)
        rebuild_s /= 1000
        print(f"tile tables rebuilt in {rebuild_s:.1f} s", flush=True)
    cache.mark_aggregates_ready()
    port = free_port()
    web = start_web(port)
    try:
        results = measure(port, args.rounds)
    finally:
        web.terminate()
        web.wait(timeout=30)
        keys = list(cache.client().scan_iter(match=f"{cache._prefix()}*", count=1000))
        if keys:
            cache.client().delete(*keys)
    print(f"\nappeals: {total:,} ({public:,} public with a point); status cells: {AppealStatusCell.objects.count():,}; "
          f"aggregate rows: {AppealCellAggregate.objects.count():,}")
    other = json.loads(args.compare.read_text()) if args.compare else None
    header = f"{'endpoint':<34} {'ms p50':>8} {'SQL ms':>8} {'KB':>8}"
    if other:
        header += f" {'ms at ' + format(other['appeals'], ','):>16} {'growth':>7} {'goal':>6}"
    print(header)
    for name, row in results.items():
        line = f"{name:<34} {row['ms']:8.1f} {row.get('sql_ms', float('nan')):8.1f} {row['kb']:8.1f}"
        if other and name in other["results"]:
            before = other["results"][name]["ms"]
            goal = GROWTH_GOAL.get(row["group"])
            line += f" {before:16.1f} {row['ms'] / before:6.2f}× {('≤' + format(goal, 'g') + '×') if goal else '':>6}"
        print(line)
    print("\n== Against the issue's goals at this size ==")
    for line in goals(results):
        print(line)
    if other:
        for group in ("tile", "clusters", "heatmap"):
            growth = [row["ms"] / other["results"][n]["ms"] for n, row in results.items()
                      if row["group"] == group and n in other["results"]]
            if growth:
                print(f"growth {other['appeals']:,} → {total:,} for {group}: {min(growth):.2f}–{max(growth):.2f}× "
                      f"(goal ≤ {GROWTH_GOAL[group]}×)")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"appeals": total, "public_points": public, "rebuild_s": rebuild_s,
                                         "results": results}, ensure_ascii=False, indent=1))
        print(f"saved to {args.save}")


if __name__ == "__main__":
    main()
