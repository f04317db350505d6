"""The production web server (``scripts/web.sh``: granian running ``geoportal.wsgi``) serves
the portal as ``make demo`` and the Docker image run it: pages through Django, vector tiles
through ``tiles.fastpath`` with the tile stored once its bytes went out (the server closes the
WSGI body), ETag revalidation, HTTP/1.1 keep-alive, request bodies, and DEBUG=0 settings."""
from __future__ import annotations

import http.client
import secrets
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest

from issues import actions
from tests.conftest import ROOT, _worker_env
from tests.issues.helpers import make_appeal
from tiles import cache

from ..tiles.conftest import tile_of
from .test_healthz import _free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_port() -> Iterator[int]:
    port = _free_port()
    env = dict(_worker_env(), DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48), ALLOWED_HOSTS="127.0.0.1",
               PORT=str(port), WEB_WORKERS="1", LOG_LEVEL="WARNING")
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the server's own default, as in production
    proc = subprocess.Popen([str(ROOT / "scripts" / "web.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else proc.returncode
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/tiles/districts.json")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                assert time.monotonic() < deadline, "scripts/web.sh did not answer within 60 s"
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def get(connection: http.client.HTTPConnection, path: str, method: str = "GET", body: bytes | None = None,
        **headers: str) -> tuple[int, dict[str, str], bytes, bool]:
    connection.request(method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response = connection.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data, response.will_close


def test_the_web_server_serves_tiles_pages_and_requests(personas: Any, web_port: int) -> None:
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    cache.bump_layer("appeals")
    tile = tile_of(appeal.location, 16)
    path = f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf"
    connection = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)

    status, headers, miss, will_close = get(connection, path)
    assert status == 200 and headers["x-tile-cache"] == "MISS", (status, headers)
    assert [f["id"] for f in mapbox_vector_tile.decode(miss)["appeals"]["features"]] == [appeal.pk]
    assert not will_close  # HTTP/1.1 keep-alive: the next requests reuse this connection
    # Stored by the body's close(), which the server calls after sending: the client may ask again
    # before that, so wait for the state (a HIT) rather than expect it on the very next request.
    deadline = time.monotonic() + 30
    while True:
        status, headers, hit, _ = get(connection, path)
        assert status == 200 and hit == miss, (status, headers)
        if headers["x-tile-cache"] == "HIT" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert headers["x-tile-cache"] == "HIT"
    status, _headers, body, _ = get(connection, path, If_None_Match=headers["etag"])
    assert status == 304 and body == b""

    # production expects a TLS proxy: plain HTTP is sent to https, what the proxy forwards is served
    status, headers, _body, _ = get(connection, "/")
    assert status == 301 and headers["location"].startswith("https://")
    status, headers, body, _ = get(connection, "/", X_Forwarded_Proto="https")  # Django's whole request cycle
    assert status == 200 and headers["content-type"].startswith("text/html") and "<html" in body.decode()
    assert headers["x-frame-options"] == "DENY"
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "script-src 'self'" in headers["content-security-policy"]
    # A request body arrives whole: a 1 MB anonymous POST is refused by Django, not lost or cut.
    status, _headers, body, _ = get(connection, "/api/v1/appeals/", "POST", b'{"text": "' + b"x" * 1_000_000 + b'"}',
                                    Content_Type="application/json", X_Forwarded_Proto="https")
    assert status in (401, 403), (status, body[:200])
    assert "detail" in body.decode()
    connection.close()
