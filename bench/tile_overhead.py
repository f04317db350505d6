"""Where an uncached tile's time goes beyond its SQL (issue 22: "uncached tile ≤ 1.2× its own
SQL at z10–z14"), measured in one process on the current database, per zoom over the city
centre, median of ``--rounds`` (``--quantile 0.25``: the lower quartile instead, which on a
machine shared with other jobs shows what the code costs rather than how long the scheduler
kept it waiting):

- ``sql``: the statement run ad hoc (the goal's comparison: parse + plan + execute);
- ``prepared``: the same statement as the endpoint runs it (server-side prepared, plan reused,
  settings in the same round trip, bytea in binary) — :func:`tiles.sql.run_tile_statement`;
- ``build``: :func:`tiles.views.build_tile` on a miss (Redis lookup + render budget + prepared
  statement + ETag + compression in the negotiated coding);
- ``store``: writing the coded tile to Redis after the bytes went out;
- ``wsgi``: the whole fast path (:class:`tiles.fastpath.TileFastPath`) called in-process with a
  WSGI environ, no HTTP server;
- ``http`` (``--http``): the same tile through the web server (``scripts/web.sh``, granian,
  one kept-alive connection), as bench/scale.py measures it;
- ``http hit`` (``--http``): the same tile again, now answered from the tile cache: the web
  server's and the cache's own cost with no SQL, the floor under any uncached tile;
- ``http const`` (``--http``): the same server running :mod:`bench.const_app`, which answers
  ready bytes of the tile's size with no Django, no Redis, no database: the web server's and the
  WSGI call's own floor, under which no answer of any Python application served this way can go;
- ``http base`` (``--baseline DIR``): the same through the web server of another checkout (an
  older version), the two servers taking turns on every round: before and after in one run.

    DATABASE_URL=… .venv/bin/python bench/tile_overhead.py [--rounds 15] [--coding br] [--http]
    git archive COMMIT | tar -x -C /tmp/base && ln -s $PWD/.venv /tmp/base/.venv   # a baseline
    DATABASE_URL=… .venv/bin/python bench/tile_overhead.py --http --baseline /tmp/base"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
# where bench/scale.py marked the tile tables ready (BENCH_CACHE_PREFIX: a run of its own on a shared Redis)
os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-scale")
# The in-process fast path counts its misses in the render budget of 127.0.0.1 (as the server
# started here does, with the same figure): a long run must not be answered 429 by the budget.
os.environ["TILES_RENDER_RATE"] = "1000000/min"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench.servers import exit_on_sigterm, free_port, start_web  # noqa: E402
from bench.tile_client import tile_tables_current  # noqa: E402
from bench.tiles import Runner  # noqa: E402
from tiles import cache, encoding  # noqa: E402

os.environ["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-scale")  # bench.tiles set its own
from tiles.fastpath import TileFastPath  # noqa: E402
from tiles.filters import TileFilters  # noqa: E402
from tiles.grid import tiles_for_point  # noqa: E402
from tiles.layers import LAYERS  # noqa: E402
from tiles.views import build_tile  # noqa: E402

STEPS = ("sql", "prepared", "build", "store", "wsgi")


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def _not_django(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise AssertionError(f"the fast path handed {environ['PATH_INFO']} to Django")


def _wsgi(app: TileFastPath, path: str, coding: str) -> None:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": "", "HTTP_ACCEPT_ENCODING": coding,
               "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http"}
    body = app(environ, lambda status, headers: None)
    b"".join(body)
    body.close()  # type: ignore[attr-defined]  # stores the tile, ends the request


def measure(zoom: int, rounds: int, coding: str, runner: Runner, baseline: Runner | None,
            quantile: float = 0.5, const_port: int = 0) -> dict[str, float]:
    lat, lon = settings.MAP_DEFAULT_CENTER
    tile = tiles_for_point(lon, lat, range(zoom, zoom + 1))[0]
    layer = LAYERS["appeals"]
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    app = TileFastPath(_not_django)
    times: dict[str, list[float]] = {step: [] for step in (*STEPS, "http", "http hit", "http const", "http base")}
    for index in range(rounds + 1):
        sql, params = layer.build(tile, TileFilters(), cache.aggregates_ready())
        sample = {"sql": _timed(runner.raw, sql, params)[0], "prepared": _timed(runner.raw_prepared, sql, params)[0]}
        cache.bump_layer("appeals")
        sample["build"], built = _timed(build_tile, layer, tile, TileFilters(), coding, None)
        sample["store"] = _timed(built[3])[0]
        cache.bump_layer("appeals")
        sample["wsgi"] = _timed(_wsgi, app, path, coding)[0]
        servers = [("http", runner), ("http base", baseline)] if baseline else [("http", runner)]
        for name, server in servers[index % len(servers):] + servers[:index % len(servers)]:  # taking turns first
            if server.port:
                cache.bump_layer("appeals")
                sample[name] = _timed(server.tile, tile)[0]
        if runner.port:
            sample["http hit"] = _timed(runner.tile, tile)[0]  # stored by the miss just before
        if const_port:
            sample["http const"] = _timed(runner.tile, tile, f"bytes={len(built[1])}", None, const_port)[0]
        if index:  # the first round warms connections and prepared statements
            for step, value in sample.items():
                times[step].append(value)
    return {step: _quantile(values, quantile) for step, values in times.items() if values}


def _quantile(values: list[float], q: float) -> float:
    return statistics.median(values) if q == 0.5 else statistics.quantiles(values, n=100, method="inclusive")[
        max(0, min(98, round(q * 100) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quantile", type=float, default=0.5, help="of the rounds' times (0.5: the median)")
    parser.add_argument("--coding", default="br", choices=[encoding.BROTLI, encoding.GZIP, encoding.IDENTITY])
    parser.add_argument("--http", action="store_true", help="also through the web server")
    parser.add_argument("--baseline", type=Path, help="a checkout of another version: its web server too, in turns")
    parser.add_argument("--zooms", default="10-16", help="first-last (default 10-16)")
    parser.add_argument("--from-appeals", action="store_true",
                        help="the tiles as built before the tile tables existed (from the appeals table: the aggregates "
                             "marked not ready for the run, marked ready again at its end)")
    args = parser.parse_args()
    exit_on_sigterm()
    if not 0 < args.quantile < 1:
        parser.error("--quantile must be between 0 and 1")
    if args.baseline and not (args.http and (args.baseline / "scripts/web.sh").exists()):
        parser.error("--baseline needs --http and a checkout with scripts/web.sh (and a .venv link)")
    if not cache.aggregates_ready():
        if not tile_tables_current():  # only read: this bench never rebuilds them
            sys.exit("the tile tables do not count the current public appeals: run bench/scale.py first "
                     "(it rebuilds them)")
        cache.mark_aggregates_ready()
    try:
        first, last_zoom = (int(z) for z in args.zooms.split("-"))
    except ValueError:
        parser.error("--zooms must be two zooms: first-last")
    if args.from_appeals:
        cache.forget_aggregates()
    port = free_port() if args.http else 0
    web = start_web(port) if args.http else None
    base_port = free_port() if args.baseline else 0
    base_web = start_web(base_port, root=args.baseline.resolve()) if args.baseline else None
    const_port = free_port() if args.http else 0
    const_web = start_web(const_port, app="bench.const_app:app") if args.http else None
    try:
        runner = Runner(port, None)
        baseline = Runner(base_port, None) if base_port else None
        print(f"load average {os.getloadavg()[0]:.2f}; coding {args.coding}; quantile {args.quantile:g} of {args.rounds} rounds (ms)")
        last = "http" if args.http else "wsgi"
        columns = [*STEPS, *(["http", "http hit", "http const"] if args.http else []),
                   *(["http base"] if baseline else [])]
        print("zoom " + " ".join(f"{s:>10}" for s in columns) + f"   {last}/sql  {last}/prepared"
              + ("  const/sql  (sql+const)/sql" if args.http else "") + ("  base/sql  base/prepared" if baseline else ""))
        if args.from_appeals:
            print("tiles built from the appeals table (the tile tables not read)")
        for zoom in range(first, last_zoom + 1):
            r = measure(zoom, args.rounds, args.coding, runner, baseline, args.quantile, const_port)
            line = (f"z{zoom:<3} " + " ".join(f"{r[s]:10.2f}" for s in columns)
                    + f"   {r[last] / r['sql']:8.2f}  {r[last] / r['prepared']:13.2f}")
            if args.http:  # the ratio an application costing nothing beyond the SQL would reach
                line += f"  {r['http const'] / r['sql']:9.2f}  {(r['sql'] + r['http const']) / r['sql']:15.2f}"
            if baseline:
                line += f"  {r['http base'] / r['sql']:8.2f}  {r['http base'] / r['prepared']:13.2f}"
            print(line, flush=True)
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        if args.from_appeals:
            cache.mark_aggregates_ready()
        for server in (web, base_web, const_web):
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        keys = list(cache.client().scan_iter(match=f"{cache._prefix()}t:*", count=1000))  # the tiles it built
        if keys:
            cache.client().delete(*keys)


if __name__ == "__main__":
    main()
