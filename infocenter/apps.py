from __future__ import annotations

from django.apps import AppConfig


class InfocenterConfig(AppConfig):
    name = "infocenter"
    verbose_name = "Информационный центр"
