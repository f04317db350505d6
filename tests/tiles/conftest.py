"""Tile tests: helpers (the clean tile cache per test is in tests/conftest.py)."""
from __future__ import annotations

from typing import Any

import mapbox_vector_tile
from django.test import Client

from tiles.grid import Tile, tiles_for_point


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
