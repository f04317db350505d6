"""Vector tiles, clusters and heatmap: our endpoints over HTTP vs their own SQL run directly,
vs tipg serving the same table, and the bytes of the first citywide view — side by side.

    set -a; source var/services.env; set +a
    .venv/bin/pip install -e '.[bench]'      # tipg + uvicorn, for the comparison only
    .venv/bin/python bench/tiles.py [--seed-appeals N] [--rounds 3] [--tiles 3] [--no-tipg]

By default the appeals already in the database are reused (``make seed`` loads them);
``--seed-appeals N`` first runs ``manage.py seed_demo --appeals N`` (which *replaces* the demo
appeals). The tile tables (cell aggregates for low-zoom clusters, the point table for point
tiles) are reused when they count exactly the public appeals with a point (else, or with
``--rebuild-aggregates``, rebuilt once, timed).

Servers: ``scripts/web.sh`` — granian, the production web server, with 1 worker process, DEBUG=0
— running ``geoportal.wsgi``, the production entry point, where ``tiles.fastpath`` answers tile
requests, with persistent database connections (``CONN_MAX_AGE`` 60 s, as in production); and
uvicorn (1 worker) for tipg; all on loopback, against the same database. The tile cache uses its
own key prefix; "uncached" requests are forced by bumping the layer generation before each one.

Client: libcurl (pycurl, the ``bench`` extra), one handle per server, so each server is timed
over a kept-alive HTTP/1.1 connection — as a browser fetches a map's tiles, and as the raw SQL
runs on a kept-alive database connection. ``--fresh-connections`` opens a new TCP connection for
every request instead (both servers support keep-alive).

Tiles: for each zoom 10..16, the tiles holding a seeded random sample of public appeals
(busy tiles, what users look at). Every statistic is the median (p50) over tiles × rounds;
ratios are p50(endpoint) / p50(raw SQL) — lower is better, 1.0 = no overhead.

The raw SQL of a tile is run two ways, in the same process, on one connection: ad hoc (the
statement with its SET LOCAL prefix on a plain cursor, planned every time, bytea read as text —
what the goal "the same ST_AsMVT SQL run directly" is judged against) and prepared exactly as
the endpoint runs it (``tiles.sql.run_tile_statement``: server-side prepared, plan reused,
settings in the same round trip, bytea in binary), so the endpoint's own overhead (HTTP,
Python, the cache lookup) shows beside the goal. The ad-hoc run, the prepared run and the HTTP
miss of each tile take turns being first, so none always profits from pages the others warmed.

Unfiltered point tiles (z13+) read the point table (``tiles.points``, rebuilt with the cell
aggregates); for them the same tile built ad hoc from ``issues_appeal`` (the statement filtered
tiles run, and the table tipg serves) takes its turn too, for comparison ("appeals SQL")."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
os.environ.setdefault("DEBUG", "1")  # this process reads the demo settings (no SECRET_KEY needed)
os.environ["CACHE_KEY_PREFIX"] = "bench-tiles"  # never touch the demo's cached tiles

import django  # noqa: E402

django.setup()


try:
    import pycurl  # noqa: F401  (the HTTP client of every timed request, bench extra: a clear message when missing)
except ImportError:
    sys.exit("pycurl is missing: .venv/bin/pip install -e '.[bench]'")
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from bench import tile_client  # noqa: E402
from bench.servers import free_port, start_tipg, start_web  # noqa: E402
from bench.tile_client import VIEWPORT, Runner, p50, ratio, sample_tiles, timed, viewport_bbox  # noqa: E402
from issues.models import Appeal  # noqa: E402
from tiles import aggregates, cache  # noqa: E402
from tiles.filters import TileFilters, parse_filters  # noqa: E402
from tiles.grid import Tile, lonlat_to_mercator, tile_width, tiles_for_point  # noqa: E402
from tiles.layers import LAYERS  # noqa: E402
from tiles.sql import appeal_points  # noqa: E402
from tiles.stats import heatmap_statement  # noqa: E402

settings.DEBUG = False  # no query log in this process: "raw" means a bare cursor


# --- measuring ----------------------------------------------------------------------------
def wait_until_stored(tile: Tile) -> None:
    """The server stores a missed tile after its bytes went out; on a kept-alive connection the
    next request can arrive first (and miss again). Wait for the store so a hit times a hit."""
    deadline = time.monotonic() + 30
    while cache.lookup("appeals", tile, cache.coded_key(TileFilters().cache_key, "identity"))[2] is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{tile} was not stored in the cache within 30 s")
        time.sleep(0.0005)


def bench_tiles(run: Runner, tiles: dict[int, list[Tile]], rounds: int) -> None:
    filters = TileFilters()
    print("\n== Tile endpoint vs the same ST_AsMVT SQL run directly (and vs tipg at point zooms) ==")
    print("(SQL ms: the statement run directly ad hoc, planned each time; prep ms: run directly prepared as the "
          "endpoint runs it; ratio = HTTP / SQL ad hoc (the goal), /prep = HTTP / prep;")
    print(" miss via Django: the same server without tiles.fastpath, i.e. the view behind every middleware;")
    print(" appeals SQL: for the unfiltered point tiles, which read the point table, the same tile built ad hoc from")
    print(" issues_appeal as filtered tiles are (what tipg reads), and the endpoint's miss against it)")
    print(f"{'z':>3} {'kind':<18} {'KB p50':>8} {'SQL ms':>8} {'prep ms':>8} {'HTTP miss':>10} {'ratio':>7} "
          f"{'/prep':>6} {'via Django':>10} {'ratio':>7} {'HTTP hit':>9} {'ratio':>7} {'tipg ms':>8} {'tipg/miss':>10} "
          f"{'tipg/hit':>9} {'appeals SQL':>11} {'miss/it':>8}")
    for z, zoom_tiles in tiles.items():
        times: dict[str, list[float]] = {"raw": [], "prepared": [], "miss": [], "django": [], "hit": [], "tipg": [],
                                         "appeals": []}
        sizes: list[int] = []
        kind = "clusters (table)" if z <= 12 else "points"
        for tile in zoom_tiles:  # warm-up: the same pages in the database's cache for everyone
            sql, params = LAYERS["appeals"].build(tile, filters, True)
            run.raw(sql, params)
            run.raw_prepared(sql, params)
            cache.bump_layer("appeals")
            run.tile(tile)
            if run.tipg_port and z > 12:
                run.tipg_tile(tile)
        points_from_table = z > settings.TILES_CLUSTER_MAX_ZOOM and cache.aggregates_ready()
        steps = ["raw", "prepared", "miss"] + (["appeals"] if points_from_table else [])
        for round_index in range(rounds):
            for tile_index, tile in enumerate(zoom_tiles):
                sql, params = LAYERS["appeals"].build(tile, filters, True)
                # The uncached runs of the tile in a rotating order: none always comes
                # right after the others have warmed the same pages (the hit follows its miss).
                shift = (round_index + tile_index) % len(steps)
                got: dict[str, bytes] = {}
                for step in steps[shift:] + steps[:shift]:
                    if step == "raw":
                        elapsed, got[step] = timed(run.raw, sql, params)
                    elif step == "prepared":
                        elapsed, got[step] = timed(run.raw_prepared, sql, params)
                    elif step == "appeals":
                        elapsed, _ = timed(run.raw, *appeal_points(tile, filters, table_ready=False))
                    else:
                        cache.bump_layer("appeals")
                        elapsed, got[step] = timed(run.tile, tile, expect="MISS")
                        wait_until_stored(tile)
                        times["hit"].append(timed(run.tile, tile, expect="HIT")[0])
                    times[step].append(elapsed)
                raw_bytes = got["raw"]
                if got["prepared"] != raw_bytes:
                    raise RuntimeError(f"prepared statement bytes differ from the ad-hoc statement for {tile}")
                if got["miss"] != raw_bytes:
                    raise RuntimeError(f"endpoint bytes differ from the raw SQL for {tile}")
                sizes.append(len(raw_bytes))
                if run.django_port:
                    cache.bump_layer("appeals")
                    elapsed, body = timed(run.tile, tile, expect="MISS", port=run.django_port)
                    times["django"].append(elapsed)
                    if body != raw_bytes:
                        raise RuntimeError(f"Django view bytes differ from the raw SQL for {tile}")
                if run.tipg_port and z > 12:
                    times["tipg"].append(timed(run.tipg_tile, tile)[0])
        raw_p50, prepared_p50, miss_p50, hit_p50, tipg_p50, django_p50, appeals_p50 = (
            p50(times[k]) for k in ("raw", "prepared", "miss", "hit", "tipg", "django", "appeals"))
        django_cell = f"{django_p50:.1f}" if times["django"] else "–"
        tipg_cell = (f"{tipg_p50:8.1f} {ratio(tipg_p50, miss_p50):>10} {ratio(tipg_p50, hit_p50):>9}" if times["tipg"]
                     else f"{'–':>8} {'–':>10} {'–':>9}")
        SUMMARY["tile"].append((z, miss_p50 / raw_p50, hit_p50 / raw_p50))
        SUMMARY["prepared"].append((z, miss_p50 / prepared_p50, raw_p50 / prepared_p50))
        if times["django"]:
            SUMMARY["django"].append((z, django_p50 / raw_p50, django_p50 - miss_p50))
        if times["tipg"]:
            SUMMARY["tipg"].append((z, tipg_p50 / miss_p50, tipg_p50 / hit_p50))
        if times["appeals"]:
            SUMMARY["appeals"].append((z, miss_p50 / appeals_p50, appeals_p50 / raw_p50))
        appeals_cell = (f"{appeals_p50:11.1f} {ratio(miss_p50, appeals_p50):>8}" if times["appeals"]
                        else f"{'–':>11} {'–':>8}")
        print(f"{z:>3} {kind:<18} {p50([float(s) for s in sizes]) / 1024:8.1f} {raw_p50:8.1f} {prepared_p50:8.1f} "
              f"{miss_p50:10.1f} {ratio(miss_p50, raw_p50):>7} {ratio(miss_p50, prepared_p50):>6} {django_cell:>10} "
              f"{ratio(django_p50, raw_p50):>7} {hit_p50:9.1f} {ratio(hit_p50, raw_p50):>7} {tipg_cell} {appeals_cell}")


def worker_cpu_seconds(master: subprocess.Popen[bytes]) -> float:
    """User + system CPU of a web server's worker processes (Linux /proc): what the server itself
    spends, whatever the scheduler does to wall-clock times on a busy machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def bench_server_cpu(run: Runner, tiles: dict[int, list[Tile]], servers: dict[str, tuple[int, Any]],
                     requests_per_case: int) -> None:
    """CPU time of the web server's worker per z16 tile request (the SQL runs in PostgreSQL, not
    here): the endpoint's own cost — HTTP, Python, Redis client, reading the rows."""
    print(f"\n== Server CPU per z16 tile request (web server worker, {requests_per_case} requests each) ==")
    print(f"{'server':<28} {'miss CPU ms':>12} {'hit CPU ms':>11}")
    sample = tiles[16]
    for name, (port, proc) in servers.items():
        row = []
        for expect in ("MISS", "HIT"):
            cache.bump_layer("appeals")
            for tile in sample:  # warm: the worker compiled the statement, Redis has the script and tiles
                run.tile(tile, port=port)
                wait_until_stored(tile)
            before = worker_cpu_seconds(proc)
            for i in range(requests_per_case):
                if expect == "MISS":
                    cache.bump_layer("appeals")
                run.tile(sample[i % len(sample)], expect=expect, port=port)
            row.append((worker_cpu_seconds(proc) - before) * 1000 / requests_per_case)
        SUMMARY["cpu"].append((0, row[0], row[1]))
        print(f"{name:<28} {row[0]:12.2f} {row[1]:11.2f}")


