from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = gettext_lazy("Очередь побочных действий")

    def ready(self) -> None:
        from . import worker

        worker.connect_signals()
