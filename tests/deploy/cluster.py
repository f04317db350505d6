"""The deployment's parts as real processes on this machine, on free ports in a temporary folder:
a PostgreSQL/PostGIS primary with a streaming hot standby made by ``pg_basebackup -R`` (and a
WAL archive), PgBouncer in transaction mode in front of both, a Redis with AOF, web nodes
(``scripts/web.sh``: granian) behind nginx, Celery workers, and an S3 server (moto's).

Used by ``tests/deploy/`` and ``bench/cluster_load.py``; nothing here touches the shared
PostgreSQL or Redis of the machine. PostgreSQL and PgBouncer refuse to run as root: as root
they run as the ``postgres`` user (Debian's packages create it).
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DB_NAME = "geoportal"
DB_USER = "geoportal"
DB_PASSWORD = "geoportal"  # noqa: S105 - a throwaway cluster on 127.0.0.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], bool], timeout: float = 120, proc: subprocess.Popen[bytes] | None = None,
             log: Path | None = None) -> None:
    """Wait for a state (never for a moment): ``check()`` true, or fail with the log's tail."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110 - not ready yet
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited ({proc.returncode})\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(errors="replace")[-3000:]


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    return Path(found[-1]).parent


def _as_service_user() -> list[str]:
    """PostgreSQL and PgBouncer refuse root: run them as ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _chown_for_service(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for folder, _dirs, files in os.walk(path):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result  # type: ignore[no-any-return]


@dataclass
class PgCluster:
    name: str
    datadir: Path
    port: int
    log: Path

    def psql(self, sql: str, db: str = DB_NAME) -> str:
        return run([str(pg_bindir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                    "-v", "ON_ERROR_STOP=1", "-qtAX", "-c", sql]).stdout.strip()

    def start(self) -> None:
        run([*_as_service_user(), str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log),
             "-o", f"-p {self.port}", "-w", "-t", "120", "start"])

    def stop(self, mode: str = "fast") -> None:
        if (self.datadir / "postmaster.pid").exists():
            subprocess.run([*_as_service_user(), str(pg_bindir() / "pg_ctl"), "-D", str(self.datadir), "-m", mode,
                            "-w", "-t", "60", "stop"], capture_output=True)

    def url(self, db: str = DB_NAME) -> str:
        return f"postgis://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{self.port}/{db}"


PRIMARY_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
max_connections = 200
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
jit = off
fsync = off
full_page_writes = on
logging_collector = off
"""
HBA = """
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


@dataclass
class ReplicatedDatabase:
    """A primary and its streaming hot standby, both PostGIS, in ``base``."""

    base: Path
    primary: PgCluster = field(init=False)
    standby: PgCluster = field(init=False)

    def __post_init__(self) -> None:
        self.primary = PgCluster("primary", self.base / "primary", free_port(), self.base / "primary.log")
        self.standby = PgCluster("standby", self.base / "standby", free_port(), self.base / "standby.log")
        self.archive = self.base / "wal-archive"

    def create(self) -> None:
        for folder in (self.archive, self.base / "sockets"):
            folder.mkdir(parents=True, exist_ok=True)
        _chown_for_service(self.base)
        run([*_as_service_user(), str(pg_bindir() / "initdb"), "-D", str(self.primary.datadir), "-U", "postgres",
             "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        with open(self.primary.datadir / "postgresql.conf", "a") as conf:
            conf.write(PRIMARY_CONF.format(sockets=self.base / "sockets", archive=self.archive))
        (self.primary.datadir / "pg_hba.conf").write_text(HBA)
        self.primary.start()
        self.primary.psql(f"CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'", db="postgres")
        self.primary.psql(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}", db="postgres")
        self.primary.psql("CREATE EXTENSION IF NOT EXISTS postgis")
        # The standby: a base backup of the running primary; -R writes primary_conninfo and
        # standby.signal, -X stream brings the WAL written meanwhile.
        run([*_as_service_user(), str(pg_bindir() / "pg_basebackup"), "-h", "127.0.0.1", "-p",
             str(self.primary.port), "-U", "postgres", "-D", str(self.standby.datadir), "-R", "-X", "stream",
             "-c", "fast", "--no-sync"])
        with open(self.standby.datadir / "postgresql.auto.conf", "a") as conf:
            conf.write("archive_mode = off\nprimary_slot_name = ''\n")
        self.standby.start()
        wait_for("standby streaming", self.streaming, timeout=60, log=self.standby.log)

    def streaming(self) -> bool:
        return self.standby.psql("SELECT status FROM pg_stat_wal_receiver", db="postgres") == "streaming"

    def caught_up(self) -> bool:
        """The standby replayed everything the primary has written."""
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()", db="postgres")
        return self.standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn", db="postgres") == "t"

    def stop(self) -> None:
        self.standby.stop("immediate")
        self.primary.stop("immediate")


PGBOUNCER_INI = """
[databases]
{db} = host=127.0.0.1 port={primary} dbname={db}
{db}_replica = host=127.0.0.1 port={standby} dbname={db}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {auth}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_connect_timeout = 3
server_login_retry = 1
query_wait_timeout = 10
ignore_startup_parameters = extra_float_digits,options
logfile = {log}
pidfile = {pid}
"""


@dataclass
class PgBouncer:
    base: Path
    primary_port: int
    standby_port: int
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ini = self.base / "pgbouncer.ini"
        auth = self.base / "pgbouncer-users.txt"
        auth.write_text(f'"{DB_USER}" "{DB_PASSWORD}"\n')
        ini.write_text(PGBOUNCER_INI.format(db=DB_NAME, primary=self.primary_port, standby=self.standby_port,
                                            port=self.port, auth=auth, log=self.base / "pgbouncer.log",
                                            pid=self.base / "pgbouncer.pid"))
        _chown_for_service(self.base)
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.proc = subprocess.Popen([*_as_service_user(), binary, str(ini)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for("pgbouncer", lambda: _port_open(self.port), timeout=30, proc=self.proc,
                 log=self.base / "pgbouncer.log")

    def url(self, replica: bool = False) -> str:
        return f"postgis://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{self.port}/{DB_NAME}{'_replica' if replica else ''}"

    def stop(self) -> None:
        stop_process(self.proc)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig) if _own_group(proc) else proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL) if _own_group(proc) else proc.kill()
        proc.wait(timeout=10)


def _own_group(proc: subprocess.Popen[bytes]) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


@dataclass
class Redis:
    """A persistent broker: append-only file, fsync every second (deploy/ runs the same)."""

    base: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        folder = self.base / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "everysec", "--dir", str(folder), "--logfile", str(self.base / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis", lambda: _port_open(self.port), timeout=30, proc=self.proc, log=self.base / "redis.log")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        stop_process(self.proc)


def app_env(**overrides: str) -> dict[str, str]:
    """A web node's or worker's environment: production settings on the given services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST", "DJANGO_SETTINGS"))}
    env.update(DEBUG="0", SECRET_KEY="deploy-test-" + "x" * 40, ALLOWED_HOSTS="127.0.0.1,localhost",
               EMAIL_URL="locmem://", LOG_LEVEL="WARNING", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0",
               # plain HTTP on loopback (no TLS proxy here), and one load client behind one address:
               # the per-address limits are tested on their own (tests/geoportal/test_client_address.py)
               SECURE_SSL_REDIRECT="0", API_ANON_RATE="1000000/min", ANON_PAGE_RATE="1000000/min",
               TILES_RENDER_RATE="1000000/min", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout


@dataclass
class WebNode:
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self, workers: int = 1, threads: int = 2) -> None:
        env = dict(self.env, PORT=str(self.port), HOST="127.0.0.1", WEB_WORKERS=str(workers),
                   WEB_THREADS=str(threads))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(ROOT / "scripts" / "web.sh")], cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        import urllib.request

        def answers() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/tiles/districts.json", timeout=5) as r:  # noqa: S310
                return bool(r.status == 200)

        wait_for(f"web node on {self.port}", answers, timeout=120, proc=self.proc, log=self.log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)


