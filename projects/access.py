"""Who may do what with initiative projects: the one place that decides (views, actions and
tests all ask here)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from geoportal.models import Role
from geoportal.roles import has_role, role_of

from .models import BallotChoice, PhaseKind, Project, ProjectStatus

# act -> roles allowed (administrators may do everything)
ACT_ROLES: dict[str, frozenset[str]] = {
    # residents propose, support and vote; staff accounts do not vote with their office
    "submit": frozenset({Role.CITIZEN}),
    "support": frozenset({Role.CITIZEN}),
    "vote": frozenset({Role.CITIZEN}),
    "control_report": frozenset({Role.CITIZEN}),
    # officials check admissibility and feasibility and enter paper ballots
    "review": frozenset({Role.OPERATOR, Role.AGENCY_HEAD}),
    "paper_ballot": frozenset({Role.OPERATOR}),
    # the competition commission: leadership and heads of agencies
    "score": frozenset({Role.LEADER, Role.AGENCY_HEAD}),
    "run_selection": frozenset({Role.LEADER}),
    # implementation: officials and contractors' executors
    "implement": frozenset({Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD}),
    "answer_report": frozenset({Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD}),
    "see_private": frozenset({Role.OPERATOR, Role.AGENCY_HEAD, Role.LEADER}),
}


def can(user: Any, act: str) -> bool:
    return has_role(user, Role.ADMIN, *ACT_ROLES[act])


# the officials' start page (/projects/office/) links to the pages of these acts
OFFICE_ACTS = ("review", "score", "implement")


def may_open_office(user: Any) -> bool:
    """The officials' start page is for whoever may do one of ``OFFICE_ACTS`` (the menu asks too)."""
    return any(can(user, act) for act in OFFICE_ACTS)


# Roles that monitor every project's implementation (the city administration's operators and
# administrators); executors and agency heads only monitor projects of their own agency.
CITY_WIDE_MONITORS = frozenset({Role.OPERATOR, Role.ADMIN})


def monitoring_agency_ids(user: Any) -> list[int] | None:
    """Agencies whose projects ``user`` may monitor: ``None`` means every project (operators,
    administrators); otherwise the agencies of the user's staff memberships and their direct
    subordinate agencies (a parent agency's staff oversee its children's works)."""
    from geoportal.models import Agency

    role = role_of(user)
    if role in CITY_WIDE_MONITORS:
        return None
    if role is None:
        return []
    own = user.agency_ids()
    children = Agency.objects.filter(parent_id__in=own, is_active=True).values_list("id", flat=True)
    return sorted(set(own) | set(children))


def may_monitor(user: Any, agency_id: int | None, act: str = "implement") -> bool:
    """May ``user`` write monitoring data of a project implemented by agency ``agency_id``?
    A project without an agency is written by operators and administrators only."""
    if not can(user, act):
        return False
    allowed = monitoring_agency_ids(user)
    return allowed is None or (agency_id is not None and agency_id in allowed)


# a draft exists only inside do_submit_project's transaction; withdrawing one would publish it
WITHDRAWABLE = (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE)


def may_withdraw(project: Project, actor: Any) -> bool:
    """The author, or an administrator at the author's request."""
    if role_of(actor) is None:
        return False
    return bool(project.author_id == actor.pk or has_role(actor, Role.ADMIN))


def withdraw_refusal(project: Project, now: dt.datetime | None = None) -> str | None:
    """Why ``project`` cannot be withdrawn now, or ``None``: only before it is on a ballot
    someone has filled in, before the district's voting opens for it and before selection."""
    if project.status not in WITHDRAWABLE:
        return _("Проект уже прошёл отбор или закрыт: отозвать его нельзя")
    if BallotChoice.objects.filter(project=project).exists():
        return _("За проект уже голосовали: отозвать его нельзя, обратитесь в администрацию")
    if project.status == ProjectStatus.FEASIBLE and project.cycle.open_phase(PhaseKind.VOTING, now) is not None:
        return _("Голосование по району уже идёт: отозвать проект нельзя, обратитесь в администрацию")
    return None
