"""Statistics API (``/api/v1/stats/...``). Who may call what:

- catalog, pivot (appeals), agencies, satisfaction, hotspots, rising, repeats, heatmap,
  summary: anyone. Anonymous visitors and citizens get figures over public appeals only; staff
  and leaders over all appeals (``scope=public`` shows them the public figures; a citizen asking
  ``scope=all`` gets 403). No endpoint returns free text or personal data.
- the leadership report: leaders and administrators (analytics.access.IsLeader)."""
from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geoportal.dbtimeout import export_timeout
from issues.access import is_staff_user

from . import api_docs as docs
from . import catalog, insights, scorecards
from .access import stats_public
from .export import csv_response, table_columns, xlsx_response
from .params import current_period, parse_period, parse_pivot
from .pivot import run_pivot

SATISFACTION_METRICS = ["rated", "satisfaction_avg", "satisfaction", "solved_share", "politeness_avg",
                        "timeliness_avg", "reopened"]


def _scope_param(request: Request) -> str:
    return request.query_params.get("scope", "")


class CatalogView(APIView):
    """Anyone: the dimensions, metrics and filters of the statistics with their definitions."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: docs.Catalog})
    def get(self, request: Request) -> Response:
        return Response({
            "dimensions": {k: str(v) for k, v in catalog.DIMENSIONS.items()},
            "metrics": {k: {"label": str(label), "definition": str(text), "columns": catalog.METRIC_COLUMNS[k]}
                        for k, (label, text) in catalog.METRICS.items()},
            "filters": ["period", "received_after", "received_before", "district", "category", "agency", "status",
                        "channel", "kind", "type", "result", "classifier_section", "bbox", "overdue"],
            "scorecard_weights": scorecards.weights(),
            "scorecard_components": scorecards.components_doc(),
        })


class PivotView(APIView):
    """Anyone (public figures for the public): appeals in any slice.

    ``rows``/``cols``: comma lists of dimensions; ``metrics``: comma list; filters as in the
    catalog; ``export=csv|xlsx`` downloads the table. One SQL statement per request."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=docs.PIVOT_PARAMS, responses=docs.PIVOT_RESPONSES)
    def get(self, request: Request) -> Response | HttpResponse:
        spec = parse_pivot(request.query_params)
        export = request.query_params.get("export", "")
        if export not in ("", "csv", "xlsx"):
            raise ValidationError({"export": _("csv или xlsx.")})
        public = stats_public(request.user, _scope_param(request))
        if export and is_staff_user(request.user):
            with export_timeout():  # staff exports may read more than a page does
                result = run_pivot(spec, public=public)
        else:
            result = run_pivot(spec, public=public)
        if export:
            columns = table_columns([*spec.rows, *spec.cols], result.columns)
            name = "stats-" + "-".join([*spec.rows, *spec.cols] or ["total"])
            if export == "csv":
                return csv_response(columns, result.records, name)
            return xlsx_response(columns, result.records, name)
        return Response(result.as_dict({k: v for k, v in request.query_params.items()
                                        if k not in ("rows", "cols", "metrics", "scope", "export")}))


def _period(request: Request) -> Any:
    raw = request.query_params.get("period", "")
    if not raw:
        return current_period(timezone.now())
    try:
        return parse_period(raw)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)})


class AgencyScorecardView(APIView):
    """Anyone (public figures for the public): agency scorecards and the league table for a
    period (``period=2026-Q3``, default: the current quarter)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("period", str, description="2026 | 2026-Q3 | 2026-03"), docs.SCOPE],
                   responses={200: docs.Scorecards})
    def get(self, request: Request) -> Response:
        unknown = set(request.query_params) - {"period", "scope"}
        if unknown:
            raise ValidationError({"params": _("Неизвестные параметры: %(unknown)s; допустимы: %(valid)s.") % {
                "unknown": ", ".join(sorted(unknown)), "valid": "period, scope"}})
        period = _period(request)
        public = stats_public(request.user, _scope_param(request))
        return Response(scorecards.scorecards(period, public=public))


class SatisfactionView(APIView):
    """Anyone (public figures for the public): citizens' ratings of answers per ``by`` dimension
    (agency, category, district or any other), with the filters of the pivot."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("by", str, description="a dimension (stats/catalog); agency by "
                                                                  "default"), docs.SCOPE, *docs.FILTERS],
                   responses={200: docs.Pivot})
    def get(self, request: Request) -> Response:
        query = request.query_params.copy()
        by = query.pop("by", ["agency"])[-1]
        if by not in catalog.DIMENSIONS:
            raise ValidationError({"by": _("Неизвестное измерение: %(unknown)s. Допустимы: %(valid)s.") % {
                "unknown": by, "valid": ", ".join(catalog.DIMENSIONS)}})
        if "rows" in query or "cols" in query or "metrics" in query:
            raise ValidationError({"params": _("Здесь задаются только by и фильтры.")})
        query["rows"] = by
        query["metrics"] = ",".join(SATISFACTION_METRICS)
        spec = parse_pivot(query)
        public = stats_public(request.user, _scope_param(request))
        result = run_pivot(spec, public=public)
        return Response(result.as_dict({"by": by}))


class _InsightView(APIView):
    permission_classes = [permissions.AllowAny]
    compute: Any = None

    def get(self, request: Request) -> Response:
        public = stats_public(request.user, _scope_param(request))
        params = {k: v for k, v in request.query_params.items() if k != "scope"}
        return Response(type(self).compute(params, public=public))


@extend_schema_view(get=extend_schema(parameters=docs.HOTSPOT_PARAMS, responses={200: docs.Hotspots}))
class HotspotsView(_InsightView):
    """Anyone (public appeals for the public): density clusters of recent appeals
    (ST_ClusterDBSCAN in a metric projection) with their dominant categories.
    ``days`` (30), ``eps`` metres (100), ``minpoints`` (20), ``density`` (5: a core holds at least
    5× the territory's average points per eps-disc in the window), ``category``, ``district``."""

    compute = staticmethod(insights.hotspots)


@extend_schema_view(get=extend_schema(parameters=docs.RISING_PARAMS, responses={200: docs.Rising}))
class RisingTopicsView(_InsightView):
    """Anyone: categories whose last ``window`` days exceed their seasonal norm."""

    compute = staticmethod(insights.rising_topics)


@extend_schema_view(get=extend_schema(parameters=docs.REPEAT_PARAMS, responses={200: docs.Repeats}))
class RepeatLocationsView(_InsightView):
    """Anyone: places where the same problem was reported again after an answer."""

    compute = staticmethod(insights.repeat_locations)


@extend_schema_view(get=extend_schema(parameters=docs.HEATMAP_PARAMS, responses={200: docs.Heatmap}))
class HeatmapView(_InsightView):
    """Anyone: appeal density on a ~100 m grid (cell centres and counts, never single appeals
    below ``min_count``) for the heat map."""

    compute = staticmethod(insights.heatmap)
