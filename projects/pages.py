"""Residents' pages of initiative budgeting (server-rendered in the portal shell). Who may open each:

- ``/projects/`` list and map of the current cycle's public projects with filters — anyone;
- ``/projects/new/`` submit a project — signed-in citizens while a cycle takes proposals
  (anonymous → login; other roles 403; no open submission phase 403 with the dates);
- ``/projects/<id>/`` project page — anyone for a public project (drafts 404); it shows no
  author, initiative group member, supporter or voter (only the group's size);
- ``/projects/<id>/support/`` (POST) — signed-in citizens in the support phase, once;
- ``/projects/headings/<id>/ballot/`` ballot page — signed-in citizens while the voting phase
  is open (anonymous → login; other roles or closed voting 403); the ballot itself goes to
  ``POST /api/v1/headings/<id>/ballot/`` (400 breaks the rule, 409 second ballot);
- ``/projects/headings/<id>/results/`` results with every project's reason — anyone.

Every write calls ``projects.actions`` (phase gates, role checks, validation live there)."""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import actions
from .access import can
from .models import (
    PRIVATE_NOTE_EVENTS,
    PUBLIC_STATUSES,
    BallotRule,
    BudgetCycle,
    ControlReportKind,
    ControlReportStatus,
    Heading,
    Milestone,
    Phase,
    PhaseKind,
    Project,
    ProjectStatus,
    SelectionRun,
    Support,
)
from .models import Ballot as BallotModel
from .need import DEFAULT_RADIUS_M, RELATED_CATEGORIES

CATEGORY_LABELS: dict[str, Any] = {
    "yards": _("Дворы и детские площадки"),
    "greenery": _("Скверы и озеленение"),
    "lighting": _("Освещение"),
    "sport": _("Спорт"),
    "roads": _("Дороги и тротуары"),
    "accessibility": _("Доступная среда"),
    "waste": _("Чистота и отходы"),
    "culture": _("Культура и досуг"),
}
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
    asked = request.GET.get("cycle", "")
    if asked.isdigit():
        return get_object_or_404(BudgetCycle, pk=int(asked))
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
    if heading.isdigit():
        projects = projects.filter(heading_id=int(heading))
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


# --- submit ------------------------------------------------------------------------------------

