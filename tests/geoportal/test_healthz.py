"""/healthz reports PostgreSQL, Redis and the Celery worker; 503 when one is down."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_200_with_everything_up(celery_worker_process: object) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "celery": "ok"}}


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


def test_healthz_is_503_when_redis_is_stopped(settings: object, stopped_redis_url: str) -> None:
    settings.REDIS_URL = stopped_redis_url  # type: ignore[attr-defined]
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("down")
    assert body["checks"]["celery"].startswith("down")
