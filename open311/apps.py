from __future__ import annotations

from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 GeoReport v2"
