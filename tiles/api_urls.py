"""Aggregate API routes of the tiles app, mounted under /api/v1/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from .api import ChoroplethView, ClustersView, HeatmapView

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^heatmap/?$", HeatmapView.as_view(), name="heatmap"),
    re_path(r"^clusters/?$", ClustersView.as_view(), name="clusters"),
    re_path(r"^choropleth/?$", ChoroplethView.as_view(), name="choropleth"),
]
