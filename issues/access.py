"""Who may see and do what with an appeal: the one place that decides."""
from __future__ import annotations

from typing import Any

from django.http import Http404

from geoportal.models import Role

from .models import Appeal

# transition -> roles that may perform it (agency-bound roles only for their agency)
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    "register": frozenset({Role.OPERATOR, Role.ADMIN}),
    "route": frozenset({Role.OPERATOR, Role.ADMIN}),
    "accept": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "start": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "assign": frozenset({Role.AGENCY_HEAD}),
    "answer": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "redirect": frozenset({Role.OPERATOR, Role.AGENCY_HEAD, Role.ADMIN}),
    "extend": frozenset({Role.AGENCY_HEAD}),
    "reject": frozenset({Role.OPERATOR, Role.MODERATOR, Role.ADMIN}),
    "merge": frozenset({Role.OPERATOR, Role.MODERATOR, Role.ADMIN}),
    "moderate": frozenset({Role.MODERATOR, Role.ADMIN}),
    "note": frozenset({Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD, Role.MODERATOR, Role.ADMIN}),
}
AGENCY_BOUND = frozenset({Role.EXECUTOR, Role.AGENCY_HEAD})


def is_staff_user(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role not in (Role.CITIZEN,)))


def can_see_full(user: Any, appeal: Appeal) -> bool:
    """Full view: personal data of the author, private text, internal notes."""
    return Appeal.objects.visible_to(user).filter(pk=appeal.pk).exists()


def can_transition(user: Any, appeal: Appeal, transition: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    role = Role.ADMIN if user.is_superuser else user.role
    allowed = TRANSITION_ROLES.get(transition, frozenset())
    if role not in allowed:
        return False
    if role in AGENCY_BOUND:
        staff_role = "agency_head" if transition in ("assign", "extend", "redirect") else None
        agencies = user.agency_ids(staff_role) if staff_role else user.agency_ids()
        return appeal.responsible_agency_id in agencies
    return True


def access_appeal(user: Any, appeal_id: int) -> tuple[Appeal, bool]:
    """The appeal and whether the user sees it in full; 404 when they may not see it at all
    (a private appeal is indistinguishable from a missing one)."""
    appeal = (Appeal.objects.select_related("category", "district", "responsible_agency", "author")
              .filter(pk=appeal_id).first())
    if appeal is None:
        raise Http404
    if can_see_full(user, appeal):
        return appeal, True
    if Appeal.objects.public().filter(pk=appeal.pk).exists():
        return appeal, False
    raise Http404
