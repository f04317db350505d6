"""One conflict error for every app: the appeals' and the projects' illegal transitions and the
projects' closed phase are all ``geoportal.exceptions.Conflict``, which the API answers with 409
and the message in the request's language (``geoportal.api.exception_handler``)."""
from __future__ import annotations

from django.utils import translation

from geoportal.api import exception_handler
from geoportal.exceptions import Conflict
from issues.models import IllegalTransition as AppealTransition
from issues.models import Status
from projects.actions import PhaseClosed
from projects.models import BudgetCycle, PhaseKind, ProjectStatus
from projects.models import IllegalTransition as ProjectTransition


def test_both_apps_transition_errors_are_one_conflict_answered_409_in_the_callers_language() -> None:
    refusals = [
        AppealTransition("rate", Status.ROUTED),
        ProjectTransition(ProjectStatus.COMPLETED, ProjectStatus.SUBMITTED),
        PhaseClosed(BudgetCycle(name="Бюджет 2026"), PhaseKind.VOTING),
    ]
    for refusal in refusals:
        assert isinstance(refusal, Conflict)
        response = exception_handler(refusal, {})
        assert response is not None
        assert (response.status_code, response.data) == (409, {"detail": str(refusal)})
    with translation.override("en"):
        english = ProjectTransition(ProjectStatus.COMPLETED, ProjectStatus.SUBMITTED)
    assert "Нельзя" not in str(english)


def test_an_error_that_is_not_a_conflict_is_not_answered_409() -> None:
    class Broken(Exception):
        http_status = 409  # no longer enough: only a Conflict is a conflict

    assert exception_handler(Broken("boom"), {}) is None
