"""Tiles at scale: compressed tiles decode to the same features, dense point tiles are thinned
to clusters that still count every appeal, the heatmap from the per-status cells equals the one
grouped from the points, the cells follow a changed appeal exactly, and the low zooms are
pre-seeded after a rebuild. Data: the demo generator (realistic hotspots), small."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import mapbox_vector_tile
import pytest
from django.db import connection
from django.utils import timezone

from fixtures.appeals_demo import generate_appeals
from issues.models import Appeal, Status
from tiles import aggregates, cache, cells, encoding, points, preseed
from tiles.grid import Tile, tile_bounds_lonlat
from tiles.models import AppealPoint, AppealStatusCell
from tiles.stats import HEATMAP_LEVELS_BELOW_VIEW

from .conftest import fetch, tile_of
from .test_fastpath import call

pytestmark = pytest.mark.django_db

UNTIL = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CITY_BBOX = "43.7,56.1,44.3,56.5"


@pytest.fixture
def seeded(region: Any) -> int:
    return generate_appeals(500, seed=11, progress=False, until=UNTIL)


def ready_tables() -> None:
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()  # on_commit does this in production; the test's transaction never commits


def busiest_tile(z: int) -> tuple[Tile, int]:
    """The tile at zoom z holding the most public points, and how many."""
    counts = Counter(tile_of(p, z) for p in Appeal.objects.public().exclude(location=None)
                     .values_list("location", flat=True))
    return counts.most_common(1)[0]


def public_in_tile(tile: Tile, **filters: Any) -> int:
    west, south, east, north = tile_bounds_lonlat(tile)
    from django.contrib.gis.geos import Polygon

    box = Polygon.from_bbox((west, south, east, north))
    box.srid = 4326
    return Appeal.objects.public().filter(location__intersects=box, **filters).count()


def layers_of(raw: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(raw) if raw else {}


def test_compressed_tiles_decode_to_the_same_tile(client, seeded):
    ready_tables()
    tile, _count = busiest_tile(13)
    plain = fetch(client, "appeals", tile)
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    features = layers_of(plain.content)
    assert features  # a tile with appeals
    etags = {plain["ETag"]}
    seen: set[str | None] = {None}  # codings already cached (identity by the request above)
    for accept, coding in (("br", "br"), ("gzip, deflate", "gzip"), ("gzip;q=1.0, br;q=0.5", "gzip"),
                           ("br;q=0, gzip;q=0", None), ("*", "br")):
        for expected_cache in ("MISS", "HIT"):
            response = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_ACCEPT_ENCODING=accept)
            assert response.status_code == 200 and "Accept-Encoding" in response["Vary"]
            assert response.get("Content-Encoding") == coding, accept
            assert response["X-Tile-Cache"] == ("HIT" if coding in seen else expected_cache), accept
            raw = encoding.decode(response.content, response.get("Content-Encoding"))
            assert layers_of(raw) == features, accept
            if coding:
                assert len(response.content) < len(plain.content)  # what the phone downloads (ratios: bench)
                etags.add(response["ETag"])
        seen.add(coding)
    assert len(etags) == 3  # identity, br, gzip: one validator per representation
    brotli_answer = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_ACCEPT_ENCODING="br")
    revalidated = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_ACCEPT_ENCODING="br",
                             HTTP_IF_NONE_MATCH=brotli_answer["ETag"])
    assert revalidated.status_code == 304
    # The web server's fast path answers the same coded bytes, from the same cache entry.
    fast = call(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", accept_encoding="br")
    assert fast.headers["Content-Encoding"] == "br" and fast.headers["X-Tile-Cache"] == "HIT"
    assert fast.body == brotli_answer.content and fast.headers["Content-Length"] == str(len(fast.body))
    assert fast.headers["Vary"] == "Accept-Encoding"


def test_an_empty_tile_stays_empty_in_every_coding(client, region):
    response = client.get("/tiles/appeals/14/0/0.pbf", HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200 and response.content == b"" and "Content-Encoding" not in response


def test_dense_point_tiles_are_thinned_to_clusters_counting_every_appeal(client, settings, seeded):
    assert_thinned(client, settings)  # grouped live from the appeals
    ready_tables()
    cache.bump_layer("appeals")
    assert_thinned(client, settings)  # from the per-status cells and the point table
    # No served tile holds more points than the limit, and every appeal is counted once.
    settings.TILES_POINT_TILE_MAX_POINTS = 25
    cache.bump_layer("appeals")  # a changed limit needs new tiles (a deployment restarts, a rebuild bumps)
    for z in (13, 14, 15, 16):
        for tile in {tile_of(p, z) for p in AppealPoint.objects.values_list("appeal__location", flat=True)[:40]}:
            decoded = layers_of(fetch(client, "appeals", tile).content)
            points_served = len(decoded.get("appeals", {}).get("features", []))
            counted = sum(f["properties"]["count"] for f in decoded.get("appeal_clusters", {}).get("features", []))
            assert points_served <= 25 and (points_served == 0 or counted == 0), tile
            assert points_served + counted == public_in_tile(tile), tile


def assert_thinned(client: Any, settings: Any) -> None:
    tile, count = busiest_tile(13)
    settings.TILES_POINT_TILE_MAX_POINTS = count - 1
    dense = layers_of(fetch(client, "appeals", tile).content)
    assert "appeals" not in dense  # no point features at all in a tile over the limit
    clusters = dense["appeal_clusters"]["features"]
    assert sum(f["properties"]["count"] for f in clusters) == count == public_in_tile(tile)
    assert len(clusters) <= 64  # 8 × 8 cells per tile
    by_status: Counter[str] = Counter()
    for feature in clusters:
        by_status.update({k: v for k, v in feature["properties"].items() if k != "count"})
    assert by_status == {s: public_in_tile(tile, status=s) for s in by_status} and sum(by_status.values()) == count
    # At the limit the same tile is points, each appeal once, with the minimal attributes.
    settings.TILES_POINT_TILE_MAX_POINTS = count
    cache.bump_layer("appeals")
    sparse = layers_of(fetch(client, "appeals", tile).content)
    assert "appeal_clusters" not in sparse
    found = sparse["appeals"]["features"]
    assert len(found) == count == len({f["id"] for f in found})
    assert all(set(f["properties"]) == {"status", "category_id"} for f in found)
    # A filter is counted with the filter: the same tile with one status only.
    status = Counter(f["properties"]["status"] for f in found).most_common(1)[0][0]
    settings.TILES_POINT_TILE_MAX_POINTS = public_in_tile(tile, status=status) - 1
    filtered = layers_of(fetch(client, "appeals", tile, status=status).content)
    assert "appeals" not in filtered
    assert sum(f["properties"]["count"] for f in filtered["appeal_clusters"]["features"]) == public_in_tile(
        tile, status=status)


def _cells(data: dict[str, Any]) -> list[tuple[float, float, int]]:
    return sorted((lat, lon, n) for lat, lon, n in data["cells"])


def assert_same_heatmap(from_cells: dict[str, Any], from_points: dict[str, Any]) -> None:
    assert from_cells["source"] == "cells" and from_points["source"] == "points"
    assert from_cells["total"] == from_points["total"] > 0
    left, right = _cells(from_cells), _cells(from_points)
    assert len(left) == len(right)
    for (lat1, lon1, n1), (lat2, lon2, n2) in zip(left, right, strict=True):
        # the centroid of a cell: sums in another order may differ in the last printed digit
        assert n1 == n2 and abs(lat1 - lat2) <= 2e-6 and abs(lon1 - lon2) <= 2e-6


def viewport(z: int) -> str:
    """A 1280 × 800 px map at zoom z centred on an appeal of the busiest z16 tile."""
    tile, _count = busiest_tile(16)
    point = next(p for p in Appeal.objects.public().exclude(location=None).values_list("location", flat=True)
                 if tile_of(p, 16) == tile)
    lon, lat = point.x, point.y
    half_w = 640 / 256 * 360 / (1 << z) / 2
    half_h = half_w * 400 / 640 * 0.55  # ~cos(56°): degrees of latitude per degree of longitude on screen
    return f"{lon - half_w:.6f},{lat - half_h:.6f},{lon + half_w:.6f},{lat + half_h:.6f}"


def test_heatmap_from_cells_equals_the_heatmap_from_points_at_every_zoom(client, seeded):
    finest = cells.finest_level()
    # (zoom, its viewport, the zoom whose point heatmap has the same cells: above the finest
    # level the cells are coarser than z + 2)
    below = HEATMAP_LEVELS_BELOW_VIEW
    cases = [(z, CITY_BBOX if z <= 11 else viewport(z), min(z + below, finest) - below) for z in range(8, 19)]

    def heatmap(z: int, bbox: str, **params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/heatmap", {"bbox": bbox, "z": z, **params})
        assert response.status_code == 200, response.content
        return response.json()

    from_points = [heatmap(same, bbox) for _z, bbox, same in cases]
    routed = heatmap(12, viewport(12), status="answered,in_progress")
    ready_tables()
    for (z, bbox, _same), expected in zip(cases, from_points, strict=True):
        from_cells = heatmap(z, bbox)
        assert_same_heatmap(from_cells, expected)
        assert from_cells["cell_size_m"] == expected["cell_size_m"]
    assert_same_heatmap(heatmap(12, viewport(12), status="answered,in_progress"), routed)


def _status_cells() -> list[tuple[int, int, int, str, int, float, float]]:
    return sorted((c.zoom, c.ix, c.iy, c.status, c.count, round(c.sum_x, 3), round(c.sum_y, 3))
                  for c in AppealStatusCell.objects.all())


def test_after_a_rebuild_low_zooms_are_preseeded_and_cells_follow_changes_exactly(client, seeded):
    ready_tables()
    built = preseed.preseed(max_zoom=11)
    tiles = preseed.territory_tiles(11)
    assert built == len(tiles) > 11  # at least one tile per zoom
    for tile in tiles[-4:]:
        for coding in ("br", "gzip"):
            response = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_ACCEPT_ENCODING=coding)
            assert response["X-Tile-Cache"] == "HIT", (tile, coding)
    # the citywide first view: every tile of it comes from the cache, compressed
    assert all(client.get(f"/tiles/appeals/{t.z}/{t.x}/{t.y}.pbf", HTTP_ACCEPT_ENCODING="br")["X-Tile-Cache"]
               == "HIT" for t in tiles if t.z == 11)

    answered = Appeal.objects.public().filter(status=Status.ANSWERED).exclude(location=None)
    changed = list(answered[:2])
    hidden = Appeal.objects.public().exclude(location=None).exclude(pk__in=[a.pk for a in changed]).first()
    # the rows a closing, a reopening and a moderator's hiding leave behind (the refresh reads the rows)
    Appeal.objects.filter(pk=changed[0].pk).update(status=Status.CLOSED, closed_at=timezone.now())
    Appeal.objects.filter(pk=changed[1].pk).update(status=Status.IN_PROGRESS)
    Appeal.objects.filter(pk=hidden.pk).update(is_public=False)
    aggregates.refresh_appeals([changed[0].pk, changed[1].pk, hidden.pk])
    patched = _status_cells()
    aggregates.rebuild_all()
    assert patched == _status_cells()
    with connection.cursor() as cursor:  # the statuses and the cells' totals both count every public point
        cursor.execute(f"SELECT sum(count) FILTER (WHERE status <> %s), sum(count) FILTER (WHERE status = %s), "
                       f"count(*) FILTER (WHERE status = %s) FROM {cells.TABLE} WHERE zoom = 0",
                       [cells.TOTAL, cells.TOTAL, cells.TOTAL])
        by_status, total, total_rows = cursor.fetchone()
        assert by_status == total == AppealPoint.objects.count() == Appeal.objects.public().exclude(
            location=None).count() and total_rows == 1


def test_a_cell_is_one_tile_of_the_point_keys():
    # tiles.cells finds a cell's points by the key range of the tile that is exactly the cell
    level, ix, iy = 17, 80_000, 60_000
    tile = cells.cell_tile(level, ix, iy)
    west, south, east, north = tile_bounds_lonlat(tile)
    from tiles.grid import ORIGIN, cell_size, lonlat_to_mercator

    x, y = lonlat_to_mercator((west + east) / 2, (south + north) / 2)
    assert (int((x + ORIGIN) // cell_size(level)), int((y + ORIGIN) // cell_size(level))) == (ix, iy)
    low, high = points.tile_key_range(tile)
    assert low <= points.key_of(x, y) <= high
