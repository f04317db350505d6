"""Shared fixtures: the demo territory, personas, a real Celery worker and a browser."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import quick_flush, region_copy
from tests.region_copy import RegionCopy

pytest_plugins = ["tests.browser"]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts"


def _flush_again_after_a_deadlock() -> None:
    """The suite's real worker may still be finishing an earlier test's task (a notice reads its
    appeal) while a transactional test's teardown empties the tables (tests/quick_flush.py, or
    Django's flush); PostgreSQL then ends one of the two as a deadlock victim. When the victim is the flush, it is run again: its
    transaction was rolled back, so nothing is half-done (a task that loses retries by itself)."""
    from django.core.management.base import CommandError
    from django.db import DatabaseError
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def flush(self: TransactionTestCase) -> None:  # the short way where it leaves the same (tests/quick_flush.py)
        aliases = self._databases_names(include_mirrors=False)
        if not all([quick_flush.quick_flush(self, alias) for alias in aliases]):
            original(self)
            for alias in aliases:
                quick_flush.record_full_flush(alias)

    def is_deadlock(exc: BaseException | None) -> bool:
        while exc is not None:
            if "deadlock detected" in str(exc):
                return True
            exc = exc.__cause__ or exc.__context__
        return False

    def teardown(self: TransactionTestCase) -> None:
        for attempt in range(1, 6):
            try:
                flush(self)
                return
            except (CommandError, DatabaseError) as exc:
                if attempt == 5 or not is_deadlock(exc):
                    raise
                time.sleep(0.5 * attempt)

    TransactionTestCase._fixture_teardown = teardown  # type: ignore[method-assign]


_flush_again_after_a_deadlock()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """The test client runs requests in the test's own thread, and LocaleMiddleware leaves the
    last request's language active there: without this, a test that asked for English would
    leave the next test's direct action calls (and their Russian messages) in English."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_tile_cache() -> Iterator[None]:
    """No tile, tile version or "aggregates ready" flag outlives a test (only the tiles' keys:
    the Redis DB may be shared) — a flag left by one test would make the next read an empty
    aggregate table."""
    from tiles import cache

    def clear() -> None:
        keys = list(cache.client().scan_iter(match=f"{cache._prefix()}*", count=1000))
        if keys:
            cache.client().delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _generous_anonymous_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite makes many anonymous calls a minute from one address; the per-IP limit is
    tested on its own with its own figures."""
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/min"})
    from infocenter.api import CommentRateThrottle  # likewise one persona's comments (own test)

    monkeypatch.setattr(CommentRateThrottle, "THROTTLE_RATES", {"comments": "1000000/min"})
    # likewise the anonymous pages and the tile renders per address (tests/geoportal/test_client_address.py
    # and tests/tiles/test_tile_abuse.py test those limits with their own figures)
    monkeypatch.setattr(settings, "ANON_PAGE_RATE", "1000000/min")
    monkeypatch.setattr(settings, "TILES_RENDER_RATE", "1000000/min")


@pytest.fixture
def steady_rate_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """Fixed-window limits (geoportal.ratelimit) count per clock minute: a test that sends a
    handful of requests and expects the n-th to be refused must not see them split by a minute
    boundary, so the limiter's clock stands still in the middle of the current minute."""
    from geoportal import ratelimit

    now = time.time() // 60 * 60 + 30
    monkeypatch.setattr(ratelimit, "_now", lambda: now)
    return now


def _build_region() -> dict[str, int]:
    from fixtures.demo_region import build_region
    from issues.categories import load_categories

    counts = build_region()
    counts["categories"] = load_categories()
    return counts


_region_copy: list[RegionCopy] = []  # taken by the first test that needs the region


@pytest.fixture
def region(db: None) -> dict[str, int]:
    """The demo territory (districts, agencies, demo users, appeal categories and their rule
    table); put back after a transactional test flushed it. Built once, then copied in
    (tests/region_copy.py)."""
    from geoportal.models import District

    if District.objects.exists():
        return {}
    if not _region_copy:
        taken = region_copy.take(_build_region)
        if taken is None:  # rows left over by an interrupted run (flushed by the next transactional test)
            return _build_region()
        _region_copy.append(taken)
    return region_copy.restore(_region_copy[0])


@dataclass
class Personas:
    citizen: object
    other_citizen: object
    operator: object
    executor_a: object
    executor_b: object
    agency_head: object
    moderator: object
    leader: object
    admin: object

    def client(self, name: str) -> Client:
        client = Client()
        if name != "anonymous":
            client.force_login(getattr(self, name))
        return client


@pytest.fixture
def personas(region: dict[str, int]) -> Personas:
    """Citizen, another citizen, operator, executors of two agencies (roads, lighting),
    the roads agency's head, moderator, leader and administrator (demo users)."""
    from geoportal.models import User

    users = {u.username: u for u in User.objects.all()}
    return Personas(
        citizen=users["citizen"],
        other_citizen=users["citizen2"],
        operator=users["operator"],
        executor_a=users["executor_roads"],
        executor_b=users["executor_light"],
        agency_head=users["head_roads"],
        moderator=users["moderator"],
        leader=users["leader"],
        admin=users["admin"],
    )


def _worker_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["REDIS_URL"] = settings.REDIS_URL
    env["EMAIL_URL"] = "console://"
    # No sweep thread in the suite's worker: every 5 s it would read the outbox beside the flush
    # between transactional tests (a TRUNCATE of every table) and the two can deadlock. The
    # outbox tests call the sweep themselves; tests/reliability runs a stack with the thread on.
    env["OUTBOX_SWEEP_EVERY_S"] = "0"
    return env


@pytest.fixture
def celery_worker_process(_celery_worker_session: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """The real worker, with the queue emptied of tasks that earlier tests left behind (their
    rows were flushed), so each test waits only for its own work. Afterwards, the outbox messages
    already handed to it are left to finish (state, not time: up to 30 s), so the flush between
    transactional tests does not meet a message mid-way (both lock the same tables)."""
    from geoportal.celery import app
    from outbox.core import pending

    app.control.purge()
    yield _celery_worker_session
    deadline = time.monotonic() + 30
    while pending().filter(published_at__isnull=False).exists() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup: None, django_db_blocker: object) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test database and the test Redis."""
    from geoportal.celery import app

    app.control.purge()
    log = open(ROOT / "var" / "test-celery-worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "geoportal", "worker", "-P", "solo", "--loglevel=INFO",
         "-n", f"test-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=_worker_env(), stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            break
        if proc.poll() is not None:
            raise RuntimeError("the Celery worker exited; see var/test-celery-worker.log")
    else:
        proc.terminate()
        raise RuntimeError("the Celery worker did not answer within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
