"""The tile layers: what each serves, with which attributes, and which SQL builds a tile.

- ``appeals``: public appeals; points (layer ``appeals``) above ``TILES_CLUSTER_MAX_ZOOM``
  unless the tile would hold more than ``TILES_POINT_TILE_MAX_POINTS`` of them, grid-cell
  clusters with counts per status (layer ``appeal_clusters``) at or below it and in dense
  tiles, read from the precomputed tables when they are ready and the filters allow (per-status
  cells without filters or with a status filter, the category × status × month aggregates for
  category and month filters), otherwise grouped live; unfiltered points from the point table
  (``tiles.points``) when it is ready.
- ``districts``: district boundaries with name, code and population.
- ``projects``: initiative projects, when ``projects.Project`` has a ``geometry`` field."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from geoportal.models import District

from . import conf
from .filters import TileFilters
from .grid import Tile
from .sql import (
    CLUSTER_STATUS_FIELDS,
    CLUSTERS_LAYER,
    POINT_ATTRIBUTES,
    POINTS_LAYER,
    Statement,
    appeal_clusters_from_cells,
    appeal_clusters_live,
    appeal_clusters_precomputed,
    geometry_layer,
    thinned_point_tile,
)


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    filterable: bool
    build: Callable[[Tile, TileFilters, bool], Statement]
    vector_layers: Callable[[], list[dict[str, Any]]]
    unavailable: Callable[[], str | None] = field(default=lambda: None)


def _appeals(tile: Tile, filters: TileFilters, aggregates_ready: bool) -> Statement:
    if tile.z > conf.cluster_max_zoom():
        return thinned_point_tile(tile, filters, aggregates_ready, conf.point_tile_max_points())
    if aggregates_ready and filters.status_only:
        return appeal_clusters_from_cells(tile, filters.statuses)
    if aggregates_ready and filters.precomputable:
        return appeal_clusters_precomputed(tile, filters)
    return appeal_clusters_live(tile, filters)


def _appeal_vector_layers() -> list[dict[str, Any]]:
    clusters = {"count": "Number", **{status: "Number" for status in CLUSTER_STATUS_FIELDS}}
    return [
        # Above the cluster zooms too, in place of the points of a tile too dense for them.
        {"id": CLUSTERS_LAYER, "description": "Обращения, сгруппированные по ячейкам сетки", "minzoom": 0,
         "maxzoom": conf.max_zoom(), "fields": clusters},
        # The feature id is the appeal's id: details come from /api/v1/appeals/{id}/ on click.
        {"id": POINTS_LAYER, "description": "Публичные обращения", "minzoom": conf.cluster_max_zoom() + 1,
         "maxzoom": conf.max_zoom(), "fields": dict(POINT_ATTRIBUTES)},
    ]


DISTRICT_ATTRIBUTES = ["id", "name", "code", "population"]


def _districts(tile: Tile, filters: TileFilters, aggregates_ready: bool) -> Statement:
    return geometry_layer(District.objects.all(), tile, "districts", "boundary", DISTRICT_ATTRIBUTES)


# Public, scalar project attributes served when the model has them (personal data of an
# initiative group is never among them).
PROJECT_CANDIDATE_ATTRIBUTES = ["id", "title", "name", "stage", "status", "progress", "progress_percent",
                                "cost", "budget", "votes_count", "district_id"]
_SCALAR_FIELDS = (models.CharField, models.IntegerField, models.DecimalField, models.BooleanField,
                  models.FloatField, models.DateField, models.ForeignKey)


def project_model() -> type[models.Model] | None:
    """``projects.Project`` when it exists with a ``geometry`` field, else None."""
    try:
        model = apps.get_model("projects", "Project")
    except LookupError:
        return None
    try:
        geometry = model._meta.get_field("geometry")
    except FieldDoesNotExist:
        return None
    return model if isinstance(geometry, GeometryField) else None


def project_attributes(model: type[models.Model]) -> list[str]:
    found = []
    for name in PROJECT_CANDIDATE_ATTRIBUTES:
        lookup = name[:-3] if name.endswith("_id") else name
        try:
            model_field = model._meta.get_field(lookup)
        except FieldDoesNotExist:
            continue
        if isinstance(model_field, _SCALAR_FIELDS) and not isinstance(model_field, models.ManyToManyField):
            if isinstance(model_field, models.ForeignKey) and not name.endswith("_id"):
                continue
            found.append(name)
    return found


def _projects_unavailable() -> str | None:
    if project_model() is None:
        return _("Слой проектов недоступен: в приложении projects пока нет модели Project с полем geometry "
                 "(появится вместе с инициативными проектами).")
    return None


def _projects(tile: Tile, filters: TileFilters, aggregates_ready: bool) -> Statement:
    model = project_model()
    if model is None:  # the view checks unavailable() first
        raise LookupError("projects.Project with a geometry field is not installed")
    manager: Any = model._default_manager
    queryset = manager.public() if hasattr(manager, "public") else manager.all()
    return geometry_layer(queryset, tile, "projects", "geometry", project_attributes(model))


def _project_vector_layers() -> list[dict[str, Any]]:
    model = project_model()
    fields = {name: "String" for name in project_attributes(model)} if model else {}
    return [{"id": "projects", "description": "Инициативные проекты", "minzoom": 0, "maxzoom": conf.max_zoom(),
             "fields": fields}]


LAYERS: dict[str, Layer] = {
    "appeals": Layer("appeals", "Обращения граждан", True, _appeals, _appeal_vector_layers),
    "districts": Layer("districts", "Районы", False, _districts, lambda: [
        {"id": "districts", "description": "Границы районов", "minzoom": 0, "maxzoom": conf.max_zoom(),
         "fields": {"id": "Number", "name": "String", "code": "String", "population": "Number"}}]),
    "projects": Layer("projects", "Инициативные проекты", False, _projects, _project_vector_layers,
                      _projects_unavailable),
}
