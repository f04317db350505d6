"""Aggregates for the leadership maps: a heatmap grid for a viewport and per-district rates.
Each is one SQL statement over public appeals with the tile filters."""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Count, FloatField, Func
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from analytics.models import AppealFact
from geoportal.models import District
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set

from . import cache, cells, conf
from .filters import TileFilters
from .grid import CELLS_PER_TILE, ORIGIN, cell_size, lonlat_to_mercator, mercator_to_lonlat
from .models import AppealCellAggregate
from .sql import CLUSTER_STATUS_FIELDS, aggregate_conditions, compile_queryset, run_statement

# 16 cells per tile side → ~16 px on screen, under leaflet.heat's radius (the page draws 1.4 cells):
# 8-px cells gave a z13 desktop viewport 16,000 cells, 390 KB of JSON and ~250 ms at 1M appeals.
HEATMAP_LEVELS_BELOW_VIEW = 1
HEATMAP_MAX_COARSENING = 1  # levels coarser than asked that the aggregate table may answer with
MAX_HEATMAP_CELLS_PER_AXIS = 1024
EARTH_RADIUS = 6378137.0  # of the spherical Mercator (EPSG:3857)
AGGREGATES, CELLS, POINTS, FACTS = "aggregates", "cells", "points", "facts"


def heatmap_source(z: int, filters: TileFilters, aggregates_ready: bool) -> str:
    """Where the heatmap of zoom z comes from: the per-status cells (``tiles.cells``) at every
    zoom without filters or with a status filter; the category × status × month aggregates for
    their filters at the zooms their levels reach; else the points."""
    if not aggregates_ready:
        return POINTS
    if filters.status_only:
        return CELLS
    if filters.precomputable and z + HEATMAP_LEVELS_BELOW_VIEW <= conf.cluster_max_zoom() + HEATMAP_MAX_COARSENING:
        return AGGREGATES
    return POINTS


def heatmap_level(z: int, source: str) -> int:
    """Cells of 1/16 of a tile (~16 px); from a precomputed table at most its finest level
    (coarser cells above it), rather than scanning the points."""
    level = z + HEATMAP_LEVELS_BELOW_VIEW
    if source == CELLS:
        return min(level, cells.finest_level())
    return min(level, conf.cluster_max_zoom()) if source == AGGREGATES else level


def _cell_ranges(bbox: Polygon, level: int) -> tuple[int, int, int, int]:
    west, south, east, north = bbox.extent
    size = cell_size(level)
    x0, y0 = lonlat_to_mercator(west, south)
    x1, y1 = lonlat_to_mercator(east, north)
    ranges = (math.floor((x0 + ORIGIN) / size), math.floor((x1 + ORIGIN) / size),
              math.floor((y0 + ORIGIN) / size), math.floor((y1 + ORIGIN) / size))
    if max(ranges[1] - ranges[0], ranges[3] - ranges[2]) >= MAX_HEATMAP_CELLS_PER_AXIS:
        raise ValidationError({"bbox": [_("Слишком большая область для этого масштаба: уменьшите bbox или z.")]})
    return ranges


