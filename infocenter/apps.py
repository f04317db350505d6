from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class InfocenterConfig(AppConfig):
    name = "infocenter"
    verbose_name = gettext_lazy("Информационный центр")

    def ready(self) -> None:
        from issues.actions import appeal_change_delivered

        from .signals import appeal_change_delivered as notify

        appeal_change_delivered.connect(notify, dispatch_uid="infocenter-subscriptions")
