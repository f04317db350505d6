"""Fixed-window rate limits in Redis (through Django's cache), shared by every app: per API
key, per client address (``geoportal.clientip``), per user. A rate is ``"N/min"`` style text
(``N/s``, ``N/min``, ``N/h``, ``N/day``) as in DRF's settings."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from .cache import FailOpenRedisCache

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
            "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/min"`` → (600, 60)."""
    try:
        count, period = rate.split("/", 1)
        return int(count), _PERIODS[period.strip().lower()]
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"a rate must look like 600/min, got {rate!r}") from exc


def _now() -> float:
    """The limiter's clock (one place, so tests can hold it inside one window)."""
    return time.time()


def _window(bucket: str, window_s: int) -> tuple[float, str]:
    now = _now()
    return now, f"ratelimit:{bucket}:{window_s}:{int(now // window_s)}"


def _wait(now: float, window_s: int) -> int:
    return max(1, int(window_s - now % window_s) + 1)


def hit(bucket: str, limit: int, window_s: int = 60) -> int | None:
    """Count one request in ``bucket``; return the seconds to wait when over ``limit``."""
    now, key = _window(bucket, window_s)
    count = cast(FailOpenRedisCache, cache).count(key, window_s + 10)  # the settings' only cache backend
    if count > limit:
        return _wait(now, window_s)
    return None


@dataclass(frozen=True)
class Window:
    """The current fixed window of a bucket, for a caller that counts a request in a Redis
    round trip it makes anyway (the tile cache lookup counts a render in its own script):
    ``key`` is the counter :func:`hit` counts, as Django's cache names it in Redis, so both
    count the same requests; it lives ``ttl`` seconds from its first count, as with :func:`hit`."""

    key: str
    limit: int
    window_s: int
    now: float

    @property
    def ttl(self) -> int:
        return self.window_s + 10

    def wait(self, count: int) -> int | None:
        """The seconds to wait when ``count`` requests in this window are over the limit."""
        return _wait(self.now, self.window_s) if count > self.limit else None


def current_window(bucket: str, rate: str) -> Window:
    limit, window_s = parse_rate(rate)
    now, key = _window(bucket, window_s)
    return Window(cache.make_and_validate_key(key), limit, window_s, now)


def hit_rate(bucket: str, rate: str) -> int | None:
    limit, window_s = parse_rate(rate)
    return hit(bucket, limit, window_s)


def over_rate(bucket: str, rate: str) -> int | None:
    """The seconds to wait when ``bucket`` is already full, without counting a request."""
    limit, window_s = parse_rate(rate)
    now, key = _window(bucket, window_s)
    count = cache.get(key)
    return _wait(now, window_s) if count is not None and int(count) >= limit else None
