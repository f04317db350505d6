"""Pages of the web app."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.views.i18n import JavaScriptCatalog

from . import views, views_desk, views_map, views_moderation

urlpatterns: list[URLPattern | URLResolver] = [
    path("offline/", views.offline, name="offline"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("map/", views_map.public_map, name="public-map"),
    path("report/", views_map.report, name="report"),
    path("appeals/<int:pk>/", views_map.appeal_page, name="appeal-page"),
    path("my/", views_map.my_appeals, name="my-appeals"),
    path("queue/", views_map.queue, name="queue"),
    path("leadership/", views_map.leadership, name="leadership"),
    path("desk/", views_desk.desk_page, name="desk"),
    path("desk/items/", views_desk.desk_items, name="desk-items"),
    path("desk/<int:pk>/duplicates/", views_desk.desk_duplicates, name="desk-duplicates"),
    path("desk/new/", views_desk.desk_register, name="desk-register"),
    path("desk/registered/<int:pk>/", views_desk.desk_registered, name="desk-registered"),
    path("moderation/", views_moderation.moderation, name="moderation"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
