"""Tile statements run as server-side prepared statements (``tiles.sql.run_tile_statement``):
the same bytes as the statement run ad hoc, one prepared statement per layer and filter set
(z, x, y are parameters), a reused plan only for unfiltered tiles, the statement's settings
(no JIT, no parallel workers) confined to its transaction, a fresh connection prepares again,
a database error leaves the connection usable, and the switch for poolers turns it all off."""
from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import pytest
from django.db import DataError, connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from issues import actions
from tests.issues.helpers import make_appeal
from tiles import aggregates, cache
from tiles.filters import TileFilters, parse_filters
from tiles.grid import Tile
from tiles.layers import LAYERS
from tiles.sql import run_statement, run_tile_statement

from .conftest import tile_of
from .test_fastpath import call

SETTINGS_SEEN = ("SELECT convert_to(concat_ws(' ', current_setting('jit'), "
                 "current_setting('max_parallel_workers_per_gather'), current_setting('plan_cache_mode')), 'UTF8')")


@pytest.fixture
def appeals(personas: Any) -> dict[str, Any]:
    pothole = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    actions.accept_appeal(pothole, actor=personas.executor_a)
    heat = make_appeal(personas.other_citizen, "heat-outage", district="sormovsky",
                       text="Нет отопления в доме третий день.")
    return {"pothole": pothole, "heat": heat}


def ad_hoc(statement: tuple[str, list[Any]]) -> bytes:
    with connection.cursor() as cursor:
        rows = run_statement(cursor, statement)
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


