"""Aggregate and map API routes of the tiles app, mounted under /api/v1/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

import geoportal.converters  # noqa: F401  (registers <id:...>)

from .api import ChoroplethView, ClustersView, HeatmapView
from .projects_map import ProjectMapView, ProjectsNearView, project_photo_thumbnail

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^heatmap/?$", HeatmapView.as_view(), name="heatmap"),
    re_path(r"^clusters/?$", ClustersView.as_view(), name="clusters"),
    re_path(r"^choropleth/?$", ChoroplethView.as_view(), name="choropleth"),
    re_path(r"^map/projects/?$", ProjectMapView.as_view(), name="map-projects"),
    re_path(r"^map/projects/near/?$", ProjectsNearView.as_view(), name="map-projects-near"),
    path("map/project-photos/<id:pk>.jpg", project_photo_thumbnail, name="map-project-photo"),
]
