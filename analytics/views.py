"""Pages of the analytics app (``/stats/...``). Who may open them:

- /stats/ (public statistics of the information center), /stats/pivot/, /stats/agencies/,
  /stats/initiatives/: anyone; the public sees figures over public appeals, staff over all appeals;
- /stats/leadership/ and its report download: leaders and administrators."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext

from geoportal.converters import query_id
from geoportal.dbtimeout import export_timeout
from geoportal.roles import role_required

from .access import LEADERS_ONLY, LEADERSHIP
from .params import current_period, parse_period


@role_required(*LEADERSHIP, message=LEADERS_ONLY)
def leadership_report(request: HttpRequest) -> HttpResponse:
    """Leaders and administrators: download the self-contained report for ``period``."""
    raw = request.GET.get("period", "")
    try:
        period = parse_period(raw) if raw else current_period(timezone.now())
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    # folium and pandas behind the report load when one is built, not with the URLs (~2 s of every process start)
    from .report import build_report

    with export_timeout():  # a staff export: the longer statement timeout
        report = build_report(period)
    response = HttpResponse(report, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leadership-report-{period.code}.html"'
    return response


SUMMARY = ["count", "answered", "resolved_share", "on_time_share", "median_days", "p90_days", "satisfaction_avg",
           "rated", "per_1000"]
DISTRICT_METRICS = ["count", "per_1000", "resolved_share", "on_time_share", "median_days", "satisfaction_avg"]
AGENCY_METRICS = ["count", "resolved_share", "on_time_share", "median_days", "satisfaction_avg"]


def _scope(request: HttpRequest) -> bool:
    from rest_framework.exceptions import PermissionDenied

    from .access import stats_public

    try:
        return stats_public(request.user, request.GET.get("scope", ""))
    except PermissionDenied:
        return True


def public_stats(request: HttpRequest) -> HttpResponse:
    """Anyone: the information center's statistics — totals, resolution, time to answer,
    satisfaction, per district and agency, and the heat map. The figures come from the same
    pivot as ``/api/v1/stats/appeals`` with the same parameters (``period``)."""
    from django.shortcuts import render

    from .params import PivotSpec, parse_filters
    from .pivot import run_pivot

    errors: dict[str, str] = {}
    filters, period = parse_filters({"period": request.GET.get("period", "")}, errors)
    if errors:
        return HttpResponseBadRequest(errors["period"])
    public = _scope(request)
    total_result = run_pivot(PivotSpec(metrics=SUMMARY, filters=filters), public=public)
    total = total_result.total
    districts = run_pivot(PivotSpec(rows=["district"], metrics=DISTRICT_METRICS, filters=filters), public=public)
    agencies = run_pivot(PivotSpec(rows=["agency"], metrics=AGENCY_METRICS, filters=filters), public=public)
    return render(request, "analytics/public_stats.html", {
        "total": total, "period": period, "public": public,
        "approximate": total_result.approximate or districts.approximate or agencies.approximate,
        "districts": [r for r in districts.records if r["level"] == "row"],
        "agencies": sorted((r for r in agencies.records if r["level"] == "row" and r["agency"]),
                           key=lambda r: -r["count"]),
        "api_query": f"period={period.code}" if period else "",
        # the heat map and the insights follow the period (its end); without one, the recent past
        "heat_query": urlencode({"until": period.end.isoformat(), "days": (period.end - period.start).days})
        if period else "days=90",
        "rising_query": urlencode({"as_of": min(period.end, timezone.now()).isoformat()}) if period else "",
        "hotspot_query": urlencode({"until": min(period.end, timezone.now()).isoformat(), "days": 30, "limit": 6})
        if period else "days=30&limit=6",
    })


def agency_scorecards(request: HttpRequest) -> HttpResponse:
    """Anyone: the agency league table for a period with the published weights."""
    from django.shortcuts import render

    from . import scorecards, svg

    raw = request.GET.get("period", "")
    try:
        period = parse_period(raw) if raw else current_period(timezone.now())
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    public = _scope(request)
    data = scorecards.scorecards(period, public=public)
    for card in data["agencies"]:
        card["trend_svg"] = svg.sparkline([m["count"] for m in card["trend"]], [m["month"] for m in card["trend"]])
    return render(request, "analytics/agencies.html", {"data": data, "period": period, "public": public,
                                                       "previous": period.previous()})


def pivot_page(request: HttpRequest) -> HttpResponse:
    """Anyone: build a slice (rows, columns, metrics, filters), see a table and a chart,
    download CSV/XLSX — a client of ``/api/v1/stats/appeals``."""
    from django.shortcuts import render

    from . import catalog
    from .sql.histogram import MAX_RELATIVE_ERROR

    return render(request, "analytics/pivot.html", {
        "approximate_error": round(MAX_RELATIVE_ERROR * 100),
        "dimensions": [(k, str(v)) for k, v in catalog.DIMENSIONS.items()],
        "metrics": [(k, str(label), str(text)) for k, (label, text) in catalog.METRICS.items()],
    })


@role_required(*LEADERSHIP, message=LEADERS_ONLY)
def leadership_page(request: HttpRequest) -> HttpResponse:
    """Leaders and administrators: the report button."""
    from django.shortcuts import render

    now = current_period(timezone.now())
    periods = [now]
    for _month in range(5):
        periods.append(periods[-1].previous())
    return render(request, "analytics/leadership.html", {"periods": periods})


def _bars(values: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Horizontal bars scaled to the largest value (money as Decimal strings)."""
    from decimal import Decimal

    amounts = [(label, Decimal(value or 0)) for label, value in values]
    peak = max((amount for _label, amount in amounts), default=Decimal(0))
    return [{"label": label, "value": amount,
             "width": float(round(amount * 100 / peak, 1)) if peak else 0.0} for label, amount in amounts]


