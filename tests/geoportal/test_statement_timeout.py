"""Request connections run under a statement_timeout: a statement that would hold a
connection too long (here: one waiting behind a table lock, so the test does not depend on
speed) is cancelled and the caller gets a clear 503 with Retry-After; a statistics table too
large to read is refused with a 400 that says how to narrow it."""
from __future__ import annotations

import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from geoportal.dbtimeout import forget_timeout
from issues.models import Appeal
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def _locker() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           password=db["PASSWORD"], dbname=db["NAME"])


def test_a_statement_past_the_timeout_is_a_503(settings):
    settings.DB_REQUEST_TIMEOUT_MS = 300
    forget_timeout()  # a SET of an earlier test was undone with its transaction
    with _locker() as other:
        other.execute("SET lock_timeout = '20s'")
        other.execute(f"LOCK TABLE {Appeal._meta.db_table} IN ACCESS EXCLUSIVE MODE")  # until rollback
        # without a timeout the request would wait for the lock as long as it is held: let go
        # after 20 s, so such a failure is a plain assertion, not a hung run
        release = threading.Timer(20, other.rollback)
        release.start()
        try:
            response = Client(REMOTE_ADDR="203.0.113.90").get("/api/v1/stats/appeals", {"rows": "category"})
        finally:
            release.cancel()
            other.rollback()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "слишком долго" in response.json()["detail"]
    forget_timeout()


def test_the_timeout_is_set_on_request_connections_only(settings, region):
    forget_timeout()
    settings.DB_REQUEST_TIMEOUT_MS = 4321
    with connection.cursor() as cursor:  # outside a request (a task, a command): PostgreSQL's own
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    assert before != "4321ms"
    assert Client().get("/api/v1/categories/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "4321ms"
    forget_timeout()


def test_a_pivot_too_large_to_read_is_a_400(personas, settings):
    for code in ("roads-potholes", "light-street", "transport-schedule"):
        make_appeal(personas.citizen, code)
    settings.STATS_MAX_ROWS = 3
    refused = Client().get("/api/v1/stats/appeals", {"rows": "category"})
    assert refused.status_code == 400 and "не более 3" in refused.json()["rows"]
    assert Client().get("/api/v1/stats/appeals", {"rows": "category", "export": "xlsx"}).status_code == 400
    settings.STATS_MAX_ROWS = 1000
    assert Client().get("/api/v1/stats/appeals", {"rows": "category"}).status_code == 200
    long_dump = Client().get("/api/v1/opendata/appeals.csv", {"period_start": "1990-01-01", "period_end": "2026-12-31"})
    assert long_dump.status_code == 400 and "period_end" in long_dump.json()