@dataclass
class CeleryWorker:
    env: dict[str, str]
    log: Path
    name: str
    proc: subprocess.Popen[bytes] | None = None

    def start(self, concurrency: int = 1) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "geoportal", "worker", "--loglevel=INFO", "-n",
                 f"{self.name}@%h", "--concurrency", str(concurrency), "--pool", "prefork", "--without-gossip",
                 "--without-mingle"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self) -> None:
        wait_for(f"celery worker {self.name}", lambda: "ready." in self.log.read_text(errors="replace"),
                 timeout=120, proc=self.proc, log=self.log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)


NGINX_CONF = """
worker_processes 2;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {base}/nginx-body;
    proxy_temp_path {base}/nginx-proxy;
    fastcgi_temp_path {base}/nginx-fastcgi;
    uwsgi_temp_path {base}/nginx-uwsgi;
    scgi_temp_path {base}/nginx-scgi;
    include {cluster_conf};
}}
"""


@dataclass
class Nginx:
    """nginx (Debian) running deploy/nginx/cluster.conf, its upstreams pointed at this machine's
    web nodes and S3 server, on a free port, without TLS."""

    base: Path
    static_root: Path
    media_port: int | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def write_conf(self, web_ports: list[int]) -> Path:
        site = (ROOT / "deploy" / "nginx" / "cluster.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;\n" for p in web_ports)
        site = re.sub(r"upstream geoportal_web \{.*?\n\}", "upstream geoportal_web {\n    least_conn;\n"
                      + servers + "    keepalive 32;\n}", site, flags=re.S)
        site = re.sub(r"server minio:9000;", f"server 127.0.0.1:{self.media_port or 9};", site)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        site = site.replace("/srv/geoportal/static/", f"{self.static_root}/")
        site_path = self.base / "cluster.conf"
        site_path.write_text(site)
        conf = self.base / "nginx.conf"
        conf.write_text(NGINX_CONF.format(base=self.base, cluster_conf=site_path))
        return conf

    def start(self, web_ports: list[int]) -> None:
        conf = self.write_conf(web_ports)
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        run([binary, "-t", "-c", str(conf)])
        self.proc = subprocess.Popen([binary, "-c", str(conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for("nginx", lambda: _port_open(self.port), timeout=30, proc=self.proc,
                 log=self.base / "nginx-error.log")

    def reload(self, web_ports: list[int]) -> None:
        """Another set of web nodes: rewrite the upstream and reload (nginx keeps serving)."""
        self.write_conf(web_ports)
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGQUIT)


@dataclass
class S3Server:
    """moto's S3 server (``moto_server``): a real HTTP server process speaking the S3 API."""

    base: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.base / "s3.log"
        binary = Path(sys.executable).parent / "moto_server"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(self.port)], stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_for("S3 server", lambda: _port_open(self.port), timeout=60, proc=self.proc, log=log)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.proc)


@contextlib.contextmanager
def workdir(prefix: str = "geoportal-deploy-") -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
