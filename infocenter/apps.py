from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class InfocenterConfig(AppConfig):
    name = "infocenter"
    verbose_name = gettext_lazy("Информационный центр")

    def ready(self) -> None:
        from issues.actions import appeal_changed

        from .signals import appeal_changed as enqueue

        appeal_changed.connect(enqueue, dispatch_uid="infocenter-subscriptions")
