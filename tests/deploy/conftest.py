"""One throwaway deployment for the deploy tests (``make test-deploy``): a PostGIS primary with
its streaming standby, PgBouncer (transaction mode) in front of both and a Redis with AOF, all on
free ports in a temporary folder; migrated and seeded with the demo territory once."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .cluster import PgBouncer, Redis, ReplicatedDatabase, app_env, manage, wait_for, workdir

pytestmark = pytest.mark.deploy


@dataclass
class Stack:
    base: Path
    db: ReplicatedDatabase
    bouncer: PgBouncer
    redis: Redis

    def env(self, **overrides: str) -> dict[str, str]:
        """A web node's or worker's environment: through PgBouncer, the standby as replica."""
        return app_env(DATABASE_URL=self.bouncer.url(), DATABASE_REPLICA_URL=self.bouncer.url(replica=True),
                       DATABASE_POOLER="transaction", REDIS_URL=self.redis.url(),
                       GEOPORTAL_TRUSTED_PROXIES="127.0.0.1", MEDIA_ROOT=str(self.base / "media"),
                       STATIC_ROOT=str(self.base / "static"), **overrides)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with workdir() as base:
        db = ReplicatedDatabase(base)
        redis = Redis(base)
        bouncer = PgBouncer(base, db.primary.port, db.standby.port)
        try:
            db.create()
            redis.start()
            direct = app_env(DATABASE_URL=db.primary.url(), REDIS_URL=redis.url())
            manage(direct, "migrate", "--noinput", "-v", "0")
            manage(direct, "seed_demo", "--appeals", "0", "--projects", "0", "--quiet")
            wait_for("standby caught up", db.caught_up, timeout=120, log=db.standby.log)
            bouncer.start()
            yield Stack(base, db, bouncer, redis)
        finally:
            bouncer.stop()
            redis.stop()
            db.stop()
