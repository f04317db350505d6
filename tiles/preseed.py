"""Pre-seeding the tile cache after a rebuild of the tile tables: every unfiltered appeal tile
over the territory up to ``TILES_PRESEED_MAX_ZOOM``, in each content coding a browser asks for.

A rebuild bumps the layer's generation, which empties the cache of the layer at once; without
this, the first visitor after each rebuild would pay for every tile of the citywide view. The
low zooms are few (the demo city: a few dozen tiles up to z12) and cheap to build from the
aggregate tables."""
from __future__ import annotations

import math

from django.contrib.gis.db.models import Extent

from geoportal.models import District

from . import cache, conf, encoding
from .filters import TileFilters
from .grid import MAX_LAT, Tile
from .layers import LAYERS
from .sql import run_tile_statement

LAYER = "appeals"


def _tile_range(lon_or_lat: float, z: int, *, is_lat: bool) -> int:
    n = 1 << z
    if not is_lat:
        return min(max(int((lon_or_lat + 180.0) / 360.0 * n), 0), n - 1)
    lat = max(-MAX_LAT, min(MAX_LAT, lon_or_lat))
    rad = math.radians(lat)
    return min(max(int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n), 0), n - 1)


def territory_tiles(max_zoom: int) -> list[Tile]:
    """The tiles covering the districts' extent at zooms 0..max_zoom (none without districts)."""
    extent = District.objects.aggregate(extent=Extent("boundary"))["extent"]
    if not extent:
        return []
    west, south, east, north = extent
    found: list[Tile] = []
    for z in range(0, max_zoom + 1):
        for x in range(_tile_range(west, z, is_lat=False), _tile_range(east, z, is_lat=False) + 1):
            for y in range(_tile_range(north, z, is_lat=True), _tile_range(south, z, is_lat=True) + 1):
                found.append(Tile(z, x, y))
    return found


def preseed(max_zoom: int | None = None) -> int:
    """Build and cache the territory's unfiltered appeal tiles (brotli and gzip); returns the
    number of tiles built. Does nothing (0) when Redis is down."""
    layer = LAYERS[LAYER]
    filters = TileFilters()
    built = 0
    for tile in territory_tiles(conf.preseed_max_zoom() if max_zoom is None else max_zoom):
        keys = {coding: cache.tile_key(LAYER, tile, cache.coded_key(filters.cache_key, coding))
                for coding in encoding.CODINGS}
        if any(key is None for key, _ready in keys.values()):
            return built
        ready = all(ready for _key, ready in keys.values())
        data = run_tile_statement(layer.build(tile, filters, ready))
        etag = cache.etag_of(data)
        for coding, (key, _ready) in keys.items():
            cache.put(key, etag, encoding.encode(data, coding))
        built += 1
    return built
