"""Implementation monitoring (acts "implement" and "answer_report": operators, contractors'
executors and agency heads; executors and agency heads see and write only projects of their
agency or its subordinate agencies, plus a selected project without an agency to start it for
their own agency; operators see all): the list of selected, implementing and finished projects,
and one project's contract, stages, expenses, geotagged photos and residents' control reports.

Each of the page's eight forms is a Django form (``projects.forms_official``) and one action."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from geoportal.models import Agency

from . import actions
from . import forms_official as forms
from .access import may_monitor, monitoring_agency_ids
from .forms import form_errors
from .models import ControlReportStatus, Expense, Milestone, MilestoneStatus, Project, ProjectStatus
from .views_official import IMPLEMENTATION_STATUSES, attempt, require_act


@login_required
def monitoring_list(request: HttpRequest) -> HttpResponse:
    """Selected, implementing and finished projects with progress, money and open reports."""
    require_act(request, "implement")
    projects = Project.objects.filter(status__in=IMPLEMENTATION_STATUSES)
    allowed = monitoring_agency_ids(request.user)
    if allowed is not None:  # own agencies' works, and selected projects nobody has started yet
        projects = projects.filter(Q(implementing_agency__in=allowed)
                                   | Q(implementing_agency__isnull=True, status=ProjectStatus.SELECTED))
    # the money in a subquery: summed over a join with the reports, each payment would count once
    # per report (and a DISTINCT sum drops a second payment of the same amount)
    spent = (Expense.objects.filter(project=OuterRef("pk")).order_by().values("project")
             .annotate(total=Sum("amount")).values("total"))
    projects = (projects.select_related("cycle", "heading", "implementing_agency")
                .annotate(spent_total=Subquery(spent),
                          open_reports=Count("control_reports", filter=Q(control_reports__status="new")))
                .order_by("status", "cycle_id", "title"))
    return render(request, "projects/official_monitoring_list.html", {"projects": projects})


@login_required
def monitoring_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Contract, stages with status and percent, expenses, geotagged photos and residents'
    control reports (answer, or file as an appeal to the responsible agency)."""
    require_act(request, "implement")
    project = get_object_or_404(Project.objects.select_related("cycle", "heading", "district", "implementing_agency"),
                                pk=pk)
    unassigned_start = project.implementing_agency_id is None and project.status == ProjectStatus.SELECTED
    if not unassigned_start and not may_monitor(request.user, project.implementing_agency_id):
        raise PermissionDenied(_("Проект реализует другое ведомство"))
    errors: dict[str, list[str]] = {}
    form_name = ""
    status = 200
    if request.method == "POST":
        form_name = request.POST.get("form", "")
        done, errors, status = attempt(lambda: _monitoring_post(request, project, form_name))
        if not errors:
            messages.success(request, done)
            return redirect("project-monitoring", pk=project.pk)
        project.refresh_from_db()
    milestones = list(project.milestones.all())
    children: dict[int | None, list[Milestone]] = defaultdict(list)
    for milestone in milestones:
        children[milestone.parent_id].append(milestone)
    tree = [{"milestone": m, "children": children.get(m.pk, [])} for m in children.get(None, [])]
    reports = list(project.control_reports.select_related("answered_by"))
    appeal_numbers = _appeal_numbers([r.appeal_id for r in reports if r.appeal_id])
    for report in reports:
        report.appeal_number = appeal_numbers.get(report.appeal_id or 0, "")  # type: ignore[attr-defined]
    spent = actions.spent(project)
    return render(request, "projects/official_monitoring.html", {
        "project": project, "tree": tree, "leaves": [m for m in milestones if not children.get(m.pk)],
        "statuses": MilestoneStatus.choices, "expenses": project.expenses.all(), "spent": spent,
        "left": (project.contract_amount - spent) if project.contract_amount is not None else None,
        "photos": project.photos.select_related("milestone").order_by("-taken_at", "-id"),
        "reports": reports, "categories": _appeal_categories(), "errors": errors, "form_name": form_name,
        "post": request.POST if request.method == "POST" else {},
        "can_start": project.status == ProjectStatus.SELECTED, "agencies": _start_agencies(request.user),
        "implementing": project.status in (ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS),
        "report_new": ControlReportStatus.NEW, "report_escalated": ControlReportStatus.ESCALATED,
        "photo_map": [{"lat": p.location.y, "lon": p.location.x, "caption": p.caption, "url": p.image.url}
                      for p in project.photos.exclude(location=None) if p.location is not None],
    }, status=status)


