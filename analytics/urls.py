"""Pages of the analytics app, mounted at the site root."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/leadership/report", views.leadership_report, name="stats-leadership-report"),
]
