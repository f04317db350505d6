from __future__ import annotations

from django.apps import AppConfig


class InfocenterConfig(AppConfig):
    name = "infocenter"
    verbose_name = "Информационный центр"

    def ready(self) -> None:
        from issues.actions import appeal_changed

        from .signals import appeal_changed as enqueue

        appeal_changed.connect(enqueue, dispatch_uid="infocenter-subscriptions")
