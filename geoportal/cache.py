"""Django's Redis cache, failing open: with Redis unreachable a read is a miss, a write is
dropped and a counter reads 1, each with a (rate-limited) log line and a metric. Rate limits
therefore let requests through and caches recompute, instead of answering 500."""
from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

from . import metrics

log = logging.getLogger(__name__)
_FAILURES = (redis.RedisError, OSError)
_last_logged = 0.0


def _degraded(operation: str, exc: BaseException) -> None:
    global _last_logged
    metrics.DEGRADED.labels("redis", f"cache.{operation}").inc()
    now = time.monotonic()
    if now - _last_logged > 10:  # one line per 10 s per process, not one per request
        _last_logged = now
        log.warning("cache unavailable (%s: %r): failing open", operation, exc)


class FailOpenRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _FAILURES as exc:
            _degraded("get", exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except _FAILURES as exc:
            _degraded("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except _FAILURES as exc:
            _degraded("has_key", exc)
            return False

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:  # type: ignore[override]
        try:
            super().set(key, value, timeout, version)
        except _FAILURES as exc:
            _degraded("set", exc)

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:  # type: ignore[override]
        try:
            return super().set_many(data, timeout, version)
        except _FAILURES as exc:
            _degraded("set_many", exc)
            return list(data)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:  # type: ignore[override]
        """With Redis down ``add`` reports success: a once-only guard built on it lets the work
        through (a possible repeat beats a certain loss)."""
        try:
            return super().add(key, value, timeout, version)
        except _FAILURES as exc:
            _degraded("add", exc)
            return True

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _FAILURES as exc:
            _degraded("incr", exc)
            return delta

    def count(self, key: Any, timeout: int, version: int | None = None) -> int:
        """Count one event under ``key`` in one round trip and return the count: the counter is
        created at 0 with ``timeout`` (only if absent) and incremented, both in one pipeline.
        ``add`` then ``incr`` costs three round trips (Django's ``incr`` checks the key exists
        first), paid by every rate-limited request. Fails open to 1, like ``incr``."""
        key = self.make_and_validate_key(key, version=version)
        try:
            pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)  # type: ignore[attr-defined]  # not in the stubs
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])
        except _FAILURES as exc:
            _degraded("count", exc)
            return 1

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:  # type: ignore[override]
        try:
            return super().touch(key, timeout, version)
        except _FAILURES as exc:
            _degraded("touch", exc)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except _FAILURES as exc:
            _degraded("delete", exc)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except _FAILURES as exc:
            _degraded("delete_many", exc)
