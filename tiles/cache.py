"""The tile cache in Redis, with exact invalidation.

A cached tile lives under ``t:{layer}:{generation}:{z}/{x}/{y}:{version}:{filters}:{coding}``:

- ``generation`` (``g:{layer}``) is bumped for changes that touch a whole layer (a category
  or agency renamed, districts edited, aggregates rebuilt);
- ``version`` (``v:{layer}:{z}/{x}/{y}``) is bumped for each tile, at every zoom, that contains
  a changed appeal's point; because the version is part of every filtered variant's key, one
  ``INCR`` per tile drops all of them (old entries simply expire).

Values are the 32-character ETag of the raw tile followed by the tile's bytes in the content
coding named at the end of the key (``tiles.encoding``: compressed once, when built)."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

import redis
from django.conf import settings

from geoportal.ratelimit import Window

from . import conf
from .grid import Tile, tiles_for_point

log = logging.getLogger(__name__)
_client: redis.Redis | None = None
ETAG_LENGTH = 32
AGGREGATES_READY = "agg:ready"


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _client


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'geoportal')}:tiles:"


def etag_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def coded_key(filters_key: str, coding: str) -> str:
    """The last part of a cached tile's key: its filters and its content coding (each coding
    is cached compressed, under its own key)."""
    return f"{filters_key}:{coding}"


def _version_key(layer: str, tile: Tile) -> str:
    return f"{_prefix()}v:{layer}:{tile.key()}"


def _generation_key(layer: str) -> str:
    return f"{_prefix()}g:{layer}"


# One round trip for a tile request: read the layer generation, the tile version and the
# aggregates flag, build the tile's key exactly as :func:`tile_key` does and read it; on a miss,
# count a render in the client's budget (ARGV[4], a counter that expires ARGV[5] seconds after
# its first count; '' when not counted). The render budget used to cost three more round trips
# of its own (Django's cache add, exists, incr) on every miss: measured in process at 10M
# appeals under load, 2.5–4 ms of a 5 ms uncached z10 tile. (The key read and the counter are
# not declared in KEYS: fine on a single Redis, which is what the portal uses for both.)
_LOOKUP = """
local generation = redis.call('GET', KEYS[1]) or '0'
local version = redis.call('GET', KEYS[2]) or '0'
local ready = redis.call('EXISTS', KEYS[3])
local key = ARGV[1] .. tonumber(generation) .. ':' .. ARGV[2] .. ':' .. tonumber(version) .. ':' .. ARGV[3]
local value = redis.call('GET', key)
local renders = 0
if not value and ARGV[4] ~= '' then
  renders = redis.call('INCR', ARGV[4])
  if renders == 1 then redis.call('EXPIRE', ARGV[4], ARGV[5]) end
end
return {key, ready, value, renders}
"""
_lookup_script: Any = None


class Lookup(NamedTuple):
    key: str | None  # None: Redis is down (tiles are then built every time, nothing counted)
    aggregates_ready: bool
    hit: tuple[str, bytes] | None  # (etag, bytes) of the cached tile
    renders: int  # on a counted miss, the renders in the budget's window including this one; else 0


def lookup(layer: str, tile: Tile, filters_key: str, budget: Window | None = None) -> Lookup:
    """The tile's cache key, the aggregates flag and the cached tile, in one round trip; on a
    miss with a ``budget`` (:func:`geoportal.ratelimit.current_window`), the render is counted
    in it in the same round trip."""
    global _lookup_script
    try:
        if _lookup_script is None:
            _lookup_script = client().register_script(_LOOKUP)
        key, ready, value, renders = _lookup_script(
            keys=[_generation_key(layer), _version_key(layer, tile), f"{_prefix()}{AGGREGATES_READY}"],
            args=[f"{_prefix()}t:{layer}:", tile.key(), filters_key, budget.key if budget else "",
                  budget.ttl if budget else 0])
    except redis.RedisError:
        log.warning("tile cache unavailable", exc_info=True)
        return Lookup(None, False, None, 0)
    if value is None:
        return Lookup(bytes(key).decode(), bool(ready), None, int(renders))
    raw = bytes(value)
    return Lookup(bytes(key).decode(), bool(ready), (raw[:ETAG_LENGTH].decode(), raw[ETAG_LENGTH:]), 0)


def tile_key(layer: str, tile: Tile, filters_key: str) -> tuple[str | None, bool]:
    """The current key of a cached tile and whether the aggregate table is ready, in one
    round trip; (None, False) when Redis is down (tiles are then built every time)."""
    try:
        values: list[Any] = client().mget(  # type: ignore[assignment]
            [_generation_key(layer), _version_key(layer, tile), f"{_prefix()}{AGGREGATES_READY}"])
        generation, version, ready = values
    except redis.RedisError:
        log.warning("tile cache unavailable", exc_info=True)
        return None, False
    key = f"{_prefix()}t:{layer}:{int(generation or 0)}:{tile.key()}:{int(version or 0)}:{filters_key}"
    return key, ready is not None


def get(key: str | None) -> tuple[str, bytes] | None:
    if key is None:
        return None
    try:
        value = client().get(key)
    except redis.RedisError:
        log.warning("tile cache unavailable", exc_info=True)
        return None
    if value is None:
        return None
    raw = bytes(value)  # type: ignore[arg-type]
    return raw[:ETAG_LENGTH].decode(), raw[ETAG_LENGTH:]


def put(key: str | None, etag: str, data: bytes, ttl: int | None = None) -> None:
    if key is None:
        return
    try:
        client().set(key, etag.encode() + data, ex=ttl or conf.cache_ttl())
    except redis.RedisError:
        log.warning("tile cache unavailable", exc_info=True)


def invalidate_tiles(layer: str, tiles: Iterable[Tile]) -> int:
    """Bump the version of each tile; returns how many were bumped."""
    # A version must outlive every entry written under it, or a reset could revive one.
    ttl = conf.cache_ttl() * 4
    pipe = client().pipeline(transaction=False)
    count = 0
    for tile in tiles:
        key = _version_key(layer, tile)
        pipe.incr(key)
        pipe.expire(key, ttl)
        count += 1
    pipe.execute()
    return count


def invalidate_point(layer: str, lon: float, lat: float) -> list[Tile]:
    """Drop every cached tile (all zooms, all filter variants) that contains the point."""
    tiles = tiles_for_point(lon, lat, range(0, conf.max_zoom() + 1))
    invalidate_tiles(layer, tiles)
    return tiles


def bump_layer(layer: str) -> None:
    client().incr(_generation_key(layer))


def mark_aggregates_ready() -> None:
    """The aggregate table is complete: low-zoom clusters may read it from now on."""
    pipe = client().pipeline()
    pipe.set(f"{_prefix()}{AGGREGATES_READY}", "1")
    pipe.incr(_generation_key("appeals"))
    pipe.execute()


def aggregates_ready() -> bool:
    try:
        return bool(client().exists(f"{_prefix()}{AGGREGATES_READY}"))
    except redis.RedisError:
        return False


def forget_aggregates() -> None:
    """Stop reading the aggregate table (tests, or before truncating it)."""
    pipe = client().pipeline()
    pipe.delete(f"{_prefix()}{AGGREGATES_READY}")
    pipe.incr(_generation_key("appeals"))
    pipe.execute()
