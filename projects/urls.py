"""Pages of initiative projects. The residents' pages live in ``projects/pages.py``; the
officials' pages (review, commission scoring, monitoring) are mounted beside them."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import pages

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/", pages.project_list, name="project-list"),
    path("projects/new/", pages.project_new, name="project-new"),
    path("projects/<int:pk>/", pages.project_page, name="project-page"),
    path("projects/<int:pk>/support/", pages.project_support, name="project-support"),
    path("projects/<int:pk>/control/", pages.project_control, name="project-control"),
    path("projects/<int:pk>/withdraw/", pages.project_withdraw, name="project-withdraw"),
    path("projects/headings/<int:heading_id>/ballot/", pages.ballot_page, name="project-ballot"),
    path("projects/headings/<int:heading_id>/results/", pages.results_page, name="project-results"),
]
