"""Residents' pages of initiative budgeting (server-rendered in the portal shell). Who may open each:

- ``/projects/`` list and map of the current cycle's public projects with filters — anyone;
- ``/projects/<id>/`` project page — anyone for a public project (drafts 404); it shows no
  author, initiative group member, supporter or voter (only the group's size);
- ``/projects/<id>/support/`` (POST) — signed-in citizens in the support phase, once;
- ``/projects/<id>/control/`` and ``/projects/<id>/withdraw/`` (POST) — a resident's report on
  the works; the author takes a project back (see each view).

Submitting a project is in ``pages_submit.py``, the ballot and the results in ``pages_ballot.py``.

Every write calls ``projects.actions`` (phase gates, role checks, validation live there)."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from geoportal.converters import query_id

from . import actions
from .access import can
from .forms import CATEGORY_LABELS, ControlReportForm, WithdrawForm
from .models import (
    PRIVATE_NOTE_EVENTS,
    PUBLIC_STATUSES,
    BudgetCycle,
    ControlReportKind,
    ControlReportStatus,
    Milestone,
    Phase,
    PhaseKind,
    Project,
    ProjectStatus,
    SelectionRun,
    Support,
)
from .need import DEFAULT_RADIUS_M, RELATED_CATEGORIES

EVENT_LABELS: dict[str, Any] = {
    "submit": _("Проект подан"),
    "review": _("Проверка допустимости и реализуемости"),
    "selection": _("Итоги отбора"),
    "start": _("Начата реализация"),
    "milestone": _("Этап реализации"),
    "complete": _("Проект реализован"),
    "import": _("Загружен из открытых данных (Pabulib)"),
    "withdraw": _("Проект отозван"),
    "photo": _("Добавлено фото работ"),
    "expense": _("Оплата работ"),
    "control_answer": _("Ответ на отчёт жителя о ходе работ"),
    "control_appeal": _("Отчёт жителя о ходе работ передан как обращение"),
}
# an official's answer to a resident's report may address the resident: the fact is public, the text is not
SILENT_EVENTS = PRIVATE_NOTE_EVENTS
STAGE_SHORT: dict[str, Any] = {
    ProjectStatus.SUBMITTED: _("подан"), ProjectStatus.FEASIBLE: _("допущен"), ProjectStatus.SELECTED: _("отобран"),
    ProjectStatus.IN_PROGRESS: _("строится"), ProjectStatus.COMPLETED: _("готов"),
}
STAGE_ORDER = [ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE, ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS,
               ProjectStatus.COMPLETED]
CONTROL_STATUSES = (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)
LIST_PAGE_SIZE = 24
MAP_LIMIT = 2000


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code or "—"))


def _geojson(geometry: GEOSGeometry | None) -> Any:
    return json.loads(geometry.geojson) if geometry is not None else None


# --- cycle -------------------------------------------------------------------------------------

def open_cycles(kind: str | None = None, now: dt.datetime | None = None) -> QuerySet[BudgetCycle]:
    now = now or timezone.now()
    phase = Q(phases__starts_at__lte=now, phases__ends_at__gt=now)
    if kind:
        phase &= Q(phases__kind=kind)
    return BudgetCycle.objects.filter(phase).distinct()


def current_cycle(request: HttpRequest) -> BudgetCycle | None:
    """The cycle asked for (``?cycle=``), else the newest with an open phase, else the newest."""
    asked = query_id(request.GET.get("cycle"))
    if asked is not None:
        return get_object_or_404(BudgetCycle, pk=asked)
    return (open_cycles().order_by("-created_at", "-id").first()
            or BudgetCycle.objects.order_by("-created_at", "-id").first())


def phase_rows(cycle: BudgetCycle, now: dt.datetime) -> list[dict[str, Any]]:
    return [{"kind": p.kind, "label": p.get_kind_display(), "starts_at": p.starts_at, "ends_at": p.ends_at,
             "open": p.starts_at <= now < p.ends_at, "past": p.ends_at <= now} for p in cycle.phases.all()]


# --- list --------------------------------------------------------------------------------------

def project_list(request: HttpRequest) -> HttpResponse:
    """Anyone: the current cycle's public projects as cards and on a map, with filters."""
    cycle = current_cycle(request)
    now = timezone.now()
    context: dict[str, Any] = {"cycle": cycle, "cycles": BudgetCycle.objects.order_by("-created_at", "-id")[:50]}
    if cycle is None:
        return render(request, "projects/list.html", context)
    projects = Project.objects.public().filter(cycle=cycle).select_related("heading", "district")
    heading, status, category = request.GET.get("heading", ""), request.GET.get("status", ""), \
        request.GET.get("category", "")
    if (heading_id := query_id(heading)) is not None:
        projects = projects.filter(heading_id=heading_id)
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    if category:
        projects = projects.filter(category=category)
    projects = projects.order_by("-supports_count", "-tally", "id")
    features = [{"type": "Feature", "geometry": _geojson(p.geometry),
                 "properties": {"id": p.pk, "title": p.title, "status": p.status, "label": p.get_status_display(),
                                "cost": actions.money(p.cost)}}
                for p in projects[:MAP_LIMIT] if p.geometry is not None]
    page = Paginator(projects, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    headings = list(cycle.headings.select_related("district").annotate(
        public_projects=Count("projects", filter=Q(projects__status__in=PUBLIC_STATUSES))))
    runs = set(SelectionRun.objects.filter(heading__cycle=cycle).values_list("heading_id", flat=True))
    open_kinds = set(cycle.current_phases(now))
    categories = sorted({c for c in Project.objects.public().filter(cycle=cycle).values_list("category", flat=True)
                         if c}, key=category_label)
    query = request.GET.copy()
    query.pop("page", None)
    context.update({
        "page": page, "features": {"type": "FeatureCollection", "features": features},
        "headings": [{"heading": h, "has_results": h.pk in runs} for h in headings],
        "phases": phase_rows(cycle, now), "voting_open": PhaseKind.VOTING in open_kinds,
        "submission_open": PhaseKind.SUBMISSION in open_kinds,
        "statuses": [(s, ProjectStatus(s).label) for s in ProjectStatus.values if s != ProjectStatus.DRAFT],
        "categories": [(c, category_label(c)) for c in categories],
        "selected": {"heading": heading, "status": status, "category": category},
        "query": query.urlencode(), "total": page.paginator.count,
    })
    return render(request, "projects/list.html", context)


def closed(request: HttpRequest, title: Any, message: Any, phases: list[Phase] | None = None) -> HttpResponse:
    return render(request, "projects/closed.html", {"title": title, "message": message, "phases": phases or []},
                  status=403)


# --- project page ------------------------------------------------------------------------------

def _milestone_tree(project: Project) -> list[dict[str, Any]]:
    children: dict[int | None, list[Milestone]] = defaultdict(list)
    for milestone in project.milestones.all():
        children[milestone.parent_id].append(milestone)

    def node(m: Milestone) -> dict[str, Any]:
        return {"m": m, "children": [node(c) for c in children.get(m.pk, [])]}

    return [node(m) for m in children.get(None, [])]


def _timeline(project: Project) -> list[dict[str, Any]]:
    rows = []
    for event in project.events.all():
        if event.kind in ("create", "score", "control_report"):
            continue  # the draft, the commission's sheets and residents' own reports are not the project's stages
        label = EVENT_LABELS.get(event.kind, event.kind)
        note = "" if event.kind in SILENT_EVENTS else event.note
        if event.kind == "expense" and event.data.get("amount"):
            note = f"{actions.money(Decimal(event.data['amount']))} ₽"
        if event.kind == "milestone":
            status = event.data.get("status", "")
            overall = event.data.get("project_progress", "")
            note = f"{event.note}: {_milestone_label(status)}"
            if overall:
                note += "; " + gettext("проект выполнен на %(p)s%%") % {
                    "p": Decimal(overall).quantize(Decimal("1"))}
        # the outcome of a review or a selection is the new status; other events name it already
        outcome = event.kind in ("review", "selection") and event.to_status
        rows.append({"at": event.created_at, "label": label, "note": note,
                     "to": ProjectStatus(event.to_status).label if outcome else ""})
    return rows


def _milestone_label(status: str) -> str:
    from .models import MilestoneStatus

    return str(MilestoneStatus(status).label) if status in MilestoneStatus.values else status


def _public_project(pk: int) -> Project:
    return get_object_or_404(
        Project.objects.public().select_related("cycle", "heading", "district").prefetch_related(
            "cost_items", "photos", "events", "milestones"), pk=pk)


def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone, for a public project (drafts 404). No personal data of the author, the group,
    supporters or voters reaches this page."""
    return _render_project(request, _public_project(pk))


def _render_project(request: HttpRequest, project: Project, *, forms: dict[str, dict[str, Any]] | None = None,
                    status: int = 200) -> HttpResponse:
    """The project page; ``forms``: {"control"|"withdraw": {"errors": ..., "text": ...}} of a
    refused form, shown again beside it."""
    forms = forms or {}
    control, withdraw = forms.get("control", {}), forms.get("withdraw", {})
    now = timezone.now()
    user: Any = request.user
    cost = project.cost
    shares = [
        (_("Инициативные платежи жителей"), project.cofinancing_residents),
        (_("Инициативные платежи бизнеса"), project.cofinancing_business),
        (_("Средства местного бюджета"), project.cofinancing_local_budget),
        (_("Трудовое и неденежное участие"), project.inkind_labour),
    ]
    others = sum((value for _label, value in shares), Decimal(0))
    cofinancing = [{"label": label, "amount": value, "percent": (value / cost * 100) if cost else Decimal(0)}
                   for label, value in shares if value]
    support_open = (project.cycle.open_phase(PhaseKind.SUPPORT, now) is not None
                    and project.status in (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE))
    supported = bool(user.is_authenticated and Support.objects.filter(project=project, user=user).exists())
    spent = actions.spent(project)
    voting_open = project.cycle.open_phase(PhaseKind.VOTING, now) is not None and \
        project.status in (ProjectStatus.FEASIBLE,)
    photos = list(project.photos.all())
    may_withdraw = project.status in actions.WITHDRAWABLE and actions.may_withdraw(project, user)
    return render(request, "projects/detail.html", {
        "project": project, "category": category_label(project.category), "cost": cost,
        "cost_items": list(project.cost_items.all()), "cofinancing": cofinancing,
        "requested": max(cost - others, Decimal(0)),
        "group_size": project.group_members.count(), "timeline": _timeline(project),
        "milestones": _milestone_tree(project), "photos": photos, "spent": spent,
        "spent_percent": (spent / project.contract_amount * 100) if project.contract_amount else None,
        "stage_index": _stage_index(project.status), "stages": [(s, STAGE_SHORT[s]) for s in STAGE_ORDER],
        "support_open": support_open, "supported": supported, "may_support": can(user, "support"),
        "voting_open": voting_open, "need_radius": int(DEFAULT_RADIUS_M),
        "need_categories": RELATED_CATEGORIES.get(project.category, ()),
        "geometry": _geojson(project.geometry),
        "photo_points": [{"lat": p.location.y, "lon": p.location.x, "caption": p.caption} for p in photos
                         if p.location is not None],
        "has_results": SelectionRun.objects.filter(heading=project.heading).exists(),
        "control_open": project.status in CONTROL_STATUSES, "may_report": can(user, "control_report"),
        "control_kinds": ControlReportKind.choices, "control_errors": control.get("errors", {}),
        "control_text": control.get("text", ""),
        "may_withdraw": may_withdraw,
        "withdraw_refusal": actions.withdraw_refusal(project, now) if may_withdraw else None,
        "withdraw_errors": withdraw.get("errors", {}),
        "withdraw_reason": withdraw.get("text", ""), "withdraw_max": actions.WITHDRAW_REASON_MAX,
        "reports": project.control_reports.aggregate(
            total=Count("id"), answered=Count("id", filter=~Q(status=ControlReportStatus.NEW))),
    }, status=status)


def _page_form(request: HttpRequest, project: Project, form: str, text: str, call: Any) -> HttpResponse | None:
    """Run the action behind one of the project page's forms; on bad input the page again with
    the errors beside that form (400), on a conflict with its message (409); None when done."""
    try:
        call()
    except ValidationError as exc:
        errors, status = {name: [str(m) for m in found] for name, found in exc.message_dict.items()}, 400
    except actions.Conflict as exc:
        errors, status = {"general": [str(exc)]}, 409
    else:
        return None
    return _render_project(request, project, forms={form: {"errors": errors, "text": text}}, status=status)


@login_required
@require_POST
def project_control(request: HttpRequest, pk: int) -> HttpResponse:
    """Signed-in citizens, for a project being built or finished: a report on the works (what is
    wrong, optional photo) through ``actions.do_submit_control_report``; officials answer it or file
    it as an appeal. Staff 403; bad input 400 on the project page; wrong stage 409."""
    project = _public_project(pk)
    form = ControlReportForm(request.POST, request.FILES)
    form.is_valid()  # every field is optional: the action checks the text and the kind
    data = form.cleaned_data
    refused = _page_form(request, project, "control", data["text"], lambda: actions.do_submit_control_report(
        project, author=request.user, text=data["text"], kind=data["kind"] or ControlReportKind.QUALITY,
        photo=data["photo"]))
    if refused is not None:
        return refused
    messages.success(request, gettext("Спасибо! Отчёт передан ответственным, ответ придёт в уведомления."))
    return HttpResponseRedirect(reverse("project-page", args=[pk]) + "#control")


@login_required
@require_POST
def project_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's author (or an administrator): takes a published project back before voting,
    with a public reason, through ``actions.do_withdraw_project``. Anyone else 403; no reason or too
    long 400 on the project page; too late (on a ballot, voting open, selected) 409."""
    project = _public_project(pk)
    form = WithdrawForm(request.POST)
    form.is_valid()  # the reason is checked by the action (required, at most WITHDRAW_REASON_MAX)
    reason = form.cleaned_data["reason"]
    refused = _page_form(request, project, "withdraw", reason,
                         lambda: actions.do_withdraw_project(project, actor=request.user, reason=reason))
    if refused is not None:
        return refused
    messages.success(request, gettext("Проект отозван. Подписчики проекта получат уведомление."))
    return HttpResponseRedirect(reverse("project-page", args=[pk]))


def _stage_index(status: str) -> int:
    if status in STAGE_ORDER:
        return STAGE_ORDER.index(ProjectStatus(status))
    if status == ProjectStatus.NOT_SELECTED:
        return STAGE_ORDER.index(ProjectStatus.SELECTED)
    if status == ProjectStatus.UNFEASIBLE:
        return STAGE_ORDER.index(ProjectStatus.FEASIBLE)
    return 0


@login_required
@require_POST
def project_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Signed-in citizens in the support phase, once per project (the action decides)."""
    project = get_object_or_404(Project.objects.public(), pk=pk)
    try:
        project = actions.do_support_project(project, actor=request.user)
    except actions.Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Спасибо! Вы поддержали проект. Поддержали: %(n)s")
                         % {"n": project.supports_count})
    return HttpResponseRedirect(reverse("project-page", args=[pk]) + "#support")
