"""The SQL behind every tile: one statement per tile, ``ST_TileEnvelope`` → ``ST_AsMVTGeom`` →
``ST_AsMVT``, in the manner of django-vectortiles (the feature query is an ORM queryset so it
carries exactly the API's filters; it is compiled, not run, and wrapped in ``ST_AsMVT``).

Each builder returns ``(sql, params)`` with the tile's z, x, y as parameters, never in the
text, so one statement serves every tile of a layer and filter set. :func:`run_tile_statement`
runs it as a server-side prepared statement; ``bench/tiles.py`` runs the very same statement
directly (ad hoc, and prepared the same way) to measure the overhead of the endpoint."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Transform
from django.db.models import FloatField, Func, IntegerField, QuerySet, Value
from django.db.models.expressions import RawSQL
from psycopg.types.numeric import Int4, Int8

from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set
from issues.models import PUBLIC_STATUSES

from . import cells, points
from .filters import TileFilters, category_subtree
from .grid import ORIGIN, Tile, cell_size, tile_cell_range
from .models import AppealCellAggregate

EXTENT = 4096
BUFFER = 64
POINTS_LAYER = "appeals"
CLUSTERS_LAYER = "appeal_clusters"
CLUSTER_STATUS_FIELDS = tuple(str(s) for s in PUBLIC_STATUSES)

Statement = tuple[str, list[Any]]

# Session settings for the statement only (SET LOCAL inside the implicit transaction of a
# multi-statement query string; still one round trip). Measured on the demo data: JIT
# compilation added 100–200 ms to tiles that take 5–40 ms, and parallel workers doubled the
# time of mid-size tiles on a small machine.
STATEMENT_SETTINGS = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "
# The same settings for a prepared tile statement, which must be a statement of its own: sent
# just before it in one pipeline (one round trip), so both run in the same transaction (the
# implicit one up to the pipeline's Sync, or the caller's) and the settings end with it —
# nothing leaks into the session's other queries. set_config(..., true) is SET LOCAL without
# the server's "only in transaction blocks" warning for an implicit transaction.
LOCAL_SETTINGS_QUERY = ("SELECT set_config('jit', 'off', true), "
                        "set_config('max_parallel_workers_per_gather', '0', true)")
# Filtered tiles are planned for each tile's values. A generic plan of a filtered statement
# cannot see that one tile is small and one district large: measured on the demo data, the
# generic plan of district-filtered points scanned the district (z13: 54 ms instead of 7 ms).
# Unfiltered statements keep plan_cache_mode's default (a generic plan once it is not costlier
# than the custom ones): on the demo data it has the custom plans' shape (EXPLAIN at z10, z12,
# z13, z16) and ran as fast or faster at z10–z16 (z12 −1.2 ms, z15/z16 −0.2 ms p50).
CUSTOM_PLAN_SETTINGS_QUERY = LOCAL_SETTINGS_QUERY + ", set_config('plan_cache_mode', 'force_custom_plan', true)"
# psycopg prepares only when the connection's prepare_threshold is set (Django leaves it None:
# no automatic preparing, for poolers). Explicit prepare=True needs a number; this one is never
# reached, so nothing else on the connection gets prepared automatically.
EXPLICIT_PREPARE_ONLY = 1 << 30


def run_statement(cursor: Any, statement: Statement) -> list[tuple[Any, ...]]:
    """Run a tile or aggregate statement ad hoc with :data:`STATEMENT_SETTINGS`; its rows."""
    sql, params = statement
    cursor.execute(STATEMENT_SETTINGS + sql, params)
    while cursor.description is None and cursor.nextset():
        pass
    return list(cursor.fetchall())


class _PreparedCursor(psycopg.Cursor[Any]):
    """Server-side binding; every statement is prepared once per connection (psycopg keeps the
    names, an LRU of ``prepared_max``) and its result read in binary (no hex-encoded bytea)."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> Any:
        return super().execute(query, params, prepare=True, binary=True)


