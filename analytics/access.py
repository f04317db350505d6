"""Who sees which statistics: the one place that decides.

- Anonymous visitors and citizens see public figures only: aggregates over published appeals
  (``Appeal.objects.public()``), never free text or personal data.
- Staff (every non-citizen role) and leaders see figures over all appeals; they may ask for the
  public view with ``scope=public`` to see what the public sees.
- The leadership report is for leaders and administrators."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework.exceptions import PermissionDenied

from geoportal.models import Role
from geoportal.roles import HasRole, has_role, is_staff_member


def sees_all(user: Any) -> bool:
    return is_staff_member(user)


def stats_public(user: Any, requested_scope: str = "") -> bool:
    """True when the figures must be computed over public appeals only."""
    if requested_scope == "all" and not sees_all(user):
        raise PermissionDenied(gettext("Статистика по всем обращениям доступна сотрудникам."))
    return requested_scope == "public" or not sees_all(user)


LEADERSHIP = (Role.LEADER, Role.ADMIN)
LEADERS_ONLY = gettext_lazy("Доступно руководству и администраторам.")


def is_leader(user: Any) -> bool:
    return has_role(user, *LEADERSHIP)


IsLeader = HasRole.of(*LEADERSHIP, message=LEADERS_ONLY)  # the API's form of the same check
