"""Pages of the appeals app mounted at the site root: the checked photo files."""
from __future__ import annotations

from django.urls import URLPattern, path

from .photo_views import appeal_photo

urlpatterns: list[URLPattern] = [
    path("photos/appeals/<int:pk>/<str:variant>.jpg", appeal_photo, name="appeal-photo"),
]