def prepared_statements_enabled() -> bool:
    """``TILES_PREPARED_STATEMENTS`` (on by default; off for a pooler in transaction mode that
    cannot keep named statements) and a libpq with pipeline mode (14+)."""
    return bool(getattr(settings, "TILES_PREPARED_STATEMENTS", True)) and psycopg.Pipeline.is_supported()


def run_tile_statement(statement: Statement, *, reuse_plan: bool = True) -> bytes:
    """The tile of a tile statement (``b""`` when empty), in one round trip on Django's
    connection: the statement is a server-side prepared statement, so PostgreSQL parses it
    once per connection and, with ``reuse_plan`` (unfiltered tiles), plans it once too (after 5
    custom plans, a generic plan when not costlier: plan_cache_mode auto) instead of for every
    tile; without it (filters) every tile gets its own plan. :data:`LOCAL_SETTINGS_QUERY`
    (:data:`CUSTOM_PLAN_SETTINGS_QUERY`) runs ahead of it in the same round trip. Django's
    cursor wrapper logs it as one query and wraps database errors. Falls back to
    :func:`run_statement` when prepared statements are off."""
    if not prepared_statements_enabled():
        with connection.cursor() as cursor:
            rows = run_statement(cursor, statement)
    else:
        sql, params = statement
        connection.ensure_connection()
        connection.validate_thread_sharing()
        connection.validate_no_broken_transaction()  # before the pipeline, as Django's cursor does
        raw: psycopg.Connection[Any] = connection.connection  # type: ignore[assignment]
        if raw.prepare_threshold is None:
            raw.prepare_threshold = EXPLICIT_PREPARE_ONLY
        tile_cursor = _PreparedCursor(raw)
        database_cursor: Any = tile_cursor  # what Django's wrappers wrap (the stubs say a wrapper)
        # Django's wrapper: no query on a broken transaction, database errors as Django's.
        wrapped = connection.make_cursor(database_cursor)
        # DEBUG / tests' query capture: the statement (with its %s placeholders) and the time of
        # the whole round trip (psycopg keeps no composed text of a prepared statement).
        logged = (connection.make_debug_cursor(database_cursor).debug_sql(sql, params)
                  if connection.queries_logged else nullcontext())
        with wrapped, _PreparedCursor(raw) as settings_cursor:
            with logged, connection.wrap_database_errors, raw.pipeline():
                settings_cursor.execute(LOCAL_SETTINGS_QUERY if reuse_plan else CUSTOM_PLAN_SETTINGS_QUERY)
                wrapped.execute(sql, params)
            rows = list(tile_cursor.fetchall())
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


class TileEnvelope(Func):
    function = "ST_TileEnvelope"
    arity = 3
    output_field = GeometryField(srid=3857)


class AsMVTGeom(Func):
    function = "ST_AsMVTGeom"
    output_field = GeometryField(srid=3857)


