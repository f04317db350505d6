"""Request ids, structured (JSON) logs and the Prometheus endpoint.

Every request gets an id (the proxy's ``X-Request-ID`` when it is a sane token, else a new one),
returned in ``X-Request-ID`` and added to every log line written while the request runs; one
access-log line a request; counters and a latency histogram by route. ``/metrics`` serves them
with the gauges read at scrape time (Celery queue depth, outbox backlog, routing auto-share) and
the workers' task counters (:mod:`geoportal.task_metrics`, kept in Redis) to
staff or to a scrape from METRICS_ALLOWED_IPS."""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from . import metrics, task_metrics

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("geoportal.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the extras."""
    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _route(request: HttpRequest) -> str:
    """The URL pattern (``api/v1/appeals/<pk>/``), not the path: bounded label values."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)[:100]
    return "unmatched"


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            route = _route(request)
            metrics.REQUESTS.labels(request.method or "", route, str(response.status_code)).inc()
            metrics.LATENCY.labels(request.method or "", route).observe(elapsed)
            response["X-Request-ID"] = request_id
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"request_id": request_id, "status": response.status_code,
                                   "duration_ms": round(elapsed * 1000, 1), "route": route,
                                   "method": request.method})
            return response
        finally:
            REQUEST_ID.reset(token)


class _SharedStateCollector(Collector):
    """Gauges read when scraped: each is one cheap query, and a scrape never fails for one of them."""

    def collect(self) -> Iterable[Metric]:
        yield from _queue_depth()
        yield from _outbox_backlog()
        yield from _routing_auto_share()
        yield from task_metrics.collect()

    def describe(self) -> Iterable[Metric]:
        return []


def _queue_depth() -> Iterable[Metric]:
    import redis

    gauge = GaugeMetricFamily("geoportal_celery_queue_depth", "Messages waiting in a Celery queue", labels=["queue"])
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        gauge.add_metric(["celery"], float(client.llen("celery")))  # type: ignore[arg-type]
    except (redis.RedisError, OSError):
        return
    yield gauge


def _outbox_backlog() -> Iterable[Metric]:
    from django.db import DatabaseError

    from outbox.models import OutboxMessage

    try:
        pending = OutboxMessage.objects.filter(completed_at__isnull=True, failed_at__isnull=True).count()
        failed = OutboxMessage.objects.filter(failed_at__isnull=False).count()
    except DatabaseError:
        return
    backlog = GaugeMetricFamily("geoportal_outbox_backlog", "Outbox messages by state", labels=["state"])
    backlog.add_metric(["pending"], float(pending))
    backlog.add_metric(["dead"], float(failed))
    yield backlog


def _routing_auto_share() -> Iterable[Metric]:
    """Of the appeals routed in the last 7 days, the share the router sent on by itself (a
    ``route`` event without an actor) rather than an operator."""
    from django.db import DatabaseError
    from django.db.models import Count, Q
    from django.utils import timezone

    from issues.models import AppealEvent

    since = timezone.now() - dt.timedelta(days=7)
    try:
        counts = AppealEvent.objects.filter(kind="route", created_at__gte=since).aggregate(
            total=Count("id"), auto=Count("id", filter=Q(actor__isnull=True)))
    except DatabaseError:
        return
    gauge = GaugeMetricFamily("geoportal_routing_auto_share",
                              "Share of appeals routed in the last 7 days that the router routed alone")
    gauge.add_metric([], (counts["auto"] / counts["total"]) if counts["total"] else 0.0)
    yield gauge


def _allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
        return True
    return str(request.META.get("REMOTE_ADDR", "")) in settings.METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format. Staff, or a scrape from METRICS_ALLOWED_IPS; others 404 (the
    endpoint's existence is nobody else's business)."""
    if not _allowed(request):
        return HttpResponse(status=404)
    registry: CollectorRegistry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    shared = CollectorRegistry()
    shared.register(_SharedStateCollector())
    return HttpResponse(body + generate_latest(shared), content_type=CONTENT_TYPE_LATEST)
