"""OpenAPI documentation of the statistics and open-data API (``analytics.api``,
``analytics.initiatives``, ``analytics.opendata``): the answers' shapes (built from SQL rows,
not serializers) and the query parameters. Records whose keys follow the request (the pivot's
dimensions and metrics) are objects whose extra keys are named in ``columns``."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

S = serializers


def _num(**kwargs: Any) -> S.FloatField:
    return S.FloatField(allow_null=True, **kwargs)


SCOPE = OpenApiParameter("scope", str, enum=["public", "all"],
                         description="Staff and leaders see all appeals by default; `public` shows them the "
                                     "public figures. Others asking `all` get 403.")
FILTERS = [
    OpenApiParameter("period", str, description="2025 | 2025-Q3 | 2025-03"),
    OpenApiParameter("received_after", OpenApiTypes.DATETIME), OpenApiParameter("received_before",
                                                                                OpenApiTypes.DATETIME),
    OpenApiParameter("district", str, description="district code"),
    OpenApiParameter("category", int, description="category id (with its subcategories)"),
    OpenApiParameter("agency", int, description="agency id (with its subordinate bodies)"),
    OpenApiParameter("status", str, description="status[,status...]"),
    OpenApiParameter("channel", str), OpenApiParameter("kind", str), OpenApiParameter("type", str),
    OpenApiParameter("result", str), OpenApiParameter("classifier_section", str),
    OpenApiParameter("bbox", str, description="west,south,east,north in degrees (WGS84)"),
    OpenApiParameter("overdue", bool),
]
PIVOT_PARAMS = [
    OpenApiParameter("rows", str, description="comma list of dimensions (stats/catalog), at most 3"),
    OpenApiParameter("cols", str, description="comma list of dimensions, at most 2"),
    OpenApiParameter("metrics", str, description="comma list of metrics (stats/catalog); default count"),
    OpenApiParameter("export", str, enum=["csv", "xlsx"], description="download the table instead of JSON"),
    SCOPE, *FILTERS,
]

Catalog = inline_serializer("StatsCatalog", {
    "dimensions": S.DictField(child=S.CharField(), help_text="dimension → its label"),
    "metrics": S.DictField(child=inline_serializer("StatsMetric", {
        "label": S.CharField(), "definition": S.CharField(), "columns": S.ListField(child=S.CharField())})),
    "filters": S.ListField(child=S.CharField()),
    "scorecard_weights": S.DictField(child=S.FloatField()),
    "scorecard_components": S.DictField(child=S.CharField()),
})

PIVOT_RECORD_HELP = ("`level` is total, row, col or cell; then per dimension its key and `<dim>_label`, then "
                     "the metric columns listed in `columns` (numbers or null).")
Pivot = inline_serializer("StatsPivot", {
    "rows": S.ListField(child=S.CharField()), "cols": S.ListField(child=S.CharField()),
    "metrics": S.ListField(child=S.CharField()), "columns": S.ListField(child=S.CharField()),
    "scope": S.ChoiceField(choices=["public", "all"]),
    "filters": S.DictField(child=S.CharField(), help_text="the filters applied, as given"),
    "approximate": S.BooleanField(help_text=(
        "true: median_days and p90_days were interpolated in per-month answer-time histograms (log-scale "
        "buckets: bucket b holds 1 + days in [1.05^b, 1.05^(b+1))), within 5 % of (1 + days) of the exact discrete "
        "percentile. Every other metric stays exact (summed from pre-aggregated per-month appeal counts). Used when "
        "every dimension and filter is one those hold (district, agency, category, classifier section, status, "
        "month, quarter, year; whole months). false: no percentile asked, or every figure computed from the "
        "appeals.")),
    "results": S.ListField(child=S.DictField(), help_text=PIVOT_RECORD_HELP),
})
PIVOT_RESPONSES = {
    200: OpenApiResponse(Pivot, examples=[OpenApiExample(
        "Appeals per district, answered on time (GET ?rows=district&metrics=count,on_time_share&period=2026)",
        value={"rows": ["district"], "cols": [], "metrics": ["count", "on_time_share"],
               "columns": ["count", "on_time_share"], "scope": "public", "filters": {"period": "2026"},
               "results": [{"level": "total", "count": 812, "on_time_share": 0.9312},
                           {"level": "row", "district": "centralny", "district_label": "Центральный",
                            "count": 301, "on_time_share": 0.95}]})]),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="export=csv"),
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
        OpenApiTypes.BINARY, description="export=xlsx"),
}

_SCORECARD_FIELDS: dict[str, Any] = {
    "on_time_share": _num(), "median_days": _num(), "overdue": S.IntegerField(allow_null=True),
    "redirect_share": _num(), "repeated_share": _num(), "reopened_share": _num(), "satisfaction_avg": _num(),
    "rated": S.IntegerField(allow_null=True),
}
Scorecards = inline_serializer("AgencyScorecards", {
    "period": S.CharField(), "period_label": S.CharField(), "start": S.DateTimeField(), "end": S.DateTimeField(),
    "scope": S.ChoiceField(choices=["public", "all"]), "weights": S.DictField(child=S.FloatField()),
    "components": S.DictField(child=S.CharField()), "min_volume": S.IntegerField(),
    "months": S.ListField(child=S.CharField()),
    "agencies": inline_serializer("AgencyScorecard", {
        "agency_id": S.IntegerField(), "agency": S.CharField(), "volume": S.IntegerField(), **_SCORECARD_FIELDS,
        "components": S.DictField(child=_num()), "composite": _num(), "ranked": S.BooleanField(),
        "rank": S.IntegerField(allow_null=True),
        "trend": inline_serializer("AgencyScorecardMonth", {
            "month": S.CharField(), "count": S.IntegerField(), "on_time_share": _num(),
            "satisfaction_avg": _num()}, many=True),
        "appeals_url": S.CharField(),
    }, many=True),
    "total": inline_serializer("AgencyScorecardTotal", {"volume": S.IntegerField(), **_SCORECARD_FIELDS}),
    "approximate": S.BooleanField(help_text="true: the medians (and the speed component) came from the answer-time "
                                            "histograms, within 5 % of (1 + days) of the exact ones"),
})

Hotspots = inline_serializer("Hotspots", {
    "since": S.DateTimeField(), "until": S.DateTimeField(), "eps_m": S.FloatField(),
    "minpoints": S.IntegerField(help_text="the minpoints used: the one asked, raised to `density` times the points "
                                          "an eps-disc holds on average over the territory in the window"),
    "minpoints_asked": S.IntegerField(), "density": S.FloatField(),
    "srid": S.IntegerField(), "scope": S.ChoiceField(choices=["public", "all"]),
    "clusters": inline_serializer("Hotspot", {
        "cluster": S.IntegerField(), "count": S.IntegerField(), "lon": S.FloatField(), "lat": S.FloatField(),
        "radius_m": S.FloatField(), "district": S.CharField(allow_null=True),
        "dominant_categories": S.ListField(child=S.DictField(), help_text="category, count and share"),
        "hull": S.DictField(allow_null=True, help_text="GeoJSON polygon around the cluster"),
    }, many=True),
    "as_of": S.DateTimeField(allow_null=True, help_text=(
        "set when the default window (no until, category or district; default days, eps, minpoints) was "
        "answered from the snapshot the background task took at this moment (every 10 minutes; exact as of "
        "then); null: computed for this request")),
})
HOTSPOT_PARAMS = [OpenApiParameter("days", int), OpenApiParameter("eps", float, description="metres"),
                  OpenApiParameter("minpoints", int, description="the least points of a cluster's core (20)"),
                  OpenApiParameter("density", float, description=(
                      "a core also holds at least this many times the territory's average points per eps-disc "
                      "in the window (5; 0: minpoints alone)")),
                  OpenApiParameter("limit", int),
                  OpenApiParameter("until", OpenApiTypes.DATETIME), OpenApiParameter("category", int),
                  OpenApiParameter("district", str), SCOPE]

Rising = inline_serializer("RisingTopics", {
    "window_days": S.IntegerField(), "start": S.DateTimeField(), "end": S.DateTimeField(), "years": S.IntegerField(),
    "trailing_windows": S.IntegerField(), "min_count": S.IntegerField(), "min_ratio": S.FloatField(),
    "scope": S.ChoiceField(choices=["public", "all"]),
    "topics": inline_serializer("RisingTopic", {
        "category_id": S.IntegerField(), "category": S.CharField(), "parent": S.CharField(allow_null=True),
        "current": S.IntegerField(), "norm": _num(), "method": S.ChoiceField(choices=["seasonal", "trailing"]),
        "basis": S.FloatField(), "ratio": _num(), "z": _num(), "rising": S.BooleanField()}, many=True),
})
RISING_PARAMS = [OpenApiParameter("window", int), OpenApiParameter("years", int), OpenApiParameter("trailing", int),
                 OpenApiParameter("as_of", OpenApiTypes.DATETIME), OpenApiParameter("min_count", int),
                 OpenApiParameter("min_ratio", float), SCOPE]

Repeats = inline_serializer("RepeatLocations", {
    "radius_m": S.FloatField(), "since": S.DateTimeField(), "within_days": S.IntegerField(),
    "scope": S.ChoiceField(choices=["public", "all"]),
    "places": inline_serializer("RepeatLocation", {
        "appeal_id": S.IntegerField(), "number": S.CharField(), "category_id": S.IntegerField(),
        "category": S.CharField(), "district": S.CharField(allow_null=True), "lon": S.FloatField(),
        "lat": S.FloatField(), "answered_at": S.DateTimeField(), "result": S.CharField(),
        "repeats": S.IntegerField(), "first_repeat": S.DateTimeField(), "last_repeat": S.DateTimeField(),
        "later_numbers": S.ListField(child=S.CharField())}, many=True),
})
REPEAT_PARAMS = [OpenApiParameter("radius", float, description="metres"), OpenApiParameter("days", int),
                 OpenApiParameter("within", int), OpenApiParameter("category", int), OpenApiParameter("limit", int),
                 SCOPE]

Heatmap = inline_serializer("StatsHeatmap", {
    "since": S.DateTimeField(), "until": S.DateTimeField(), "cell_m": S.FloatField(),
    "scope": S.ChoiceField(choices=["public", "all"]),
    "points": S.ListField(child=S.ListField(child=S.FloatField(), min_length=3, max_length=3),
                          help_text="[lat, lon, count] per grid cell"),
})
HEATMAP_PARAMS = [OpenApiParameter("days", int), OpenApiParameter("cell", float, description="metres"),
                  OpenApiParameter("category", int), OpenApiParameter("min_count", int),
                  OpenApiParameter("limit", int), OpenApiParameter("until", OpenApiTypes.DATETIME), SCOPE]

_MONEY: dict[str, Any] = {"help_text": "roubles, a decimal string"}
Initiatives = inline_serializer("InitiativeStats", {"results": inline_serializer("InitiativeStatsRow", {
    "level": S.ChoiceField(choices=["cycle", "heading"]), "currency": S.CharField(),
    "turnout": _num(help_text="ballots / residents of the heading's district"),
    **{name: S.CharField(**_MONEY) for name in ("available", "requested", "selected_money", "cofin_residents",
                                                 "cofin_business", "cofin_local", "inkind", "executed")},
}, many=True, help_text="per cycle and heading; the other keys are counts")})

OpenDataSchema = inline_serializer("OpenDataSchema", {
    "dataset": S.CharField(), "title": S.CharField(), "version": S.CharField(),
    "licence": S.DictField(child=S.CharField()), "formats": S.DictField(child=S.CharField()),
    "filters": S.DictField(child=S.CharField()), "geometry": S.CharField(),
    "fields": inline_serializer("OpenDataField", {"name": S.CharField(), "type": S.CharField(),
                                                  "description": S.CharField()}, many=True),
    "excluded": S.CharField(),
})
OPENDATA_PARAMS = [
    OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "geojson", "gpkg"]),
    OpenApiParameter("period_start", OpenApiTypes.DATE), OpenApiParameter("period_end", OpenApiTypes.DATE),
    OpenApiParameter("category", int),
]
OPENDATA_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="appeals.csv (UTF-8 with BOM)"),
    (200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="appeals.geojson"),
    (200, "application/geopackage+sqlite3"): OpenApiResponse(OpenApiTypes.BINARY, description="appeals.gpkg"),
}
