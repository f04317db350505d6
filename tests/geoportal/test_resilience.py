"""In-process checks of the request guards and observability (the fault tests in
tests/reliability break real services): body caps before parsing, load shedding with Retry-After,
caches and rate limits failing open, request ids in responses and logs, /metrics access."""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from geoportal import metrics
from geoportal.observability import JsonFormatter
from geoportal.resilience import LoadSheddingMiddleware
from issues.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_a_json_body_over_its_cap_is_refused_unread(personas: Any, settings: Any) -> None:
    client = personas.client("citizen")
    body = json.dumps({"text": "x" * (settings.MAX_JSON_BODY_BYTES + 1)})
    response = client.post("/api/v1/appeals/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big-1")
    assert response.status_code == 413 and response.json()["max_bytes"] == settings.MAX_JSON_BODY_BYTES
    assert not IdempotencyKey.objects.exists()  # the view never ran
    # as multipart the body is under its (larger) cap and reaches Django, whose own cap on form fields
    # (DATA_UPLOAD_MAX_MEMORY_SIZE) answers 400
    response = client.post("/api/v1/appeals/", {"text": "x" * (settings.MAX_JSON_BODY_BYTES + 1)})
    assert response.status_code == 400


def test_a_request_that_waited_too_long_in_front_is_shed_with_retry_after(settings: Any) -> None:
    settings.WEB_MAX_QUEUE_WAIT_MS = 1000
    stale = Client().get("/api/v1/categories/", HTTP_X_REQUEST_START=f"t={time.time() - 30:.3f}")
    assert stale.status_code == 503 and stale["Retry-After"] == str(settings.RETRY_AFTER_S)
    assert stale.json()["reason"] == "overloaded"
    fresh = Client().get("/api/v1/categories/", HTTP_X_REQUEST_START=f"t={time.time():.3f}")
    assert fresh.status_code == 200


def test_requests_beyond_the_in_flight_bound_are_shed(settings: Any) -> None:
    settings.WEB_MAX_INFLIGHT = 1
    inner: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        # a second request arrives while this one holds the only slot
        inner.append(middleware(RequestFactory().get("/api/v1/categories/")).status_code)
        return HttpResponse("ok")

    middleware = LoadSheddingMiddleware(view)
    assert middleware(RequestFactory().get("/")).status_code == 200
    assert inner == [503]
    assert middleware(RequestFactory().get("/")).status_code == 200  # the slot was given back


def test_rate_limits_and_caches_fail_open_when_redis_is_down(settings: Any, caplog: Any) -> None:
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    before = metrics.DEGRADED.labels("redis", "cache.get")._value.get()
    with caplog.at_level(logging.WARNING, logger="geoportal.cache"):
        response = Client().get("/api/v1/appeals/")  # the anonymous throttle reads its counter from Redis
    assert response.status_code == 200
    assert metrics.DEGRADED.labels("redis", "cache.get")._value.get() > before


def test_every_answer_carries_a_request_id_that_the_log_lines_share(caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="geoportal.access"):
        response = Client().get("/healthz")
        echoed = Client().get("/healthz", HTTP_X_REQUEST_ID="abcdef12-proxy")
        replaced = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(response["X-Request-ID"]) == 32
    assert echoed["X-Request-ID"] == "abcdef12-proxy"
    assert replaced["X-Request-ID"] != "bad id\nwith newline" and len(replaced["X-Request-ID"]) == 32
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "geoportal.access"]
    assert [line["request_id"] for line in lines] == [response["X-Request-ID"], "abcdef12-proxy",
                                                      replaced["X-Request-ID"]]
    assert lines[0]["status"] == 200 and lines[0]["route"] == "healthz" and lines[0]["level"] == "INFO"


def test_metrics_are_for_staff_and_local_scrapes_only(personas: Any) -> None:
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert Client(**outside).get("/metrics").status_code == 404
    citizen = personas.client("citizen")
    assert citizen.get("/metrics", **outside).status_code == 404
    leader = personas.client("leader")
    if not personas.leader.is_staff:
        assert leader.get("/metrics", **outside).status_code == 404
    admin = personas.client("admin")
    Client().get("/api/v1/categories/")
    body = admin.get("/metrics", **outside).content.decode()
    for name in ("geoportal_http_requests_total", "geoportal_http_request_duration_seconds_bucket",
                 "geoportal_outbox_backlog", "geoportal_celery_queue_depth", "geoportal_routing_auto_share"):
        assert name in body, name
    assert 'route="api/v1/categories/$"' in body or "api/v1/categories" in body
    local = Client().get("/metrics")  # a scrape from this host (REMOTE_ADDR 127.0.0.1)
    assert local.status_code == 200 and local["Content-Type"].startswith("text/plain")


def test_the_guards_and_the_outbox_speak_english_too() -> None:
    from pathlib import Path

    from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic

    root = Path(__file__).resolve().parents[2]
    modules = [root / "geoportal" / "resilience.py", *sorted((root / "outbox").glob("*.py"))]
    from django.template.loader import render_to_string
    from django.utils import translation

    plural = ("%(count)d сообщение поставлено в очередь.", "%(count)d сообщений поставлено в очередь.")
    untranslated = {str(m): [t for t in untranslated_cyrillic(m) if t not in plural] for m in modules}
    assert untranslated == {str(m): [] for m in modules}  # (the checker knows no ngettext: below)
    assert_translated(gettext_msgids(modules))
    with translation.override("en"):
        assert [translation.ngettext(*plural, n) % {"count": n} for n in (1, 3)] == [
            "1 message queued.", "3 messages queued."]

    with translation.override("en"):
        page = render_to_string("geoportal/unavailable.html", {"retry_after": "5"})
    assert '<html lang="en">' in page and "Service temporarily unavailable" in page
