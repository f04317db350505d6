"""Officials' pages of initiative projects: review, commission scoring, monitoring
(``projects/views_official.py``, ``views_commission.py`` and ``views_monitoring.py`` say who
may open each)."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views_commission, views_monitoring
from . import views_official as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/office/", views.office, name="project-office"),
    path("projects/review/", views.review_list, name="project-review-list"),
    path("projects/<int:pk>/review/", views.review_page, name="project-review"),
    path("projects/<int:pk>/minutes/", views.meeting_minutes, name="project-minutes"),
    path("projects/control-reports/<int:pk>/photo.jpg", views.control_photo, name="project-control-photo"),
    path("projects/cycles/<int:cycle_id>/commission/", views_commission.commission_page, name="project-commission"),
    path("projects/cycles/<int:cycle_id>/need/", views_commission.need_refresh, name="project-need-refresh"),
    path("projects/<int:pk>/score/", views_commission.score_page, name="project-score"),
    path("projects/monitoring/", views_monitoring.monitoring_list, name="project-monitoring-list"),
    path("projects/<int:pk>/monitoring/", views_monitoring.monitoring_page, name="project-monitoring"),
]
