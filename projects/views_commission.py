"""The competition commission's pages (act "score": leadership and agency heads;
``projects/views_official.py`` says how refusals look): the rubric with every project's
breakdown, total, need score and rank, each member's sheet, and the recount of appeals near
the projects."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import actions, need
from .forms_official import ScoreForm
from .models import BudgetCycle, CommissionScore, CriterionKind, PhaseKind, Project, ProjectStatus
from .views_official import attempt, require_act


@login_required
def commission_page(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The rubric (criteria, weights, tier tables), each project's breakdown and total with its
    need score, the ranking, the signed-in member's own sheet and every member's sheet."""
    require_act(request, "score")
    cycle = get_object_or_404(BudgetCycle.objects.select_related("rubric"), pk=cycle_id)
    rubric = cycle.rubric
    criteria = list(rubric.criteria.prefetch_related("tiers")) if rubric else []
    manual = [c for c in criteria if c.kind == CriterionKind.MANUAL]
    projects = list(cycle.projects.filter(status__in=(ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE))
                    .select_related("heading", "district", "cycle__rubric"))
    sheets: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)  # (project, member) -> code: points
    points: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))  # project -> criterion
    members: dict[int, Any] = {}
    for score in (CommissionScore.objects.filter(project__in=projects).select_related("member", "criterion")
                  .order_by("member_id")):
        sheets[(score.project_id, score.member_id)][score.criterion.code] = score.points
        points[score.project_id][score.criterion_id].append(score.points)
        members[score.member_id] = score.member
    rows: list[dict[str, Any]] = []
    for project in projects:
        breakdown = actions.score_breakdown(project, criteria=criteria, manual_points=points[project.pk])
        total = sum((row["weighted"] for row in breakdown), Decimal(0))
        mine = sheets.get((project.pk, request.user.pk or 0), {})
        rows.append({
            "project": project, "breakdown": breakdown, "total": total,
            "mine": [{"criterion": c, "points": mine.get(c.code, "")} for c in manual],
            "members": [{"member": members[m], "points": [sheets[(project.pk, m)].get(c.code) for c in manual]}
                        for m in members if (project.pk, m) in sheets],
        })
    rows.sort(key=lambda r: (-r["total"], -(r["project"].need_score or 0), r["project"].pk))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return render(request, "projects/official_commission.html", {
        "cycle": cycle, "rubric": rubric, "criteria": criteria, "manual": manual, "rows": rows,
        "scoring_open": cycle.open_phase(PhaseKind.SCORING) is not None,
        "need_kind": CriterionKind.NEED_SCORE, "manual_kind": CriterionKind.MANUAL,
        "need_radius": int(need.DEFAULT_RADIUS_M),
    })


@login_required
def need_refresh(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """POST only: recount the appeals near each project of the contest."""
    require_act(request, "score")
    cycle = get_object_or_404(BudgetCycle, pk=cycle_id)
    if request.method == "POST":
        changed = actions.do_refresh_cycle_need_scores(cycle, actor=request.user)
        messages.success(request, _("Обращения рядом пересчитаны; изменилось у проектов: %(n)s") % {"n": changed})
    return redirect("project-commission", cycle_id=cycle.pk)


@login_required
def score_page(request: HttpRequest, pk: int) -> HttpResponse:
    """POST only: the signed-in member's sheet for one project."""
    require_act(request, "score")
    project = get_object_or_404(Project.objects.select_related("cycle__rubric"), pk=pk)
    if request.method != "POST":
        return redirect("project-commission", cycle_id=project.cycle_id)
    form = ScoreForm(request.POST, project=project)
    errors, status = form.sheet_errors(), 400
    if form.is_valid():
        _done, errors, status = attempt(lambda: actions.do_score_project(
            project, member=request.user, scores=form.scores(), comment=form.cleaned_data["comment"]))
        if not errors:
            messages.success(request, _("Оценка проекта «%(title)s» сохранена") % {"title": project.title})
            return redirect(f"/projects/cycles/{project.cycle_id}/commission/#project-{project.pk}")
    return render(request, "projects/official_form_errors.html", {
        "project": project, "errors": errors, "back": f"/projects/cycles/{project.cycle_id}/commission/",
    }, status=status)
