"""Commission scoring by the cycle's rubric, and the need score (appeals near a project)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import need
from ..models import (
    BudgetCycle,
    CommissionScore,
    Criterion,
    CriterionKind,
    PhaseKind,
    Project,
    ProjectEvent,
    ProjectStatus,
    Rubric,
)
from ..queries import score_breakdown
from .base import Conflict, locked, require_phase, require_role


@transaction.atomic
def do_score_project(project: Project | int, *, member: Any, scores: Mapping[str, Decimal | int],
                     comment: str = "", now: dt.datetime | None = None) -> Decimal:
    """A commission member's sheet for the manual criteria; returns the project's new total
    (automatic criteria from the project's data by tier tables + mean of members' points)."""
    require_role(member, "score")
    project = locked(project)
    require_phase(project.cycle, PhaseKind.SCORING, now=now)
    if project.status not in (ProjectStatus.FEASIBLE, ProjectStatus.SUBMITTED):
        raise Conflict(_("Оценивать можно только допущенные к конкурсу проекты"))
    rubric = project.cycle.rubric
    if rubric is None:
        raise Conflict(_("У конкурса нет методики оценки"))
    for criterion, points in validate_scores(rubric, scores):
        CommissionScore.objects.update_or_create(project=project, criterion=criterion, member=member,
                                                 defaults={"points": points, "comment": comment})
    return do_recompute_score(project, actor=member)


def validate_scores(rubric: Rubric, scores: Mapping[str, Decimal | int]) -> list[tuple[Criterion, Decimal]]:
    """A sheet's points checked against the rubric's manual criteria, all errors at once (a
    ``ValidationError`` by criterion code); returns each criterion with its points."""
    manual = {c.code: c for c in rubric.criteria.filter(kind=CriterionKind.MANUAL)}
    errors: dict[str, list[str]] = defaultdict(list)
    sheet: list[tuple[Criterion, Decimal]] = []
    for code, raw in scores.items():
        criterion = manual.get(code)
        try:
            points = Decimal(str(raw))
        except ArithmeticError:
            errors[code].append(_("Баллы — число"))
            continue
        if criterion is None:
            errors[code].append(_("Такого критерия, оцениваемого комиссией, нет"))
        elif not 0 <= points <= criterion.max_points:
            errors[code].append(_("От 0 до {max} баллов").format(max=f"{criterion.max_points.normalize():f}"))
        else:
            sheet.append((criterion, points))
    if errors:
        raise ValidationError(dict(errors))
    return sheet


def do_recompute_score(project: Project, *, actor: Any = None) -> Decimal:
    total = sum((row["weighted"] for row in score_breakdown(project)), Decimal(0))
    project.commission_score = total
    project.save(update_fields=["commission_score"])
    ProjectEvent.objects.create(project=project, actor=actor if getattr(actor, "pk", None) else None, kind="score",
                                data={"total": str(total)})
    return total


def do_refresh_need_score(project: Project, *, now: dt.datetime | None = None) -> int | None:
    """Store the need score (None while the appeals counter is not wired: see projects/need.py)."""
    score = need.need_score(project.geometry, project.category, now=now)
    if score != project.need_score:
        project.need_score = score
        project.save(update_fields=["need_score"])
    return score


IN_CONTEST = (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE)


def _recount_needs(cycle: BudgetCycle, *, actor: Any, now: dt.datetime | None) -> int:
    changed = 0
    for project in (cycle.projects.select_for_update(of=("self",)).select_related("cycle__rubric", "district")
                    .filter(status__in=IN_CONTEST).order_by("id")):
        before = project.need_score
        if do_refresh_need_score(project, now=now) != before:
            changed += 1
            if project.commission_score is not None:
                do_recompute_score(project, actor=actor)
    return changed


@transaction.atomic
def do_refresh_cycle_need_scores(cycle: BudgetCycle, *, actor: Any, now: dt.datetime | None = None) -> int:
    """The commission recounts the appeals near every project still in the contest (new appeals
    keep arriving after the review); totals are recomputed where the count changed. Returns how
    many projects changed."""
    require_role(actor, "score")
    return _recount_needs(cycle, actor=actor, now=now)


def do_refresh_open_need_scores(now: dt.datetime | None = None) -> int:
    """The nightly recount (Celery beat, ``projects.tasks.refresh_need_scores``): the same as the
    commission's button for every cycle with projects still in the contest, one transaction per
    cycle, recorded without an actor. Selected, finished and refused projects keep the score
    they were judged with."""
    changed = 0
    cycles = BudgetCycle.objects.filter(projects__status__in=IN_CONTEST).distinct().order_by("id")
    for cycle in cycles:
        with transaction.atomic():
            changed += _recount_needs(cycle, actor=None, now=now)
    return changed
