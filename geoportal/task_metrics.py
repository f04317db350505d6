"""Celery tasks succeeded, failed and retried, by task name, for ``/metrics``.

Workers are other processes than the web server, often on other hosts (deploy/docker-compose.yml:
two worker containers), so prometheus_client's per-host multiprocess files cannot carry their
counts to the web's scrape. Each worker process adds its counts to one Redis hash instead (one
``HINCRBY`` per finished task, on the broker the workers cannot work without anyway), and
``/metrics`` reads the hash when scraped (:func:`collect`). A Redis that loses the hash (a restart
without persistence) starts the counters from zero again, which Prometheus reads as a counter reset."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import redis
from celery import signals
from django.conf import settings
from prometheus_client.core import CounterMetricFamily, Metric

log = logging.getLogger(__name__)
KEY = "geoportal:metrics:celery_tasks"
STATES = ("succeeded", "failed", "retried")
_SEPARATOR = "\t"
_clients: dict[int, redis.Redis] = {}  # by process id: a forked pool child opens its own connection


def _client() -> redis.Redis:
    pid = os.getpid()
    if pid not in _clients:
        _clients.clear()
        _clients[pid] = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
    return _clients[pid]


def count(task_name: str, state: str) -> None:
    """One more ``task_name`` in ``state``; never raises (a lost count is not worth a task)."""
    try:
        _client().hincrby(KEY, f"{task_name}{_SEPARATOR}{state}", 1)
    except (redis.RedisError, OSError):
        log.warning("task metrics: Redis unavailable, %s %s not counted", task_name, state)


def _name(sender: Any, request: Any = None) -> str:
    return str(getattr(sender, "name", None) or getattr(request, "task", None) or "unknown")


@signals.task_success.connect
def _succeeded(sender: Any = None, **_kwargs: Any) -> None:
    count(_name(sender), "succeeded")


@signals.task_failure.connect
def _failed(sender: Any = None, **_kwargs: Any) -> None:
    count(_name(sender), "failed")


@signals.task_retry.connect
def _retried(sender: Any = None, request: Any = None, **_kwargs: Any) -> None:
    count(_name(sender, request), "retried")


def read() -> dict[tuple[str, str], int]:
    """``(task, state) → count`` as stored; raises ``redis.RedisError``/``OSError`` when unreachable."""
    raw: dict[bytes, bytes] = _client().hgetall(KEY)  # type: ignore[assignment]
    counts = {}
    for field, value in raw.items():
        task, _sep, state = field.decode().rpartition(_SEPARATOR)
        counts[(task, state)] = int(value)
    return counts


def collect() -> Iterable[Metric]:
    """The counters for a scrape; nothing when Redis is unreachable (the scrape still answers)."""
    try:
        counts = read()
    except (redis.RedisError, OSError):
        return
    family = CounterMetricFamily("geoportal_celery_tasks", "Celery tasks finished by the workers, by task and state",
                                 labels=["task", "state"])
    for (task, state), value in sorted(counts.items()):
        family.add_metric([task, state], float(value))
    yield family
