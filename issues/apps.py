from __future__ import annotations

from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
