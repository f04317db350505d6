"""Tiles under an anonymous storm: filters the cell aggregates cannot answer are refused below
the point zoom (each value used to group every public appeal live), dates count in whole days
(20 values within one day are one render), renders are limited per client address, and a
5,000-digit z is a 400, not a server error."""
from __future__ import annotations

import datetime as dt
import io
import sys
import time

import pytest
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from geoportal.wsgi import application
from tests.issues.helpers import make_appeal, point_in

from .conftest import decode, fetch, tile_of

pytestmark = pytest.mark.django_db


def test_a_same_day_filter_storm_renders_one_tile(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes")
    tile = tile_of(appeal.location, 15)  # the points zoom
    client = Client(REMOTE_ADDR="203.0.113.80")
    day = timezone.localtime(appeal.received_at).replace(hour=0, minute=0, second=0, microsecond=0)
    answers = [fetch(client, "appeals", tile, received_after=(day + dt.timedelta(minutes=37 * i + 1)).isoformat())
               for i in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert [a["X-Tile-Cache"] for a in answers].count("MISS") == 1  # one render, 19 cache hits
    # whole days: the appeal received that day is in, whatever the hour asked for
    assert len(decode(answers[-1]).get("appeals", {}).get("features", [])) == 1


def test_filters_the_aggregates_cannot_answer_wait_for_the_points_zoom(personas, settings):
    centre = point_in("centralny")
    client = Client(REMOTE_ADDR="203.0.113.81")
    low = tile_of(centre, settings.TILES_CLUSTER_MAX_ZOOM - 2)
    for params in ({"received_after": "2026-01-05"}, {"period": "30d"}, {"district": "centralny"},
                   {"agency": "1"}):
        refused = fetch(client, "appeals", low, **params)
        assert refused.status_code == 400 and "z" in refused.json(), params
    assert fetch(client, "appeals", low, period="2026-03", status="registered").status_code == 200  # whole months
    assert fetch(client, "appeals", low).status_code == 200
    high = tile_of(centre, settings.TILES_CLUSTER_MAX_ZOOM + 1)
    assert fetch(client, "appeals", high, received_after="2026-01-05", district="centralny").status_code == 200


def test_renders_are_limited_per_client_address(personas, settings, steady_rate_clock):
    settings.TILES_RENDER_RATE = "4/min"
    window = int(time.time() // 60)
    cache.delete_many([f"ratelimit:tiles:203.0.113.82:60:{w}" for w in (window, window + 1)])
    tile = tile_of(point_in("centralny"), 15)
    client = Client(REMOTE_ADDR="203.0.113.82")
    # each new day is a new render; a fixed window lets at most one boundary pass in 9 tries
    answers = [fetch(client, "appeals", tile, received_after=f"2026-02-{day:02d}") for day in range(1, 10)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and all(int(a["Retry-After"]) >= 1 for a in refused)
    assert fetch(Client(REMOTE_ADDR="203.0.113.83"), "appeals", tile, received_after="2026-02-01").status_code == 200
    again = fetch(client, "appeals", tile, received_after="2026-02-01")  # a cached tile costs nothing: served
    assert again.status_code == 200 and again["X-Tile-Cache"] == "HIT"


def _wsgi(path: str) -> tuple[int, bytes]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1",
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "SCRIPT_NAME": ""}
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        seen["status"] = status

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(seen["status"].split()[0]), body


def test_a_5000_digit_zoom_is_a_400_through_the_web_server_path(region):
    for path in ("/tiles/appeals/" + "9" * 5000 + "/1/1.pbf", "/tiles/appeals/3/" + "1" * 5000 + "/1.pbf",
                 "/tiles/appeals/99/1/1.pbf"):
        status, body = _wsgi(path)
        assert status == 400, (path[:40], status)
        assert b"Internal Server Error" not in body
