"""One throwaway deployment for the deploy tests (``make test-deploy``), all real processes on free
ports in a temporary folder: a PostGIS primary with its streaming standby, PgBouncer (transaction
mode) in front of both, a Redis with AOF, an S3 server (moto's) for the media, then two web nodes
and two Celery workers behind nginx (deploy/nginx/cluster.conf). Built once per session; the
tests run in file order: replica, load (it kills a node and a worker last)... so the module
names are ordered on purpose."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.cluster_load import Cluster

from .cluster import PgBouncer, Redis, ReplicatedDatabase, S3Server, app_env, manage, wait_for, workdir

MEDIA_BUCKET = "geoportal-media"


@dataclass
class Stack:
    base: Path
    db: ReplicatedDatabase
    bouncer: PgBouncer
    redis: Redis
    s3: S3Server

    def env(self, **overrides: str) -> dict[str, str]:
        """A web node's or worker's environment: through PgBouncer, the standby as replica,
        media on the S3 server."""
        return app_env(DATABASE_URL=self.bouncer.url(), DATABASE_REPLICA_URL=self.bouncer.url(replica=True),
                       DATABASE_POOLER="transaction", REDIS_URL=self.redis.url(),
                       GEOPORTAL_TRUSTED_PROXIES="127.0.0.1", STATIC_ROOT=str(self.base / "static"),
                       MEDIA_STORAGE="s3", MEDIA_S3_ENDPOINT_URL=self.s3.endpoint, MEDIA_S3_BUCKET=MEDIA_BUCKET,
                       MEDIA_S3_ACCESS_KEY="geoportal", MEDIA_S3_SECRET_KEY="geoportal-secret",  # noqa: S106
                       MEDIA_ROOT=str(self.base / "no-local-media"), **overrides)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with workdir() as base:
        db = ReplicatedDatabase(base)
        redis = Redis(base)
        s3 = S3Server(base)
        bouncer = PgBouncer(base, db.primary.port, db.standby.port)
        try:
            s3.start()
            db.create()
            redis.start()
            direct = app_env(DATABASE_URL=db.primary.url(), REDIS_URL=redis.url())
            manage(direct, "migrate", "--noinput", "-v", "0")
            manage(direct, "seed_demo", "--appeals", "0", "--projects", "0", "--quiet")
            wait_for("standby caught up", db.caught_up, timeout=120, log=db.standby.log)
            bouncer.start()
            stack = Stack(base, db, bouncer, redis, s3)
            manage(stack.env(), "media_bucket")
            yield stack
        finally:
            bouncer.stop()
            redis.stop()
            s3.stop()
            db.stop()


@pytest.fixture(scope="session")
def cluster(stack: Stack) -> Iterator[Cluster]:
    """Two web nodes (node 1 tolerates any replica lag, node 2 one second: the replica tests
    talk to each directly) and two workers behind nginx, which also proxies the public media."""
    running = Cluster(stack.base, stack.env(DATABASE_REPLICA_CHECK_SECONDS="0.5"), media_port=stack.s3.port)
    try:
        running.start(web_nodes=2, workers=2, all_static=False,
                      node_env=[{"DATABASE_REPLICA_MAX_LAG": "3600"}, {"DATABASE_REPLICA_MAX_LAG": "1"}])
        yield running
    finally:
        running.stop()
