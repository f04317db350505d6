"""Reads that tolerate a few seconds of lag go to a streaming hot standby; everything else to
the primary.

A request is *eligible* for the replica when it is a GET/HEAD/OPTIONS to one of
``settings.DATABASE_REPLICA_PATHS`` (statistics, open data, tiles and their aggregates, the
public map, search) and its author has not written in the last
``DATABASE_REPLICA_STICKY_SECONDS`` (read-your-writes: every POST/PUT/PATCH/DELETE marks the
browser with a cookie, and an API client by its ``Authorization``/``X-Api-Key`` header in
Redis, so the next reads of that author come from the primary, which already has the write).
The WSGI wrapper :class:`ReplicaRouting` (``geoportal/wsgi.py``, outside every other layer,
so the tile fast path is covered too) marks the request; the decision itself is taken lazily,
at the request's first database read, so a tile answered from Redis costs nothing more.

The replica is used only while a health check (at most every
``DATABASE_REPLICA_CHECK_SECONDS`` per process, on its own short-timeout connection) finds it
streaming from the primary with a replay lag at most ``DATABASE_REPLICA_MAX_LAG`` seconds.
When it is down, lags, or fails during a request (the request answered 5xx after reading from
the replica), reads go to the primary: such a request is run once more on the primary before
anything was sent.

ORM reads follow :class:`PrimaryReplicaRouter`; raw SQL reads use :data:`read_connection`
(a stand-in for ``django.db.connection`` that resolves the alias per request). Writes, reads
inside a transaction on the primary, sessions, users and tokens always use the primary.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

log = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
STICKY_COOKIE = "geoportal_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Always current: who is signed in, with which rights and tokens (a revoked token or a
# deactivated user must not live on for the replica's lag).
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "authtoken", "admin", "contenttypes"})
# Lag in seconds; 0 when the replica replayed all it received, NULL-safe; the receiver's status
# tells a replica cut off from its primary (it would report no lag while falling behind).
HEALTH_SQL = """
SELECT pg_is_in_recovery(),
       (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


# --- health ------------------------------------------------------------------------------------

@dataclass
class Health:
    usable: bool = False
    lag: float | None = None
    reason: str = "not checked"
    checked_at: float = float("-inf")


_health = Health()
_health_lock = threading.Lock()


def _probe() -> Health:
    import psycopg

    db: dict[str, Any] = settings.DATABASES[REPLICA_ALIAS]
    try:
        with psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None, dbname=db["NAME"],
                             user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                             connect_timeout=int(settings.DATABASE_REPLICA_CONNECT_TIMEOUT),
                             autocommit=True, application_name="geoportal-replica-check") as conn:
            row = conn.execute(HEALTH_SQL).fetchone()
    except psycopg.Error as exc:
        return Health(False, None, f"unreachable: {exc.__class__.__name__}", time.monotonic())
    assert row is not None
    in_recovery, receiver, lag = row[0], row[1], float(row[2])
    if not in_recovery:  # promoted: it is a primary now, and current
        return Health(True, 0.0, "not in recovery", time.monotonic())
    if receiver != "streaming":
        return Health(False, lag, f"wal receiver {receiver or 'absent'}", time.monotonic())
    if lag > settings.DATABASE_REPLICA_MAX_LAG:
        return Health(False, lag, "lagging", time.monotonic())
    return Health(True, lag, "streaming", time.monotonic())


def replica_health(force: bool = False) -> Health:
    """The replica's last known state, refreshed when older than the check interval. One
    thread checks while the others use the previous answer (no request waits for another's
    probe)."""
    global _health
    if not replica_configured():
        return Health(False, None, "not configured")
    due = time.monotonic() - _health.checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS
    if (due or force) and _health_lock.acquire(blocking=force):
        try:
            previous, _health = _health, _probe()
            if previous.usable != _health.usable:
                log.warning("database replica %s: %s (lag %s s)", "usable" if _health.usable else "NOT usable",
                            _health.reason, _health.lag)
        finally:
            _health_lock.release()
    return _health


# --- the request's read target -----------------------------------------------------------------

@dataclass
class _ReadState:
    eligible: bool
    environ: dict[str, Any]
    forced_primary: bool = False
    alias: str | None = None
    used_replica: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_state: ContextVar[_ReadState | None] = ContextVar("geoportal_read_state", default=None)


def _client_keys(environ: dict[str, Any]) -> list[str]:
    """Redis keys naming an API client by its credentials (hashed: never store a token)."""
    keys = []
    for header in ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY"):
        value = environ.get(header)
        if value:
            keys.append("replica-sticky:" + hashlib.sha256(value.encode()).hexdigest())
    return keys


