"""Building :class:`~tiles.models.AppealCellAggregate`: a full rebuild (the periodic Celery
task) and an exact incremental update of the cells holding changed appeals (queued when an
appeal changes). Both take the same advisory lock, so they never interleave.

The finest level (``cluster_max_zoom``) is grouped from the public points; every coarser
level is grouped from the level below (a cell is four cells of the next zoom), so a rebuild
scans the appeals once."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction
from django.db.models import DateField, FloatField, Func, QuerySet
from django.db.models.functions import TruncMonth

from analytics import facts, histograms
from issues.models import Appeal

from . import cache, cells, conf, points
from .grid import ORIGIN, cell_size, mercator_to_lonlat
from .models import AppealCellAggregate
from .rollup import rewrite_parents

LOCK_KEY = 0x7E1E5A66  # pg_advisory_xact_lock key of the aggregate table
TABLE = AppealCellAggregate._meta.db_table
COLUMNS = "zoom, ix, iy, category_id, status, month, count, sum_x, sum_y"


def _public_points(queryset: QuerySet[Appeal] | None = None) -> tuple[str, list[Any]]:
    """Public appeals with a point: mercator x/y, category, status, local month."""
    base = queryset if queryset is not None else Appeal.objects.public()
    points = (base.filter(location__isnull=False).order_by()
                .annotate(mx=Func(Transform("location", 3857), function="ST_X", output_field=FloatField()),
                          my=Func(Transform("location", 3857), function="ST_Y", output_field=FloatField()),
                          month=TruncMonth("received_at", output_field=DateField()))
                .values("mx", "my", "category_id", "status", "month"))
    sql, params = points.query.sql_with_params()
    return sql, list(params)


def _finest_insert(queryset: QuerySet[Appeal] | None = None, where: str = "TRUE") -> tuple[str, list[Any]]:
    zoom = conf.cluster_max_zoom()
    size = cell_size(zoom)
    points_sql, params = _public_points(queryset)
    sql = (f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {zoom}, p.ix, p.iy, p.category_id, p.status, p.month, count(*), "
           f"sum(p.mx), sum(p.my) FROM (SELECT q.*, floor((q.mx + {ORIGIN!r}) / {size!r})::int AS ix, "
           f"floor((q.my + {ORIGIN!r}) / {size!r})::int AS iy FROM ({points_sql}) q) p WHERE {where} "
           f"GROUP BY p.ix, p.iy, p.category_id, p.status, p.month")
    return sql, params


def _rollup_insert(zoom: int, where: str = "TRUE") -> str:
    """Level ``zoom`` from level ``zoom + 1`` (indices are non-negative: halve them)."""
    return (f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {zoom}, c.ix / 2, c.iy / 2, c.category_id, c.status, c.month, "
            f"sum(c.count), sum(c.sum_x), sum(c.sum_y) FROM {TABLE} c WHERE c.zoom = {zoom + 1} AND {where} "
            f"GROUP BY c.ix / 2, c.iy / 2, c.category_id, c.status, c.month")


@transaction.atomic
def rebuild_all() -> int:
    """Recompute every level from the points, the point table of the point tiles
    (:mod:`tiles.points`), the per-status cells (:mod:`tiles.cells`) and the answer-time
    histograms and the appeal facts of the statistics (:mod:`analytics.histograms`,
    :mod:`analytics.facts`), in one transaction;
    returns the number of aggregate rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(*_finest_insert())
        for zoom in range(conf.cluster_max_zoom() - 1, -1, -1):
            cursor.execute(_rollup_insert(zoom))
        points.rebuild(cursor)
        cells.rebuild(cursor)  # from the point table just written
        histograms.rebuild(cursor)  # the answer-time histograms of the pivots' percentiles
        facts.rebuild(cursor)  # the counts and sums of the pivots' other metrics
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        rows = int(cursor.fetchone()[0])
        # Fresh statistics now rather than whenever autovacuum gets to the rewritten table: the
        # tile statements are prepared, and a generic plan made on stale statistics is kept.
        cursor.execute(f"ANALYZE {TABLE}")
    transaction.on_commit(cache.mark_aggregates_ready)
    return rows


def cells_of(appeal_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Finest-level cells of the appeals' points (computed in SQL, like the rebuild)."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return set()
    size = cell_size(conf.cluster_max_zoom())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT floor((ST_X(ST_Transform(location, 3857)) + {ORIGIN!r}) / {size!r})::int, "
            f"floor((ST_Y(ST_Transform(location, 3857)) + {ORIGIN!r}) / {size!r})::int "
            f"FROM {Appeal._meta.db_table} WHERE id = ANY(%s) AND location IS NOT NULL", [ids])
        return {(int(ix), int(iy)) for ix, iy in cursor.fetchall()}


@transaction.atomic
def refresh_appeals(appeal_ids: Iterable[int]) -> int:
    """After appeals change: their cells at every level (aggregates and per-status cells),
    their rows of the point table and their slices of the answer-time histograms, in one
    transaction under the tables' lock; returns the number of cells rewritten."""
    ids = sorted(set(appeal_ids))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        points.refresh(cursor, ids)
        cells.refresh(cursor, ids)
        slices = histograms.slices_of(cursor, ids)
        histograms.refresh_slices(cursor, slices)
        facts.refresh_slices(cursor, slices)
    return refresh_cells(cells_of(ids))


@transaction.atomic
def refresh_cells(cells: set[tuple[int, int]]) -> int:
    """Recompute the given finest-level cells and their ancestors at every coarser level.
    Exact whatever changed (status, category, visibility), as long as points do not move.
    Returns the number of cells rewritten."""
    if not cells:
        return 0
    top = conf.cluster_max_zoom()
    size = cell_size(top)
    rewritten = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        for ix, iy in sorted(cells):
            # A box slightly larger than the cell lets the GiST index find the candidates;
            # the exact cell test is on the computed indices, as in the rebuild.
            west, south = mercator_to_lonlat(-ORIGIN + ix * size - 1, -ORIGIN + iy * size - 1)
            east, north = mercator_to_lonlat(-ORIGIN + (ix + 1) * size + 1, -ORIGIN + (iy + 1) * size + 1)
            box = Polygon.from_bbox((west, south, east, north))
            box.srid = 4326
            cursor.execute(f"DELETE FROM {TABLE} WHERE zoom = %s AND ix = %s AND iy = %s", [top, ix, iy])
            sql, params = _finest_insert(Appeal.objects.public().filter(location__bboverlaps=box),
                                         "p.ix = %s AND p.iy = %s")
            cursor.execute(sql, [*params, ix, iy])
            rewritten += 1
        rewritten += rewrite_parents(cursor, TABLE, _rollup_insert, cells, top)
    return rewritten
