"""Redis pub/sub nudges for live viewers of a run. Events themselves live in the database."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def channel(run_id) -> str:
    return f"farside:run:{run_id}"


def publish(run_id, last_seq: int) -> None:
    redis_client().publish(channel(run_id), str(last_seq))