def grid_statement(bbox: Polygon | None, level: int, filters: TileFilters, source: str,
                   by_status: bool = False) -> tuple[str, list[Any]]:
    """Rows of (lat, lon, count[, count per public status]) per grid cell of ``level`` in the
    bbox, the cell's point being the centroid of its appeals; ``source`` is a precomputed
    table (:data:`AGGREGATES`, :data:`CELLS`) or :data:`POINTS`. Without a bbox (a precomputed
    table only): every cell of the level."""
    if bbox is None:
        assert source in (AGGREGATES, CELLS), "the points are read by viewport only"
        ix_min, ix_max, iy_min, iy_max = 0, (CELLS_PER_TILE << level) - 1, 0, (CELLS_PER_TILE << level) - 1
    else:
        ix_min, ix_max, iy_min, iy_max = _cell_ranges(bbox, level)
    # The centroid back to degrees by the spherical Mercator formulas (what ST_Transform does for
    # 3857 → 4326, without a PROJ call per cell: a z13 viewport has 16,000 cells), to 6 decimals.
    centroid = "{x} AS gx, {y} AS gy"
    outer = (f"round(degrees(atan(sinh(s.gy / {EARTH_RADIUS!r}))) * 1e6) / 1e6, "
             f"round(s.gx * {180.0 / ORIGIN!r} * 1e6) / 1e6, s.n")
    if source in (AGGREGATES, CELLS):
        statuses = "".join(f", coalesce(sum(a.count) FILTER (WHERE a.status = '{st}'), 0)::int AS {st}"
                           for st in CLUSTER_STATUS_FIELDS) if by_status else ""
        if source == CELLS:
            table = cells.TABLE
            # unfiltered: one row per cell (its total), unless the counts per status are wanted
            where, params = (("a.status = ANY(%s)", [list(filters.statuses)]) if filters.statuses else
                             (f"a.status <> '{cells.TOTAL}'" if by_status else f"a.status = '{cells.TOTAL}'", []))
        else:
            table = AppealCellAggregate._meta.db_table
            where, params = aggregate_conditions(filters)
        point = centroid.format(x="sum(a.sum_x) / sum(a.count)", y="sum(a.sum_y) / sum(a.count)")
        sql = (f"SELECT {outer}{''.join(f', s.{st}' for st in CLUSTER_STATUS_FIELDS) if by_status else ''} FROM ("
               f"SELECT {point}, sum(a.count)::int AS n{statuses} FROM {table} a "
               f"WHERE a.zoom = %s AND a.ix BETWEEN %s AND %s AND a.iy BETWEEN %s AND %s AND {where} "
               f"GROUP BY a.ix, a.iy ORDER BY a.ix, a.iy) s")
        return sql, [level, ix_min, ix_max, iy_min, iy_max, *params]
    size = cell_size(level)
    mx = Func(Transform("location", 3857), function="ST_X", output_field=FloatField())
    my = Func(Transform("location", 3857), function="ST_Y", output_field=FloatField())
    # The cells overlapping the bbox count whole, as the precomputed tables count them: the
    # points of the cell range (its box, a metre wider for the index; the exact test on the indices).
    west, south = mercator_to_lonlat(-ORIGIN + ix_min * size - 1, -ORIGIN + iy_min * size - 1)
    east, north = mercator_to_lonlat(-ORIGIN + (ix_max + 1) * size + 1, -ORIGIN + (iy_max + 1) * size + 1)
    cell_box = Polygon.from_bbox((west, south, east, north))
    cell_box.srid = 4326
    inner_sql, params = compile_queryset(filters.queryset().filter(location__bboverlaps=cell_box).order_by()
                                         .annotate(mx=mx, my=my).values("mx", "my", "status"))
    statuses = "".join(f", count(*) FILTER (WHERE p.status = '{st}')::int AS {st}"
                       for st in CLUSTER_STATUS_FIELDS) if by_status else ""
    point = centroid.format(x="avg(p.mx)", y="avg(p.my)")
    sql = (f"SELECT {outer}{''.join(f', s.{st}' for st in CLUSTER_STATUS_FIELDS) if by_status else ''} FROM ("
           f"SELECT {point}, count(*)::int AS n{statuses} FROM (SELECT q.mx, q.my, q.status, "
           f"floor((q.mx + {ORIGIN!r}) / {size!r})::int AS ix, floor((q.my + {ORIGIN!r}) / {size!r})::int AS iy "
           f"FROM ({inner_sql}) q) p WHERE p.ix BETWEEN %s AND %s AND p.iy BETWEEN %s AND %s "
           "GROUP BY p.ix, p.iy ORDER BY p.ix, p.iy) s")
    return sql, [*params, ix_min, ix_max, iy_min, iy_max]


def heatmap_statement(bbox: Polygon, z: int, filters: TileFilters,
                      aggregates_ready: bool) -> tuple[str, list[Any], str, int]:
    """(sql, params, source, level) of the heatmap: (lat, lon, count) per cell."""
    source = heatmap_source(z, filters, aggregates_ready)
    level = heatmap_level(z, source)
    sql, params = grid_statement(bbox, level, filters, source)
    return sql, params, source, level


def clusters_statement(bbox: Polygon, z: int, filters: TileFilters,
                       aggregates_ready: bool) -> tuple[str, list[Any], str]:
    """(sql, params, source) of the viewport's clusters: the grid of the cluster tiles at z
    (8 cells per tile side) with counts per public status."""
    if aggregates_ready and filters.status_only and z <= cells.finest_level():
        source = CELLS
    elif aggregates_ready and filters.precomputable and z <= conf.cluster_max_zoom():
        source = AGGREGATES
    else:
        source = POINTS
    sql, params = grid_statement(bbox, z, filters, source, by_status=True)
    return sql, params, source


def clusters(bbox: Polygon, z: int, filters: TileFilters, aggregates_ready: bool) -> dict[str, Any]:
    """GeoJSON clusters for a viewport (for maps without a vector-tile renderer) and the
    viewport's totals per status (the cells on the bbox edge count whole)."""
    sql, params, source = clusters_statement(bbox, z, filters, aggregates_ready)
    with connection.cursor() as cursor:
        rows = run_statement(cursor, (sql, params))
    features = []
    totals = dict.fromkeys(CLUSTER_STATUS_FIELDS, 0)
    for lat, lon, count, *by_status in rows:
        counts = dict(zip(CLUSTER_STATUS_FIELDS, by_status, strict=True))
        for status, value in counts.items():
            totals[status] += value
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"count": count, **{k: v for k, v in counts.items() if v}}})
    return {"type": "FeatureCollection", "z": z, "source": source, "total": sum(totals.values()),
            "totals": totals, "filters": filters.params, "features": features}