def _recently_wrote(environ: dict[str, Any]) -> bool:
    cookie = SimpleCookie()
    try:
        cookie.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header only means "no marker"
        cookie = SimpleCookie()
    marker = cookie.get(STICKY_COOKIE)
    if marker is not None:
        try:
            if float(marker.value) > time.time():
                return True
        except ValueError:
            pass
    keys = _client_keys(environ)
    if keys:
        from django.core.cache import cache

        return any(value is not None for value in cache.get_many(keys).values())
    return False


def read_alias() -> str:
    """The alias this request's lag-tolerant reads go to (decided once per request)."""
    state = _state.get()
    if state is None or not state.eligible or state.forced_primary or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS  # a read inside a write transaction must see that transaction
    if state.alias is None:
        if _recently_wrote(state.environ):
            state.alias = DEFAULT_DB_ALIAS
        else:
            state.alias = REPLICA_ALIAS if replica_health().usable else DEFAULT_DB_ALIAS
    if state.alias == REPLICA_ALIAS:
        state.used_replica = True
    return state.alias


def served_from_replica() -> bool:
    """Whether this request read from the replica (caches keep such answers only briefly)."""
    state = _state.get()
    return state is not None and state.used_replica


def replica_tile_ttl() -> int:
    """Seconds a cache may keep an answer read from the replica: past the lag it may carry."""
    return max(1, int(settings.DATABASE_REPLICA_MAX_LAG + settings.DATABASE_REPLICA_CHECK_SECONDS + 1))


class _ReadConnection:
    """``django.db.connection`` for lag-tolerant raw SQL reads: the request's read alias."""

    def __getattr__(self, item: str) -> Any:
        return getattr(connections[read_alias()], item)


read_connection: Any = _ReadConnection()


class PrimaryReplicaRouter:
    """Django's database router (``DATABASE_ROUTERS``, set when a replica is configured)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS or model._meta.label == settings.AUTH_USER_MODEL:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the same database, one of them a copy

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- the WSGI wrapper --------------------------------------------------------------------------

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def eligible(environ: dict[str, Any]) -> bool:
    if environ.get("REQUEST_METHOD", "") not in SAFE_METHODS:
        return False
    path = environ.get("PATH_INFO", "")
    return any(path.startswith(prefix) for prefix in settings.DATABASE_REPLICA_PATHS)


class _Body:
    """The response body, iterated (and closed) with the request's read state in place:
    streamed answers (open data) read while they are sent."""

    def __init__(self, body: Iterable[bytes], state: _ReadState | None) -> None:
        self.body = body
        self.state = state

    def __iter__(self) -> Iterator[bytes]:
        iterator = iter(self.body)
        while True:
            token = _state.set(self.state)
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            finally:
                _state.reset(token)
            yield chunk

    def close(self) -> None:
        token = _state.set(self.state)
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            _state.reset(token)


class ReplicaRouting:
    """Marks lag-tolerant requests for the replica and authors of writes for the primary."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not replica_configured():
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD", "") not in SAFE_METHODS:
            return self.app(environ, self._marking_author(environ, start_response))
        if not eligible(environ):
            return self.app(environ, start_response)
        state = _ReadState(eligible=True, environ=environ)
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # the legacy write() is not used by Django or the fast path

        token = _state.set(state)
        try:
            body = self.app(environ, capture)
        finally:
            _state.reset(token)
        if state.used_replica and captured and captured[0][:1] == "5" and not replica_health(force=True).usable:
            # The replica went away under this request: answer it from the primary instead.
            _Body(body, state).close()
            retry = _ReadState(eligible=True, environ=environ, forced_primary=True)
            token = _state.set(retry)
            try:
                return _Body(self.app(environ, start_response), retry)
            finally:
                _state.reset(token)
        start_response(*captured)
        return _Body(body, state)

    def _marking_author(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Callable[..., Any]:
        seconds = int(settings.DATABASE_REPLICA_STICKY_SECONDS)

        def marking(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            until = time.time() + seconds
            secure = "; Secure" if getattr(settings, "SESSION_COOKIE_SECURE", False) else ""
            headers = [*headers, ("Set-Cookie", f"{STICKY_COOKIE}={until:.3f}; Max-Age={seconds}; Path=/; "
                                                f"HttpOnly; SameSite=Lax{secure}")]
            keys = _client_keys(environ)
            if keys:
                from django.core.cache import cache

                cache.set_many(dict.fromkeys(keys, 1), timeout=seconds)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return marking
