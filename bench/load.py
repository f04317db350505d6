"""Appeal submissions under load, beside the same server's trivial endpoint.

    set -a; source var/services.env; set +a
    .venv/bin/pip install -e '.[bench]'            # locust
    .venv/bin/python bench/load.py [--users 50] [--seconds 30] [--think 0] [--direct]

Starts the production web server (``scripts/web.sh``: granian, WEB_WORKERS = CPU count, DEBUG=0)
on a free port behind nginx (``deploy/nginx/geoportal.conf``, as deployed; ``--direct`` skips
it), against the database and Redis of the environment (the demo territory and categories are
loaded when the database has none; no Celery worker is needed: side effects wait in the outbox).

Then two locust runs (headless, FastHttpUser, closed loop, no think time unless ``--think``), each ``--seconds``
long after a short ramp: ``--users`` citizens each submitting appeals as fast as answers come
(``POST /api/v1/appeals/`` with JSON, a point, an ``Idempotency-Key``, each citizen with their own
API token), then as many clients calling ``GET /healthz`` (the trivial endpoint: the same server,
middleware and proxy with no work). Printed side by side: requests/s, p50, p95, p99, errors, and
the submissions' share of the trivial endpoint's throughput, and the server's CPU per submission
(nginx, granian and the database's backends, read from /proc over the measured window: the cost
of a submission apart from the load generator and from whatever else loads a shared machine).
Afterwards the bench's appeals, its users and their outbox rows are deleted."""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import gevent

# locust patches the standard library for gevent on import: before Django, psycopg and requests
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.stats import StatsEntry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import free_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
BENCH_PREFIX = "bench-load-"


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def prepare(users: int) -> tuple[list[str], int, tuple[float, float]]:
    """Tokens of ``users`` bench citizens, a category id and a point inside the territory."""
    import django

    django.setup()
    from rest_framework.authtoken.models import Token

    from fixtures.demo_region import build_region
    from geoportal.models import District, Role, User
    from issues.categories import load_categories
    from issues.models import Category

    if not District.objects.exists():
        print("loading the demo territory and categories (empty database)")
        build_region()
        load_categories()
    tokens = []
    for index in range(users):
        user, created = User.objects.get_or_create(username=f"{BENCH_PREFIX}{index}",
                                                   defaults={"role": Role.CITIZEN, "email": ""})
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    category = Category.objects.get(code="transport-schedule")
    point = District.objects.get(code="centralny").boundary.point_on_surface
    return tokens, category.pk, (point.y, point.x)


def cleanup() -> int:
    from django.apps import apps
    from django.db import transaction

    from geoportal.models import User
    from issues.models import Appeal, IdempotencyKey

    with transaction.atomic():
        appeal_ids = list(Appeal.objects.filter(author__username__startswith=BENCH_PREFIX).values_list("pk", flat=True))
        if apps.is_installed("outbox"):  # (absent when this bench measures an older checkout)
            from outbox.models import OutboxMessage

            for appeal_id in appeal_ids:  # the outbox rows that only these appeals owe
                OutboxMessage.objects.filter(effects__contains=[["issues.tasks.announce_change", [appeal_id]]]).delete()
        IdempotencyKey.objects.filter(user__username__startswith=BENCH_PREFIX).delete()
        Appeal.objects.filter(pk__in=appeal_ids).delete()
        User.objects.filter(username__startswith=BENCH_PREFIX).delete()
    return len(appeal_ids)


def start_server(direct: bool, base: Path) -> tuple[list[subprocess.Popen[bytes]], int]:
    web_port = free_port()
    env = dict(os.environ, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(48), ALLOWED_HOSTS="127.0.0.1",
               LOG_LEVEL="WARNING", PORT=str(web_port),
               SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback: TLS termination is not measured here
 PROMETHEUS_MULTIPROC_DIR=str(base / "prometheus"))
    web = subprocess.Popen([str(ROOT / "scripts/web.sh"), "--log-level", "warning"], cwd=ROOT, env=env,
                           start_new_session=True)
    try:
        wait_up(f"http://127.0.0.1:{web_port}/healthz", web)
    except RuntimeError:
        os.killpg(web.pid, 15)  # no server left behind
        raise
    if direct:
        return [web], web_port
    nginx_port = free_port()
    conf = ((ROOT / "deploy/nginx/geoportal.conf").read_text()
            .replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
            .replace("server 127.0.0.1:8000 ", f"server 127.0.0.1:{web_port} ")
            .replace("access_log /var/log/nginx/geoportal.access.log geoportal;", "access_log off;"))
    (base / "geoportal.conf").write_text(conf)
    temp = base / "temp"
    temp.mkdir(mode=0o777)
    os.chmod(temp, 0o777)
    (base / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {base}/nginx.pid;\nerror_log {base}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ include /etc/nginx/mime.types; client_body_temp_path {temp}/b; proxy_temp_path {temp}/p;\n"
        f"fastcgi_temp_path {temp}/f; uwsgi_temp_path {temp}/u; scgi_temp_path {temp}/s;\n"
        f"include {base}/geoportal.conf; }}\n")
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(base / "nginx.conf")])
    wait_up(f"http://127.0.0.1:{nginx_port}/healthz", nginx)
    return [nginx, web], nginx_port


