"""Two web nodes and two Celery workers behind nginx (deploy/nginx/cluster.conf) on the replicated
database: a locust load (bench/locustfile.py: appeals submitted and read) at 1 and at 2 web nodes,
then a run during which one web node and one worker are killed — no appeal a client saw accepted
is lost, none is stored twice, and the surviving worker drains the queue. The figures go to
var/test-artifacts/cluster-load/cluster-load.json (bench/cluster_load.py measures longer)."""
from __future__ import annotations

import pytest
import redis

from bench.cluster_load import Cluster, measure, report
from tests.conftest import ARTIFACTS

from .cluster import wait_for
from .conftest import Stack

pytestmark = pytest.mark.deploy


def test_load_at_one_and_two_nodes_and_no_accepted_appeal_is_lost(stack: Stack, cluster: Cluster) -> None:
    results = measure(stack.db, cluster, ARTIFACTS / "cluster-load", users=8, seconds=10)
    print(report(results))
    for phase in results["phases"]:
        # No node was killed in these phases: every request answered, appeals among them.
        assert phase["requests"] > 0 and phase["failures"] == 0, phase
        assert phase["by_name"]["POST /api/v1/appeals/"]["requests"] > 0, phase
    run = results["failure_run"]
    assert run["killed"]["after_accepted"] >= 5  # the kill happened while appeals were flowing
    assert run["accepted_distinct_appeals"] > run["killed"]["after_accepted"]  # and the run went on after it
    assert run["missing"] == [], run["missing"]  # every appeal a client saw accepted is stored
    # One appeal per accepted submission: a re-sent submission (same key) was not stored twice.
    assert run["accepted_distinct_appeals"] == run["accepted_total"]
    assert run["idempotency_keys_with_appeal"] == run["accepted_total"]
    # The surviving worker takes the queued tasks. (A task the killed worker held unacknowledged
    # stays in the broker's "unacked" set and is queued again after the visibility timeout: the
    # Celery reliability settings' business, not waited for here.)
    broker = redis.Redis.from_url(stack.redis.url())
    wait_for("the surviving worker drains the queue", lambda: broker.llen("celery") == 0, timeout=120)
