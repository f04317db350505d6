"""Pages of the analytics app, mounted at the site root."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.public_stats, name="stats-home"),
    path("stats/agencies/", views.agency_scorecards, name="stats-agencies-page"),
    path("stats/agencies/<int:agency_id>/", views.agency_drilldown, name="stats-agency-page"),
    path("stats/pivot/", views.pivot_page, name="stats-pivot-page"),
    path("stats/initiatives/", views.initiatives_page, name="stats-initiatives-page"),
    path("stats/leadership/", views.leadership_page, name="stats-leadership"),
    path("stats/leadership/report", views.leadership_report, name="stats-leadership-report"),
]
