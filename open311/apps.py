from __future__ import annotations

from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 GeoReport v2"

    def ready(self) -> None:
        from . import api_schema  # noqa: F401  (registers the API key's OpenAPI security scheme)