def heatmap(bbox: Polygon, z: int, filters: TileFilters, aggregates_ready: bool) -> dict[str, Any]:
    sql, params, source, level = heatmap_statement(bbox, z, filters, aggregates_ready)
    with connection.cursor() as cursor:
        cells = [[lat, lon, n] for lat, lon, n in run_statement(cursor, (sql, params))]
    return {
        "z": z,
        "cell_size_m": round(cell_size(level), 1),
        "source": source,
        "total": sum(c[2] for c in cells),
        "max": max((c[2] for c in cells), default=0),
        "cells": cells,
        "filters": filters.params,
    }


def period_heatmap(start: dt.datetime, end: dt.datetime) -> dict[str, Any] | None:
    """The heatmap of the public appeals received in [start, end) over the whole territory,
    from the cell aggregates' finest level (category × status × month: the cells the heatmap
    API reads at z11 for a period filter), for the leadership report
    (``settings.ANALYTICS_REPORT_HEATMAP``). ``points``: [lat, lon, count] per cell at the
    centroid of its appeals; ``cell_size_m``: the cells' side in EPSG:3857 metres. None when the
    aggregates cannot answer (not built yet, or the period is not whole local months)."""
    filters = TileFilters(params={"period": f"{start.isoformat()}..{end.isoformat()}"}, period_start=start,
                          period_end=end)
    if not cache.aggregates_ready() or not filters.precomputable:
        return None
    level = conf.cluster_max_zoom()
    with connection.cursor() as cursor:
        rows = run_statement(cursor, grid_statement(None, level, filters, AGGREGATES))
    return {"points": [[lat, lon, n] for lat, lon, n in rows], "cell_size_m": round(cell_size(level), 1)}


def district_counts(filters: TileFilters, aggregates_ready: bool) -> tuple[str, list[Any], str]:
    """(sql, params, source) of the public appeals per district: summed from the appeal facts
    (``analytics.facts``, rebuilt and refreshed with the tile tables, so ready with them) when
    the filters are among theirs — category, status, whole months — else grouped from the
    appeals in one scan (2 s at 10M appeals; the facts: milliseconds)."""
    if aggregates_ready and filters.precomputable:
        where, params = aggregate_conditions(filters, "f", month="received_month")
        return (f"SELECT f.district_id AS district, sum(f.count)::int AS n FROM {AppealFact._meta.db_table} f "
                f"WHERE f.public AND f.district_id IS NOT NULL AND {where} GROUP BY f.district_id", params, FACTS)
    sql, params = compile_queryset(
        filters.queryset().exclude(district=None).order_by().values("district").annotate(n=Count("id")).values(
            "district", "n"))
    return sql, list(params), POINTS


def choropleth(filters: TileFilters, metric: str, aggregates_ready: bool = False) -> dict[str, Any]:
    """Districts as GeoJSON with the number of public appeals and the rate per 1,000
    residents; one statement: the counts per district (:func:`district_counts`) joined to the
    districts (a correlated count per district scanned the appeals once per district: 8 s at 1M)."""
    counts_sql, counts_params, source = district_counts(filters, aggregates_ready)
    table = District._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id, d.name, d.code, d.population, coalesce(c.n, 0), "
            f"ST_AsGeoJSON(ST_SimplifyPreserveTopology(d.boundary, 0.0005), 5) FROM {table} d "
            f"LEFT JOIN ({counts_sql}) c ON c.district = d.id ORDER BY d.name", counts_params)
        rows = [dict(zip(("id", "name", "code", "population", "appeal_count", "shape"), row, strict=True))
                for row in cursor.fetchall()]
    features = []
    for row in rows:
        population = row["population"] or 0
        per_1000 = round(row["appeal_count"] * 1000 / population, 2) if population else None
        features.append({
            "type": "Feature",
            "id": row["id"],
            "geometry": json.loads(row["shape"]),
            "properties": {"name": row["name"], "code": row["code"], "population": population,
                           "count": row["appeal_count"], "per_1000": per_1000,
                           "value": per_1000 if metric == "per_1000" else row["appeal_count"]},
        })
    values = [f["properties"]["value"] for f in features if f["properties"]["value"] is not None]
    return {"type": "FeatureCollection", "metric": metric, "source": source, "filters": filters.params,
            "min": min(values, default=None), "max": max(values, default=None), "features": features}
