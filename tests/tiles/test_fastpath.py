"""The lean WSGI path for tiles (what the web server, scripts/web.sh, serves: ``geoportal.wsgi.application``) answers a
tile exactly as the Django view does — same bytes, ETag, cache, 304 — with one SQL statement
on a miss and none on a hit, stores the tile only after its bytes went out, and hands every
error case to Django (whose answers are tested in test_tiles.py)."""
from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mapbox_vector_tile
import pytest
from django.core import signals
from django.core.cache import cache as django_cache
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from redis.connection import Connection

from geoportal.wsgi import application
from issues import actions
from tests.issues.helpers import make_appeal
from tiles import cache
from tiles.fastpath import TileFastPath

from .conftest import fetch, tile_of

pytestmark = pytest.mark.django_db


class Answer:
    def __init__(self, status: str, headers: dict[str, str], body: bytes, closed: Any) -> None:
        self.status, self.headers, self.body, self.closed = status, headers, body, closed

    @property
    def code(self) -> int:
        return int(self.status.split()[0])


def call(path: str, query: str = "", method: str = "GET", close: bool = True, remote_addr: str = "",
         **headers: str) -> Answer:
    """One request through the WSGI application, as a WSGI server makes it."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": remote_addr,
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "SCRIPT_NAME": "",
               **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(response_headers)

    with keeping_the_test_transaction():
        result = application(environ, start_response)
        body = b"".join(result)
        if close and hasattr(result, "close"):
            result.close()
    return Answer(seen["status"], seen["headers"], body, result)


@contextmanager
def keeping_the_test_transaction() -> Iterator[None]:
    """As Django's test client does: the test's transaction must survive the request's end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def appeal(personas: Any) -> Any:
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    return appeal


def test_the_web_server_serves_the_wrapped_application():
    assert isinstance(application, TileFastPath)


def test_a_tile_is_the_same_as_the_django_views(client, appeal):
    tile = tile_of(appeal.location, 16)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    with CaptureQueriesContext(connection) as queries:
        miss = call(path)
    assert miss.code == 200 and miss.headers["X-Tile-Cache"] == "MISS" and len(queries) == 1
    assert "ST_AsMVT" in queries[0]["sql"]
    assert miss.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert miss.headers["Content-Length"] == str(len(miss.body))
    assert miss.headers["X-Content-Type-Options"] == "nosniff" and miss.headers["X-Frame-Options"] == "DENY"
    decoded = mapbox_vector_tile.decode(miss.body)
    assert [f["id"] for f in decoded["appeals"]["features"]] == [appeal.pk]
    with CaptureQueriesContext(connection) as queries:
        hit = call(path)
    assert hit.headers["X-Tile-Cache"] == "HIT" and hit.body == miss.body and len(queries) == 0
    django = fetch(client, "appeals", tile)  # the Django view reads the very same cache entry
    assert django["X-Tile-Cache"] == "HIT" and django.content == miss.body and django["ETag"] == miss.headers["ETag"]
    assert django["Cache-Control"] == miss.headers["Cache-Control"]


def test_the_tile_is_cached_only_once_its_bytes_were_sent(appeal):
    tile = tile_of(appeal.location, 15)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    first = call(path, close=False)
    assert first.headers["X-Tile-Cache"] == "MISS" and first.body
    assert call(path, close=False).headers["X-Tile-Cache"] == "MISS"  # not stored before close()
    first.closed.close()
    assert call(path).headers["X-Tile-Cache"] == "HIT"


def test_etag_304_head_and_filters(appeal):
    tile = tile_of(appeal.location, 16)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    etag = call(path).headers["ETag"]
    not_modified = call(path, if_none_match=etag)
    assert not_modified.code == 304 and not_modified.body == b"" and not_modified.headers["ETag"] == etag
    assert call(path, if_none_match=f'W/{etag}, "other"').code == 304
    head = call(path, method="HEAD")
    assert head.code == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 0
    routed = call(path, "status=routed")
    assert routed.code == 200 and mapbox_vector_tile.decode(routed.body) == {}  # it is accepted, not routed
    accepted = call(path, "status=accepted")
    assert len(mapbox_vector_tile.decode(accepted.body)["appeals"]["features"]) == 1


