"""Template context shared by every page: base-map settings, the portal's name and the
scripts' texts in the page's language (frontend_map.js_text)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .js_text import catalogue


def portal(request: HttpRequest) -> dict[str, Any]:
    lat, lon = settings.MAP_DEFAULT_CENTER
    return {
        "portal_map": {
            "tileUrl": settings.BASEMAP_TILE_URL,
            "attribution": settings.BASEMAP_ATTRIBUTION,
            "center": [lat, lon],
            "zoom": settings.MAP_DEFAULT_ZOOM,
        },
        "js_text": catalogue(),
    }
