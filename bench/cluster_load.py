"""Capacity of the multi-node deployment on this machine: locust (bench/locustfile.py) against
nginx (deploy/nginx/cluster.conf) in front of 1, then 2 web nodes (scripts/web.sh), with two
Celery workers, a streaming replica behind PgBouncer and a Redis with AOF — all real processes
on free ports (tests/deploy/cluster.py). Then a run with 2 nodes during which one web node and
one worker are killed (SIGKILL): every appeal the clients saw accepted must be in the database.

    make bench-cluster                     # or: python bench/cluster_load.py --seconds 30 --users 16

Prints requests per second and p95 per phase and the scaling factor, and writes them to
var/bench/cluster-load.json. tests/deploy/test_cluster.py runs the same phases, shorter.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deploy.cluster import (  # noqa: E402
    CeleryWorker,
    Nginx,
    PgBouncer,
    Redis,
    ReplicatedDatabase,
    WebNode,
    app_env,
    manage,
    wait_for,
    workdir,
)

DEMO_PASSWORD = "demo12345"  # noqa: S105 - fixtures.demo_region's published demo password
CITIZENS = ["citizen", "citizen2"]


@dataclass
class Phase:
    name: str
    nodes: int
    requests: int
    failures: int
    rps: float
    p95_ms: float
    p50_ms: float
    by_name: dict[str, dict[str, float]] = field(default_factory=dict)
    load_average: float = 0.0  # the machine's 1-minute load average at the end of the phase


def tile_path(lon: float, lat: float, z: int) -> str:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/appeals/{z}/{x}/{y}.pbf"


def token_of(host: str, username: str) -> str:
    import requests

    response = requests.post(f"{host}/api/v1/auth/token/", data={"username": username, "password": DEMO_PASSWORD},
                             timeout=60)
    response.raise_for_status()
    return str(response.json()["token"])


def load_context(db: ReplicatedDatabase, host: str, points: int = 3000) -> dict[str, Any]:
    """What the simulated citizens need: category, points inside the central district, viewport."""
    sql = db.primary.psql
    bbox = sql("SELECT concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)) "
               "FROM (SELECT boundary::box2d AS b FROM geoportal_district WHERE code = 'centralny') d")
    rows = sql(f"SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, {points}, 42))).geom "
               "AS p FROM geoportal_district WHERE code = 'centralny') g").splitlines()
    coords = [[float(v) for v in row.split()] for row in rows]
    return {"tokens": [token_of(host, username) for username in CITIZENS], "bbox": bbox, "points": coords,
            "category": int(sql("SELECT id FROM issues_category WHERE code = 'light-park'")),
            "tile": tile_path(coords[0][0], coords[0][1], 13)}


def run_locust(host: str, context: dict[str, Any], *, users: int, seconds: int, out: Path, name: str,
               accepted: Path, during: Callable[[], None] | None = None) -> Phase:
    """One headless locust run; ``during`` (if any) runs while the load goes on."""
    prefix = out / name
    env = dict(os.environ, LOAD_CONTEXT=json.dumps(context), LOAD_ACCEPTED=str(accepted))
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
         "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=open(out / f"{name}.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        if during is not None:
            during()
        proc.wait(timeout=seconds + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return read_stats(prefix, name)


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def read_stats(prefix: Path, name: str) -> Phase:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {r["Name"]: {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                           "rps": float(r["Requests/s"]), "p95_ms": _ms(r["95%"]), "p50_ms": _ms(r["50%"])}
               for r in rows if r["Name"] != "Aggregated"}
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return Phase(name=name, nodes=0, requests=int(total["Request Count"]), failures=int(total["Failure Count"]),
                 rps=float(total["Requests/s"]), p95_ms=_ms(total["95%"]), p50_ms=_ms(total["50%"]),
                 by_name=by_name)


@dataclass
class Cluster:
    """The deployment's processes for the load runs (the database stack is the caller's)."""

    base: Path
    env: dict[str, str]
    media_port: int | None = None  # the S3 server nginx proxies public media to
    nodes: list[WebNode] = field(default_factory=list)
    workers: list[CeleryWorker] = field(default_factory=list)
    nginx: Nginx | None = None

    def start(self, web_nodes: int = 2, workers: int = 2, threads: int = 4, all_static: bool = True,
              node_env: list[dict[str, str]] | None = None) -> None:
        # Compressing every vendored library takes minutes on a busy machine: the tests collect
        # the project's own files only (nginx serves whatever was collected the same way).
        skip = [] if all_static else ["-i", "vendor", "-i", "drf_spectacular_sidecar", "-i", "admin", "-i", "gis",
                                      "-i", "rest_framework"]
        manage(self.env, "collectstatic", "--noinput", "-v", "0", *skip)
        self.nodes = [WebNode({**self.env, **(node_env[i] if node_env else {})}, self.base / f"web{i + 1}.log")
                      for i in range(web_nodes)]
        self.workers = [CeleryWorker(self.env, self.base / f"worker{i + 1}.log", f"worker{i + 1}")
                        for i in range(workers)]
        for node in self.nodes:
            node.start(workers=1, threads=threads)
        for worker in self.workers:
            worker.start(concurrency=1)
        for node in self.nodes:
            node.wait_ready()
        for worker in self.workers:
            worker.wait_ready()
        self.nginx = Nginx(self.base, Path(self.env["STATIC_ROOT"]), media_port=self.media_port)
        self.nginx.start([self.nodes[0].port])

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return f"http://127.0.0.1:{self.nginx.port}"

    def use_nodes(self, count: int) -> None:
        """Point nginx at the first ``count`` nodes (a graceful reload: nothing in flight is lost)."""
        assert self.nginx is not None
        self.nginx.reload([n.port for n in self.nodes[:count]])
        import requests

        wait_for("nginx reloaded", lambda: requests.get(f"{self.url}/tiles/districts.json", timeout=5).status_code == 200,
                 timeout=30)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for node in self.nodes:
            node.stop()
        for worker in self.workers:
            worker.stop()


def accepted_appeals(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    pairs = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return {key: int(appeal_id) for key, appeal_id in pairs}


def measure(db: ReplicatedDatabase, cluster: Cluster, out: Path, *, users: int, seconds: int,
            rounds: int = 1) -> dict[str, Any]:
    """The three phases: 1 node, 2 nodes, 2 nodes with a web node and a worker killed mid-run."""
    out.mkdir(parents=True, exist_ok=True)
    context = load_context(db, cluster.url)
    accepted = out / "accepted.txt"
    accepted.unlink(missing_ok=True)
    results: dict[str, Any] = {"users": users, "seconds": seconds, "cpus": os.cpu_count(),
                               "load_average": os.getloadavg()}
    # A short warm-up: connections, plans and the tile cache of the scenario's tile.
    run_locust(cluster.url, context, users=users, seconds=3, out=out, name="warmup", accepted=accepted)
    phases = []
    # Rounds alternate 1 and 2 nodes, so a change in the machine's other load hits both alike.
    for round_ in range(1, rounds + 1):
        for nodes in (1, 2):
            cluster.use_nodes(nodes)
            name = f"nodes{nodes}" + (f"-r{round_}" if rounds > 1 else "")
            phase = run_locust(cluster.url, context, users=users, seconds=seconds, out=out, name=name,
                               accepted=accepted)
            phase.nodes = nodes
            phase.load_average = os.getloadavg()[0]
            phases.append(phase)
    results["phases"] = [vars(p) for p in phases]
    one = statistics.median(p.rps for p in phases if p.nodes == 1)
    two = statistics.median(p.rps for p in phases if p.nodes == 2)
    results["scaling"] = round(two / one, 2) if one else None

    # Failure run: both nodes, then one web node and one worker die once appeals are flowing.
    cluster.use_nodes(2)
    before = len(accepted_appeals(accepted))
    killed: dict[str, Any] = {}

    def kill_mid_run() -> None:
        wait_for("appeals accepted in the failure run", lambda: len(accepted_appeals(accepted)) >= before + 5,
                 timeout=seconds * 2)
        cluster.nodes[1].stop(signal.SIGKILL)
        cluster.workers[0].stop(signal.SIGKILL)
        killed["after_accepted"] = len(accepted_appeals(accepted)) - before

    failure = run_locust(cluster.url, context, users=users, seconds=seconds, out=out, name="failure",
                         accepted=accepted, during=kill_mid_run)
    failure.nodes = 2
    failure.load_average = os.getloadavg()[0]
    seen = accepted_appeals(accepted)
    ids = sorted(set(seen.values()))
    stored = set()
    if ids:
        stored = {int(v) for v in db.primary.psql(
            f"SELECT id FROM issues_appeal WHERE id = ANY('{{{','.join(map(str, ids))}}}'::bigint[])").split()}
    keys_per_appeal = db.primary.psql(
        "SELECT count(*) FROM issues_idempotencykey WHERE appeal_id IS NOT NULL") if ids else "0"
    import redis

    broker = redis.Redis.from_url(cluster.env["REDIS_URL"])
    results["failure_run"] = {**vars(failure), "killed": killed, "accepted_total": len(seen),
                              "broker_unacked_after_run": int(broker.hlen("unacked")),
                              "accepted_distinct_appeals": len(ids), "missing": sorted(set(ids) - stored),
                              "idempotency_keys_with_appeal": int(keys_per_appeal)}
    (out / "cluster-load.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def report(results: dict[str, Any]) -> str:
    lines = [f"{'phase':<12}{'nodes':>6}{'requests':>10}{'failures':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
             f"{'POST/s':>8}{'POST p95':>10}{'load':>6}"]
    for phase in [*results["phases"], results["failure_run"]]:
        post = phase["by_name"].get("POST /api/v1/appeals/", {"rps": 0.0, "p95_ms": 0.0})
        lines.append(f"{phase['name']:<12}{phase['nodes']:>6}{phase['requests']:>10}{phase['failures']:>10}"
                     f"{phase['rps']:>9.1f}{phase['p50_ms']:>9.0f}{phase['p95_ms']:>9.0f}{post['rps']:>8.2f}"
                     f"{post['p95_ms']:>10.0f}{phase.get('load_average', 0):>6.1f}")
    lines.append(f"scaling 1 -> 2 nodes (median req/s): x{results['scaling']}")
    run = results["failure_run"]
    lines.append(f"failure run: {run['accepted_distinct_appeals']} appeals accepted, missing {run['missing']}; "
                 f"killed web node 2 and worker 1 after {run['killed'].get('after_accepted')} accepted")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="alternating 1-node and 2-node runs")
    args = parser.parse_args()
    with workdir("geoportal-bench-") as base:
        db = ReplicatedDatabase(base)
        redis = Redis(base)
        bouncer = PgBouncer(base, db.primary.port, db.standby.port)
        cluster: Cluster | None = None
        try:
            db.create()
            redis.start()
            direct = app_env(DATABASE_URL=db.primary.url(), REDIS_URL=redis.url())
            manage(direct, "migrate", "--noinput", "-v", "0")
            manage(direct, "seed_demo", "--appeals", "2000", "--projects", "0", "--quiet")
            bouncer.start()
            env = app_env(DATABASE_URL=bouncer.url(), DATABASE_REPLICA_URL=bouncer.url(replica=True),
                          DATABASE_POOLER="transaction", REDIS_URL=redis.url(), GEOPORTAL_TRUSTED_PROXIES="127.0.0.1",
                          MEDIA_ROOT=str(base / "media"), STATIC_ROOT=str(base / "static"))
            cluster = Cluster(base, env)
            cluster.start()
            results = measure(db, cluster, ROOT / "var" / "bench", users=args.users, seconds=args.seconds,
                              rounds=args.rounds)
            print(report(results))
        finally:
            if cluster is not None:
                cluster.stop()
            bouncer.stop()
            redis.stop()
            db.stop()


if __name__ == "__main__":
    main()
