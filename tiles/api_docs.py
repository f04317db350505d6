"""OpenAPI documentation of the map aggregate APIs (``tiles.api``, ``tiles.projects_map``):
the answers' shapes (built from SQL rows, not serializers)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

S = serializers

_POINT = inline_serializer("GeoPoint", {"type": S.ChoiceField(choices=["Point"]),
                                        "coordinates": S.ListField(child=S.FloatField(), min_length=2,
                                                                   max_length=2, help_text="[lon, lat]")})
_FILTERS = S.DictField(child=S.CharField(), help_text="the filters applied, normalised")
_SOURCE = S.CharField(help_text="where the figures came from: the precomputed aggregates or the appeals")

Heatmap = OpenApiResponse(inline_serializer("MapHeatmap", {
    "z": S.IntegerField(), "cell_size_m": S.FloatField(), "source": _SOURCE, "total": S.IntegerField(),
    "max": S.IntegerField(),
    "cells": S.ListField(child=S.ListField(child=S.FloatField(), min_length=3, max_length=3),
                         help_text="[lat, lon, count] per grid cell (leaflet.heat's input)"),
    "filters": _FILTERS,
}), examples=[OpenApiExample("A viewport at zoom 12 (GET ?bbox=37.5,55.7,37.7,55.8&z=12)", value={
    "z": 12, "cell_size_m": 305.7, "source": "aggregates", "total": 17, "max": 9,
    "cells": [[55.7512, 37.6181, 9], [55.7498, 37.6302, 8]], "filters": {}})])

Clusters = inline_serializer("MapClusters", {
    "type": S.ChoiceField(choices=["FeatureCollection"]), "z": S.IntegerField(), "source": _SOURCE,
    "total": S.IntegerField(), "totals": S.DictField(child=S.IntegerField(), help_text="count per public status"),
    "filters": _FILTERS,
    "features": inline_serializer("MapCluster", {
        "type": S.ChoiceField(choices=["Feature"]), "geometry": _POINT,
        "properties": S.DictField(child=S.IntegerField(), help_text="`count`, and the count per status (non-zero)"),
    }, many=True),
})

Choropleth = inline_serializer("MapChoropleth", {
    "type": S.ChoiceField(choices=["FeatureCollection"]), "metric": S.ChoiceField(choices=["per_1000", "count"]),
    "source": _SOURCE, "filters": _FILTERS, "min": S.FloatField(allow_null=True), "max": S.FloatField(allow_null=True),
    "features": inline_serializer("MapDistrict", {
        "type": S.ChoiceField(choices=["Feature"]), "id": S.IntegerField(),
        "geometry": S.DictField(help_text="GeoJSON (Multi)Polygon, simplified"),
        "properties": inline_serializer("MapDistrictFigures", {
            "name": S.CharField(), "code": S.CharField(), "population": S.IntegerField(), "count": S.IntegerField(),
            "per_1000": S.FloatField(allow_null=True), "value": S.FloatField(allow_null=True)}),
    }, many=True),
})

_PROJECT_FIELDS: dict[str, Any] = {
    "id": S.IntegerField(), "title": S.CharField(), "status": S.CharField(), "status_label": S.CharField(),
    "progress_percent": S.FloatField(allow_null=True), "cost": S.FloatField(allow_null=True),
    "district": S.CharField(allow_null=True), "category": S.CharField(), "url": S.CharField(),
}
ProjectMap = inline_serializer("MapProjects", {
    "type": S.ChoiceField(choices=["FeatureCollection"]),
    "features": inline_serializer("MapProject", {
        "type": S.ChoiceField(choices=["Feature"]), "id": S.IntegerField(),
        "geometry": S.DictField(help_text="GeoJSON geometry of the project"),
        "properties": inline_serializer("MapProjectProperties", {
            **_PROJECT_FIELDS,
            "photos": inline_serializer("MapProjectPhoto", {
                "id": S.IntegerField(), "thumbnail_url": S.CharField(), "caption": S.CharField(),
                "taken_at": S.DateTimeField()}, many=True)}),
    }, many=True),
    "stages": inline_serializer("MapProjectStage", {"status": S.CharField(), "label": S.CharField()}, many=True),
})
ProjectsNear = inline_serializer("MapProjectsNear", {
    "origin": S.ListField(child=S.FloatField(), min_length=2, max_length=2, help_text="[lon, lat]"),
    "results": inline_serializer("MapProjectNear", {
        **_PROJECT_FIELDS, "distance_m": S.IntegerField(),
        "point": S.ListField(child=S.FloatField(), min_length=2, max_length=2,
                             help_text="[lon, lat] of a point on the project")}, many=True),
})
