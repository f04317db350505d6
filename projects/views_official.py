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

Thin views: parse the form, call the action, show its field errors (400) or conflict (409)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from geoportal.models import Agency
from geoportal.storage import private_file_response

from . import actions, need
from .access import can, may_monitor, monitoring_agency_ids
from .models import (
    BudgetCycle,
    CommissionScore,
    ControlReport,
    ControlReportStatus,
    CriterionKind,
    Milestone,
    MilestoneStatus,
    PhaseKind,
    Project,
    ProjectStatus,
)

IMPLEMENTATION_STATUSES = (ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


def _require(request: HttpRequest, act: str) -> None:
    if not can(request.user, act):
        raise PermissionDenied(_("Эта страница доступна только должностным лицам с правом на это действие"))


def _decimal(value: str, field: str, errors: dict[str, list[str]], *, required: bool = False) -> Decimal | None:
    value = (value or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not value:
        if required:
            errors[field] = [_("Обязательное поле")]
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        errors[field] = [_("Введите число")]
        return None


def _date(value: str, field: str, errors: dict[str, list[str]], *, required: bool = False) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors[field] = [_("Обязательное поле")]
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = [_("Дата в формате ГГГГ-ММ-ДД")]
        return None


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"__all__": list(exc.messages)}


# --- the officials' start page ------------------------------------------------------------------

@login_required
def office(request: HttpRequest) -> HttpResponse:
    """Links to the pages the signed-in official may open, with the contests and what waits."""
    acts = {act: can(request.user, act) for act in ("review", "score", "implement")}
    if not any(acts.values()):
        raise PermissionDenied(_("Эта страница доступна только должностным лицам"))
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
    _require(request, "review")
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
    _require(request, "review")
    project = get_object_or_404(Project.objects.select_related("cycle", "heading", "district"), pk=pk)
    errors: dict[str, list[str]] = {}
    status = 200
    form = {"feasible": "", "explanation": "", "reviewed_price": ""}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        if form["feasible"] not in ("yes", "no"):
            errors["feasible"] = [_("Выберите решение")]
        price = _decimal(form["reviewed_price"], "reviewed_price", errors)
        if not errors:
            try:
                actions.do_review_project(project, actor=request.user, feasible=form["feasible"] == "yes",
                                          explanation=form["explanation"], reviewed_price=price)
            except ValidationError as exc:
                errors = _field_errors(exc)
            except actions.Conflict as exc:
                errors = {"__all__": [str(exc)]}
                status = 409
            else:
                messages.success(request, _("Заключение по проекту «%(title)s» сохранено") % {"title": project.title})
                return redirect("project-review-list")
        status = 409 if status == 409 else 400
    return render(request, "projects/official_review.html", {
        "project": project, "cost_items": project.cost_items.all(), "form": form, "errors": errors,
        "review_open": project.cycle.open_phase(PhaseKind.REVIEW) is not None,
        "unanswered_questions": _unanswered_questions(project),
    }, status=status)


def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The residents' meeting minutes of a project (they name residents): only officials who
    review projects (``review``); everyone else, signed in or not, gets 403. Never cached."""
    _require(request, "review")
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
    officials who monitor implementation (``implement``) and the report's author; 404 for
    everyone else, as for a report without a photo. Never cached."""
    report = ControlReport.objects.filter(pk=pk).only("id", "photo", "author_id").first()
    user: Any = request.user
    allowed = report is not None and user.is_authenticated and (report.author_id == user.pk or can(user, "implement"))
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


# --- commission ---------------------------------------------------------------------------------

@login_required
def commission_page(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The rubric (criteria, weights, tier tables), each project's breakdown and total with its
    need score, the ranking, the signed-in member's own sheet and every member's sheet."""
    _require(request, "score")
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
    _require(request, "score")
    cycle = get_object_or_404(BudgetCycle, pk=cycle_id)
    if request.method == "POST":
        changed = actions.do_refresh_cycle_need_scores(cycle, actor=request.user)
        messages.success(request, _("Обращения рядом пересчитаны; изменилось у проектов: %(n)s") % {"n": changed})
    return redirect("project-commission", cycle_id=cycle.pk)


@login_required
def score_page(request: HttpRequest, pk: int) -> HttpResponse:
    """POST only: the signed-in member's sheet for one project."""
    _require(request, "score")
    project = get_object_or_404(Project.objects.select_related("cycle__rubric"), pk=pk)
    if request.method != "POST":
        return redirect("project-commission", cycle_id=project.cycle_id)
    rubric = project.cycle.rubric
    codes = [c.code for c in rubric.criteria.filter(kind=CriterionKind.MANUAL)] if rubric else []
    errors: dict[str, list[str]] = {}
    scores: dict[str, Decimal] = {}
    for code in codes:
        value = _decimal(request.POST.get(f"c_{code}", ""), code, errors, required=True)
        if value is not None:
            scores[code] = value
    status = 400
    if not errors:
        try:
            actions.do_score_project(project, member=request.user, scores=scores,
                                     comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            errors = _field_errors(exc)
        except actions.Conflict as exc:
            errors, status = {"__all__": [str(exc)]}, 409
        else:
            messages.success(request, _("Оценка проекта «%(title)s» сохранена") % {"title": project.title})
            return redirect(f"/projects/cycles/{project.cycle_id}/commission/#project-{project.pk}")
    return render(request, "projects/official_form_errors.html", {
        "project": project, "errors": errors, "back": f"/projects/cycles/{project.cycle_id}/commission/",
    }, status=status)


# --- monitoring ---------------------------------------------------------------------------------

@login_required
def monitoring_list(request: HttpRequest) -> HttpResponse:
    """Selected, implementing and finished projects with progress, money and open reports."""
    _require(request, "implement")
    projects = Project.objects.filter(status__in=IMPLEMENTATION_STATUSES)
    allowed = monitoring_agency_ids(request.user)
    if allowed is not None:  # own agencies' works, and selected projects nobody has started yet
        projects = projects.filter(Q(implementing_agency__in=allowed)
                                   | Q(implementing_agency__isnull=True, status=ProjectStatus.SELECTED))
    projects = (projects.select_related("cycle", "heading", "implementing_agency")
                .annotate(spent_total=Sum("expenses__amount", distinct=True),
                          open_reports=Count("control_reports", filter=Q(control_reports__status="new"),
                                             distinct=True))
                .order_by("status", "cycle_id", "title"))
    return render(request, "projects/official_monitoring_list.html", {"projects": projects})


MONITORING_FORMS = ("start", "milestone_add", "milestone_update", "expense", "photo", "answer", "file", "complete")


@login_required
def monitoring_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Contract, stages with status and percent, expenses, geotagged photos and residents'
    control reports (answer, or file as an appeal to the responsible agency)."""
    _require(request, "implement")
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
        try:
            if form_name not in MONITORING_FORMS:
                raise ValidationError({"form": [_("Неизвестная форма")]})
            done = _monitoring_post(request, project, form_name)
        except ValidationError as exc:
            errors, status = _field_errors(exc), 400
        except actions.Conflict as exc:
            errors, status = {"__all__": [str(exc)]}, 409
        else:
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


def _monitoring_post(request: HttpRequest, project: Project, form: str) -> str:
    """Run the action a monitoring form asks for; return the message for the official."""
    data, user = request.POST, request.user
    errors: dict[str, list[str]] = {}
    if form == "start":
        amount = _decimal(data.get("contract_amount", ""), "contract_amount", errors, required=True)
        if errors:
            raise ValidationError(errors)
        agency = None
        if data.get("agency", ""):
            agency = Agency.objects.filter(pk=int(data["agency"]), is_active=True).first() \
                if data["agency"].isdigit() else None
            if agency is None:
                raise ValidationError({"agency": [_("Выберите ведомство из списка")]})
        actions.do_start_implementation(project, actor=user, contractor=data.get("contractor", "").strip(),
                                        contract_number=data.get("contract_number", "").strip(), contract_amount=amount,
                                        agency=agency)
        return _("Реализация начата, контракт записан")
    if form == "milestone_add":
        weight = _decimal(data.get("weight", "") or "1", "weight", errors)
        starts_on = _date(data.get("starts_on", ""), "starts_on", errors)
        due_on = _date(data.get("due_on", ""), "due_on", errors)
        parent = None
        if data.get("parent", "").isdigit():
            parent = project.milestones.filter(pk=int(data["parent"])).first()
            if parent is None:
                errors["parent"] = [_("Этап другого проекта")]
        if not data.get("title", "").strip():
            errors["title"] = [_("Назовите этап")]
        if errors:
            raise ValidationError(errors)
        actions.do_add_milestone(project, actor=user, title=data["title"], weight=weight or Decimal(1), parent=parent,
                                 starts_on=starts_on, due_on=due_on)
        return _("Этап добавлен")
    if form == "milestone_update":
        milestone = project.milestones.filter(pk=int(data["milestone"])).first() \
            if data.get("milestone", "").isdigit() else None
        progress = _decimal(data.get("progress", ""), "progress", errors)
        if milestone is None:
            errors["milestone"] = [_("Выберите этап этого проекта")]
        if errors:
            raise ValidationError(errors)
        assert milestone is not None
        actions.do_update_milestone(milestone, actor=user, status=data.get("status", ""), progress=progress)
        return _("Ход этапа обновлён")
    if form == "expense":
        amount = _decimal(data.get("amount", ""), "amount", errors, required=True)
        paid_on = _date(data.get("paid_on", ""), "paid_on", errors, required=True)
        if errors:
            raise ValidationError(errors)
        assert amount is not None and paid_on is not None
        actions.do_record_expense(project, actor=user, amount=amount, paid_on=paid_on,
                                  description=data.get("description", ""), document=data.get("document", "").strip())
        return _("Расход записан")
    if form == "photo":
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationError({"photo": [_("Выберите фотографию")]})
        location = None
        lat = _decimal(data.get("lat", ""), "location", errors)
        lon = _decimal(data.get("lon", ""), "location", errors)
        if lat is not None and lon is not None:
            location = Point(float(lon), float(lat), srid=4326)
        milestone = project.milestones.filter(pk=int(data["milestone"])).first() \
            if data.get("milestone", "").isdigit() else None
        if errors:
            raise ValidationError(errors)
        actions.do_add_project_photo(project, actor=user, upload=upload, caption=data.get("caption", ""),
                                     location=location, milestone=milestone)
        return _("Фотография добавлена")
    if form == "answer":
        report = _report(project, data.get("report", ""))
        actions.do_answer_control_report(report, actor=user, answer=data.get("answer", ""))
        return _("Ответ жителю отправлен")
    if form == "file":
        report = _report(project, data.get("report", ""))
        category = _category(data.get("category", ""))
        report = actions.do_file_control_report(report, actor=user, category=category, note=data.get("note", ""))
        return _("Отчёт передан как обращение")
    # "complete" (the button carries no report: looking one up refused it with "no such report")
    actions.do_complete_project(project, actor=user)
    return _("Проект отмечен как реализованный")


def _start_agencies(user: Any) -> list[Agency]:
    """Agencies the official may name on the start form: all active ones for operators, their
    own (and subordinate) agencies for executors and agency heads."""
    allowed = monitoring_agency_ids(user)
    agencies = Agency.objects.active().order_by("name")
    return list(agencies if allowed is None else agencies.filter(pk__in=allowed))


def _report(project: Project, raw: str) -> ControlReport:
    report = project.control_reports.filter(pk=int(raw)).first() if raw.isdigit() else None
    if report is None:
        raise ValidationError({"report": [_("Нет такого отчёта по этому проекту")]})
    return report


def _category(raw: str) -> Any:
    if not apps.is_installed("issues"):
        raise ValidationError({"category": [_("Обращения не подключены")]})
    category = apps.get_model("issues", "Category")
    found = category.objects.filter(pk=int(raw), is_active=True, children__isnull=True).first() \
        if raw.isdigit() else None
    if found is None:
        raise ValidationError({"category": [_("Выберите категорию обращения")]})
    return found


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