def _start(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_start_implementation(project, actor=user, contractor=data["contractor"],
                                 contract_number=data["contract_number"], contract_amount=data["contract_amount"],
                                 agency=data["agency"])
    return _("Реализация начата, контракт записан")


def _milestone_add(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_add_milestone(project, actor=user, title=data["title"], weight=data["weight"], parent=data["parent"],
                          starts_on=data["starts_on"], due_on=data["due_on"])
    return _("Этап добавлен")


def _milestone_update(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_update_milestone(data["milestone"], actor=user, status=data["status"], progress=data["progress"])
    return _("Ход этапа обновлён")


def _expense(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_record_expense(project, actor=user, amount=data["amount"], paid_on=data["paid_on"],
                           description=data["description"], document=data["document"])
    return _("Расход записан")


def _photo(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    location = Point(float(data["lon"]), float(data["lat"]), srid=4326) \
        if data["lat"] is not None and data["lon"] is not None else None
    actions.do_add_project_photo(project, actor=user, upload=data["photo"], caption=data["caption"],
                              location=location, milestone=data["milestone"])
    return _("Фотография добавлена")


def _answer(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_answer_control_report(data["report"], actor=user, answer=data["answer"])
    return _("Ответ жителю отправлен")


def _file(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_file_control_report(data["report"], actor=user, category=data["category"], note=data["note"])
    return _("Отчёт передан как обращение")


def _complete(project: Project, user: Any, data: dict[str, Any], files: Any) -> str:
    actions.do_complete_project(project, actor=user)
    return _("Проект отмечен как реализованный")


# the page's forms (the hidden input "form"): the Django form that parses one, and the action it asks for
MONITORING_FORMS: dict[str, tuple[type[django_forms.Form], Callable[[Project, Any, dict[str, Any], Any], str]]] = {
    "start": (forms.StartForm, _start), "milestone_add": (forms.MilestoneAddForm, _milestone_add),
    "milestone_update": (forms.MilestoneUpdateForm, _milestone_update), "expense": (forms.ExpenseForm, _expense),
    "photo": (forms.PhotoForm, _photo), "answer": (forms.AnswerForm, _answer), "file": (forms.FileReportForm, _file),
    "complete": (forms.CompleteForm, _complete),
}


def _monitoring_post(request: HttpRequest, project: Project, name: str) -> str:
    """Parse the monitoring form ``name`` and run its action; the message for the official."""
    if name not in MONITORING_FORMS:
        raise ValidationError({"form": [_("Неизвестная форма")]})
    form_class, act = MONITORING_FORMS[name]
    form = form_class(request.POST, request.FILES, project=project)  # type: ignore[call-arg]
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return act(project, request.user, form.cleaned_data, request.FILES)


def _start_agencies(user: Any) -> list[Agency]:
    """Agencies the official may name on the start form: all active ones for operators, their
    own (and subordinate) agencies for executors and agency heads."""
    allowed = monitoring_agency_ids(user)
    agencies = Agency.objects.active().order_by("name")
    return list(agencies if allowed is None else agencies.filter(pk__in=allowed))


def _appeal_categories() -> list[tuple[str, list[Any]]]:
    """Leaf categories of appeals grouped by their parent, for the "file as appeal" form."""
    if not apps.is_installed("issues"):
        return []
    category = apps.get_model("issues", "Category")
    groups: dict[str, list[Any]] = defaultdict(list)
    for leaf in (category.objects.filter(is_active=True, children__isnull=True).select_related("parent")
                 .order_by("parent__name", "name")):
        groups[leaf.parent.name if leaf.parent else ""].append(leaf)
    return list(groups.items())


def _appeal_numbers(ids: list[int]) -> dict[int, str]:
    if not ids or not apps.is_installed("issues"):
        return {}
    appeal = apps.get_model("issues", "Appeal")
    return dict(appeal.objects.filter(pk__in=ids).values_list("id", "number"))