ERRORS: dict[str, int] = {}
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: set[int]) -> float:
    """User + system CPU seconds the processes ``pids`` have used (those still running)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def server_cpu(roots: list[int]) -> tuple[float, float]:
    """CPU seconds used so far by the web server (nginx, granian and their processes) and by the
    PostgreSQL backends of this database: the server's own cost, apart from the load generator
    and whatever else runs on the machine (a figure that noise on a shared host hardly moves)."""
    from django.db import connection

    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(stat.parent.name))
    web, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        web.add(pid)
        todo.extend(children.get(pid, []))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        backends = {pid for (pid,) in cursor.fetchall()}
    return _cpu_of(web), _cpu_of(backends)


def run(user_class: type[FastHttpUser], users: int, seconds: float, host: str,
        roots: list[int]) -> tuple[StatsEntry, tuple[float, float]]:
    """The locust run's totals, and the server's CPU seconds (web, PostgreSQL) in its window."""
    env = Environment(user_classes=[user_class], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 2, 1))  # all running after ~2 s
    gevent.sleep(2.5)
    env.stats.reset_all()  # measure the steady state only
    before = server_cpu(roots)
    gevent.sleep(seconds)
    after = server_cpu(roots)
    runner.quit()
    for error in env.stats.errors.values():
        ERRORS[f"{error.name}: {error.error}"] = error.occurrences
    return env.stats.total, (after[0] - before[0], after[1] - before[1])


def line(name: str, entry: StatsEntry) -> str:
    return (f"{name:<28} {entry.total_rps:>8.1f} {entry.get_response_time_percentile(0.5) / 1000:>7.2f} "
            f"{entry.get_response_time_percentile(0.95) / 1000:>7.2f} {entry.get_response_time_percentile(0.99) / 1000:>7.2f}"
            f" {entry.num_requests:>8} {entry.num_failures:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--direct", action="store_true", help="no nginx in front")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each citizen waits between submissions (0: a closed loop as fast as answers come)")
    args = parser.parse_args()

    tokens, category, (lat, lon) = prepare(args.users)
    base = Path(tempfile.mkdtemp(prefix="geoportal-load-"))
    procs, port = start_server(args.direct, base)
    host = f"http://127.0.0.1:{port}"
    pool = iter(tokens)

    class Citizen(FastHttpUser):
        wait_time = constant(args.think)

        def on_start(self) -> None:
            self.token = next(pool)

        @task
        def submit(self) -> None:
            with self.client.post("/api/v1/appeals/", json={
                    "category": category, "text": "Автобус 45 не ходит по вечерам после восьми.", "lat": lat,
                    "lon": lon}, headers={"Authorization": f"Token {self.token}",
                                          "Idempotency-Key": uuid.uuid4().hex},
                    name="submit", catch_response=True) as response:
                if response.status_code != 201:
                    response.failure(f"HTTP {response.status_code}" + (f" {response.error!r}" if response.status_code == 0 else ""))

    class Prober(FastHttpUser):
        wait_time = constant(0)

        @task
        def healthz(self) -> None:
            self.client.get("/healthz", name="healthz")

    try:
        roots = [proc.pid for proc in procs]
        submissions, (web_cpu, db_cpu) = run(Citizen, args.users, args.seconds, host, roots)
        trivial, _cpu = run(Prober, args.users, args.seconds, host, roots)
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, 15) if proc.args[0].endswith("web.sh") else proc.terminate()
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)
        removed = cleanup()

    where = "direct to granian" if args.direct else "through nginx"
    think = f", citizens think {args.think:g} s between submissions" if args.think else ""
    print(f"\n{args.users} concurrent clients, {args.seconds:.0f} s each, {os.cpu_count()} CPUs, {where}{think}")
    print(f"{'':<28} {'req/s':>8} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'requests':>8} {'errors':>7}")
    print(line("POST /api/v1/appeals/", submissions))
    print(line("GET /healthz (trivial)", trivial))
    share = submissions.total_rps / trivial.total_rps if trivial.total_rps else 0.0
    print(f"submissions/s = {submissions.total_rps:.1f} ({share:.0%} of the trivial endpoint); "
          f"target p95 <= 2 s: {'met' if submissions.get_response_time_percentile(0.95) <= 2000 else 'NOT met'}; "
          f"{removed} bench appeals removed")
    if submissions.num_requests:
        print(f"server CPU per submission: {1000 * (web_cpu + db_cpu) / submissions.num_requests:.1f} ms "
              f"(web server {1000 * web_cpu / submissions.num_requests:.1f} ms, PostgreSQL "
              f"{1000 * db_cpu / submissions.num_requests:.1f} ms); load average {os.getloadavg()[0]:.1f}")
    for error, count in sorted(ERRORS.items()):
        print(f"  error x{count}: {error}")


if __name__ == "__main__":
    main()
