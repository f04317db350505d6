"""Top-level URL map: each domain app mounts its own pages and API here."""
from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import converters  # noqa: F401  (registers <id:...> before the apps' routes load)
from .auth import ObtainTokenView
from .health import healthz, readyz
from .media import public_media
from .observability import metrics_view

api_v1: list[URLPattern | URLResolver] = [
    path("", include("issues.api_urls")),
    path("", include("inbox.api_urls")),
    path("", include("projects.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("tiles.api_urls")),
    path("", include("infocenter.api_urls")),
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: the docs page works under the CSP
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("tiles/", include("tiles.urls")),
    path("open311/v2/", include("open311.urls")),
    path("", include("issues.urls")),
    path("", include("projects.urls_official")),
    path("", include("analytics.urls")),
    path("", include("infocenter.urls")),
    path("", include("projects.urls")),
    path("", include("frontend_map.urls")),
]
# Uploaded files: only the public folders, in every mode (geoportal.media).
urlpatterns.append(re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", public_media,
                           name="public-media"))
