"""Tile tests: a clean tile cache per test (only the tiles' keys, the Redis DB may be shared)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
from django.test import Client

from tiles import cache
from tiles.grid import Tile, tiles_for_point


def clear_tile_cache() -> None:
    client = cache.client()
    keys = list(client.scan_iter(match=f"{cache._prefix()}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clean_tile_cache() -> Iterator[None]:
    clear_tile_cache()
    yield
    clear_tile_cache()


def tile_of(point: Any, z: int) -> Tile:
    return tiles_for_point(point.x, point.y, range(z, z + 1))[0]


def fetch(client: Client, layer: str, tile: Tile, **params: Any) -> Any:
    return client.get(f"/tiles/{layer}/{tile.z}/{tile.x}/{tile.y}.pbf", params)


def decode(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def features(response: Any, layer: str) -> list[dict[str, Any]]:
    return decode(response).get(layer, {}).get("features", [])