def _share(part: Any, whole: Any) -> float | None:
    from decimal import Decimal

    whole = Decimal(whole or 0)
    return float(Decimal(part or 0) / whole) if whole else None


def initiatives_page(request: HttpRequest) -> HttpResponse:
    """Anyone: initiative (participatory budgeting) analytics of one cycle — per cycle and per
    heading (district) the figures of ``/api/v1/stats/initiatives`` (one statement)."""
    from django.http import Http404
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    from .initiatives import initiative_stats

    raw = request.GET.get("cycle", "")
    if raw and query_id(raw) is None:
        return HttpResponseBadRequest(_("cycle: id цикла (целое число)."))
    rows = initiative_stats(None)
    cycles = [r for r in rows if r["level"] == "cycle"]
    cycle_id = query_id(raw) if raw else (max(r["cycle_id"] for r in cycles) if cycles else None)
    total = next((r for r in cycles if r["cycle_id"] == cycle_id), None)
    if raw and total is None:
        raise Http404(_("Нет такого цикла."))
    headings = [r for r in rows if r["level"] == "heading" and r["cycle_id"] == cycle_id]
    for row in [*headings, *([total] if total else [])]:
        row["money_bars"] = _bars([(_("Запрошено"), row["requested"]), (_("Доступно"), row["available"]),
                                   (_("Отобрано"), row["selected_money"]), (_("Исполнено"), row["executed"])])
        row["executed_share"] = _share(row["executed"], row["selected_money"])
        row["cofinancing"] = _bars([(_("Жители"), row["cofin_residents"]), (_("Бизнес"), row["cofin_business"]),
                                    (_("Местный бюджет"), row["cofin_local"]),
                                    (_("Трудовое участие"), row["inkind"])])
        implementing = row["on_schedule"] + row["late"]
        row["late_share"] = row["late"] / implementing if implementing else None
    return render(request, "analytics/initiatives.html", {
        "cycles": cycles, "total": total, "headings": headings, "cycle_id": cycle_id,
    })


def agency_drilldown(request: HttpRequest, agency_id: int) -> HttpResponse:
    """Anyone: one agency's scorecard for the period, its 12-month trend and the appeals behind
    the figures (``show`` = all, overdue, redirected, reopened, repeated), with the same scope
    as the league table (public appeals for the public)."""
    from django.core.paginator import Paginator
    from django.http import Http404
    from django.shortcuts import render

    from geoportal.models import Agency

    from . import drilldown, scorecards, svg

    raw = request.GET.get("period", "")
    show = request.GET.get("show", "all")
    if show not in drilldown.SHOW:
        return HttpResponseBadRequest(f"show: {', '.join(drilldown.SHOW)}.")
    try:
        period = parse_period(raw) if raw else current_period(timezone.now())
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    page_raw = request.GET.get("page", "1")
    page_number = query_id(page_raw)
    if page_number is None or page_number < 1:
        return HttpResponseBadRequest(gettext("page: номер страницы, целое число от 1."))
    agency = Agency.objects.filter(pk=agency_id).only("id", "name", "short_name").first()
    if agency is None:
        raise Http404(gettext("Нет такого ведомства."))
    public = _scope(request)
    now = timezone.now()
    data = scorecards.scorecards(period, public=public, now=now)
    card = next((c for c in data["agencies"] if c["agency_id"] == agency_id), None)
    if card is not None:
        card["trend_svg"] = svg.columns([m["month"][2:].replace("-", ".") for m in card["trend"]],
                                        [m["count"] for m in card["trend"]], title=gettext("Обращений в месяц"),
                                        line=[m["on_time_share"] for m in card["trend"]], line_label=gettext("в срок"),
                                        width=480, height=220)
    appeals = drilldown.agency_appeals(agency_id, period, show, public=public, now=now)
    pages = Paginator(appeals, 50)
    page = pages.get_page(page_number)
    return render(request, "analytics/agency.html", {
        "agency": agency, "card": card, "period": period, "previous": period.previous(), "public": public,
        "show": show, "shows": drilldown.SHOW, "page": page,
        "appeals": [drilldown.row(a) for a in page.object_list], "weights": data["weights"],
        "approximate": data["approximate"],
    })
