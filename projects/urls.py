"""Pages of initiative projects. The residents' pages live in ``projects/pages.py``,
``pages_submit.py`` and ``pages_ballot.py``; the officials' pages (review, commission scoring,
monitoring) are mounted beside them."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import pages, pages_ballot, pages_submit

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/", pages.project_list, name="project-list"),
    path("projects/new/", pages_submit.project_new, name="project-new"),
    path("projects/<int:pk>/", pages.project_page, name="project-page"),
    path("projects/<int:pk>/support/", pages.project_support, name="project-support"),
    path("projects/<int:pk>/control/", pages.project_control, name="project-control"),
    path("projects/<int:pk>/withdraw/", pages.project_withdraw, name="project-withdraw"),
    path("projects/headings/<int:heading_id>/ballot/", pages_ballot.ballot_page, name="project-ballot"),
    path("projects/headings/<int:heading_id>/results/", pages_ballot.results_page, name="project-results"),
]
