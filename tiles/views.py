"""Tile endpoints. Anyone may call them: they carry public data only (public appeals with
public attributes, district boundaries, published projects).

``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` — a Mapbox Vector Tile, one SQL statement when not
cached; ``ETag`` (hash of the bytes) with ``If-None-Match`` → 304; ``Cache-Control``.
``GET /tiles/{layer}.json`` — TileJSON 3.0.0 describing the layer (filters pass through)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rest_framework.exceptions import ValidationError

from geoportal.models import District
from geoportal.replica import replica_tile_ttl, served_from_replica

from . import cache, conf
from .filters import TileFilters, parse_filters
from .grid import Tile, TileOutOfRange, check_tile
from .layers import LAYERS, Layer
from .sql import run_tile_statement

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


def _layer_or_error(name: str) -> Layer | JsonResponse:
    layer = LAYERS.get(name)
    if layer is None:
        return JsonResponse({"detail": _("Нет слоя «{name}»; есть: {layers}.").format(
            name=name, layers=", ".join(LAYERS))}, status=404)
    reason = layer.unavailable()
    if reason:
        return JsonResponse({"detail": reason}, status=404)
    return layer


def _filters(layer: Layer, request: HttpRequest) -> TileFilters:
    return parse_filters(request.GET) if layer.filterable else TileFilters()


def etag_matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names this ETag (weak or strong) or ``*``."""
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return f'"{etag}"' in candidates or "*" in candidates


def _validation_response(exc: ValidationError) -> JsonResponse:
    return JsonResponse(exc.detail, status=400, safe=False)


def tile_headers(etag: str, cached: bool) -> dict[str, str]:
    return {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={conf.browser_max_age()}",
            "X-Tile-Cache": "HIT" if cached else "MISS"}


def build_tile(layer: Layer, tile: Tile, filters: TileFilters) -> tuple[str, bytes, bool, Callable[[], None]]:
    """(etag, bytes, from_cache, store) of a checked tile: one Redis round trip, and on a miss
    one prepared SQL statement (one database round trip); ``store()`` writes a miss to the
    cache (the fast path calls it after the bytes went out)."""
    key, aggregates_ready, hit = cache.lookup(layer.name, tile, filters.cache_key)
    if hit is not None:
        return hit[0], hit[1], True, _nothing
    data = run_tile_statement(layer.build(tile, filters, aggregates_ready), reuse_plan=not filters.params)
    etag = cache.etag_of(data)
    # A tile read from the replica may predate the change that bumped the layer's version (the
    # replica lags up to DATABASE_REPLICA_MAX_LAG): kept only that long, not for the full TTL.
    ttl = replica_tile_ttl() if served_from_replica() else None
    return etag, data, False, lambda: cache.put(key, etag, data, ttl)


def _nothing() -> None:
    return None


def render_tile(layer: Layer, z: int, x: int, y: int, filters: TileFilters) -> tuple[str, bytes, bool]:
    """(etag, bytes, from_cache) of a tile: Redis first, else one SQL statement (cached now)."""
    etag, data, cached, store = build_tile(layer, check_tile(z, x, y, conf.max_zoom()), filters)
    store()
    return etag, data, cached


@require_safe
def tile_view(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponse:
    """Anyone: one vector tile of a public layer. (Behind the web server, ``tiles.fastpath`` answers
    well-formed tile requests the same way without the rest of the request cycle.)"""
    found = _layer_or_error(layer)
    if isinstance(found, JsonResponse):
        return found
    try:
        etag, data, cached = render_tile(found, z, x, y, _filters(found, request))
    except TileOutOfRange as exc:
        return JsonResponse({exc.field: [str(exc)]}, status=400)
    except ValidationError as exc:
        return _validation_response(exc)
    headers = tile_headers(etag, cached)
    if etag_matches(request.headers.get("If-None-Match", ""), etag):
        response: HttpResponse = HttpResponseNotModified()
        for name, value in headers.items():
            response[name] = value
        return response
    return HttpResponse(data, content_type=MVT_CONTENT_TYPE, headers=headers)


@require_safe
def tilejson_view(request: HttpRequest, layer: str) -> HttpResponse:
    """Anyone: the TileJSON document of a layer (bounds of the served territory)."""
    found = _layer_or_error(layer)
    if isinstance(found, JsonResponse):
        return found
    try:
        filters = _filters(found, request)
    except ValidationError as exc:
        return _validation_response(exc)
    query = filters.query_string()
    template = request.build_absolute_uri(f"/tiles/{layer}/") + "{z}/{x}/{y}.pbf" + (f"?{query}" if query else "")
    extent = District.objects.aggregate(extent=Extent("boundary"))["extent"]
    bounds = list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]
    document: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": found.title,
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": 0,
        "maxzoom": conf.max_zoom(),
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 11],
        "vector_layers": found.vector_layers(),
    }
    if found.filterable:
        document["filters"] = filters.params
    return JsonResponse(document, headers={"Cache-Control": f"public, max-age={conf.browser_max_age()}"})