@pytest.mark.parametrize(("path", "query", "method", "status"), [
    ("/tiles/appeals/3/99/0.pbf", "", "GET", 400),       # x outside the matrix
    ("/tiles/appeals/25/0/0.pbf", "", "GET", 400),       # beyond the served zooms
    ("/tiles/appeals/10/600/300.pbf", "status=nope", "GET", 400),
    ("/tiles/appeals/10/600/300.pbf", "period=soon", "GET", 400),
    ("/tiles/nothing/10/600/300.pbf", "", "GET", 404),
    ("/tiles/appeals/-1/0/0.pbf", "", "GET", 404),
])
def test_errors_are_djangos_own_answers(region, client, path, query, method, status):
    answer = call(path, query, method)
    assert answer.code == status
    django = getattr(client, method.lower())(path + (f"?{query}" if query else ""))
    assert django.status_code == status
    if status == 400:
        assert json.loads(answer.body) == django.json()


def test_writes_never_take_the_fast_path(region):
    refused = call("/tiles/appeals/10/600/300.pbf", method="POST")
    assert refused.code == 403 and "X-Tile-Cache" not in refused.headers  # Django's CSRF check refuses it


def test_other_paths_go_to_django(region):
    assert call("/tiles/districts.json").code == 200
    assert call("/healthz").code in (200, 503)


def test_a_changed_appeal_is_rebuilt_on_the_fast_path(personas, appeal, django_capture_on_commit_callbacks):
    tile = tile_of(appeal.location, 16)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    call(path)
    assert call(path).headers["X-Tile-Cache"] == "HIT"
    with django_capture_on_commit_callbacks(execute=True):
        cache.invalidate_point("appeals", appeal.location.x, appeal.location.y)
    again = call(path)
    assert again.headers["X-Tile-Cache"] == "MISS"


def test_a_miss_counts_its_render_in_the_lookups_round_trip(appeal, monkeypatch, settings, steady_rate_clock):
    """The render budget per address is counted by the cache lookup's own Redis round trip: a miss
    talks to Redis once before its SQL (and once more to store the tile after its bytes went out),
    a hit once; only misses count, in the bucket the Django view counts too."""
    settings.TILES_RENDER_RATE = "2/min"
    address = "203.0.113.90"
    bucket = f"ratelimit:tiles:{address}:60:{int(steady_rate_clock // 60)}"
    django_cache.delete(bucket)
    sent: list[bytes] = []
    original = Connection.send_packed_command
    monkeypatch.setattr(Connection, "send_packed_command",
                        lambda self, command, check_health=True: sent.append(command) or original(self, command, check_health))
    tile = tile_of(appeal.location, 16)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    miss = call(path, remote_addr=address, close=False)
    assert miss.headers["X-Tile-Cache"] == "MISS" and len(sent) == 1
    with keeping_the_test_transaction():
        miss.closed.close()
    assert len(sent) == 2 and django_cache.get(bucket) == 1
    del sent[:]
    hit = call(path, remote_addr=address)
    assert hit.headers["X-Tile-Cache"] == "HIT" and len(sent) == 1 and django_cache.get(bucket) == 1
    assert call(path, "status=accepted", remote_addr=address).code == 200  # the second render of the minute
    refused = call(path, "status=routed", remote_addr=address)  # the third: handed to Django, refused
    assert refused.code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert call(path, "status=routed", remote_addr="203.0.113.91").code == 200  # another address has its own
    assert mapbox_vector_tile.decode(call(path, remote_addr=address).body)["appeals"]["features"][0]["id"] == appeal.pk


def test_a_tile_cut_off_by_the_statement_timeout_is_a_503_as_in_django(appeal, monkeypatch, caplog):
    """A tile statement cancelled by the statement timeout (e.g. tiles read from the appeals table
    before the tile tables were rebuilt, at 10M appeals: over 30 s at z10) is the 503 with
    Retry-After that Django's views answer for it (StatementTimeoutMiddleware), not a 500."""
    from geoportal.dbtimeout import statement_budget
    from tiles import views

    def cancelled(statement: Any, reuse_plan: bool = True) -> bytes:
        with statement_budget(20), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        raise AssertionError("the statement was not cancelled")

    monkeypatch.setattr(views, "run_tile_statement", cancelled)
    tile = tile_of(appeal.location, 14)
    answer = call(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf")
    assert answer.code == 503 and int(answer.headers["Retry-After"]) > 0
    assert "слишком долго" in json.loads(answer.body)["detail"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
