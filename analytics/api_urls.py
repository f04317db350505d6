"""API routes of the analytics app, mounted under /api/v1/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, initiatives, opendata

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/catalog", api.CatalogView.as_view(), name="stats-catalog"),
    path("stats/appeals", api.PivotView.as_view(), name="stats-appeals"),
    path("stats/agencies", api.AgencyScorecardView.as_view(), name="stats-agencies"),
    path("stats/satisfaction", api.SatisfactionView.as_view(), name="stats-satisfaction"),
    path("stats/hotspots", api.HotspotsView.as_view(), name="stats-hotspots"),
    path("stats/rising", api.RisingTopicsView.as_view(), name="stats-rising"),
    path("stats/repeats", api.RepeatLocationsView.as_view(), name="stats-repeats"),
    path("stats/heatmap", api.HeatmapView.as_view(), name="stats-heatmap"),
    path("stats/initiatives", initiatives.InitiativeStatsView.as_view(), name="stats-initiatives"),
    path("opendata/schema", opendata.SchemaView.as_view(), name="opendata-schema"),
    path("opendata/appeals.<str:fmt>", opendata.OpenDataAppealsView.as_view(), name="opendata-appeals"),
]
