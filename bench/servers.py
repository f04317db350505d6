"""Servers the benches start on free ports: the production web server (``scripts/web.sh``) and
tipg on the same database, for side-by-side runs. Used by ``bench/tiles.py``, ``map_session.py``,
``scale.py``, ``tile_overhead.py``, ``load.py`` and ``stats.py``."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def exit_on_sigterm() -> None:
    """SIGTERM (``timeout``, a supervisor) ends the bench through its ``finally`` blocks, which
    stop the servers it started, instead of leaving them running."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], name: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}")
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not come up within {timeout:.0f} s")


def start_web(port: int, app: str = "geoportal.wsgi:application", root: Path = ROOT,
              extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The production web server (scripts/web.sh) with one worker process, of this checkout or
    of another one at ``root`` (an older version, for an A/B run: its modules first on the path,
    ahead of this checkout's editable install), with ``extra_env`` on top."""
    env = dict(os.environ, **({"PYTHONPATH": str(root)} if root != ROOT else {}), DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48), ALLOWED_HOSTS="127.0.0.1",
               # plain HTTP on loopback, one client: no TLS redirect, no per-address limits in the way
               SECURE_SSL_REDIRECT="0", TILES_RENDER_RATE="1000000/min", ANON_PAGE_RATE="1000000/min",
               API_ANON_RATE="1000000/min",
               LOG_LEVEL="WARNING", PORT=str(port), WEB_WORKERS="1", WSGI_APP=app, **(extra_env or {}))
    proc = subprocess.Popen([str(root / "scripts/web.sh"), "--log-level", "warning"], cwd=root, env=env)
    try:  # /healthz would also want a Celery worker; the TileJSON needs only the app and the database
        wait_until_up(f"http://127.0.0.1:{port}/tiles/districts.json", proc, "scripts/web.sh")
    except RuntimeError:
        proc.terminate()
        raise
    return proc


def database_dsn() -> str:
    from django.conf import settings  # the caller has set Django up

    db = settings.DATABASES["default"]
    return (f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def start_tipg(port: int) -> tuple[subprocess.Popen[bytes] | None, str]:
    """tipg on the appeals table, or (None, reason) when it cannot run here."""
    try:
        import tipg  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        return None, f"tipg not installed ({exc}); run: .venv/bin/pip install -e '.[bench]'"
    env = dict(os.environ, DATABASE_URL=database_dsn(), TIPG_DB_SCHEMAS='["public"]',
               TIPG_DB_SPATIAL_EXTENT="false",
               TIPG_DB_DATETIME_EXTENT="false", TIPG_MAX_FEATURES_PER_TILE="10000000",
               TIPG_DB_MAX_CONN_SIZE="2")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
                            cwd="/tmp", env=env)  # cwd: tipg reads a .env file from it
    try:
        wait_until_up(f"http://127.0.0.1:{port}/collections", proc, "tipg")
    except RuntimeError as exc:
        proc.terminate()
        return None, f"tipg could not start: {exc}"
    return proc, ""
