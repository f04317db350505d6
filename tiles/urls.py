"""Tile routes, mounted at /tiles/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, register_converter

from .views import tile_view, tilejson_view


class TileNumberConverter:
    """Digits, handed to the view as text: it refuses numbers too long to be a tile (400) before
    int() does (Python refuses over 4,300 digits, which used to be a server error)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(TileNumberConverter, "tilenum")

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:layer>/<tilenum:z>/<tilenum:x>/<tilenum:y>.pbf", tile_view, name="tile"),
    path("<slug:layer>.json", tilejson_view, name="tilejson"),
]
