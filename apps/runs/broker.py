"""This process's Redis client, for looking at the Celery broker (queue lengths) directly.

Viewers of a run poll the database for new events (the dashboard's htmx partials stop
polling when the run is finished); nothing is published per event.
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
