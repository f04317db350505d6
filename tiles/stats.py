"""Aggregates for the leadership maps: a heatmap grid for a viewport and per-district rates.
Each is one SQL statement over public appeals with the tile filters."""
from __future__ import annotations

import json
import math
from typing import Any

from django.contrib.gis.db.models import MultiPolygonField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Count, F, FloatField, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from geoportal.models import District
from geoportal.replica import read_connection as connection  # lag-tolerant reads: the replica if set

from . import conf
from .filters import TileFilters
from .grid import ORIGIN, cell_size, lonlat_to_mercator
from .models import AppealCellAggregate
from .sql import CLUSTER_STATUS_FIELDS, aggregate_conditions, compile_queryset, run_statement

HEATMAP_LEVELS_BELOW_VIEW = 2  # 32 cells per tile side → ~8 px on screen
HEATMAP_MAX_COARSENING = 1  # levels coarser than asked that the aggregate table may answer with
MAX_HEATMAP_CELLS_PER_AXIS = 1024


def heatmap_level(z: int, from_aggregates: bool) -> int:
    """Cells of 1/32 of a tile (~8 px); from the aggregate table at most one
    level coarser than that (its finest level caps it), rather than scanning the points."""
    level = z + HEATMAP_LEVELS_BELOW_VIEW
    return min(level, conf.cluster_max_zoom()) if from_aggregates else level


def aggregates_serve(z: int, filters: TileFilters, aggregates_ready: bool) -> bool:
    return (aggregates_ready and filters.precomputable
            and z + HEATMAP_LEVELS_BELOW_VIEW <= conf.cluster_max_zoom() + HEATMAP_MAX_COARSENING)


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


def grid_statement(bbox: Polygon, level: int, filters: TileFilters, from_aggregates: bool,
                   by_status: bool = False) -> tuple[str, list[Any]]:
    """Rows of (lat, lon, count[, count per public status]) per grid cell of ``level`` in the
    bbox, the cell's point being the centroid of its appeals."""
    ix_min, ix_max, iy_min, iy_max = _cell_ranges(bbox, level)
    centroid = "ST_Transform(ST_SetSRID(ST_MakePoint({x}, {y}), 3857), 4326)"
    outer = "round(ST_Y(s.g)::numeric, 6)::float, round(ST_X(s.g)::numeric, 6)::float, s.n"
    if from_aggregates:
        statuses = "".join(f", coalesce(sum(a.count) FILTER (WHERE a.status = '{st}'), 0)::int AS {st}"
                           for st in CLUSTER_STATUS_FIELDS) if by_status else ""
        where, params = aggregate_conditions(filters)
        point = centroid.format(x="sum(a.sum_x) / sum(a.count)", y="sum(a.sum_y) / sum(a.count)")
        sql = (f"SELECT {outer}{''.join(f', s.{st}' for st in CLUSTER_STATUS_FIELDS) if by_status else ''} FROM ("
               f"SELECT {point} AS g, sum(a.count)::int AS n{statuses} FROM {AppealCellAggregate._meta.db_table} a "
               f"WHERE a.zoom = %s AND a.ix BETWEEN %s AND %s AND a.iy BETWEEN %s AND %s AND {where} "
               f"GROUP BY a.ix, a.iy ORDER BY a.ix, a.iy) s")
        return sql, [level, ix_min, ix_max, iy_min, iy_max, *params]
    size = cell_size(level)
    mx = Func(Transform("location", 3857), function="ST_X", output_field=FloatField())
    my = Func(Transform("location", 3857), function="ST_Y", output_field=FloatField())
    inner_sql, params = compile_queryset(filters.queryset().filter(location__bboverlaps=bbox).order_by()
                                         .annotate(mx=mx, my=my).values("mx", "my", "status"))
    statuses = "".join(f", count(*) FILTER (WHERE p.status = '{st}')::int AS {st}"
                       for st in CLUSTER_STATUS_FIELDS) if by_status else ""
    point = centroid.format(x="avg(p.mx)", y="avg(p.my)")
    sql = (f"SELECT {outer}{''.join(f', s.{st}' for st in CLUSTER_STATUS_FIELDS) if by_status else ''} FROM ("
           f"SELECT {point} AS g, count(*)::int AS n{statuses} FROM (SELECT q.mx, q.my, q.status, "
           f"floor((q.mx + {ORIGIN!r}) / {size!r})::int AS ix, floor((q.my + {ORIGIN!r}) / {size!r})::int AS iy "
           f"FROM ({inner_sql}) q) p GROUP BY p.ix, p.iy ORDER BY p.ix, p.iy) s")
    return sql, params


def heatmap_statement(bbox: Polygon, z: int, filters: TileFilters,
                      aggregates_ready: bool) -> tuple[str, list[Any], str, int]:
    """(sql, params, source, level) of the heatmap: (lat, lon, count) per cell."""
    from_aggregates = aggregates_serve(z, filters, aggregates_ready)
    level = heatmap_level(z, from_aggregates)
    sql, params = grid_statement(bbox, level, filters, from_aggregates)
    return sql, params, "aggregates" if from_aggregates else "points", level


def clusters_statement(bbox: Polygon, z: int, filters: TileFilters,
                       aggregates_ready: bool) -> tuple[str, list[Any], str]:
    """(sql, params, source) of the viewport's clusters: the grid of the cluster tiles at z
    (8 cells per tile side) with counts per public status."""
    from_aggregates = aggregates_ready and filters.precomputable and z <= conf.cluster_max_zoom()
    sql, params = grid_statement(bbox, z, filters, from_aggregates, by_status=True)
    return sql, params, "aggregates" if from_aggregates else "points"


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


def choropleth(filters: TileFilters, metric: str) -> dict[str, Any]:
    """Districts as GeoJSON with the number of public appeals and the rate per 1,000
    residents; one statement (a correlated count per district)."""
    counts = (filters.queryset().filter(district=OuterRef("pk")).order_by().values("district")
              .annotate(n=Count("id")).values("n"))
    rows = (District.objects.order_by("name")
            .annotate(appeal_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)),
                      shape=AsGeoJSON(Func(F("boundary"), Value(0.0005), function="ST_SimplifyPreserveTopology",
                                           output_field=MultiPolygonField(srid=4326)), precision=5))
            .values("id", "name", "code", "population", "appeal_count", "shape"))
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
    return {"type": "FeatureCollection", "metric": metric, "filters": filters.params,
            "min": min(values, default=None), "max": max(values, default=None), "features": features}