class TileSlot:
    """Stands for z, x or y in a compiled statement. Compiling a queryset costs ~5 ms, more
    than a small tile's SQL, so each (layer, filters) is compiled once per process with these
    slots as parameters and :func:`bind` puts the tile's numbers in."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<tile {self.name}>"


Z, X, Y = TileSlot("z"), TileSlot("x"), TileSlot("y")
_compiled: dict[tuple[str, str], Statement] = {}
MAX_COMPILED = 512


def _slot(slot: TileSlot) -> RawSQL:
    return RawSQL("%s", (slot,), output_field=IntegerField())  # noqa: S611 - a bound parameter


def envelope() -> TileEnvelope:
    return TileEnvelope(_slot(Z), _slot(X), _slot(Y))


def mvt_geom(geometry: Any, buffer: int = BUFFER) -> AsMVTGeom:
    return AsMVTGeom(Transform(geometry, 3857), envelope(), Value(EXTENT), Value(buffer), Value(True))


def compile_queryset(queryset: QuerySet[Any]) -> Statement:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def compiled(kind: str, filters: TileFilters, build: Callable[[], QuerySet[Any]]) -> Statement:
    """The compiled queryset of ``build`` for these filters, with tile slots (memoised)."""
    key = (kind, filters.cache_key)
    statement = _compiled.get(key)
    if statement is None:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        statement = _compiled[key] = compile_queryset(build())
    return statement


def tile_params(tile: Tile) -> list[Int4]:
    """z, x, y as int4 parameters (psycopg would pick int2 or int4 by value: two prepared
    statements for one layer)."""
    return [Int4(tile.z), Int4(tile.x), Int4(tile.y)]


def bind(statement: Statement, tile: Tile) -> Statement:
    values = dict(zip((Z, X, Y), tile_params(tile), strict=True))
    sql, params = statement
    return sql, [values[p] if isinstance(p, TileSlot) else p for p in params]


def wrap_mvt(inner: Statement, layer: str, columns: str, feature_id: str | None = None) -> Statement:
    sql, params = inner
    id_arg = f", '{feature_id}'" if feature_id else ""
    return (f"SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom'{id_arg}) FROM (SELECT {columns} FROM ({sql}) q) t",
            params)


# --- appeals ------------------------------------------------------------------------------
def _in_tile(queryset: QuerySet[Any], field: str = "location") -> QuerySet[Any]:
    return queryset.filter(**{f"{field}__bboverlaps": Transform(envelope(), 4326)})


def _points_queryset(filters: TileFilters) -> QuerySet[Any]:
    # Ordered, so a tile rebuilt from unchanged data has the same bytes (and ETag).
    return (_in_tile(filters.queryset()).order_by("id")
            .annotate(geom=mvt_geom("location")).values("id", "status", "category_id", "geom"))


# The attributes of a point feature: what the map styles and filters by, nothing more. The
# number, names, agency and date are fetched on click from the appeals API (``/api/v1/appeals/
# {id}/``, the feature id): a number is unique per feature, so MVT cannot share it between
# features, and together they were two thirds of a point tile's bytes.
POINT_ATTRIBUTES = {"status": "String", "category_id": "Number"}


def appeal_points(tile: Tile, filters: TileFilters, table_ready: bool = False) -> Statement:
    """Public appeals in the tile with the minimal public attributes (never author, contacts,
    text): unfiltered, from the point table when it is built (:func:`appeal_points_from_table`),
    else from the appeals with the API's filters."""
    if table_ready and not filters.params and tile.z <= points.KEY_ZOOM:
        return appeal_points_from_table(tile)
    inner = bind(compiled("points", filters, lambda: _points_queryset(filters)), tile)
    return wrap_mvt(inner, POINTS_LAYER, "q.id, q.status, q.category_id, q.geom", feature_id="id")


def appeal_points_from_table(tile: Tile) -> Statement:
    """The unfiltered point tile from :class:`~tiles.models.AppealPoint`: one key range of
    its index (the points of the tile, each in exactly one tile per zoom), in key order. The
    same layer, feature ids and attributes as the statement over the appeals."""
    low, high = points.tile_key_range(tile)
    sql = (f"SELECT ST_AsMVT(t, '{POINTS_LAYER}', {EXTENT}, 'geom', 'id') FROM ("
           "SELECT p.appeal_id AS id, p.status, p.category_id, "
           f"ST_AsMVTGeom(p.geom, ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom "
           f"FROM {points.TABLE} p WHERE p.tile_key BETWEEN %s AND %s ORDER BY p.tile_key, p.appeal_id) t")
    return sql, [*tile_params(tile), Int8(low), Int8(high)]


