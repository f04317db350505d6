"""Middleware that keeps the portal answering when it is overloaded or a service is down.

- :class:`LoadSheddingMiddleware`: a bounded number of requests inside the application per
  process, and no work for a request that already waited too long in front of it (the proxy's
  ``X-Request-Start``): both answer 503 with ``Retry-After`` at once instead of letting waits grow.
- :class:`BodySizeLimitMiddleware`: a body larger than its cap (JSON/forms, or multipart uploads)
  is refused by its ``Content-Length`` with 413, before anything reads or parses it.
- :class:`DatabaseUnavailableMiddleware`: PostgreSQL unreachable → 503 with ``Retry-After``: JSON
  for the API, a plain "temporarily unavailable" page otherwise, never a traceback (also with
  DEBUG on). The next request simply connects again: recovery needs no restart."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import metrics

log = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    path = request.path
    return (path.startswith(("/api/", "/open311/", "/tiles/")) or path in ("/readyz", "/healthz")
            or "application/json" in request.headers.get("Accept", ""))


def unavailable(request: HttpRequest, reason: str, status: int = 503) -> HttpResponse:
    """503 (or ``status``) with Retry-After; JSON for machines, a plain page for people. Renders
    without the request context: nothing here may touch the database."""
    retry_after = str(settings.RETRY_AFTER_S)
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": _("Сервис временно недоступен, повторите запрос позже."), "reason": reason,
             "retry_after": settings.RETRY_AFTER_S}, status=status)
    else:
        response = HttpResponse(render_to_string("geoportal/unavailable.html", {"retry_after": retry_after}),
                                status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


class LoadSheddingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.slots = threading.BoundedSemaphore(max(1, settings.WEB_MAX_INFLIGHT))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        waited_ms = _queue_wait_ms(request)
        if waited_ms is not None and waited_ms > settings.WEB_MAX_QUEUE_WAIT_MS:
            metrics.SHED.labels("queue_wait").inc()
            log.warning("shed: waited %.0f ms before the application", waited_ms)
            return unavailable(request, "overloaded")
        if not self.slots.acquire(blocking=False):
            metrics.SHED.labels("inflight").inc()
            log.warning("shed: %s requests already in the application", settings.WEB_MAX_INFLIGHT)
            return unavailable(request, "overloaded")
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


def _queue_wait_ms(request: HttpRequest) -> float | None:
    """nginx's ``X-Request-Start: t=<seconds.millis>`` (deploy/nginx/geoportal.conf)."""
    raw = request.headers.get("X-Request-Start", "")
    if not raw.startswith("t="):
        return None
    try:
        started = float(raw[2:])
    except ValueError:
        return None
    return max(0.0, (time.time() - started) * 1000)


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": _("Неверный заголовок Content-Length.")}, status=400)
        if length:
            multipart = request.content_type == "multipart/form-data"
            cap = settings.MAX_UPLOAD_BODY_BYTES if multipart else settings.MAX_JSON_BODY_BYTES
            if length > cap:
                metrics.SHED.labels("body_too_large").inc()
                response = JsonResponse({"detail": _("Слишком большой запрос: не более {size} МБ.").format(
                    size=round(cap / 1024 / 1024, 1)), "max_bytes": cap}, status=413)
                # the unread body stays on the socket: make the server drop the connection
                response["Connection"] = "close"
                return response
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """OperationalError/InterfaceError: the connection failed, or the server cancelled the
        statement (statement_timeout): either way "retry later" is the truth; a query's own
        mistakes are other classes and stay a 500."""
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        metrics.DEGRADED.labels("postgres", "request").inc()
        log.warning("database unavailable: %r", exception)
        try:
            connections["default"].close()  # the next request connects afresh
        except Exception:  # noqa: BLE001, S110 - it is broken already
            pass
        return unavailable(request, "database unavailable")
