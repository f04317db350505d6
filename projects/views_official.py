"""Officials' pages of initiative projects (server-rendered in the portal's shell). Who may
open each (``projects.access`` decides; anonymous visitors are sent to sign in, other roles
get 403):

- ``/projects/review/`` and ``/projects/<id>/review/`` — admissibility and feasibility review:
  operators and agency heads (act "review");
- ``/projects/cycles/<id>/commission/`` and ``/projects/<id>/score/`` — commission scoring by
  the rubric: leadership and agency heads (act "score");
- ``/projects/monitoring/`` and ``/projects/<id>/monitoring/`` — implementation: operators,
  contractors' executors and agency heads (acts "implement" and "answer_report"); executors and
  agency heads see and write only projects of their agency (or its subordinate agencies), plus
  a selected project without an agency to start it for their own agency; operators see all.

Thin views: parse the form (``projects.forms_official``), call the action, show its field
errors (400) or conflict (409). The commission's pages are in ``views_commission.py``, the
monitoring pages in ``views_monitoring.py``; this module holds the start page, the review and
the private files, and the check the three share (``require_act``)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from geoportal.storage import private_file_response

from . import actions
from .access import OFFICE_ACTS, can, may_monitor, may_open_office, monitoring_agency_ids
from .forms import form_errors
from .forms_official import ReviewForm
from .models import (
    BudgetCycle,
    ControlReport,
    ControlReportStatus,
    PhaseKind,
    Project,
    ProjectStatus,
)

IMPLEMENTATION_STATUSES = (ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


def require_act(request: HttpRequest, act: str) -> None:
    if not can(request.user, act):
        raise PermissionDenied(_("Эта страница доступна только должностным лицам с правом на это действие"))


def attempt(call: Callable[[], Any]) -> tuple[Any, dict[str, list[str]], int]:
    """Run an official's action: (its result, {}, 200), or (None, the errors, 400) for bad input,
    (None, the conflict, 409) for a wrong state."""
    try:
        return call(), {}, 200
    except ValidationError as exc:
        return None, field_errors(exc), 400
    except actions.Conflict as exc:
        return None, {"__all__": [str(exc)]}, 409


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"__all__": list(exc.messages)}


# --- the officials' start page ------------------------------------------------------------------

@login_required
def office(request: HttpRequest) -> HttpResponse:
    """Links to the pages the signed-in official may open, with the contests and what waits."""
    if not may_open_office(request.user):
        raise PermissionDenied(_("Эта страница доступна только должностным лицам"))
    acts = {act: can(request.user, act) for act in OFFICE_ACTS}
    cycles = (BudgetCycle.objects.filter(rubric__isnull=False).annotate(
        waiting=Count("projects", filter=Q(projects__status=ProjectStatus.SUBMITTED)),
        admitted=Count("projects", filter=Q(projects__status=ProjectStatus.FEASIBLE))).order_by("-created_at")[:20]
        if acts["score"] else [])
    allowed = monitoring_agency_ids(request.user)
    mine = Q() if allowed is None else Q(implementing_agency__in=allowed)
    counts = {
        "waiting": Project.objects.filter(status=ProjectStatus.SUBMITTED).count() if acts["review"] else 0,
        "implementing": Project.objects.filter(mine, status__in=IMPLEMENTATION_STATUSES).count()
        if acts["implement"] else 0,
        "open_reports": ControlReport.objects.filter(status=ControlReportStatus.NEW,
                                                     project__in=Project.objects.filter(mine)).count()
        if acts["implement"] else 0,
    }
    return render(request, "projects/official_office.html", {"acts": acts, "cycles": cycles, **counts})


# --- review -------------------------------------------------------------------------------------

@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """Projects waiting for the admissibility and feasibility review, by contest."""
    require_act(request, "review")
    waiting = (Project.objects.filter(status=ProjectStatus.SUBMITTED).select_related("cycle", "heading")
               .order_by("cycle_id", "submitted_at", "id"))
    by_cycle: dict[BudgetCycle, list[Project]] = defaultdict(list)
    for project in waiting:
        by_cycle[project.cycle].append(project)
    cycles = [{"cycle": cycle, "open": cycle.open_phase(PhaseKind.REVIEW) is not None, "projects": projects}
              for cycle, projects in by_cycle.items()]
    return render(request, "projects/official_review_list.html", {"cycles": cycles})


@login_required
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One project's review: feasible or not (an explanation is required for "not"), the
    reviewed price."""
    require_act(request, "review")
    project = get_object_or_404(Project.objects.select_related("cycle", "heading", "district"), pk=pk)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    errors, status = (form_errors(form), 400) if form.is_bound else ({}, 200)
    if form.is_valid():
        data = form.cleaned_data
        _done, errors, status = attempt(lambda: actions.do_review_project(
            project, actor=request.user, feasible=data["feasible"] == "yes", explanation=data["explanation"],
            reviewed_price=data["reviewed_price"]))
        if not errors:
            messages.success(request, _("Заключение по проекту «%(title)s» сохранено") % {"title": project.title})
            return redirect("project-review-list")
    return render(request, "projects/official_review.html", {
        "project": project, "cost_items": project.cost_items.all(), "form": form.data, "errors": errors,
        "review_open": project.cycle.open_phase(PhaseKind.REVIEW) is not None,
        "unanswered_questions": _unanswered_questions(project),
    }, status=status)


def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The residents' meeting minutes of a project (they name residents): only officials who
    review projects (``review``); everyone else, signed in or not, gets 403. Never cached."""
    require_act(request, "review")
    project = get_object_or_404(Project.objects.only("id", "meeting_minutes"), pk=pk)
    if not project.meeting_minutes:
        raise Http404(_("К проекту не приложен протокол"))
    name = project.meeting_minutes.name
    ext = name.rsplit(".", 1)[-1].lower()
    content_type = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}.get(
        ext, "application/octet-stream")
    try:
        # On object storage: a redirect to a short-lived signed URL (geoportal.storage).
        return private_file_response(project.meeting_minutes, f"protokol-proekta-{project.pk}.{ext}", content_type)
    except FileNotFoundError as exc:
        raise Http404(_("Файл протокола недоступен")) from exc


def control_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A resident's control-report photo (it may show the resident or their home): the
    officials who monitor the project's implementation (``may_monitor``: an executor or agency
    head of another agency does not) and the report's author; 404 for everyone else, as for a
    report without a photo. Never cached."""
    report = (ControlReport.objects.filter(pk=pk).select_related("project")
              .only("id", "photo", "author_id", "project__implementing_agency_id").first())
    user: Any = request.user
    allowed = report is not None and user.is_authenticated and (
        report.author_id == user.pk or may_monitor(user, report.project.implementing_agency_id))
    if report is None or not allowed or not report.photo:
        raise Http404
    try:
        handle = report.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _unanswered_questions(project: Project) -> int | None:
    """Residents' questions to officials on the project still without an official answer."""
    if not apps.is_installed("infocenter"):
        return None
    comment = apps.get_model("infocenter", "Comment")
    return int(comment.objects.filter(kind="project", target_id=project.pk, is_question=True, is_hidden=False,
                                      answered_at__isnull=True).count())
