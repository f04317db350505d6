"""Submitting a project, ``/projects/new/``: signed-in citizens while a cycle takes proposals
(anonymous → login; other roles 403; no open submission phase 403 with the dates).

The proposal form with a map (point, line or polygon), cost lines, co-financing and the
initiative group (``projects.forms``); the write is ``actions.do_submit_project``. The form token
makes a repeated POST (double tap, reload, retry) return the project created by the first one."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import actions
from .access import can
from .forms import ProposalForm, form_errors, parse_rows
from .models import Heading, Phase, PhaseKind, Project
from .pages import closed, open_cycles


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


def _heading_for(geometry: GEOSGeometry, headings: list[Heading]) -> Heading | None:
    point = geometry.point_on_surface
    return next((h for h in headings if h.district is not None and h.district.boundary.contains(point)), None)


def _submission_headings() -> list[Heading]:
    return list(Heading.objects.filter(cycle__in=open_cycles(PhaseKind.SUBMISSION, timezone.now()))
                .select_related("cycle", "district").order_by("cycle_id", "name"))


def _replayed(request: HttpRequest, token: str) -> int | None:
    """The project a form with this token already created (double tap, reload), if any."""
    if not token:
        return None
    return Project.objects.filter(author_id=request.user.pk, submission_key=token).values_list(
        "pk", flat=True).first()


def _submit(request: HttpRequest, form: ProposalForm, headings: list[Heading], token: str,
            cost_items: list[dict[str, Any]], group: list[dict[str, Any]],
            geometry: GEOSGeometry) -> Project | dict[str, list[str]]:
    """The project, or the errors that refused it (a heading, the action's field errors)."""
    data = form.cleaned_data
    heading = next((h for h in headings if h.pk == data["heading"]), None) if data["heading"] else None
    heading = heading or _heading_for(geometry, headings)
    if heading is None:
        return {"heading": [gettext("Место вне районов конкурса: выберите район или поставьте метку в районе")]}
    try:
        return actions.do_submit_project(
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
        # the cofinancing sum error is reported on the residents' field by the action
        return {name: [str(m) for m in found] for name, found in exc.message_dict.items()}
    except actions.Conflict as exc:
        return {"__all__": [str(exc)]}


ANCHORS: dict[str, tuple[str, Any]] = {
    "geometry": ("where", _("Место на карте")), "heading": ("where", _("Район")),
    "cost_items": ("costs", _("Смета")), "group": ("group", _("Инициативная группа")),
    "meeting_minutes": ("id_meeting_minutes", _("Протокол собрания жителей")),
    "photos": ("id_photos", _("Фотографии места"))}


def _error_links(form: ProposalForm, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The summary above the form: each refused field's first message, linked to the field."""
    return [{"anchor": ANCHORS[name][0] if name in ANCHORS else f"id_{name}",
             "label": str(ANCHORS[name][1]) if name in ANCHORS else str(form.fields[name].label),
             "message": found[0]}
            for name, found in errors.items()
            if name != "general" and found and (name in ANCHORS or name in form.fields)]


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Signed-in citizens during a submission phase (see the module's docstring)."""
    if not can(request.user, "submit"):
        raise PermissionDenied(gettext("Предлагать проекты могут жители (учётная запись гражданина)"))
    headings = _submission_headings()
    if not headings:
        upcoming = list(Phase.objects.filter(kind=PhaseKind.SUBMISSION, starts_at__gt=timezone.now())
                        .select_related("cycle").order_by("starts_at")[:3])
        return closed(request, _("Приём проектов закрыт"),
                      _("Сейчас ни один конкурс не принимает проекты. Предложить проект можно на этапе приёма."),
                      upcoming)
    if request.method != "POST":
        form = ProposalForm(initial={"form_token": uuid.uuid4().hex}, headings=headings)
        return _render_new(request, form, headings, {}, [], [])
    form = ProposalForm(request.POST, headings=headings)
    token = request.POST.get("form_token", "")[:64]
    replay = _replayed(request, token)
    if replay is not None:
        return HttpResponseRedirect(reverse("project-page", args=[replay]))
    cost_items, group, errors, raw_costs, raw_members = parse_rows(request.POST)
    geometry = parse_geometry(request.POST.get("geometry", ""))
    if geometry is None:
        errors.setdefault("geometry", []).append(gettext("Отметьте место проекта на карте"))
    if form.is_valid() and not errors and token and geometry is not None:
        outcome = _submit(request, form, headings, token, cost_items, group, geometry)
        if isinstance(outcome, Project):
            messages.success(request, gettext("Проект подан и передан на проверку. Номер проекта: %(n)s")
                             % {"n": outcome.pk})
            return HttpResponseRedirect(reverse("project-page", args=[outcome.pk]))
        errors = outcome
    for name, found in form_errors(form).items():
        errors.setdefault(name, []).extend(found)
    if not token:
        errors.setdefault("__all__", []).append(gettext("Форма устарела: обновите страницу"))
    return _render_new(request, form, headings, errors, raw_costs, raw_members)


def _render_new(request: HttpRequest, form: ProposalForm, headings: list[Heading], errors: dict[str, list[str]],
                raw_costs: list[dict[str, str]], raw_members: list[dict[str, str]]) -> HttpResponse:
    """The form, refilled after an error (400) with the summary of what to fix."""
    min_group = max(h.cycle.min_group_size for h in headings)
    if "__all__" in errors:  # templates cannot read names starting with an underscore
        errors["general"] = errors.pop("__all__")
    while len(raw_costs) < 2:
        raw_costs.append({"name": "", "quantity": "1", "unit": "", "unit_price": ""})
    while len(raw_members) < min_group:
        raw_members.append({"full_name": "", "birth_date": "", "address": ""})
    return render(request, "projects/new.html", {
        "form": form, "errors": errors, "error_links": _error_links(form, errors), "raw_costs": raw_costs,
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
