"""Which pages and buttons the screens offer a user ("doors"), and the refusal a page shows.

Nothing about roles is decided here: each door asks the check that owns it (``geoportal.roles``
for signing in, ``issues.access`` for the appeals' desks, ``infocenter.discussion`` for
moderation, ``analytics.access`` for the leadership pages, ``projects.access`` for projects),
so a menu link and the page it opens cannot disagree. The pages' views ask through
``require(request, "desk")`` and the templates read the same answers from the ``doors`` context
(``{% if doors.desk %}``); where an act is not the user's role, a page explains instead of
linking to a 403 (a staff member on a ballot). What this module adds of its own is only how the
screens present the answers: residents' acts are offered to anonymous visitors too (signing in
comes first), and the reasons said instead of a link."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from analytics.access import is_leader
from geoportal.roles import has_role, role_of
from infocenter.discussion import can_moderate
from issues.access import DESK_ROLES, QUEUE_ROLES
from issues.access import REFUSED as APPEAL_PAGES_REFUSED
from projects.access import can as project_can
from projects.access import may_open_office


def _signed_in(user: Any) -> bool:
    return role_of(user) is not None


def _citizen_act(act: str) -> Callable[[Any], bool]:
    """A resident's act on a project: offered to anonymous visitors too (signing in comes
    first), never to a staff account, which the view would refuse."""
    return lambda user: role_of(user) is None or project_can(user, act)


# door -> who may go through it. Pages first, then acts shown as buttons on pages.
DOORS: dict[str, Callable[[Any], bool]] = {
    "report": _signed_in,
    "my": _signed_in,
    "notifications": _signed_in,
    "queue": lambda user: has_role(user, *QUEUE_ROLES),
    "desk": lambda user: has_role(user, *DESK_ROLES),
    "moderation": can_moderate,
    "leadership": is_leader,
    "project_office": may_open_office,
    "project_score": lambda user: project_can(user, "score"),
    "project_submit": _citizen_act("submit"),
    "project_vote": _citizen_act("vote"),
    "project_support": _citizen_act("support"),
}

# Why a signed-in user may not go through a door: said on the page instead of a link to a 403.
WHY_NOT: dict[str, Any] = {
    "project_vote": _("Голосуют жители со своей учётной записью гражданина: служебная учётная запись в голосовании "
                      "не участвует."),
    "project_submit": _("Проекты предлагают жители со своей учётной записью гражданина; служебная учётная запись "
                        "проектов не подаёт."),
    "project_support": _("Поддерживают проекты жители со своей учётной записью гражданина."),
}
REFUSED: dict[str, Any] = {
    **APPEAL_PAGES_REFUSED,
    "moderation": _("Стол модератора доступен модераторам."),
    "leadership": _("Страница доступна руководству и администраторам."),
}


def may(user: Any, door: str) -> bool:
    return DOORS[door](user)


def require(request: HttpRequest, door: str) -> None:
    """The view's check: 403 with the reason when the user may not open ``door``."""
    if not may(request.user, door):
        raise PermissionDenied(str(REFUSED.get(door, _("Доступ запрещён."))))


class Doors:
    """What templates read as ``doors.<name>`` (computed once per request) and
    ``doors.why.<name>`` (the reason shown instead of a link)."""

    def __init__(self, user: Any) -> None:
        self._user = user
        self._known: dict[str, bool] = {}
        self.why = {door: str(text) for door, text in WHY_NOT.items()}

    def __getitem__(self, door: str) -> bool:
        if door not in DOORS:
            raise KeyError(door)
        if door not in self._known:
            self._known[door] = may(self._user, door)
        return self._known[door]

    def __contains__(self, door: object) -> bool:
        return door in DOORS


def doors(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``doors`` for every template."""
    return {"doors": Doors(getattr(request, "user", None))}
