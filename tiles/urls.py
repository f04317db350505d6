"""Tile routes, mounted at /tiles/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from .views import tile_view, tilejson_view

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:layer>/<str:z>/<str:x>/<str:y>.pbf", tile_view, name="tile"),
    path("<slug:layer>.json", tilejson_view, name="tilejson"),
]