class ProposalForm(forms.Form):
    """The single-value fields of a proposal; cost lines and group members come as repeated rows."""

    heading = forms.TypedChoiceField(label=_("Район (направление конкурса)"), coerce=int, required=False,
                                     empty_value=None)
    title = forms.CharField(label=_("Название проекта"), max_length=500)
    category = forms.ChoiceField(label=_("Категория"))
    description = forms.CharField(label=_("Описание: что сделать"), widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=10000)
    problem = forms.CharField(label=_("Какую проблему решает"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False, max_length=5000)
    expected_results = forms.CharField(label=_("Ожидаемый результат"), widget=forms.Textarea(attrs={"rows": 3}),
                                       required=False, max_length=5000)
    geometry = forms.CharField(widget=forms.HiddenInput, required=False)
    cofinancing_residents = forms.DecimalField(label=_("Инициативные платежи жителей, ₽"), min_value=0,
                                               max_digits=16, decimal_places=2, required=False)
    cofinancing_business = forms.DecimalField(label=_("Инициативные платежи бизнеса, ₽"), min_value=0,
                                              max_digits=16, decimal_places=2, required=False)
    cofinancing_local_budget = forms.DecimalField(label=_("Средства местного бюджета, ₽"), min_value=0,
                                                  max_digits=16, decimal_places=2, required=False)
    inkind_labour = forms.DecimalField(label=_("Трудовое и неденежное участие (оценка), ₽"), min_value=0,
                                       max_digits=16, decimal_places=2, required=False)
    beneficiaries = forms.IntegerField(label=_("Сколько жителей получат пользу"), min_value=0, required=False)
    durability_years = forms.IntegerField(label=_("Срок службы, лет"), min_value=1, max_value=100, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, headings: list[Heading], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["heading"].choices = [("", _("определить по месту на карте"))] + [  # type: ignore[attr-defined]
            (h.pk, f"{h.name} — {actions.money(h.money)} ₽") for h in headings]
        self.fields["category"].choices = [("", _("— выберите —"))] + [  # type: ignore[attr-defined]
            (code, label) for code, label in CATEGORY_LABELS.items()]


def parse_geometry(text: str) -> GEOSGeometry | None:
    """A GeoJSON point, line or polygon in WGS84 from the map; None when absent or unusable."""
    if not text.strip():
        return None
    try:
        geometry = GEOSGeometry(text)
    except (GEOSException, ValueError, TypeError):
        return None
    if geometry.geom_type not in ("Point", "LineString", "Polygon") or geometry.empty:
        return None
    xmin, ymin, xmax, ymax = geometry.extent
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        return None
    geometry.srid = 4326
    return geometry


def _decimal(value: str) -> Decimal:
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    number = Decimal(cleaned)
    if not number.is_finite():
        raise InvalidOperation(value)
    return number


def parse_rows(post: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]],
                                   list[dict[str, str]], list[dict[str, str]]]:
    """Cost lines and group members from the repeated inputs; (cost_items, group, errors, raw
    cost rows, raw member rows) — the raw rows refill the form after an error."""
    errors: dict[str, list[str]] = defaultdict(list)
    raw_costs = [{"name": n, "quantity": q, "unit": u, "unit_price": p} for n, q, u, p in zip(
        post.getlist("cost_name"), post.getlist("cost_quantity"), post.getlist("cost_unit"),
        post.getlist("cost_price"), strict=False)]
    cost_items = []
    for index, row in enumerate(raw_costs, start=1):
        if not any(value.strip() for value in row.values()):
            continue
        try:
            quantity = _decimal(row["quantity"] or "1")
            price = _decimal(row["unit_price"])
        except (InvalidOperation, ValueError):
            errors["cost_items"].append(gettext("Статья %(n)s: количество и цена — числа") % {"n": index})
            continue
        cost_items.append({"name": row["name"].strip(), "quantity": quantity, "unit": row["unit"].strip(),
                           "unit_price": price})
    raw_members = [{"full_name": n, "birth_date": b, "address": a} for n, b, a in zip(
        post.getlist("member_name"), post.getlist("member_birth"), post.getlist("member_address"), strict=False)]
    group = []
    today = timezone.localdate()
    for index, row in enumerate(raw_members, start=1):
        if not any(value.strip() for value in row.values()):
            continue
        if not row["full_name"].strip():
            errors["group"].append(gettext("Участник %(n)s: укажите ФИО") % {"n": index})
            continue
        try:
            birth = dt.date.fromisoformat(row["birth_date"].strip())
        except ValueError:
            errors["group"].append(gettext("Участник %(n)s: укажите дату рождения") % {"n": index})
            continue
        if birth >= today or birth.year < 1900:
            errors["group"].append(gettext("Участник %(n)s: неверная дата рождения") % {"n": index})
            continue
        group.append({"full_name": row["full_name"].strip(), "birth_date": birth, "address": row["address"].strip()})
    return cost_items, group, errors, raw_costs, raw_members


def _heading_for(geometry: GEOSGeometry, headings: list[Heading]) -> Heading | None:
    point = geometry.point_on_surface
    return next((h for h in headings if h.district is not None and h.district.boundary.contains(point)), None)