def prepared_tile_statements() -> list[tuple[str, int, int]]:
    """(statement, generic plans, custom plans) of this session's prepared tile statements."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                       "WHERE statement LIKE 'SELECT ST_AsMVT(%%' OR statement LIKE 'SELECT CASE WHEN (SELECT count(*)%%' "
                       "ORDER BY prepare_time")
        return list(cursor.fetchall())


def session_settings() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather'), current_setting('plan_cache_mode')")
        return list(cursor.fetchone())


def tile_url(tile: Tile) -> str:
    return f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"


@pytest.fixture
def session_parallel_workers() -> Any:
    """A session value of its own (not the server's default nor the tiles' 0), so a leak shows."""
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 3")
    yield ["3", "auto"]
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")


@pytest.mark.django_db
def test_prepared_statement_gives_the_ad_hoc_bytes_for_every_kind_of_tile(appeals):
    pothole, heat = appeals["pothole"], appeals["heat"]
    aggregates.rebuild_all()
    sormovsky = parse_filters(QueryDict("district=sormovsky"))
    cases = [  # (layer, tile, filters, aggregates ready, vector layer)
        ("appeals", tile_of(pothole.location, 16), TileFilters(), True, "appeals"),
        ("appeals", tile_of(heat.location, 14), TileFilters(), True, "appeals"),
        ("appeals", tile_of(heat.location, 14), sormovsky, True, "appeals"),
        ("appeals", tile_of(pothole.location, 14), sormovsky, True, "appeals"),
        ("appeals", tile_of(pothole.location, 10), TileFilters(), True, "appeal_clusters"),  # from the table
        ("appeals", tile_of(pothole.location, 10), TileFilters(), False, "appeal_clusters"),  # grouped live
        ("appeals", tile_of(heat.location, 10), sormovsky, True, "appeal_clusters"),  # live: a district
        ("districts", tile_of(heat.location, 10), TileFilters(), False, "districts"),
    ]
    for layer, tile, filters, ready, vector_layer in cases:
        statement = LAYERS[layer].build(tile, filters, ready)
        expected_bytes = ad_hoc(statement)
        for _ in range(7):  # past plan_cache_mode's 5 custom plans: a generic plan may now serve
            assert run_tile_statement(statement, reuse_plan=not filters.params) == expected_bytes, (layer, tile)
        found = mapbox_vector_tile.decode(expected_bytes).get(vector_layer, {}).get("features", [])
        if layer == "districts":
            assert found, tile
            continue
        expected = {a.pk for a in (pothole, heat) if tile_of(a.location, tile.z) == tile
                    and ("district" not in filters.params or a.district.code == "sormovsky")}
        if vector_layer == "appeal_clusters":
            assert sum(f["properties"]["count"] for f in found) == len(expected) > 0, (tile, filters.params)
        else:
            assert {f["id"] for f in found} == expected, (tile, filters.params)
    assert heat.district.code == "sormovsky" != pothole.district.code  # the filtered cases differ


@pytest.mark.django_db
def test_one_prepared_statement_per_layer_and_filters_and_plans_reused_only_unfiltered(appeals):
    pothole, heat = appeals["pothole"], appeals["heat"]
    tiles = {tile_of(appeal.location, z) for appeal in (pothole, heat) for z in (13, 14, 15, 16)}
    for _ in range(2):
        for tile in tiles:
            cache.bump_layer("appeals")
            assert call(tile_url(tile)).headers["X-Tile-Cache"] == "MISS"
            cache.bump_layer("appeals")
            assert call(tile_url(tile), "district=sormovsky").headers["X-Tile-Cache"] == "MISS"
    statements = prepared_tile_statements()
    assert len(tiles) > 4 and len(statements) == 2, statements  # z, x, y are parameters, not text
    (plain, plain_generic, plain_custom), (filtered, filtered_generic, filtered_custom) = statements
    assert "district_id" not in plain and "district_id" in filtered
    # Unfiltered: plan_cache_mode auto (PostgreSQL may switch to a generic plan after 5 runs).
    assert plain_custom + plain_generic == 2 * len(tiles) and plain_custom >= 5
    assert filtered_custom == 2 * len(tiles) and filtered_generic == 0  # each filtered tile planned for its values


@pytest.mark.django_db
def test_the_miss_is_still_one_logged_query(appeals):
    tile = tile_of(appeals["pothole"].location, 16)
    with CaptureQueriesContext(connection) as queries:
        assert call(tile_url(tile)).code == 200
    assert len(queries) == 1 and "ST_AsMVT" in queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_the_settings_end_with_the_statement(appeals, session_parallel_workers):
    before = session_parallel_workers
    assert session_settings() == before
    assert run_tile_statement((SETTINGS_SEEN, [])) == b"off 0 auto"
    assert session_settings() == before  # autocommit: they ended with the pipeline's transaction
    assert run_tile_statement((SETTINGS_SEEN, []), reuse_plan=False) == b"off 0 force_custom_plan"
    assert session_settings() == before
    for query in ("", "district=sormovsky"):
        cache.bump_layer("appeals")
        assert call(tile_url(tile_of(appeals["heat"].location, 14)), query).headers["X-Tile-Cache"] == "MISS"
        assert session_settings() == before
    with transaction.atomic():  # inside a caller's transaction they last until it ends, as SET LOCAL does
        run_tile_statement((SETTINGS_SEEN, []), reuse_plan=False)
        assert session_settings() == ["0", "force_custom_plan"]
    assert session_settings() == before


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(appeals):
    tile = tile_of(appeals["pothole"].location, 16)
    expected = ad_hoc(LAYERS["appeals"].build(tile, TileFilters(), False))
    first = call(tile_url(tile))
    assert first.body == expected and len(prepared_tile_statements()) == 1
    connection.close()
    cache.bump_layer("appeals")
    second = call(tile_url(tile))
    assert second.headers["X-Tile-Cache"] == "MISS" and second.body == expected
    assert len(prepared_tile_statements()) == 1  # prepared on the new session


@pytest.mark.django_db(transaction=True)
def test_a_database_error_leaves_the_connection_usable(appeals, session_parallel_workers):
    with pytest.raises(DataError):
        run_tile_statement(("SELECT convert_to((1 / %s)::text, 'UTF8')", [0]))
    tile = tile_of(appeals["pothole"].location, 16)
    answer = call(tile_url(tile))
    assert answer.code == 200 and answer.body == ad_hoc(LAYERS["appeals"].build(tile, TileFilters(), False))
    assert session_settings() == session_parallel_workers


@pytest.mark.django_db
def test_prepared_statements_can_be_switched_off_for_a_pooler(appeals, settings):
    settings.TILES_PREPARED_STATEMENTS = False
    tile = tile_of(appeals["pothole"].location, 16)
    answer = call(tile_url(tile))
    assert answer.code == 200 and answer.body == ad_hoc(LAYERS["appeals"].build(tile, TileFilters(), False))
    assert len(mapbox_vector_tile.decode(answer.body)["appeals"]["features"]) == 1
    assert prepared_tile_statements() == []
