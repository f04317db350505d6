"""A committed change to an appeal drops exactly the cached tiles holding its point — at every
zoom and for every filter — and, with a real Celery worker, patches the cell aggregates and the
point table.
Transactional: the invalidation runs from ``transaction.on_commit``."""
from __future__ import annotations

import time
from typing import Any

import pytest

from issues import actions
from issues.models import Appeal
from tests.issues.helpers import make_appeal
from tiles import aggregates, cache
from tiles.grid import tiles_for_point
from tiles.models import AppealCellAggregate, AppealPoint

from .conftest import features, fetch, tile_of


def statuses_in(response: Any) -> dict[str, str]:
    by_id = {f["id"]: f["properties"]["status"] for f in features(response, "appeals")}
    numbers = dict(Appeal.objects.filter(pk__in=by_id).values_list("pk", "number"))
    return {numbers[pk]: status for pk, status in by_id.items()}


@pytest.mark.django_db(transaction=True)
def test_an_action_invalidates_exactly_the_tiles_of_the_appeal(client, personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    far = make_appeal(personas.other_citizen, "heat-outage", district="sormovsky", text="Нет отопления неделю.")
    point = appeal.location
    own_tiles = tiles_for_point(point.x, point.y, range(0, 19))
    far_tile = tile_of(far.location, 14)
    assert far_tile not in own_tiles

    for tile in own_tiles:
        assert fetch(client, "appeals", tile)["X-Tile-Cache"] == "MISS"
    routed_only = tile_of(point, 16)
    assert appeal.number in statuses_in(fetch(client, "appeals", routed_only, status="routed"))
    assert fetch(client, "appeals", far_tile)["X-Tile-Cache"] == "MISS"
    for tile in own_tiles:
        assert fetch(client, "appeals", tile)["X-Tile-Cache"] == "HIT"
    assert fetch(client, "appeals", routed_only, status="routed")["X-Tile-Cache"] == "HIT"

    actions.accept_appeal(appeal, actor=personas.executor_a)  # commits; on_commit sends appeal_changed

    for tile in own_tiles:
        response = fetch(client, "appeals", tile)
        assert response["X-Tile-Cache"] == "MISS", tile
        if tile.z >= 13:
            assert statuses_in(response)[appeal.number] == "accepted"
        else:
            clusters = features(response, "appeal_clusters")
            assert sum(f["properties"].get("accepted", 0) for f in clusters) == 1
    filtered = fetch(client, "appeals", routed_only, status="routed")
    assert filtered["X-Tile-Cache"] == "MISS" and appeal.number not in statuses_in(filtered)
    assert fetch(client, "appeals", far_tile)["X-Tile-Cache"] == "HIT"


@pytest.mark.django_db(transaction=True)
def test_a_renamed_category_drops_the_appeals_layer(client, personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    tile = tile_of(appeal.location, 15)
    fetch(client, "appeals", tile)
    assert fetch(client, "appeals", tile)["X-Tile-Cache"] == "HIT"
    category = appeal.category
    category.name = "Ямы на проезжей части"
    category.save(update_fields=["name"])
    response = fetch(client, "appeals", tile)
    assert response["X-Tile-Cache"] == "MISS"
    # names are no longer in the tiles (fetched on click), but the layer is still dropped at once
    assert [f["properties"]["category_id"] for f in features(response, "appeals")] == [category.pk]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cell_aggregates_follow_a_change_through_the_worker(client, personas, celery_worker_process):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома номер 5.")
    aggregates.rebuild_all()  # commits; on_commit marks the table ready
    assert cache.aggregates_ready()
    tile = tile_of(appeal.location, 10)
    before = features(fetch(client, "appeals", tile), "appeal_clusters")
    assert sum(f["properties"]["count"] for f in before) == 2
    assert sum(f["properties"].get("accepted", 0) for f in before) == 0

    actions.accept_appeal(appeal, actor=personas.executor_a)

    # The worker first carries out the set-up's own messages (two submissions' notices and
    # follow-ups); on loaded machines that went past 30 s. Wait for the state generously: a
    # timeout here means a hang, not a slow run.
    deadline = time.monotonic() + 180
    while not AppealCellAggregate.objects.filter(zoom=0, status="accepted").exists():
        assert time.monotonic() < deadline, "the worker did not refresh the cells; see var/test-celery-worker.log"
        time.sleep(0.2)
    for zoom in range(0, 13):
        rows = AppealCellAggregate.objects.filter(zoom=zoom)
        assert sorted(rows.values_list("status", "count")) == [("accepted", 1), ("routed", 1)], zoom
    # the worker drops the cached tile just after its transaction commits: wait for that state
    while True:
        after = features(fetch(client, "appeals", tile), "appeal_clusters")
        if sum(f["properties"].get("accepted", 0) for f in after) == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sum(f["properties"]["count"] for f in after) == 2
    assert sum(f["properties"].get("accepted", 0) for f in after) == 1
    # The same task rewrites the appeal's row of the point table (after its cells).
    while AppealPoint.objects.get(appeal=appeal).status != "accepted":
        assert time.monotonic() < deadline, "the worker did not refresh the point table"
        time.sleep(0.2)
    points = statuses_in(fetch(client, "appeals", tile_of(appeal.location, 16)))
    assert points[appeal.number] == "accepted"