def _closed(request: HttpRequest, title: Any, message: Any, phases: list[Phase] | None = None) -> HttpResponse:
    return render(request, "projects/closed.html", {"title": title, "message": message, "phases": phases or []},
                  status=403)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Signed-in citizens during a submission phase: the proposal form with a map (point, line or
    polygon), cost lines, co-financing and the initiative group. The form token makes a
    repeated POST (double tap, reload, retry) return the project created by the first one."""
    if not can(request.user, "submit"):
        raise PermissionDenied(gettext("Предлагать проекты могут жители (учётная запись гражданина)"))
    now = timezone.now()
    headings = list(Heading.objects.filter(cycle__in=open_cycles(PhaseKind.SUBMISSION, now))
                    .select_related("cycle", "district").order_by("cycle_id", "name"))
    if not headings:
        upcoming = list(Phase.objects.filter(kind=PhaseKind.SUBMISSION, starts_at__gt=now)
                        .select_related("cycle").order_by("starts_at")[:3])
        return _closed(request, _("Приём проектов закрыт"),
                       _("Сейчас ни один конкурс не принимает проекты. Предложить проект можно на этапе приёма."),
                       upcoming)
    min_group = max(h.cycle.min_group_size for h in headings)
    raw_costs: list[dict[str, str]] = []
    raw_members: list[dict[str, str]] = []
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = ProposalForm(request.POST, headings=headings)
        token = request.POST.get("form_token", "")[:64]
        # a repeated POST of a form that went through (double tap, reload): its project
        replay = Project.objects.filter(author_id=request.user.pk, submission_key=token).values_list(
            "pk", flat=True).first() if token else None
        if replay is not None:
            return HttpResponseRedirect(reverse("project-page", args=[replay]))
        cost_items, group, row_errors, raw_costs, raw_members = parse_rows(request.POST)
        errors = dict(row_errors)
        geometry = parse_geometry(request.POST.get("geometry", ""))
        if geometry is None:
            errors.setdefault("geometry", []).append(gettext("Отметьте место проекта на карте"))
        if form.is_valid() and not errors and token and geometry is not None:
            data = form.cleaned_data
            heading = next((h for h in headings if h.pk == data["heading"]), None) if data["heading"] else None
            heading = heading or _heading_for(geometry, headings)
            if heading is None:
                errors["heading"] = [gettext("Место вне районов конкурса: выберите район или поставьте метку в районе")]
            else:
                try:
                    project = actions.do_submit_project(
                        author=request.user, heading=heading, title=data["title"], description=data["description"],
                        geometry=geometry, category=data["category"], cost_items=cost_items, group=group,
                        problem=data["problem"], expected_results=data["expected_results"],
                        cofinancing_residents=data["cofinancing_residents"] or Decimal(0),
                        cofinancing_business=data["cofinancing_business"] or Decimal(0),
                        cofinancing_local_budget=data["cofinancing_local_budget"] or Decimal(0),
                        inkind_labour=data["inkind_labour"] or Decimal(0),
                        beneficiaries=data["beneficiaries"] or 0, durability_years=data["durability_years"],
                        meeting_minutes=request.FILES.get("meeting_minutes"),
                        photos=request.FILES.getlist("photos"), submission_key=token)
                except ValidationError as exc:
                    errors = {name: [str(m) for m in messages_] for name, messages_ in exc.message_dict.items()}
                except actions.Conflict as exc:
                    errors = {"__all__": [str(exc)]}
                else:
                    messages.success(request, gettext("Проект подан и передан на проверку. Номер проекта: %(n)s")
                                     % {"n": project.pk})
                    return HttpResponseRedirect(reverse("project-page", args=[project.pk]))
        for name, field_errors in form.errors.items():
            errors.setdefault(name, []).extend(str(e) for e in field_errors)
        if not token:
            errors.setdefault("__all__", []).append(gettext("Форма устарела: обновите страницу"))
        # the cofinancing sum error is reported on the residents' field by the action
    else:
        form = ProposalForm(initial={"form_token": uuid.uuid4().hex}, headings=headings)
    if "__all__" in errors:  # templates cannot read names starting with an underscore
        errors["general"] = errors.pop("__all__")
    anchors = {"geometry": ("where", gettext("Место на карте")), "heading": ("where", gettext("Район")),
               "cost_items": ("costs", gettext("Смета")), "group": ("group", gettext("Инициативная группа")),
               "meeting_minutes": ("id_meeting_minutes", gettext("Протокол собрания жителей")),
               "photos": ("id_photos", gettext("Фотографии места"))}
    error_links = [{"anchor": anchors[name][0] if name in anchors else f"id_{name}",
                    "label": anchors[name][1] if name in anchors else str(form.fields[name].label),
                    "message": messages_[0]}
                   for name, messages_ in errors.items() if name != "general" and messages_
                   and (name in anchors or name in form.fields)]
    while len(raw_costs) < 2:
        raw_costs.append({"name": "", "quantity": "1", "unit": "", "unit_price": ""})
    while len(raw_members) < min_group:
        raw_members.append({"full_name": "", "birth_date": "", "address": ""})
    return render(request, "projects/new.html", {
        "form": form, "errors": errors, "error_links": error_links, "raw_costs": raw_costs,
        "raw_members": raw_members, "min_group": min_group,
        "cycle_names": sorted({h.cycle.name for h in headings}),
        "geometry_value": request.POST.get("geometry", "") if request.method == "POST" else "",
        "strings": {"point": gettext("Метка"), "line": gettext("Линия"), "polygon": gettext("Участок"),
                    "vertices": gettext("точек"),
                    "needLine": gettext("Для линии нужно не меньше 2 точек"),
                    "needPolygon": gettext("Для участка нужно не меньше 3 точек"),
                    "requested": gettext("Из средств конкурса"),
                    "over": gettext("Софинансирование больше стоимости проекта")},
        "heading_bounds": {h.pk: (list(h.district.boundary.extent) if h.district else None) for h in headings},
    }, status=400 if request.method == "POST" else 200)


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
    text = request.POST.get("text", "")
    refused = _page_form(request, project, "control", text, lambda: actions.do_submit_control_report(
        project, author=request.user, text=text, kind=request.POST.get("kind", ControlReportKind.QUALITY),
        photo=request.FILES.get("photo")))
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
    reason = request.POST.get("reason", "")
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


# --- ballot ------------------------------------------------------------------------------------

@login_required
def ballot_page(request: HttpRequest, heading_id: int) -> HttpResponse:
    """Signed-in citizens while the heading's voting is open: the ballot by the cycle's rule."""
    heading = get_object_or_404(Heading.objects.select_related("cycle", "district"), pk=heading_id)
    if not can(request.user, "vote"):
        raise PermissionDenied(gettext("Голосуют жители (учётная запись гражданина)"))
    cycle = heading.cycle
    if cycle.open_phase(PhaseKind.VOTING) is None:
        return _closed(request, _("Голосование не идёт"),
                       _("Бюллетень можно заполнить только на этапе голосования."),
                       list(cycle.phases.filter(kind=PhaseKind.VOTING)))
    user: Any = request.user
    ballot = BallotModel.objects.filter(heading=heading, voter=user).prefetch_related("choices__project").first()
    projects = list(heading.projects.on_ballot().select_related("district"))
    # every voter sees the projects in an order of their own, so the first card is nobody's favourite
    random.Random(f"{user.pk}:{heading.pk}").shuffle(projects)  # noqa: S311 (not security: ballot order)
    rule = cycle.ballot_rule
    return render(request, "projects/ballot.html", {
        "heading": heading, "cycle": cycle, "rule": rule, "rule_label": BallotRule(rule).label,
        "projects": [{"p": p, "category": category_label(p.category), "cost": p.cost} for p in projects],
        "ballot": ballot, "config": {
            "rule": rule, "money": str(heading.money), "maxApprovals": cycle.max_approvals,
            "minApprovals": cycle.min_approvals, "pointsTotal": cycle.points_total,
            "maxRanks": cycle.max_ranks or len(projects), "url": f"/api/v1/headings/{heading.pk}/ballot/",
            "resultsUrl": reverse("project-results", args=[heading.pk]),
        },
        "ranks": range(1, (cycle.max_ranks or len(projects)) + 1),
        "strings": {
            "chosen": gettext("Выбрано"), "of": gettext("из"), "left": gettext("осталось"),
            "over": gettext("больше средств района на"),
            "pointsLeft": gettext("Осталось баллов"), "pointsOver": gettext("Лишних баллов"),
            "limit": gettext("Больше выбрать нельзя: снимите отметку с другого проекта"),
            "empty": gettext("Выберите хотя бы один проект"),
            "fixBudget": gettext("Уберите проекты: стоимость больше средств района"),
            "fixPoints": gettext("Распределено больше баллов, чем есть"), "sending": gettext("Отправляем…"),
            "accepted": gettext("Бюллетень принят. Спасибо за участие!"), "results": gettext("Итоги по району"),
            "rejected": gettext("Бюллетень не принят"),
            "again": gettext("Вы уже голосовали по этому району: второй бюллетень не принимается."),
            "network": gettext("Нет связи с сервером. Бюллетень не отправлен — попробуйте ещё раз."),
            "rank": gettext("Места должны быть разными"), "money": heading.cycle.currency,
        },
    })


# --- results -----------------------------------------------------------------------------------

def results_page(request: HttpRequest, heading_id: int) -> HttpResponse:
    """Anyone: the heading's latest selection with the reason for every project."""
    heading = get_object_or_404(Heading.objects.select_related("cycle", "district"), pk=heading_id)
    run = SelectionRun.objects.filter(heading=heading).first()
    decisions = list(run.decisions.select_related("project").order_by("position")) if run else []
    if run is None and not heading.projects.public().exists():
        raise Http404("no such heading")
    return render(request, "projects/results.html", {
        "heading": heading, "cycle": heading.cycle, "run": run,
        "winners": [d for d in decisions if d.selected], "losers": [d for d in decisions if not d.selected],
        "left": (run.money - run.spent) if run else None,
        "spent_percent": (run.spent / run.money * 100) if run and run.money else Decimal(0),
        "selection_phase": list(heading.cycle.phases.filter(kind=PhaseKind.SELECTION)),
    })
