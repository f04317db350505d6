"""Tile settings with their defaults (settings.py may override each from the environment)."""
from __future__ import annotations

from django.conf import settings


def max_zoom() -> int:
    """Highest zoom served (and invalidated); clients overzoom beyond it."""
    return int(getattr(settings, "TILES_MAX_ZOOM", 18))


def cluster_max_zoom() -> int:
    """Appeals are served as grid-cell clusters at z <= this, as points above."""
    return int(getattr(settings, "TILES_CLUSTER_MAX_ZOOM", 12))


def cache_ttl() -> int:
    return int(getattr(settings, "TILES_CACHE_TTL", 3600))


def browser_max_age() -> int:
    """Cache-Control max-age: short, because the ETag makes revalidation cheap."""
    return int(getattr(settings, "TILES_BROWSER_MAX_AGE", 60))


def mvt_extent() -> int:
    return 4096
