from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = gettext_lazy("Уведомления")
