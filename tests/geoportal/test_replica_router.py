"""geoportal.replica without a replica (the real standby is in tests/deploy/): which requests may
read from a replica, who counts as a recent writer, what is pinned to the primary, and that a
portal without DATABASE_REPLICA_URL reads and writes on the primary only."""
from __future__ import annotations

import time

import pytest

from geoportal import replica
from geoportal.models import User
from issues.models import Appeal


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/tiles/appeals/13/5050/2560.pbf", True),
    ("HEAD", "/api/v1/stats/appeals", True),
    ("GET", "/api/v1/opendata/appeals.csv", True),
    ("GET", "/map/", True),
    ("GET", "/search/", True),
    ("POST", "/api/v1/stats/appeals", False),  # never a write
    ("GET", "/api/v1/appeals/", False),  # the author's own list: the primary
    ("GET", "/my/", False),
    ("GET", "/admin/", False),
])
def test_only_safe_requests_to_lag_tolerant_paths_are_eligible(method: str, path: str, expected: bool) -> None:
    assert replica.eligible({"REQUEST_METHOD": method, "PATH_INFO": path}) is expected


def test_a_recent_write_is_remembered_by_cookie_until_it_expires() -> None:
    future, past = time.time() + 60, time.time() - 1
    assert replica._recently_wrote({"HTTP_COOKIE": f"{replica.STICKY_COOKIE}={future}"})
    assert not replica._recently_wrote({"HTTP_COOKIE": f"{replica.STICKY_COOKIE}={past}"})
    assert not replica._recently_wrote({"HTTP_COOKIE": f"{replica.STICKY_COOKIE}=garbage; other=1"})
    assert not replica._recently_wrote({})


def test_api_clients_are_named_by_a_hash_of_their_credentials_never_the_token() -> None:
    keys = replica._client_keys({"HTTP_AUTHORIZATION": "Token abc123", "HTTP_X_API_KEY": "k-1"})
    assert len(keys) == 2 and all("abc123" not in k and "k-1" not in k for k in keys)


def test_without_a_replica_everything_reads_from_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    router = replica.PrimaryReplicaRouter()
    token = replica._state.set(replica._ReadState(eligible=True, environ={"REQUEST_METHOD": "GET"}))
    try:
        assert not replica.replica_configured()
        assert replica.read_alias() == "default" and router.db_for_read(Appeal) == "default"
        # With a replica configured, users and sessions still come from the primary.
        monkeypatch.setattr(replica, "read_alias", lambda: "replica")
        assert router.db_for_read(Appeal) == "replica"
        assert router.db_for_read(User) == "default"
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == "default"
        assert router.db_for_write(Appeal) == "default"
        assert router.allow_migrate("replica", "issues") is False
    finally:
        replica._state.reset(token)
