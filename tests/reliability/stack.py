"""A throwaway copy of the whole stack for fault tests: its own PostgreSQL cluster (initdb on a
free port), its own redis-server, the web server (scripts/web.sh), a Celery worker (prefork) and
nginx with deploy/nginx/geoportal.conf. Each piece can be stopped, killed and started again
without touching the shared PostgreSQL on 5432 or the shared Redis on 6379."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll for a state (never a fixed sleep); the timeout only bounds a broken run."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: the set-up installs the PostgreSQL server")
    return str(candidates[-1])


def _as_postgres() -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    base: Path
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    nginx_port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    # ---- addresses -------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"postgis://geoportal:geoportal@127.0.0.1:{self.pg_port}/geoportal"

    @property
    def media(self) -> Path:
        return self.base / "media"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update(DATABASE_URL=self.database_url, REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
                   MEDIA_ROOT=str(self.media), EMAIL_URL="console://", DEBUG="1", LOG_FORMAT="json",
                   OUTBOX_SWEEP_EVERY_S="1", OUTBOX_PUBLISH_GRACE_S="1", OUTBOX_REDELIVER_AFTER_S="5",
                   # load shedding answers by how long a request waited, which depends on the
                   # machine's load: out of these tests (tests/geoportal/test_resilience.py has it)
                   WEB_MAX_QUEUE_WAIT_MS="3600000",
                   PYTHONUNBUFFERED="1")
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(extra)
        return env

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"postgresql://geoportal:geoportal@127.0.0.1:{self.pg_port}/geoportal",
                             autocommit=True) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def _log(self, name: str) -> Any:
        return open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child process

    # ---- PostgreSQL ------------------------------------------------------------------------
    def init_postgres(self, schema_from: str) -> None:
        data = self.base / "pgdata"
        data.mkdir()
        sockets = self.base / "pgsock"
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
            shutil.chown(sockets, "postgres")
            shutil.chown(self.base, "postgres")  # the server writes its log here
        subprocess.run([*_as_postgres(), _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        self.start_postgres()
        admin = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE ROLE geoportal LOGIN SUPERUSER PASSWORD 'geoportal'")
            conn.execute("CREATE DATABASE geoportal OWNER geoportal")
        # The schema as the test run migrated it: seconds, where running every migration takes a minute.
        dump = subprocess.run([_pg_bin("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", schema_from],
                              check=True, capture_output=True).stdout
        subprocess.run([_pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", self.database_url.replace("postgis", "postgresql")],
                       input=dump, check=True, capture_output=True)

    def start_postgres(self) -> None:
        options = (f"-p {self.pg_port} -k {self.base / 'pgsock'} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off -c max_connections=60")
        subprocess.run([*_as_postgres(), _pg_bin("pg_ctl"), "-D", str(self.base / "pgdata"), "-o", options,
                        "-l", str(self.base / "postgres.log"), "-w", "start"], check=True, capture_output=True)

    def stop_postgres(self) -> None:
        subprocess.run([*_as_postgres(), _pg_bin("pg_ctl"), "-D", str(self.base / "pgdata"), "-m", "fast", "-w",
                        "stop"], check=True, capture_output=True)

    # ---- Redis -----------------------------------------------------------------------------
    def start_redis(self) -> None:
        self.procs["redis"] = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.base)],
            stdout=self._log("redis"), stderr=subprocess.STDOUT)
        wait_until(lambda: _port_open(self.redis_port), 30, "redis-server")

    def stop_redis(self) -> None:
        proc = self.procs.pop("redis")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    # ---- the application ---------------------------------------------------------------------
    def seed(self) -> None:
        """The demo territory, categories, and an API token per persona (in the throwaway database)."""
        script = (
            "import django, json; django.setup()\n"
            "from fixtures.demo_region import build_region\n"
            "from issues.categories import load_categories\n"
            "from rest_framework.authtoken.models import Token\n"
            "from geoportal.models import User\n"
            "build_region(); load_categories()\n"
            "print(json.dumps({u.username: Token.objects.get_or_create(user=u)[0].key\n"
            "                  for u in User.objects.filter(username__in=['citizen', 'citizen2', 'operator'])}))\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                              env=self.env(DJANGO_SETTINGS_MODULE="geoportal.settings", LOG_LEVEL="WARNING"))
        if done.returncode:
            raise RuntimeError(f"seeding the throwaway database failed:\n{done.stderr.decode()[-3000:]}")
        self.tokens = json.loads(done.stdout.decode().strip().splitlines()[-1])

    def start_web(self) -> None:
        self.procs["web"] = subprocess.Popen(
            ["scripts/web.sh"], cwd=ROOT, start_new_session=True, stdout=self._log("web"), stderr=subprocess.STDOUT,
            env=self.env(PORT=str(self.web_port), HOST="127.0.0.1", WEB_WORKERS="1", WEB_THREADS="2",
                         PROMETHEUS_MULTIPROC_DIR=str(self.base / "prometheus")))
        wait_until(lambda: _port_open(self.web_port), 60, "the web server")

    def start_worker(self) -> None:
        self.procs["worker"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "geoportal", "worker", "-P", "prefork", "-c", "1",
             "--loglevel=INFO", "-n", f"faults-{os.getpid()}-{time.monotonic_ns()}@%h", "--without-gossip",
             "--without-mingle"],
            cwd=ROOT, start_new_session=True, stdout=self._log("worker"), stderr=subprocess.STDOUT, env=self.env())
        wait_until(lambda: children_of(self.procs["worker"].pid), 60, "the worker's pool process")
        wait_until(lambda: b"ready." in (self.base / "worker.log").read_bytes().rsplit(b"celery@", 1)[-1], 60,
                   "the worker to be ready")

    def worker_child(self) -> int:
        return children_of(self.procs["worker"].pid)[0]

    def signal_worker(self, signum: int) -> None:
        os.killpg(self.procs["worker"].pid, signum)

    def kill_worker(self) -> None:
        proc = self.procs.pop("worker")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def start_nginx(self) -> None:
        conf = (ROOT / "deploy" / "nginx" / "geoportal.conf").read_text()
        assert "listen 80;" in conf and "server 127.0.0.1:8000 " in conf
        conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{self.nginx_port};")
                .replace("server 127.0.0.1:8000 ", f"server 127.0.0.1:{self.web_port} ")
                .replace("/var/log/nginx/geoportal.access.log", str(self.base / "nginx-access.log")))
        (self.base / "geoportal.conf").write_text(conf)
        temp = self.base / "nginx-temp"
        temp.mkdir(mode=0o777)
        os.chmod(temp, 0o777)  # nginx's workers drop to nobody when started by root
        (self.base / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {self.base}/nginx.pid;\nerror_log {self.base}/nginx-error.log;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {temp}/body;\n"
            f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
            f"  scgi_temp_path {temp}/scgi;\n  include {self.base}/geoportal.conf;\n}}\n")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        subprocess.run([nginx, "-t", "-q", "-c", str(self.base / "nginx.conf")], check=True, capture_output=True)
        self.procs["nginx"] = subprocess.Popen([nginx, "-c", str(self.base / "nginx.conf")], stdout=self._log("nginx"),
                                               stderr=subprocess.STDOUT)
        wait_until(lambda: _port_open(self.nginx_port), 30, "nginx")

    def stop(self) -> None:
        for name in ("nginx", "web", "worker", "redis"):
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            try:
                if name in ("web", "worker"):
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
                proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                with_group = name in ("web", "worker")
                try:
                    os.killpg(proc.pid, signal.SIGKILL) if with_group else proc.kill()
                except ProcessLookupError:
                    pass
        if (self.base / "pgdata" / "postmaster.pid").exists():
            self.stop_postgres()


def build(schema_from: str) -> Stack:
    stack = Stack(base=Path(tempfile.mkdtemp(prefix="geoportal-faults-")))
    os.chmod(stack.base, 0o755)
    stack.media.mkdir()
    try:
        stack.init_postgres(schema_from)
        stack.start_redis()
        stack.seed()
        stack.start_web()
        stack.start_worker()
        stack.start_nginx()
    except BaseException:
        stack.stop()
        shutil.rmtree(stack.base, ignore_errors=True)
        raise
    return stack