def _point_count_capped(tile: Tile, filters: TileFilters, table_ready: bool, cap: int) -> Statement:
    """SELECT of min(points in the tile, cap + 1): the dense-tile test reads at most cap + 1
    index entries, whatever the density."""
    if table_ready and not filters.params and tile.z <= points.KEY_ZOOM:
        low, high = points.tile_key_range(tile)
        inner: Statement = (f"SELECT 1 FROM {points.TABLE} p WHERE p.tile_key BETWEEN %s AND %s",
                            [Int8(low), Int8(high)])
    else:
        inner = bind(compiled("point-ids", filters, lambda: _in_tile(filters.queryset()).order_by().values("id")),
                     tile)
    return f"SELECT count(*) FROM ({inner[0]} LIMIT {int(cap) + 1}) n", inner[1]


def thinned_point_tile(tile: Tile, filters: TileFilters, table_ready: bool, cap: int) -> Statement:
    """A point tile above the cluster zooms, unless it would hold more than ``cap`` points:
    then the grid clusters of that zoom (layer ``appeal_clusters``), from the per-status cells
    when they can answer, else grouped live. One statement: PostgreSQL runs an uncorrelated
    scalar subquery (an InitPlan) only when its value is needed, so only the chosen branch is
    built."""
    count_sql, count_params = _point_count_capped(tile, filters, table_ready, cap)
    if table_ready and filters.status_only and tile.z <= cells.finest_level():
        clusters_sql, clusters_params = appeal_clusters_from_cells(tile, filters.statuses)
    else:
        clusters_sql, clusters_params = appeal_clusters_live(tile, filters)
    points_sql, points_params = appeal_points(tile, filters, table_ready)
    sql = (f"SELECT CASE WHEN ({count_sql}) > {int(cap)} THEN ({clusters_sql}) ELSE ({points_sql}) END")
    return sql, [*count_params, *clusters_params, *points_params]


def _cluster_select(count: str, mean_x: str, mean_y: str, status_sum: str) -> str:
    """The cluster feature: centroid, total and a count per public status (zeros omitted). Its
    3 parameters are the tile's z, x, y (:func:`tile_params`)."""
    statuses = ", ".join(
        f"NULLIF({status_sum.format(status=s)}, 0)::int AS {s}" for s in CLUSTER_STATUS_FIELDS)
    return (f"ST_AsMVTGeom(ST_SetSRID(ST_MakePoint({mean_x}, {mean_y}), 3857), "
            f"ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom, "
            f"({count})::int AS count, {statuses}")


def _cell_range_params(tile: Tile) -> list[Int4]:
    return [Int4(i) for i in tile_cell_range(tile)]


def appeal_clusters_live(tile: Tile, filters: TileFilters) -> Statement:
    """Grid-cell clusters computed from the points in the tile (any filters)."""
    mx = Func(Transform("location", 3857), function="ST_X", output_field=FloatField())
    my = Func(Transform("location", 3857), function="ST_Y", output_field=FloatField())
    inner_sql, inner_params = bind(compiled("cluster-points", filters, lambda: _in_tile(filters.queryset()).order_by()
                                            .annotate(mx=mx, my=my).values("mx", "my", "status")), tile)
    select = _cluster_select("count(*)", "avg(p.mx)", "avg(p.my)", "count(*) FILTER (WHERE p.status = '{status}')")
    size = cell_size(tile.z)
    sql = (f"SELECT ST_AsMVT(t, '{CLUSTERS_LAYER}', {EXTENT}, 'geom') FROM ("
           f"SELECT {select} FROM (SELECT q.mx, q.my, q.status, floor((q.mx + {ORIGIN!r}) / %s)::int AS ix, "
           f"floor((q.my + {ORIGIN!r}) / %s)::int AS iy FROM ({inner_sql}) q) p "
           "WHERE p.ix BETWEEN %s AND %s AND p.iy BETWEEN %s AND %s "
           "GROUP BY p.ix, p.iy ORDER BY p.ix, p.iy) t")
    return sql, [*tile_params(tile), size, size, *inner_params, *_cell_range_params(tile)]


