"""Tile endpoints. Anyone may call them: they carry public data only (public appeals with
public attributes, district boundaries, published projects).

``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` — a Mapbox Vector Tile, one SQL statement when not
cached; brotli or gzip as ``Accept-Encoding`` allows (``tiles.encoding``), ``Vary:
Accept-Encoding``; ``ETag`` (hash of the bytes, per coding) with ``If-None-Match`` → 304;
``Cache-Control``.
``GET /tiles/{layer}.json`` — TileJSON 3.0.0 describing the layer (filters pass through)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rest_framework.exceptions import Throttled, ValidationError

from geoportal.clientip import client_ip
from geoportal.models import District
from geoportal.ratelimit import current_window
from geoportal.replica import replica_tile_ttl, served_from_replica

from . import cache, conf, encoding
from .filters import TileFilters, parse_filters
from .grid import Tile, TileOutOfRange, parse_tile
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


def tile_headers(etag: str, cached: bool, content_encoding: str | None = None) -> dict[str, str]:
    headers = {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={conf.browser_max_age()}",
               "X-Tile-Cache": "HIT" if cached else "MISS", "Vary": "Accept-Encoding"}
    if content_encoding:
        headers["Content-Encoding"] = content_encoding
    return headers


def check_request(layer: Layer, tile: Tile, filters: TileFilters) -> None:
    """What a tile request may ask for beyond a valid tile (400 otherwise)."""
    if layer.filterable:
        filters.check_zoom(tile.z)


def build_tile(layer: Layer, tile: Tile, filters: TileFilters, coding: str = encoding.IDENTITY,
               client: str | None = None) -> tuple[str, bytes, bool, Callable[[], None]]:
    """(etag, body, from_cache, store) of a checked tile in a content coding (``tiles.encoding``):
    one Redis round trip, and on a miss one prepared SQL statement (one database round trip)
    and the compression; ``store()`` writes the coded body of a miss to the cache (the fast
    path calls it after the bytes went out), so a hit is never compressed again. A miss counts
    against the client's render budget (``TILES_RENDER_RATE``), in the same Redis round trip as
    the lookup: hits cost the database nothing, so only renders are limited, and the cached map
    stays as fast as it was."""
    budget = current_window(f"tiles:{client}", settings.TILES_RENDER_RATE) if client is not None else None
    key, aggregates_ready, hit, renders = cache.lookup(layer.name, tile, cache.coded_key(filters.cache_key, coding),
                                                       budget)
    if hit is not None:
        return encoding.representation_etag(hit[0], coding), hit[1], True, _nothing
    wait = budget.wait(renders) if budget is not None else None
    if wait is not None:
        raise Throttled(wait=wait)
    data = run_tile_statement(layer.build(tile, filters, aggregates_ready), reuse_plan=not filters.params)
    etag = cache.etag_of(data)
    body = encoding.encode(data, coding)
    # A tile read from the replica may predate the change that bumped the layer's version (the
    # replica lags up to DATABASE_REPLICA_MAX_LAG): kept only that long, not for the full TTL.
    ttl = replica_tile_ttl() if served_from_replica() else None
    return encoding.representation_etag(etag, coding), body, False, lambda: cache.put(key, etag, body, ttl)


def _nothing() -> None:
    return None


def render_tile(layer: Layer, z: int | str, x: int | str, y: int | str, filters: TileFilters,
                coding: str = encoding.IDENTITY, client: str | None = None) -> tuple[str, bytes, bool]:
    """(etag, body, from_cache) of a tile: Redis first, else one SQL statement (cached now)."""
    tile = parse_tile(str(z), str(x), str(y), conf.max_zoom())
    check_request(layer, tile, filters)
    etag, data, cached, store = build_tile(layer, tile, filters, coding, client)
    store()
    return etag, data, cached


@require_safe
def tile_view(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    """Anyone: one vector tile of a public layer; renders (cache misses) are limited per client
    address. (Behind the web server, ``tiles.fastpath`` answers well-formed tile requests the
    same way without the rest of the request cycle.)"""
    found = _layer_or_error(layer)
    if isinstance(found, JsonResponse):
        return found
    coding = encoding.negotiate(request.headers.get("Accept-Encoding", ""))
    try:
        etag, data, cached = render_tile(found, z, x, y, _filters(found, request), coding, client_ip(request))
    except TileOutOfRange as exc:
        return JsonResponse({exc.field: [str(exc)]}, status=400)
    except ValidationError as exc:
        return _validation_response(exc)
    except Throttled as exc:
        return JsonResponse({"detail": str(exc.detail)}, status=429,
                            headers={"Retry-After": str(int(getattr(exc, "wait", None) or 60))})
    headers = tile_headers(etag, cached, encoding.content_encoding(data, coding))
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
