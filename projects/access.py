"""Who may do what with initiative projects: the one place that decides (views, actions and
tests all ask here)."""
from __future__ import annotations

from typing import Any

from geoportal.models import Role

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


def role_of(user: Any) -> str | None:
    if not user or not user.is_authenticated:
        return None
    return str(Role.ADMIN if user.is_superuser else user.role)


def can(user: Any, act: str) -> bool:
    role = role_of(user)
    if role is None:
        return False
    return role == Role.ADMIN or role in ACT_ROLES[act]
