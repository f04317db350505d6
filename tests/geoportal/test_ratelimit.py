"""A rate-limited request costs one Redis round trip to count (every API call, page and Open311
request of an anonymous client pays it), and the counter expires with its window."""
from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.test import override_settings
from redis.connection import Connection

from geoportal import ratelimit


def test_a_hit_is_counted_in_one_round_trip_and_expires_with_its_window(monkeypatch: Any, steady_rate_clock: Any) -> None:
    bucket = "test-one-trip:203.0.113.7"
    key = f"ratelimit:{bucket}:60:{int(steady_rate_clock // 60)}"
    cache.delete(key)
    sent: list[bytes] = []
    original = Connection.send_packed_command
    with monkeypatch.context() as patched:
        patched.setattr(Connection, "send_packed_command",
                        lambda self, command, check_health=True: sent.append(command) or original(self, command, check_health))
        assert ratelimit.hit(bucket, 2) is None
        assert len(sent) == 1  # the pipeline: SET NX EX and INCR, written together
        assert ratelimit.hit(bucket, 2) is None
        wait = ratelimit.hit(bucket, 2)
    assert wait is not None and 1 <= wait <= 61
    assert cache.get(key) == 3
    assert 60 < cache._cache.get_client(key).ttl(cache.make_and_validate_key(key)) <= 70


def test_a_hit_fails_open_when_redis_is_down(settings: Any) -> None:
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}):
        assert all(ratelimit.hit("test-down", 1) is None for _ in range(3))
