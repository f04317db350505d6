"""Fixed-window rate limits in Redis (through Django's cache): per API key and per client IP."""
from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def hit(bucket: str, limit: int) -> int | None:
    """Count one request in ``bucket``; return the seconds to wait when over ``limit``."""
    now = time.time()
    window = int(now // 60)
    key = f"ratelimit:{bucket}:{window}"
    cache.add(key, 0, timeout=70)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=70)
        count = 1
    if count > limit:
        return max(1, int(60 - now % 60) + 1)
    return None
