"""The point table behind unfiltered point tiles (``tiles.points``, ``AppealPoint``): its
quadtree keys agree between SQL and Python and make every tile one key range; tiles read
from it carry exactly the features of the same tiles built from the appeals; the endpoint
reads it only once it is built, and only without filters; only public appeals get a row, with
public attributes; changed appeals are rewritten."""
from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from issues import actions
from issues.models import Appeal
from tiles import aggregates, cache, points
from tiles.filters import TileFilters
from tiles.grid import ORIGIN, Tile, mercator_to_lonlat, tile_width
from tiles.models import AppealPoint
from tiles.sql import appeal_points, appeal_points_from_table, run_tile_statement

from . import test_tiles
from .conftest import fetch, tile_of

pytestmark = pytest.mark.django_db
city = test_tiles.city  # the fixture: public appeals in three districts and three that never show
PUBLIC = ("light", "pothole", "heat", "phone")
NEVER = ("submitted", "rejected", "hidden")


def tile_containing(x: float, y: float, z: int) -> Tile:
    n = 1 << z
    return Tile(z, min(max(math.floor((x + ORIGIN) / tile_width(z)), 0), n - 1),
                min(max(math.floor((ORIGIN - y) / tile_width(z)), 0), n - 1))


def decoded(statement: tuple[str, list[Any]]) -> dict[int, tuple[dict[str, Any], Any]]:
    layers = mapbox_vector_tile.decode(run_tile_statement(statement))
    return {f["id"]: (f["properties"], f["geometry"]) for f in layers.get("appeals", {}).get("features", [])}


def test_keys_agree_with_sql_and_every_tile_is_one_range():
    corner = mercator_to_lonlat(-ORIGIN + 40794 * tile_width(16), ORIGIN - 20287 * tile_width(16))
    places = [(43.9361, 56.3269), (44.0059, 56.2965), (0.0, 0.0), (-180.0, -85.0511), (179.9999, 85.0511),
              (37.6173, 55.7558), corner]
    with connection.cursor() as cursor:
        for lon, lat in places:
            cursor.execute("SELECT tiles_point_key(ST_X(g), ST_Y(g)), ST_X(g), ST_Y(g) FROM "
                           "(SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) AS g) p", [lon, lat])
            key, x, y = cursor.fetchone()
            assert key == points.key_of(x, y), (lon, lat)
            for z in (0, 5, 12, 13, 16, 18, 24):
                low, high = points.tile_key_range(tile_containing(x, y, z))
                assert low <= key <= high, (lon, lat, z)
    parent = Tile(13, 5099, 2535)
    children = sorted(points.tile_key_range(Tile(14, 2 * parent.x + dx, 2 * parent.y + dy))
                      for dx in (0, 1) for dy in (0, 1))
    assert children[0][0] == points.tile_key_range(parent)[0] and children[-1][1] == points.tile_key_range(parent)[1]
    assert all(a[1] + 1 == b[0] for a, b in zip(children, children[1:], strict=False))  # a partition
    with pytest.raises(ValueError):
        points.tile_key_range(Tile(25, 0, 0))


def test_only_public_appeals_get_a_row_with_public_attributes(city):
    aggregates.rebuild_all()
    assert set(AppealPoint.objects.values_list("appeal_id", flat=True)) == {city[n].pk for n in PUBLIC}
    assert {f.name for f in AppealPoint._meta.get_fields()} == {
        "appeal", "tile_key", "number", "status", "category", "agency", "received", "geom"}
    light = AppealPoint.objects.get(appeal=city["light"])
    assert (light.number, light.status, light.category_id) == (city["light"].number, city["light"].status,
                                                               city["light"].category_id)


def test_tiles_from_the_table_equal_tiles_from_the_appeals(city):
    aggregates.rebuild_all()
    compared = 0
    for name in PUBLIC:
        for z in range(13, 19):
            tile = tile_of(city[name].location, z)
            from_table = decoded(appeal_points_from_table(tile))
            from_appeals = decoded(appeal_points(tile, TileFilters(), table_ready=False))
            assert from_table == from_appeals, (name, tile)
            assert city[name].pk in from_table
            assert not {city[n].pk for n in NEVER} & set(from_table)
            compared += 1
    assert compared == len(PUBLIC) * 6


def test_the_endpoint_reads_the_table_once_built_and_only_unfiltered(client, city):
    tile = tile_of(city["pothole"].location, 16)
    with CaptureQueriesContext(connection) as before:
        built_live = fetch(client, "appeals", tile).content
    assert "issues_appeal" in before[0]["sql"] and points.TABLE not in before[0]["sql"]
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()  # on_commit does it in production; this test runs in a transaction
    cache.bump_layer("appeals")
    with CaptureQueriesContext(connection) as after:
        response = fetch(client, "appeals", tile)
    assert response["X-Tile-Cache"] == "MISS" and len(after) == 1 and points.TABLE in after[0]["sql"]
    live = mapbox_vector_tile.decode(built_live)["appeals"]["features"]
    table = mapbox_vector_tile.decode(response.content)["appeals"]["features"]
    assert sorted((f["id"], sorted(f["properties"].items())) for f in table) == sorted(
        (f["id"], sorted(f["properties"].items())) for f in live)
    with CaptureQueriesContext(connection) as filtered:
        fetch(client, "appeals", tile, status="accepted")
    assert points.TABLE not in filtered[0]["sql"]  # the API's filters apply to the appeals themselves


def test_refresh_rewrites_the_rows_of_changed_appeals(city, personas):
    aggregates.rebuild_all()
    actions.accept_appeal(Appeal.objects.get(pk=city["light"].pk), actor=personas.executor_b)
    actions.moderate_appeal(Appeal.objects.get(pk=city["heat"].pk), actor=personas.moderator, is_public=False,
                            reason="персональные данные")
    assert AppealPoint.objects.get(appeal=city["light"]).status == city["light"].status  # not yet
    with connection.cursor() as cursor:
        assert points.refresh(cursor, [city["light"].pk, city["heat"].pk, city["submitted"].pk]) == 1
    assert AppealPoint.objects.get(appeal=city["light"]).status == "accepted"
    assert not AppealPoint.objects.filter(appeal__in=[city["heat"], city["submitted"]]).exists()
    assert AppealPoint.objects.count() == len(PUBLIC) - 1
