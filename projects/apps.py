from __future__ import annotations

from django.apps import AppConfig, apps


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        # The need score counts appeals; projects/ reads the appeals app, never the reverse.
        if apps.is_installed("issues"):
            from . import need
            from .need_appeals import count_appeals

            need.register_appeal_counter(count_appeals)
