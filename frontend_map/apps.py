from __future__ import annotations

from django.apps import AppConfig


class FrontendMapConfig(AppConfig):
    name = "frontend_map"
