"""The measuring side of the tile benches: timing helpers, the tile sample, and ``Runner``, which
fetches the same tile from our server, tipg and the plain Django view over libcurl. Used by
``bench/tiles.py``, ``scale.py`` and ``tile_overhead.py`` (Django is set up by the caller)."""
from __future__ import annotations

import io
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pycurl
from django.db import connection

from issues.models import Appeal
from tiles.grid import Tile, lonlat_to_mercator, mercator_to_lonlat, tile_width, tiles_for_point
from tiles.models import AppealCellAggregate, AppealPoint, AppealStatusCell
from tiles.sql import run_statement, run_tile_statement

ZOOMS = range(10, 17)


def tile_tables_current(using: str = "default", totals: bool = True) -> bool:
    """Whether the tile tables (cell aggregates, point table, status cells with their cells'
    totals) count exactly the public appeals with a point: only reads, so a bench on a database
    it may not write to can check them (``--no-rebuild``) instead of rebuilding. A database whose
    status cells have no totals (migration tiles 0005 not applied) would serve empty heatmaps
    (``totals=False``: a bench that reads no status cell need not ask)."""
    from django.db.models import Sum

    from tiles.cells import TOTAL

    public = Appeal.objects.using(using).public().filter(location__isnull=False).count()
    counted = AppealCellAggregate.objects.using(using).filter(zoom=0).aggregate(n=Sum("count"))["n"] or 0
    total = AppealStatusCell.objects.using(using).filter(zoom=0, status=TOTAL).aggregate(n=Sum("count"))["n"] or 0
    return (bool(public) and counted == public and AppealPoint.objects.using(using).count() == public
            and (total == public or not totals))
VIEWPORT = (1280, 800)  # px of a desktop map


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}×" if b and not math.isnan(a) and not math.isnan(b) else "   – "


def sample_tiles(per_zoom: int, seed: int) -> dict[int, list[Tile]]:
    rng = random.Random(seed)
    points = list(Appeal.objects.public().filter(location__isnull=False).order_by("id")
                  .values_list("location", flat=True)[:: max(1, Appeal.objects.count() // 4000)])
    rng.shuffle(points)
    chosen: dict[int, list[Tile]] = {}
    for z in ZOOMS:
        tiles: list[Tile] = []
        for point in points:
            tile = tiles_for_point(point.x, point.y, range(z, z + 1))[0]
            if tile not in tiles:
                tiles.append(tile)
            if len(tiles) == per_zoom:
                break
        chosen[z] = tiles
    return chosen


FRESH_CONNECTIONS = False  # --fresh-connections
_handles: dict[int, Any] = {}


def http_get(port: int, path: str, params: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET with libcurl (C: the client's own parsing costs next to nothing), on the
    server's kept-alive connection (or a new one with ``--fresh-connections``)."""
    handle = _handles.get(port)
    if handle is None:
        handle = _handles[port] = pycurl.Curl()
        handle.setopt(pycurl.TIMEOUT, 300)
        handle.setopt(pycurl.NOSIGNAL, 1)
    body, headers = io.BytesIO(), io.BytesIO()
    handle.setopt(pycurl.URL, f"http://127.0.0.1:{port}{path}" + (f"?{urlencode(params)}" if params else ""))
    handle.setopt(pycurl.WRITEDATA, body)
    handle.setopt(pycurl.HEADERFUNCTION, headers.write)
    handle.setopt(pycurl.FORBID_REUSE, 1 if FRESH_CONNECTIONS else 0)
    handle.perform()
    lines = headers.getvalue().decode("latin-1").split("\r\n")[1:]
    parsed = dict(line.split(":", 1) for line in lines if ":" in line)
    return (int(handle.getinfo(pycurl.RESPONSE_CODE)), {k.strip().lower(): v.strip() for k, v in parsed.items()},
            body.getvalue())


class Runner:
    def __init__(self, port: int, tipg_port: int | None, django_port: int | None = None) -> None:
        self.port = port
        self.tipg_port = tipg_port
        self.django_port = django_port  # the same app without tiles.fastpath (Django's whole request cycle)

    # "Raw": the very statement the endpoint runs, with no HTTP, no Django request cycle and no
    # cache, as a person would run it ad hoc: a plain database cursor, the statement with its
    # SET LOCAL prefix in one query string, planned each time, its bytea read as text.
    def raw(self, sql: str, params: list[Any]) -> bytes:
        with connection.cursor() as cursor:
            rows = run_statement(cursor, (sql, params))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""

    # "Raw prepared": the same statement run directly the way the endpoint runs it (prepared
    # once per connection, plan reused, settings in the same round trip, bytea read in binary),
    # so the overhead of HTTP + Python + cache alone shows beside the goal's ad-hoc comparison.
    def raw_prepared(self, sql: str, params: list[Any]) -> bytes:
        return run_tile_statement((sql, params))

    def raw_rows(self, sql: str, params: list[Any]) -> int:
        with connection.cursor() as cursor:
            return len(run_statement(cursor, (sql, params)))

    def tile(self, tile: Tile, query: str = "", expect: str | None = None, port: int | None = None) -> bytes:
        status, headers, body = http_get(port or self.port, f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
                                         + (f"?{query}" if query else ""))
        if status != 200:
            raise RuntimeError(f"tile {tile}: HTTP {status} {body[:200]!r}")
        if expect and headers.get("x-tile-cache") != expect:
            raise RuntimeError(f"expected a cache {expect} for {tile}, got {headers.get('x-tile-cache')}")
        return body

    def heatmap(self, query: dict[str, Any]) -> bytes:
        status, _headers, body = http_get(self.port, "/api/v1/heatmap", query)
        if status != 200:
            raise RuntimeError(f"heatmap: HTTP {status} {body[:200]!r}")
        return body

    def tipg_tile(self, tile: Tile) -> bytes:
        cql = ("is_public = true AND duplicate_of_id IS NULL AND status IN ("
               + ",".join(f"'{s}'" for s in ("registered", "routed", "accepted", "in_progress", "answered", "closed"))
               + ")")
        assert self.tipg_port is not None
        status, _headers, body = http_get(
            self.tipg_port, f"/collections/public.{Appeal._meta.db_table}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/"
            f"{tile.y}", {"properties": "id,number,status,category_id,responsible_agency_id,received_at",
                          "filter": cql, "filter-lang": "cql2-text", "limit": 10000000})
        if status != 200:
            raise RuntimeError(f"tipg tile {tile}: HTTP {status} {body[:200]!r}")
        return body


def viewport_bbox(lon: float, lat: float, z: int) -> tuple[float, float, float, float]:
    x, y = lonlat_to_mercator(lon, lat)
    metres_per_px = tile_width(z) / 256
    half_w, half_h = VIEWPORT[0] / 2 * metres_per_px, VIEWPORT[1] / 2 * metres_per_px
    west, south = mercator_to_lonlat(x - half_w, y - half_h)
    east, north = mercator_to_lonlat(x + half_w, y + half_h)
    return west, south, east, north
