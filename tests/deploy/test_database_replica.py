"""The database router on a real streaming replica (``geoportal.replica``), through PgBouncer in
transaction mode: public lag-tolerant reads come from the standby, writes go to the primary,
the author of a write reads it back at once, a replica lagging past the setting or stopped is
left for the primary, and the portal keeps working without it.

The proof that a read came from the standby is the standby's own state: its WAL replay is
paused (``pg_wal_replay_pause()``), so it lacks what the primary just committed."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from bench.cluster_load import Cluster

from .cluster import wait_for
from .conftest import Stack

pytestmark = pytest.mark.deploy

DEMO_PASSWORD = "demo12345"  # noqa: S105 - fixtures.demo_region's published demo password


def viewport(stack: Stack) -> dict[str, str]:
    """The central district's bounding box at a zoom drawn from the points (not the aggregates)."""
    box = stack.db.primary.psql(
        "SELECT concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)) "
        "FROM (SELECT boundary::box2d AS b FROM geoportal_district WHERE code = 'centralny') d")
    return {"bbox": box, "z": "13"}


def public_total(base: str, params: dict[str, str], session: requests.Session | None = None) -> int:
    response = (session or requests.Session()).get(f"{base}/api/v1/clusters", params=params, timeout=30)
    assert response.status_code == 200, response.text[:500]
    return int(response.json()["total"])


def token_of(base: str, username: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/token/", data={"username": username, "password": DEMO_PASSWORD},
                             timeout=30)
    assert response.status_code == 200, response.text[:300]
    return str(response.json()["token"])


def submit(stack: Stack, base: str, session: requests.Session) -> dict[str, Any]:
    lon, lat = stack.db.primary.psql(
        "SELECT concat_ws(',', ST_X(p), ST_Y(p)) FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, 1))).geom AS p "
        "FROM geoportal_district WHERE code = 'centralny') g").split(",")
    category = stack.db.primary.psql("SELECT id FROM issues_category WHERE code = 'light-park'")
    response = session.post(f"{base}/api/v1/appeals/", json={
        "category": int(category), "lat": float(lat), "lon": float(lon), "channel": "web",
        "text": f"Не горят фонари в парке, темно вечером ({uuid.uuid4().hex[:8]})."}, timeout=60)
    assert response.status_code == 201, response.text[:500]
    return dict(response.json())


def test_public_reads_use_the_replica_writes_the_primary_and_the_author_reads_back(
        stack: Stack, cluster: Cluster) -> None:
    patient, strict = cluster.nodes  # node 1 tolerates any lag, node 2 one second
    base = f"http://127.0.0.1:{patient.port}"
    params = viewport(stack)
    author = requests.Session()
    author.headers["Authorization"] = f"Token {token_of(base, 'citizen')}"
    before = public_total(base, params)
    assert before == public_total(base, params, author)  # before any write: the same answer
    wait_for("standby caught up", stack.db.caught_up)

    stack.db.standby.psql("SELECT pg_wal_replay_pause()", db="postgres")
    try:
        appeal = submit(stack, base, author)
        # The write is on the primary...
        assert stack.db.primary.psql(f"SELECT status FROM issues_appeal WHERE id = {appeal['id']}") in (
            "registered", "routed")
        # ...and not yet on the standby, whose replay is paused.
        assert stack.db.standby.psql(f"SELECT count(*) FROM issues_appeal WHERE id = {appeal['id']}") == "0"
        # A visitor's public read comes from the standby: it does not count the new appeal.
        assert public_total(base, params) == before
        assert public_total(base, params, requests.Session()) == before
        # The author reads from the primary right after the write: by the API token (Redis) ...
        assert public_total(base, params, author) == before + 1
        token_only = requests.Session()
        token_only.headers["Authorization"] = author.headers["Authorization"]
        assert public_total(base, params, token_only) == before + 1
        # ... and by the cookie the write set, for a browser without a token.
        assert "geoportal_primary_until" in author.cookies
        browser = requests.Session()
        browser.cookies.update(author.cookies)
        assert public_total(base, params, browser) == before + 1
        # A node that allows 1 s of lag leaves the standby once its replay falls behind.
        strict_base = f"http://127.0.0.1:{strict.port}"
        wait_for("the strict node reads from the primary",
                 lambda: public_total(strict_base, params) == before + 1, timeout=60)
        assert public_total(base, params) == before  # the patient one still reads the standby
    finally:
        stack.db.standby.psql("SELECT pg_wal_replay_resume()", db="postgres")
    wait_for("the standby replays the appeal", lambda: public_total(base, params) == before + 1, timeout=60)


def test_the_portal_keeps_working_when_the_replica_stops(stack: Stack, cluster: Cluster) -> None:
    patient = cluster.nodes[0]
    base = f"http://127.0.0.1:{patient.port}"
    params = viewport(stack)
    author = requests.Session()
    author.headers["Authorization"] = f"Token {token_of(base, 'citizen2')}"
    wait_for("standby caught up", stack.db.caught_up)
    before = public_total(base, params)
    stack.db.standby.stop("immediate")
    try:
        # Every replica-routed page and API answers from the primary, and writes go on.
        visitor = requests.Session()
        assert public_total(base, params, visitor) == before
        for path in ("/map/", "/stats/", "/api/v1/stats/catalog", "/search/?q=фонарь", "/tiles/appeals/13/5050/2560.pbf"):
            response = visitor.get(f"{base}{path}", timeout=30)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
        submit(stack, base, author)
        assert public_total(base, params, visitor) == before + 1
    finally:
        stack.db.standby.start()
    wait_for("standby streaming again", stack.db.streaming, timeout=60, log=stack.db.standby.log)
    wait_for("the standby serves again", lambda: public_total(base, params) == before + 1, timeout=60)
