"""Geometry helpers shared by imports and generators."""
from __future__ import annotations

from typing import cast

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def to_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A valid WGS84 MultiPolygon from any shapely geometry (lines and points are dropped)."""
    geos = GEOSGeometry(memoryview(shapely.to_wkb(shapely.make_valid(geom))), srid=4326)
    if geos.geom_type == "Polygon":
        return MultiPolygon(cast(Polygon, geos), srid=4326)
    if geos.geom_type == "MultiPolygon":
        return cast(MultiPolygon, geos)
    flat: list[Polygon] = []
    for part in shapely.get_parts(shapely.make_valid(geom)):
        for polygon in shapely.get_parts(part) if part.geom_type == "MultiPolygon" else [part]:
            if polygon.geom_type == "Polygon":
                flat.append(cast(Polygon, GEOSGeometry(memoryview(shapely.to_wkb(polygon)), srid=4326)))
    return MultiPolygon(*flat, srid=4326)
