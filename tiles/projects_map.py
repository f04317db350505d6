"""Initiative projects on the public map (``/api/v1/map/``). Anyone may call these: they carry
public projects (past their draft) with public fields only — never the author, the initiative
group, voters or who uploaded a photo — and photos re-encoded without any metadata.

- ``GET /api/v1/map/projects?bbox=w,s,e,n&status=..`` — GeoJSON of the projects with their
  stage (status), progress, cost, district, page URL and the latest monitoring photos
  (thumbnail URLs), in two statements (projects; the latest photos per project);
- ``GET /api/v1/map/projects/near?lat=..&lon=..&limit=..`` — the nearest projects first, with
  the distance in metres (PostGIS ``ST_Distance`` on geography, so lines and polygons are
  measured to their nearest edge, not their centre);
- ``GET /api/v1/map/project-photos/<id>.jpg`` — a 320 px thumbnail of a public project's
  photo without EXIF/GPS (made once, then kept in the media storage)."""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F, FloatField, Func, Prefetch, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, extend_schema
from PIL import Image
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issues.filters import parse_bbox
from issues.photos import public_copies
from projects.models import Project, ProjectPhoto, ProjectStatus

from . import api_docs

log = logging.getLogger(__name__)
LATEST_PHOTOS = 3
NEAR_DEFAULT, NEAR_MAX = 10, 50
THUMB_DIR = "public/projects/thumbs"
# Stages a resident follows on the map, in their order (drafts are never public).
STAGES = [s for s in ProjectStatus.values if s != ProjectStatus.DRAFT]


def project_url(pk: int) -> str:
    """The public page of a project (served by the projects' pages)."""
    return f"/projects/{pk}/"


def thumbnail_url(photo_id: int) -> str:
    return f"/api/v1/map/project-photos/{photo_id}.jpg"


def _latest_photos() -> Prefetch:
    # Django turns a sliced prefetch into ROW_NUMBER() OVER (PARTITION BY project): one statement.
    photos = ProjectPhoto.objects.order_by(Coalesce("taken_at", "created_at").desc(), "-id").only(
        "id", "project_id", "caption", "taken_at", "created_at")
    return Prefetch("photos", queryset=photos[:LATEST_PHOTOS], to_attr="latest_photos")


def _public_projects() -> QuerySet[Project]:
    return (Project.objects.public().exclude(geometry=None)
            .annotate(public_cost=Coalesce("reviewed_price", "cost_estimate"), district_name=F("district__name"))
            .only("id", "title", "status", "progress_percent", "geometry", "category"))


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _properties(project: Any) -> dict[str, Any]:
    return {
        "id": project.pk,
        "title": project.title,
        "status": project.status,
        "status_label": str(ProjectStatus(project.status).label),
        "progress_percent": _number(project.progress_percent),
        "cost": _number(project.public_cost),
        "district": project.district_name,
        "category": project.category,
        "url": project_url(project.pk),
    }


def _photos(project: Any) -> list[dict[str, Any]]:
    return [{"id": p.pk, "thumbnail_url": thumbnail_url(p.pk), "caption": p.caption,
             "taken_at": (p.taken_at or p.created_at).isoformat()} for p in project.latest_photos]


def _statuses(raw: str) -> list[str]:
    statuses = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in STAGES]
    if unknown:
        raise ValidationError({"status": [_("Неизвестная стадия: {unknown}; допустимы: {allowed}").format(
            unknown=", ".join(unknown), allowed=", ".join(STAGES))]})
    return statuses


class ProjectMapView(APIView):
    """Anyone: public initiative projects as GeoJSON for the map layer and its popups."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("bbox", str, description="west,south,east,north in degrees"),
                               OpenApiParameter("status", str, description="stage[,stage...]")],
                   responses={200: api_docs.ProjectMap})
    def get(self, request: Request) -> Response:
        queryset = _public_projects()
        params = request.query_params
        if params.get("bbox"):
            queryset = queryset.filter(geometry__intersects=parse_bbox(params["bbox"]))
        if params.get("status"):
            queryset = queryset.filter(status__in=_statuses(params["status"]))
        features = [{"type": "Feature", "id": p.pk, "geometry": _geojson(p.geometry),
                     "properties": {**_properties(p), "photos": _photos(p)}}
                    for p in queryset.prefetch_related(_latest_photos()).order_by("id")]
        return Response({"type": "FeatureCollection", "features": features,
                         "stages": [{"status": s, "label": str(ProjectStatus(s).label)} for s in STAGES]})


def _geojson(geometry: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(geometry.geojson))


def _coordinate(params: Any, name: str, low: float, high: float, errors: dict[str, list[str]]) -> float:
    raw = params.get(name, "")
    try:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value
    except ValueError:
        errors[name] = [_("Укажите {name} числом от {low:g} до {high:g}.").format(name=name, low=low, high=high)]
        return 0.0


class ProjectsNearView(APIView):
    """Anyone: the public projects nearest to a point (the resident's location or the map
    centre), nearest first, with the distance in metres."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[
        OpenApiParameter("lat", float, required=True), OpenApiParameter("lon", float, required=True),
        OpenApiParameter("limit", int, description=f"1–{NEAR_MAX}, {NEAR_DEFAULT} by default")],
        responses={200: api_docs.ProjectsNear})
    def get(self, request: Request) -> Response:
        params = request.query_params
        errors: dict[str, list[str]] = {}
        lat = _coordinate(params, "lat", -90, 90, errors)
        lon = _coordinate(params, "lon", -180, 180, errors)
        limit = NEAR_DEFAULT
        if params.get("limit"):
            try:
                limit = int(params["limit"])
                if not 1 <= limit <= NEAR_MAX:
                    raise ValueError(limit)
            except ValueError:
                errors["limit"] = [_("Укажите limit от 1 до {most}.").format(most=NEAR_MAX)]
        if errors:
            raise ValidationError(errors)
        origin = Point(lon, lat, srid=4326)
        geography: GeometryField = GeometryField(geography=True, srid=4326)
        distance = Func(Cast("geometry", geography), Cast(Value(origin, output_field=GeometryField(srid=4326)),
                                                          geography),
                        function="ST_Distance", output_field=FloatField())
        projects = (_public_projects().annotate(distance=distance, anchor=Func(
            "geometry", function="ST_PointOnSurface", output_field=GeometryField(srid=4326)))
            .order_by("distance", "id")[:limit])
        results = [{**_properties(p), "distance_m": round(p.distance), "point": [p.anchor.x, p.anchor.y]}
                   for p in projects]
        return Response({"origin": [lon, lat], "results": results})


@require_safe
def project_photo_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone, for a photo of a public project: a small JPEG without metadata."""
    photo = (ProjectPhoto.objects.filter(pk=pk, project__status__in=STAGES).only("id", "image").first())
    if photo is None or not photo.image:
        raise Http404(_("Нет такой фотографии"))
    name = f"{THUMB_DIR}/{photo.pk}.jpg"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
    else:
        try:
            with photo.image.open("rb") as handle:
                _original, data = public_copies(handle.read())
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            log.warning("project photo %s cannot be read", pk, exc_info=True)
            raise Http404(_("Фотография недоступна")) from exc
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a parallel request wrote it first: keep one copy
            default_storage.delete(saved)
    return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "public, max-age=86400"})