def bench_live_clusters(run: Runner, tiles: dict[int, list[Tile]], rounds: int) -> None:
    """A filter the cell aggregates cannot answer (district), from the first zooms that take it
    (below them it is refused with a 400, so it can never group every appeal live)."""
    first = settings.TILES_CLUSTER_MAX_ZOOM + 1
    print(f"\n== Tiles with a filter the cells cannot answer (district, from z{first}) vs their raw SQL ==")
    district = Appeal.objects.public().exclude(district=None).values_list("district__code", flat=True).first()
    query = f"district={district}"
    filters = parse_filters(QueryDict(query))
    print(f"{'z':>3} {'SQL ms':>8} {'HTTP miss':>10} {'ratio':>7}")
    for z in (z for z in range(first, first + 3) if z in tiles):
        raw_times, miss_times = [], []
        for tile in tiles[z]:
            sql, params = LAYERS["appeals"].build(tile, filters, True)
            run.raw(sql, params)
            for _ in range(rounds):
                raw_times.append(timed(run.raw, sql, params)[0])
                cache.bump_layer("appeals")
                miss_times.append(timed(run.tile, tile, query, expect="MISS")[0])
        print(f"{z:>3} {p50(raw_times):8.1f} {p50(miss_times):10.1f} {ratio(p50(miss_times), p50(raw_times)):>7}")
        SUMMARY["cluster"].append((z, p50(miss_times) / p50(raw_times), 0.0))