def aggregate_conditions(filters: TileFilters, alias: str = "a", month: str = "month") -> Statement:
    """WHERE conditions on a pre-aggregated table for the precomputable filters: its
    ``category_id`` and ``status`` columns, and its month column — a date (the cell aggregates'
    ``month``) or the local month's first moment (the appeal facts' ``received_month``)."""
    conditions: list[str] = []
    params: list[Any] = []
    if filters.category is not None:
        subtree = category_subtree(filters.category)
        conditions.append(f"{alias}.category_id IN ({subtree.sql})")
        params.extend(subtree.params)
    if filters.statuses:
        conditions.append(f"{alias}.status = ANY(%s)")
        params.append(list(filters.statuses))
    as_date = month == "month"
    for bound, operator in ((filters.period_start, ">="), (filters.period_end, "<")):
        if bound is not None:
            conditions.append(f"{alias}.{month} {operator} %s")
            params.append(bound.date() if as_date else bound)
    return " AND ".join(conditions) or "TRUE", params


def appeal_clusters_precomputed(tile: Tile, filters: TileFilters) -> Statement:
    """Grid-cell clusters read from ``AppealCellAggregate`` (category, status, month filters)."""
    where, params = aggregate_conditions(filters)
    select = _cluster_select("sum(a.count)", "sum(a.sum_x) / sum(a.count)", "sum(a.sum_y) / sum(a.count)",
                             "sum(a.count) FILTER (WHERE a.status = '{status}')")
    table = AppealCellAggregate._meta.db_table
    sql = (f"SELECT ST_AsMVT(t, '{CLUSTERS_LAYER}', {EXTENT}, 'geom') FROM ("
           f"SELECT {select} FROM {table} a WHERE a.zoom = %s AND a.ix BETWEEN %s AND %s "
           f"AND a.iy BETWEEN %s AND %s AND {where} GROUP BY a.ix, a.iy ORDER BY a.ix, a.iy) t")
    return sql, [*tile_params(tile), Int4(tile.z), *_cell_range_params(tile), *params]


def appeal_clusters_from_cells(tile: Tile, statuses: tuple[str, ...] = ()) -> Statement:
    """Grid-cell clusters read from :class:`~tiles.models.AppealStatusCell` (no filter, or a
    status filter): a few rows per occupied cell, at any zoom up to its finest level."""
    where, params = ("a.status = ANY(%s)", [list(statuses)]) if statuses else (f"a.status <> '{cells.TOTAL}'", [])
    select = _cluster_select("sum(a.count)", "sum(a.sum_x) / sum(a.count)", "sum(a.sum_y) / sum(a.count)",
                             "sum(a.count) FILTER (WHERE a.status = '{status}')")
    sql = (f"SELECT ST_AsMVT(t, '{CLUSTERS_LAYER}', {EXTENT}, 'geom') FROM ("
           f"SELECT {select} FROM {cells.TABLE} a WHERE a.zoom = %s AND a.ix BETWEEN %s AND %s "
           f"AND a.iy BETWEEN %s AND %s AND {where} GROUP BY a.ix, a.iy ORDER BY a.ix, a.iy) t")
    return sql, [*tile_params(tile), Int4(tile.z), *_cell_range_params(tile), *params]


# --- other layers ---------------------------------------------------------------------------
def geometry_layer(queryset: QuerySet[Any], tile: Tile, layer: str, geometry_field: str,
                   attributes: list[str]) -> Statement:
    """Any model with a geometry: the listed attributes only."""
    inner = bind(compiled(f"layer:{layer}:{','.join(attributes)}", TileFilters(), lambda: (
        _in_tile(queryset, geometry_field).order_by("pk").annotate(geom=mvt_geom(geometry_field))
        .values(*attributes, "geom"))), tile)
    columns = ", ".join(f"q.{name}" for name in [*attributes, "geom"])
    return wrap_mvt(inner, layer, columns, feature_id="id" if "id" in attributes else None)
