"""API routes of the initiative projects app, mounted under /api/v1/."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .api import CycleViewSet, ProjectViewSet, cast_ballot, results

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("budget-cycles", CycleViewSet, basename="budget-cycle")

urlpatterns: list[URLPattern | URLResolver] = [
    path("headings/<int:heading_id>/ballot/", cast_ballot, name="heading-ballot"),
    path("headings/<int:heading_id>/results/", results, name="heading-results"),
    *router.urls,
]