def bench_heatmap(run: Runner, rounds: int) -> None:
    from django.contrib.gis.geos import Polygon

    print(f"\n== Heatmap endpoint vs its raw SQL ({VIEWPORT[0]}×{VIEWPORT[1]} px viewport at the city centre) ==")
    print(f"{'z':>3} {'source':<11} {'cells':>6} {'SQL ms':>8} {'HTTP ms':>8} {'ratio':>7}")
    lat, lon = settings.MAP_DEFAULT_CENTER
    for z in (9, 10, 11, 12, 13, 14):
        bbox = viewport_bbox(lon, lat, z)
        polygon = Polygon.from_bbox(bbox)
        polygon.srid = 4326
        sql, params, source, _level = heatmap_statement(polygon, z, TileFilters(), cache.aggregates_ready())
        query = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "z": z}
        run.raw_rows(sql, params)
        run.heatmap(query)
        raw_times, http_times, cells = [], [], 0
        for _ in range(rounds + 2):
            elapsed, cells = timed(run.raw_rows, sql, params)
            raw_times.append(elapsed)
            http_times.append(timed(run.heatmap, query)[0])
        print(f"{z:>3} {source:<11} {cells:>6} {p50(raw_times):8.1f} {p50(http_times):8.1f} "
              f"{ratio(p50(http_times), p50(raw_times)):>7}")
        SUMMARY["heatmap"].append((z, p50(http_times) / p50(raw_times), 0.0))


