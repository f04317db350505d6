"""The map screens over more than one app. Who may open each:

- ``/map/`` public map of appeals — anyone (public appeals and public attributes only), with the
  residents' initiative projects coloured by stage;
- ``/leadership/`` heat map, choropleth, on-time share — leaders and administrators (others 403).

The appeals' own pages (report, appeal, my appeals, queue, desk) are ``issues.pages`` and
``issues.pages_desk``. The pages are thin: data comes from the REST API and the tile/aggregate
endpoints."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from geoportal.models import District
from issues.models import OPEN_STATUSES, PUBLIC_STATUSES, Appeal, Status
from issues.page_context import category_tree, map_config, texts
from projects.models import ProjectStatus
from tiles import conf as tiles_conf
from tiles.filters import parse_period
from tiles.projects_map import STAGES as MAP_STAGES

from .doors import require

# Texts of the projects layer's popups and list (projects-layer.js), translated here.
PROJECT_TEXT: dict[str, Any] = {
    "progress": _("Выполнено"), "cost": _("Стоимость"), "district": _("Район"),
    "photos": _("Последние фото с объекта"), "photo": _("Фото с объекта"), "open": _("Страница проекта"),
    "m": _("м"), "km": _("км"), "loading": _("Загрузка…"), "locating": _("Определяем ваше местоположение…"),
    "failed": _("Не удалось загрузить проекты."), "none": _("Рядом нет проектов."),
    "fromYou": _("Ближайшие к вам, по расстоянию:"),
    "fromCentre": _("Местоположение недоступно — расстояния от центра карты:"),
    "youAreHere": _("Вы здесь"),
}

PERIODS = [("30d", _("30 дней")), ("90d", _("90 дней")), ("365d", _("год")), ("", _("всё время"))]
OPEN_PUBLIC = ",".join(s for s in PUBLIC_STATUSES if s in OPEN_STATUSES)


def _status_choices() -> list[tuple[str, str]]:
    return [(OPEN_PUBLIC, str(_("все открытые")))] + [
        (str(s), str(Status(s).label)) for s in PUBLIC_STATUSES] + [("", str(_("все")))]


def _map_config(**extra: Any) -> dict[str, Any]:
    return map_config(clusterMaxZoom=tiles_conf.cluster_max_zoom(), pointsMax=tiles_conf.map_points_max(), **extra)


def public_map(request: HttpRequest) -> HttpResponse:
    """Anyone: clusters and points of public appeals with filters and viewport statistics, and
    the residents' initiative projects coloured by stage with a "projects near me" list."""
    return render(request, "frontend_map/map.html", {
        "categories": category_tree(), "districts": District.objects.order_by("name").values("code", "name"),
        "statuses": _status_choices(), "periods": PERIODS, "period": "90d",
        "project_stages": [{"status": s, "label": ProjectStatus(s).label} for s in MAP_STAGES],
        "map_config": _map_config(projectText=texts(PROJECT_TEXT)),
    })


def on_time_by_agency(start: dt.datetime | None, end: dt.datetime | None) -> list[dict[str, Any]]:
    """Per agency: answered, answered on time (by the deadline), share, open, overdue now
    (one grouped statement over appeals received in the period)."""
    now = timezone.now()
    appeals = Appeal.objects.exclude(responsible_agency=None)
    if start:
        appeals = appeals.filter(received_at__gte=start)
    if end:
        appeals = appeals.filter(received_at__lt=end)
    rows = (appeals.values(agency=F("responsible_agency__short_name")).order_by("agency")
            .annotate(answered=Count("id", filter=Q(answered_at__isnull=False)),
                      on_time=Count("id", filter=Q(answered_at__isnull=False, answered_at__lte=F("deadline_at"))),
                      open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                      overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, deadline_at__lt=now))))
    table = []
    for row in rows:
        share = row["on_time"] / row["answered"] if row["answered"] else None
        table.append({**row, "share": share, "percent": round(100 * share) if share is not None else None})
    return sorted(table, key=lambda r: (r["share"] is None, r["share"] or 0))


@login_required
def leadership(request: HttpRequest) -> HttpResponse:
    """Leaders and administrators: heat map, choropleth per 1,000 residents, on-time share."""
    require(request, "leadership")
    period = request.GET.get("period", "365d")
    try:
        start, end = parse_period(period) if period else (None, None)
    except ValidationError:
        period, (start, end) = "365d", parse_period("365d")
    return render(request, "frontend_map/leadership.html", {
        "categories": category_tree(), "periods": PERIODS, "period": period,
        "agencies": on_time_by_agency(start, end),
        "map_config": _map_config(),
    })

