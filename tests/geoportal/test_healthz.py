"""/healthz is a cheap liveness check; /readyz reports PostgreSQL, Redis and the Celery worker
(its ping cached), 503 when one is down."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import Any

import pytest
import redis
from django.test import Client

pytestmark = pytest.mark.django_db


def test_readyz_is_200_with_everything_up_and_pings_celery_once_per_ttl(
        celery_worker_process: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from geoportal import health

    health.forget_celery_ping()
    pings: list[str] = []
    real_ping = health._ping_celery
    monkeypatch.setattr(health, "_ping_celery", lambda: pings.append(real_ping()) or pings[-1])
    for _ in range(3):
        response = Client().get("/readyz")
        assert response.status_code == 200, response.json()
        assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "celery": "ok"}}
    assert pings == ["ok"]  # one real ping; the next probes read the cached answer


def test_healthz_is_liveness_only(django_assert_num_queries: Any, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: liveness must not care
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stopped_redis_url() -> str:
    """Start a real Redis on a free port, then shut it down: the portal's Redis is 'stopped'."""
    port = _free_port()
    server = shutil.which("redis-server")
    assert server, "redis-server must be installed by the set-up"
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    client.shutdown(nosave=True)
    proc.wait(timeout=10)
    return url


def test_readyz_is_503_when_redis_is_stopped(settings: object, stopped_redis_url: str) -> None:
    settings.REDIS_URL = stopped_redis_url  # type: ignore[attr-defined]
    response = Client().get("/readyz")
    assert response.status_code == 503 and response["Retry-After"]
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("down")
    assert body["checks"]["celery"].startswith("down")
