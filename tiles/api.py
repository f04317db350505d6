"""Aggregate APIs for maps (``/api/v1/``). Anyone may call them: they count public appeals
only and return no appeal's details.

- ``GET /api/v1/heatmap?bbox=w,s,e,n&z=..&category=..&period=..`` — grid counts for a
  viewport, compact JSON ``[[lat, lon, count], ...]`` (leaflet.heat's input);
- ``GET /api/v1/clusters?bbox=..&z=..&<filters>`` — clusters of the viewport as GeoJSON with
  counts per status (Leaflet draws them without a vector-tile plugin) and totals;
- ``GET /api/v1/choropleth?metric=per_1000&category=..&period=..`` — districts (GeoJSON)
  with appeals per 1,000 residents."""
from __future__ import annotations

from django.contrib.gis.geos import Polygon
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues.filters import parse_bbox

from . import api_docs, cache, conf, stats
from .filters import parse_filters

FILTER_DOC = [OpenApiParameter("category", int), OpenApiParameter("status", str),
              OpenApiParameter("agency", int), OpenApiParameter("district", str),
              OpenApiParameter("period", str, description="30d | 2025 | 2025-03 | 2025-01..2025-06")]
METRICS = ("per_1000", "count")


def _viewport(request: Request) -> tuple[Polygon, int]:
    errors: dict[str, list[str]] = {}
    bbox_raw = request.query_params.get("bbox", "")
    if not bbox_raw:
        errors["bbox"] = [_("Укажите bbox = west,south,east,north.")]
    z = -1
    try:
        z = int(request.query_params.get("z", ""))
        if not 0 <= z <= conf.max_zoom():
            raise ValueError(z)
    except ValueError:
        errors["z"] = [_("Укажите масштаб z от 0 до {max_zoom}.").format(max_zoom=conf.max_zoom())]
    if errors:
        raise ValidationError(errors)
    return parse_bbox(bbox_raw), z


VIEWPORT_DOC = [OpenApiParameter("bbox", str, required=True), OpenApiParameter("z", int, required=True)]


# Public counts, no secret in the body (so no BREACH concern): gzip when the client accepts it
# (a desktop heatmap is ~100 KB of JSON, a tenth of that compressed).
@method_decorator(gzip_page, name="get")
class HeatmapView(APIView):
    """Anyone: counts of public appeals per grid cell in a viewport."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[*VIEWPORT_DOC, *FILTER_DOC], responses={200: api_docs.Heatmap})
    def get(self, request: Request) -> Response:
        bbox, z = _viewport(request)
        filters = parse_filters(request.query_params)
        return Response(stats.heatmap(bbox, z, filters, cache.aggregates_ready()))


@method_decorator(gzip_page, name="get")
class ClustersView(APIView):
    """Anyone: clusters of public appeals in a viewport as GeoJSON (the grid of the cluster
    tiles, counts per status) and the viewport's totals per status."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[*VIEWPORT_DOC, *FILTER_DOC], responses={200: api_docs.Clusters})
    def get(self, request: Request) -> Response:
        bbox, z = _viewport(request)
        filters = parse_filters(request.query_params)
        return Response(stats.clusters(bbox, z, filters, cache.aggregates_ready()))


class ChoroplethView(APIView):
    """Anyone: per-district counts and rates of public appeals (GeoJSON)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("metric", str, enum=list(METRICS)), *FILTER_DOC],
                   responses={200: api_docs.Choropleth})
    def get(self, request: Request) -> Response:
        metric = request.query_params.get("metric", "per_1000")
        if metric not in METRICS:
            raise ValidationError({"metric": [_("Неизвестная метрика; допустимы: {allowed}.").format(
                allowed=", ".join(METRICS))]})
        return Response(stats.choropleth(parse_filters(request.query_params), metric, cache.aggregates_ready()))
