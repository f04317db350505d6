"""Pages of the web app: the PWA shell, the map screens over several apps and the moderator's
desk. The appeals' own pages are mounted by ``issues.urls``."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.i18n import JavaScriptCatalog

from . import views, views_map, views_moderation

urlpatterns: list[URLPattern | URLResolver] = [
    path("offline/", views.offline, name="offline"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("map/", views_map.public_map, name="public-map"),
    path("leadership/", views_map.leadership, name="leadership"),
    path("moderation/", views_moderation.moderation, name="moderation"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
