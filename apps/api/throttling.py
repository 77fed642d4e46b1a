"""Per-token rate limiting: a fixed one-minute window counted in Redis, so every web
process shares one count. Without Redis (the embedded mode) the count is per process."""

from __future__ import annotations

import math
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60
clock = time.time  # replaced in tests that need a fixed instant


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


_local: dict[str, int] = {}
_local_lock = threading.Lock()


def hit(key: str, *, now: float | None = None) -> tuple[int, float]:
    """Count one request for ``key``; return (requests in this window, seconds until it ends)."""
    now = clock() if now is None else now
    window = int(now // WINDOW_SECONDS)
    bucket = f"farside:ratelimit:{key}:{window}"
    remaining = (window + 1) * WINDOW_SECONDS - now
    if settings.REDIS_URL:
        pipe = _redis().pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, WINDOW_SECONDS + 5)
        count, _ = pipe.execute()
        return int(count), remaining
    with _local_lock:
        for stale in [k for k in _local if not k.endswith(f":{window}")]:
            del _local[stale]
        _local[bucket] = _local.get(bucket, 0) + 1
        return _local[bucket], remaining


class TokenRateThrottle(BaseThrottle):
    """Allows ``API_RATE_LIMIT_PER_MINUTE`` requests per token per minute; DRF answers
    429 with ``Retry-After`` (the seconds until the window ends) past that."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request, view) -> bool:
        token = getattr(request, "auth", None)
        if token is None or not getattr(token, "pk", None):
            return True  # unauthenticated requests are refused by the permission check anyway
        count, remaining = hit(f"token:{token.prefix}")
        if count > settings.API_RATE_LIMIT_PER_MINUTE:
            self._wait = max(1.0, math.ceil(remaining))
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
