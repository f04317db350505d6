"""Prometheus metrics of the portal (``/metrics``, see :mod:`geoportal.observability`).

Counters and histograms live in each process; with ``PROMETHEUS_MULTIPROC_DIR`` set (scripts/web.sh
sets it) the web server's processes write them to files that one scrape adds up. Gauges that
describe shared state (queue depth, outbox backlog, routing auto-share) are read at scrape time."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("geoportal_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("geoportal_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0))
SHED = Counter("geoportal_http_shed_total", "Requests refused with 503 before the view ran", ["reason"])
DEGRADED = Counter("geoportal_degraded_total",
                   "Operations that failed open because a backing service was unavailable",
                   ["service", "operation"])
OUTBOX_PUBLISHED = Counter("geoportal_outbox_published_total", "Outbox messages handed to the broker")
OUTBOX_PUBLISH_FAILED = Counter("geoportal_outbox_publish_failures_total",
                                "Outbox publishes that failed (the sweep publishes them later)")
OUTBOX_EFFECTS = Counter("geoportal_outbox_effects_total", "Outbox effects carried out", ["task"])
OUTBOX_DEAD = Counter("geoportal_outbox_dead_letters_total", "Outbox messages moved to the dead-letter list")
