"""Who sees which statistics: the one place that decides.

- Anonymous visitors and citizens see public figures only: aggregates over published appeals
  (``Appeal.objects.public()``), never free text or personal data.
- Staff (every non-citizen role) and leaders see figures over all appeals; they may ask for the
  public view with ``scope=public`` to see what the public sees.
- The leadership report is for leaders and administrators."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from geoportal.models import Role
from issues.access import is_staff_user


def sees_all(user: Any) -> bool:
    return is_staff_user(user)


def stats_public(user: Any, requested_scope: str = "") -> bool:
    """True when the figures must be computed over public appeals only."""
    if requested_scope == "all" and not sees_all(user):
        raise PermissionDenied(gettext("Статистика по всем обращениям доступна сотрудникам."))
    return requested_scope == "public" or not sees_all(user)


def is_leader(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in (Role.LEADER, Role.ADMIN)))


class IsLeader(permissions.BasePermission):
    """Leaders (руководство) and administrators."""

    message = gettext_lazy("Доступно руководству и администраторам.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_leader(request.user)
