"""GeoReport v2 routes: every document with a .xml or .json suffix."""
from __future__ import annotations

from django.urls import URLPattern, re_path

from . import views

FMT = r"\.(?P<fmt>[a-z]+)$"
urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)" + FMT, views.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[-\w]+)" + FMT, views.token_view, name="open311-token"),
]
