"""Tile settings with their defaults (settings.py may override each from the environment)."""
from __future__ import annotations

from django.conf import settings


def max_zoom() -> int:
    """Highest zoom served (and invalidated); clients overzoom beyond it."""
    return int(getattr(settings, "TILES_MAX_ZOOM", 18))


def cluster_max_zoom() -> int:
    """Appeals are served as grid-cell clusters at z <= this, as points above."""
    return int(getattr(settings, "TILES_CLUSTER_MAX_ZOOM", 12))


def map_points_max() -> int:
    """The most appeals the public map draws one by one above the cluster zooms (one page of the
    appeals API); a viewport holding more stays as clusters, counted from the per-status cells
    (a city-centre z15 viewport held 200,000 appeals at 10M: 2–12 s as a list, 50 ms as clusters)."""
    return int(getattr(settings, "TILES_MAP_POINTS_MAX", 1000))


def cache_ttl() -> int:
    return int(getattr(settings, "TILES_CACHE_TTL", 3600))


def browser_max_age() -> int:
    """Cache-Control max-age: short, because the ETag makes revalidation cheap."""
    return int(getattr(settings, "TILES_BROWSER_MAX_AGE", 60))


def mvt_extent() -> int:
    return 4096


def status_cells_finest_level() -> int:
    """Finest level of the per-status cell counts (``tiles.cells``): the heatmap at zoom z uses
    cells of level z + 2 (~8 px) up to it, and coarser cells above it."""
    return int(getattr(settings, "TILES_STATUS_CELLS_FINEST_LEVEL", 17))


def point_tile_max_points() -> int:
    """A point tile that would hold more points than this is served as grid clusters instead
    (bytes on a phone: a z13 city-centre tile held 27,000 points, 1.3 MB)."""
    return int(getattr(settings, "TILES_POINT_TILE_MAX_POINTS", 3000))


def preseed_max_zoom() -> int:
    """After each rebuild of the tile tables, the unfiltered appeal tiles up to this zoom over
    the territory are built and cached (the first view of every visitor is then a hit)."""
    return int(getattr(settings, "TILES_PRESEED_MAX_ZOOM", 12))
