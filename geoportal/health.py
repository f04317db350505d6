"""``/healthz``: the state of PostgreSQL, Redis and the Celery worker. Anyone may call it;
it reveals only up/down per component."""
from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app


def _check_postgres() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT PostGIS_Version()")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _check_celery() -> str:
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"
    return "ok" if replies else "down: no worker answered"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    postgres = _check_postgres()
    redis_state = _check_redis()
    # Without a broker the worker cannot answer; skip the slow ping.
    celery_state = _check_celery() if redis_state == "ok" else "down: broker unavailable"
    checks = {"postgres": postgres, "redis": redis_state, "celery": celery_state}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