def bench_bytes(run: Runner) -> None:
    """The first citywide view (all tiles covering the districts at the zoom that fits them in
    the viewport) against one GeoJSON of every public appeal with the same attributes."""
    from django.contrib.gis.db.models import Extent

    from geoportal.models import District

    west, south, east, north = District.objects.aggregate(e=Extent("boundary"))["e"]
    x0, y0 = lonlat_to_mercator(west, south)
    x1, y1 = lonlat_to_mercator(east, north)
    z = max(z for z in range(0, 19) if (x1 - x0) / (tile_width(z) / 256) <= VIEWPORT[0]
            and (y1 - y0) / (tile_width(z) / 256) <= VIEWPORT[1])
    corners = tiles_for_point(west, north, range(z, z + 1))[0], tiles_for_point(east, south, range(z, z + 1))[0]
    view_tiles = [Tile(z, x, y) for x in range(corners[0].x, corners[1].x + 1)
                  for y in range(corners[0].y, corners[1].y + 1)]
    tile_bytes = sum(len(run.tile(tile)) for tile in view_tiles)
    table = Appeal._meta.db_table
    public = Appeal.objects.public().filter(location__isnull=False).order_by().values("id")
    ids_sql, ids_params = public.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(octet_length(json_build_object('type', 'Feature', 'id', a.id, "
            "'geometry', ST_AsGeoJSON(a.location, 6)::json, 'properties', json_build_object('number', a.number, "
            "'status', a.status, 'category_id', a.category_id, 'category', c.name, 'agency', g.short_name, "
            "'received', to_char(timezone(%s, a.received_at), 'YYYY-MM-DD')))::text)), 0) "
            f"FROM {table} a JOIN issues_category c ON c.id = a.category_id "
            f"LEFT JOIN geoportal_agency g ON g.id = a.responsible_agency_id WHERE a.id IN ({ids_sql})",
            [settings.TIME_ZONE, *ids_params])
        count, feature_bytes = cursor.fetchone()
    geojson_bytes = int(feature_bytes) + max(0, count - 1) + len('{"type":"FeatureCollection","features":[]}')
    print("\n== Bytes of the first citywide view ==")
    print(f"z{z}, {len(view_tiles)} appeal tiles (clusters): {tile_bytes / 1024:.1f} KB;  GeoJSON of all {count} "
          f"public points with the same attributes: {geojson_bytes / 1024 / 1024:.1f} MB;  "
          f"ratio {tile_bytes / geojson_bytes:.5f} (1/{geojson_bytes / max(tile_bytes, 1):.0f})")
    SUMMARY["bytes"].append((z, tile_bytes / geojson_bytes, 0.0))


def print_summary() -> None:
    def span(rows: list[tuple[int, float, float]], index: int = 1) -> str:
        values = [row[index] for row in rows]
        return f"{min(values):.2f}–{max(values):.2f}×" if values else "not measured"

    print("\n== Summary against the issue's goals ==")
    print(f"tile endpoint / SQL, uncached, z10–z16 (goal ≤ 1.15×, judged against the statement run directly ad hoc): "
          f"{span(SUMMARY['tile'])}; cached: {span(SUMMARY['tile'], 2)}")
    print(f"  the endpoint prepares its statement: against the same statement run directly prepared the same way "
          f"(HTTP + Python + cache only) {span(SUMMARY['prepared'])}; ad hoc / prepared SQL {span(SUMMARY['prepared'], 2)}")
    if SUMMARY["django"]:
        saved = [row[2] for row in SUMMARY["django"]]
        print(f"the same tiles through Django's whole request cycle instead (no fast path): "
              f"{span(SUMMARY['django'])}; the fast path saved {min(saved):.1f}–{max(saved):.1f} ms p50 per miss")
    if SUMMARY["appeals"]:
        print(f"unfiltered point tiles read the point table: the same tile built from issues_appeal takes "
              f"{span(SUMMARY['appeals'], 2)} the time of the point table's statement; the endpoint's miss against "
              f"it: {span(SUMMARY['appeals'])}")
    print(f"tipg / our endpoint on the same point tiles (goal ≥ 3×): uncached {span(SUMMARY['tipg'])}, "
          f"cached {span(SUMMARY['tipg'], 2)}")
    print(f"cluster endpoint / SQL (goal ≤ 1.2×): from the table {span(SUMMARY['tile'][:3])}, "
          f"with a district filter (from the first point zoom) {span(SUMMARY['cluster'])}")
    print(f"heatmap endpoint / SQL (goal ≤ 1.2×): {span(SUMMARY['heatmap'])}")
    if SUMMARY["bytes"]:
        print(f"first citywide view / GeoJSON of all points (goal ≤ 1/50): 1/{1 / SUMMARY['bytes'][0][1]:.0f}")


SUMMARY: dict[str, list[tuple[int, float, float]]] = {"tile": [], "prepared": [], "django": [], "tipg": [], "appeals": [],
                                                      "cluster": [], "heatmap": [], "bytes": [], "cpu": []}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-appeals", type=int, default=None,
                        help="run manage.py seed_demo --appeals N first (replaces the demo appeals)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per tile")
    parser.add_argument("--tiles", type=int, default=3, help="tiles per zoom")
    parser.add_argument("--seed", type=int, default=7, help="seed of the tile sample")
    parser.add_argument("--no-tipg", action="store_true", help="skip the tipg comparison")
    parser.add_argument("--cpu-requests", type=int, default=300, help="requests per case for the server CPU")
    parser.add_argument("--no-django", action="store_true",
                        help="skip the comparison with the same server without the tile fast path")
    parser.add_argument("--fresh-connections", action="store_true",
                        help="a new TCP connection for every HTTP request (default: one kept-alive connection per server)")
    parser.add_argument("--rebuild-aggregates", action="store_true",
                        help="rebuild the cell aggregate table even when it has rows (writes to the database)")
    args = parser.parse_args()
    if args.rounds < 1 or args.tiles < 1:
        parser.error("--rounds and --tiles must be at least 1")
    if args.seed_appeals is not None and args.seed_appeals < 1:
        parser.error("--seed-appeals must be positive")
    return args


def prepare_tables(args: argparse.Namespace) -> None:
    """Seed if asked, then reuse the tile tables when they count the appeals there are now, or
    rebuild them."""
    if args.seed_appeals is not None:
        print(f"seeding {args.seed_appeals} appeals with manage.py seed_demo …", flush=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo", "--appeals", str(args.seed_appeals), "--quiet"],
                       cwd=ROOT, check=True)
    total = Appeal.objects.count()
    public = Appeal.objects.public().filter(location__isnull=False).count()
    if public == 0:
        sys.exit("No public appeals in the database: run `make seed` or pass --seed-appeals N.")
    print(f"appeals in the database: {total} ({public} public with a point)")

    from django.db.models import Sum

    from tiles.models import AppealCellAggregate, AppealPoint

    # Current when both count the appeals there are now (a reseed empties the point table and
    # leaves the aggregates counting the old appeals).
    counted = AppealCellAggregate.objects.filter(zoom=0).aggregate(n=Sum("count"))["n"] or 0
    current = counted == public and AppealPoint.objects.count() == public
    if current and not args.rebuild_aggregates and args.seed_appeals is None:
        print(f"tile tables reused: {AppealCellAggregate.objects.count()} aggregate rows, {public} points "
              "(--rebuild-aggregates rebuilds them)")
    else:
        elapsed, rows = timed(aggregates.rebuild_all)
        print(f"tile tables rebuilt in {elapsed / 1000:.1f} s: {rows} aggregate rows for zooms "
              f"0..{settings.TILES_CLUSTER_MAX_ZOOM}")
    cache.mark_aggregates_ready()


def main() -> None:
    args = parse_args()
    prepare_tables(args)
    port, tipg_port, django_port = free_port(), free_port(), free_port()
    tile_client.FRESH_CONNECTIONS = args.fresh_connections
    web = start_web(port)
    plain = None if args.no_django else start_web(django_port, "geoportal.wsgi:django_application")
    tipg_proc, why_not = (None, "skipped (--no-tipg)") if args.no_tipg else start_tipg(tipg_port)
    try:
        if not tipg_proc:
            print(f"tipg: {why_not}")
        else:
            print("tipg 1.2.1 (uvicorn, 1 worker) serves the same table: a CQL2 filter for public appeals, 6 "
                  "properties, no joins; its sessions keep the server's defaults (JIT, parallel workers)")
        print("HTTP client: libcurl, " + ("a new connection per request (--fresh-connections)" if tile_client.FRESH_CONNECTIONS
                                          else "one kept-alive connection per server"))
        run = Runner(port, tipg_port if tipg_proc else None, django_port if plain else None)
        tiles = sample_tiles(args.tiles, args.seed)
        bench_tiles(run, tiles, args.rounds)
        servers = {"fast path (geoportal.wsgi)": (port, web)}
        if plain:
            servers["Django view (no fast path)"] = (django_port, plain)
        bench_server_cpu(run, tiles, servers, args.cpu_requests)
        bench_live_clusters(run, tiles, args.rounds)
        bench_heatmap(run, args.rounds)
        bench_bytes(run)
        print_summary()
    finally:
        for proc in (web, plain, tipg_proc):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        prefix_keys = list(cache.client().scan_iter(match=f"{cache._prefix()}*", count=1000))
        if prefix_keys:
            cache.client().delete(*prefix_keys)


if __name__ == "__main__":
    main()
