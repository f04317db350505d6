"""API routes of the initiative projects app, mounted under /api/v1/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from geoportal.routers import IdRouter

from .api import CycleViewSet, ProjectViewSet, cast_ballot, results

router = IdRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("budget-cycles", CycleViewSet, basename="budget-cycle")

urlpatterns: list[URLPattern | URLResolver] = [
    path("headings/<id:heading_id>/ballot/", cast_ballot, name="heading-ballot"),
    path("headings/<id:heading_id>/results/", results, name="heading-results"),
    *router.urls,
]
