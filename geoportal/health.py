"""Health endpoints (anyone may call them; they reveal only up/down per component).

- ``/healthz`` — liveness: the process answers. No database, no Redis: an orchestrator that
  restarts on a failed liveness check must not restart every web process when PostgreSQL blips.
- ``/readyz`` — readiness: PostgreSQL, Redis and a Celery worker. The worker's ping (up to 1 s)
  is cached in the process for READINESS_CELERY_TTL_S, so frequent probes cost a query and a
  Redis PING, not a broadcast."""
from __future__ import annotations

import threading
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

_celery_lock = threading.Lock()
_celery_state: tuple[float, str] | None = None  # (monotonic time of the ping, result)


def _check_postgres() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        connection.close()  # the next request connects afresh
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _ping_celery() -> str:
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"
    return "ok" if replies else "down: no worker answered"


def _check_celery() -> str:
    """The cached ping; one thread pings when it is stale, the others read the last result."""
    global _celery_state
    now = time.monotonic()
    state = _celery_state
    if state is not None and now - state[0] < settings.READINESS_CELERY_TTL_S:
        return state[1]
    if not _celery_lock.acquire(blocking=state is None):
        return state[1] if state else "down: unknown"
    try:
        result = _ping_celery()
        _celery_state = (time.monotonic(), result)
        return result
    finally:
        _celery_lock.release()


def forget_celery_ping() -> None:
    global _celery_state
    _celery_state = None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    postgres = _check_postgres()
    redis_state = _check_redis()
    # Without a broker the worker cannot answer; skip the ping.
    celery_state = _check_celery() if redis_state == "ok" else "down: broker unavailable"
    checks = {"postgres": postgres, "redis": redis_state, "celery": celery_state}
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
    if not healthy:
        response["Retry-After"] = str(settings.RETRY_AFTER_S)
    return response
