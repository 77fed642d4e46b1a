"""Routing over several vLLM replicas.

A run sticks to one replica (consistent hashing of the session key, weighted by virtual nodes)
so its growing prompt keeps hitting that replica's prefix cache. It moves to the next replica on
the ring only when the preferred one is unhealthy (`/health` failed or a connection broke), its
circuit is open, or its `/metrics` say it is saturated (`vllm:num_requests_waiting` or
`vllm:kv_cache_usage_perc` past a threshold). A run that moved stays on its new replica (one
cold prefill, then warm again) instead of bouncing back. Metrics and health are scraped lazily
and cached.

`load_factor` (off by default) adds consistent hashing with bounded loads, counted in active
runs: no replica takes more than that multiple of its share. It balances better, but placements
are remembered per process, so use it only where one process routes a run's every call (the
hash home is the only placement that every worker process agrees on).
"""
from __future__ import annotations

import bisect
from collections import Counter, OrderedDict
import hashlib
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from inference.breaker import CircuitBreaker
from inference.errors import CircuitOpenError, InferenceError, RateLimitedError, TransportError


def normalize_base_url(url: str) -> str:
    """`http://h:8000`, `http://h:8000/` and `http://h:8000/v1` all become `http://h:8000/v1`."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def server_root(base_url: str) -> str:
    return base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url


@dataclass
class ReplicaLoad:
    running: float = 0.0
    waiting: float = 0.0
    kv_cache_usage: float = 0.0


@dataclass(eq=False)
class Replica:
    url: str
    weight: float = 1.0
    models: tuple[str, ...] = ()
    name: str = ""
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    healthy: bool = True
    health_checked_at: float | None = None
    load: ReplicaLoad | None = None
    load_scraped_at: float | None = None
    inflight: int = 0
    inflight_at_scrape: int = 0

    def __post_init__(self) -> None:
        self.url = normalize_base_url(self.url)
        self.name = self.name or self.url

    def serves(self, model: str | None) -> bool:
        return not self.models or model is None or model in self.models


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format → metric name → value summed over label sets."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_end = min((i for i in (line.find("{"), line.find(" ")) if i >= 0), default=-1)
        if name_end < 0:
            continue
        try:
            value = float(line.rsplit(" ", 1)[1])
        except (IndexError, ValueError):
            continue
        name = line[:name_end]
        values[name] = values.get(name, 0.0) + value
    return values


def load_from_metrics(values: dict[str, float]) -> ReplicaLoad:
    kv = values.get("vllm:kv_cache_usage_perc", values.get("vllm:gpu_cache_usage_perc", 0.0))
    return ReplicaLoad(
        running=values.get("vllm:num_requests_running", 0.0),
        waiting=values.get("vllm:num_requests_waiting", 0.0),
        kv_cache_usage=kv,
    )


@dataclass
class DeepCheck:
    ok: bool
    latency_s: float
    error: str | None = None


class Router:
    """Chooses a replica per call. Thread-safe; share one per process.

    `probe=False` turns off `/health` and `/metrics` scraping (a single fixed backend needs
    neither); failures reported by calls still drive the breakers and the health flags.
    """

    def __init__(
        self,
        replicas: Sequence[Replica],
        *,
        waiting_threshold: float = 1,
        load_factor: float | None = None,
        session_ttl: float = 900.0,
        kv_threshold: float = 0.92,
        metrics_ttl: float = 1.0,
        health_interval: float = 5.0,
        probe_timeout: float = 2.0,
        vnodes: int = 64,
        probe: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not replicas:
            raise ValueError("a router needs at least one replica")
        self.replicas = list(replicas)
        self.waiting_threshold = waiting_threshold
        self.load_factor = load_factor
        self.session_ttl = session_ttl
        self.kv_threshold = kv_threshold
        self.metrics_ttl = metrics_ttl
        self.health_interval = health_interval
        self.probe = probe
        self._clock = clock
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=probe_timeout)
        self._ring: list[tuple[int, int]] = sorted(
            (_hash(f"{r.name}#{v}"), i)
            for i, r in enumerate(self.replicas)
            for v in range(max(1, round(vnodes * r.weight)))
        )
        self._ring_keys = [h for h, _ in self._ring]
        self._round_robin = itertools.count()
        # Where each active run (session key seen within `session_ttl`) currently lives, oldest
        # first, and how many live on each replica. A run that moved stays where it moved.
        self._sessions: OrderedDict[str, tuple[Replica, float]] = OrderedDict()
        self._session_counts: Counter[Replica] = Counter()
        self.max_sessions = 100_000

    @classmethod
    def from_settings(
        cls,
        urls: Sequence[str] | str,
        weights: Sequence[float] | None = None,
        models: Sequence[Sequence[str] | str] | None = None,
        **options: object,
    ) -> Router:
        """Build from settings values: URLs (a list or a comma-separated string), optional
        weights and served model names per replica (a list or comma-separated string each)."""
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",") if u.strip()]
        weights = list(weights or [1.0] * len(urls))
        model_lists = list(models or [()] * len(urls))
        if len(weights) != len(urls) or len(model_lists) != len(urls):
            raise ValueError("urls, weights and models must have the same length")
        replicas = [
            Replica(url=u, weight=float(w), models=tuple(m.split(",") if isinstance(m, str) else m))
            for u, w, m in zip(urls, weights, model_lists)
        ]
        return cls(replicas, **options)  # type: ignore[arg-type]

    @classmethod
    def from_urls(cls, urls: Sequence[str] | str, **options: object) -> Router:
        """Equal-weight replicas serving any model: `from_settings` with only URLs."""
        return cls.from_settings(urls, **options)

    def close(self) -> None:
        self._http.close()

    # choosing

    def ring_order(self, session_key: str) -> list[Replica]:
        """Replicas in the order the key walks the ring: the first is the key's home."""
        start = bisect.bisect(self._ring_keys, _hash(session_key))
        order: list[Replica] = []
        for offset in range(len(self._ring)):
            replica = self.replicas[self._ring[(start + offset) % len(self._ring)][1]]
            if replica not in order:
                order.append(replica)
                if len(order) == len(self.replicas):
                    break
        return order

    def pick(self, session_key: str | None = None, model: str | None = None) -> Replica:
        if session_key is not None:
            order = self.ring_order(session_key)
            current = self._sessions.get(session_key)
            if current is not None:
                order.remove(current[0])
                order.insert(0, current[0])
        else:
            # No affinity wanted: least in-flight per weight, rotating between equals.
            turn = next(self._round_robin)
            n = len(self.replicas)
            order = sorted(
                (self.replicas[(turn + i) % n] for i in range(n)),
                key=lambda r: r.inflight / r.weight,
            )
        serving = [r for r in order if r.serves(model)]
        first = serving[0] if serving else None
        if (first is not None and self._is_healthy(first) and first.breaker.state != "open"
                and (session_key is None or first not in self._over_bounded_load(serving, session_key))
                and not self._saturated(first) and first.breaker.allow()):
            if session_key is not None:
                self._place(session_key, first)
            return first  # the common case: no other replica is probed or scraped
        eligible = [r for r in serving if self._is_healthy(r) and r.breaker.state != "open"]
        if not eligible:
            raise CircuitOpenError(
                f"no replica available for model {model!r}: all unhealthy or circuit open",
                retry_after=min(self._ready_in(r) for r in order),
            )
        over_cap = self._over_bounded_load(eligible, session_key) if session_key is not None else set()
        unsaturated = [r for r in eligible if r not in over_cap and not self._saturated(r)]
        if unsaturated and unsaturated[0] is not order[0] and session_key is not None:
            # Spilling: the run starts cold wherever it goes, so send it where there is most room.
            unsaturated.sort(key=self._busyness)
        candidates = unsaturated or sorted(eligible, key=lambda r: (self._load(r).waiting / r.weight))
        for replica in candidates:
            if replica.breaker.allow():
                if session_key is not None:
                    self._place(session_key, replica)
                return replica
        raise CircuitOpenError("every eligible replica is running its half-open trial", retry_after=0.1)

    def home_of(self, session_key: str) -> Replica:
        """Where the run's calls go while nothing forces a move."""
        current = self._sessions.get(session_key)
        return current[0] if current else self.ring_order(session_key)[0]

    def _place(self, session_key: str, replica: Replica) -> None:
        with self._lock:
            previous = self._sessions.pop(session_key, None)
            if previous is not None:
                self._session_counts[previous[0]] -= 1
            self._sessions[session_key] = (replica, self._clock())
            self._session_counts[replica] += 1
            self._expire_sessions()

    def _expire_sessions(self) -> None:
        horizon = self._clock() - self.session_ttl
        while self._sessions:
            key, (replica, seen) = next(iter(self._sessions.items()))
            if seen >= horizon and len(self._sessions) <= self.max_sessions:
                break
            del self._sessions[key]
            self._session_counts[replica] -= 1

    @contextmanager
    def lease(self, replica: Replica) -> Iterator[Replica]:
        with self._lock:
            replica.inflight += 1
        try:
            yield replica
        finally:
            with self._lock:
                replica.inflight -= 1

    # feedback from calls

    def report_success(self, replica: Replica) -> None:
        replica.breaker.record_success()
        replica.healthy = True

    def report_failure(self, replica: Replica, error: InferenceError) -> None:
        if isinstance(error, RateLimitedError):
            replica.breaker.release_trial()
            # The replica is alive but shedding load; treat it as saturated until rescraped.
            replica.load = ReplicaLoad(waiting=self.waiting_threshold, kv_cache_usage=1.0)
            replica.load_scraped_at = self._clock()
        elif error.retryable:
            replica.breaker.record_failure()
            if isinstance(error, TransportError) and len(self.replicas) > 1:
                # Send the retry elsewhere; a lone replica has nowhere else to go.
                replica.healthy = False
                replica.health_checked_at = self._clock()
        else:
            replica.breaker.release_trial()

    # probing

    def check_health(self, replica: Replica | None = None) -> bool:
        """Probe `/health` now (of one replica, or of all); returns whether all probed are healthy."""
        targets = [replica] if replica else self.replicas
        for r in targets:
            try:
                r.healthy = self._http.get(server_root(r.url) + "/health").status_code == 200
            except httpx.HTTPError:
                r.healthy = False
            r.health_checked_at = self._clock()
        return all(r.healthy for r in targets)

    def deep_check(self, replica: Replica, model: str) -> DeepCheck:
        """A one-token completion: proves the engine generates, not just that the HTTP server answers."""
        started = time.monotonic()
        try:
            response = self._http.post(
                replica.url + "/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1, "stream": False},
            )
            ok = response.status_code == 200 and bool(response.json().get("choices"))
            error = None if ok else f"HTTP {response.status_code}: {response.text[:200]}"
        except (httpx.HTTPError, ValueError) as exc:
            ok, error = False, str(exc)
        replica.healthy = ok
        replica.health_checked_at = self._clock()
        return DeepCheck(ok=ok, latency_s=time.monotonic() - started, error=error)

    def scrape(self, replica: Replica) -> ReplicaLoad:
        try:
            response = self._http.get(server_root(replica.url) + "/metrics")
            response.raise_for_status()
            replica.load = load_from_metrics(parse_metrics(response.text))
            replica.inflight_at_scrape = replica.inflight
        except httpx.HTTPError:
            replica.load = replica.load or ReplicaLoad()
        replica.load_scraped_at = self._clock()
        return replica.load

    def _ready_in(self, replica: Replica) -> float:
        """Seconds until the replica may be tried again (breaker reset or next health probe)."""
        wait = replica.breaker.retry_after()
        if not replica.healthy and replica.health_checked_at is not None:
            wait = max(wait, self.health_interval - (self._clock() - replica.health_checked_at))
        return max(0.0, wait)

    def _is_healthy(self, replica: Replica) -> bool:
        stale = replica.health_checked_at is None or self._clock() - replica.health_checked_at >= self.health_interval
        if stale and self.probe:
            self.check_health(replica)
        elif stale:
            replica.healthy = True  # without probes, a replica is readmitted after the interval
        return replica.healthy

    def _load(self, replica: Replica) -> ReplicaLoad:
        stale = replica.load_scraped_at is None or self._clock() - replica.load_scraped_at >= self.metrics_ttl
        if self.probe and stale:
            return self.scrape(replica)
        return replica.load or ReplicaLoad()

    def _over_bounded_load(self, candidates: list[Replica], session_key: str) -> set[Replica]:
        """Consistent hashing with bounded loads, counted in active runs: a replica already
        holding more than `load_factor` times its weighted share of the runs takes no more.
        Counting runs rather than in-flight calls keeps placements stable between calls."""
        if self.load_factor is None or len(candidates) < 2:
            return set()
        with self._lock:
            self._expire_sessions()
            current = self._sessions.get(session_key)
            mine = {r: self._session_counts[r] - (1 if current and current[0] is r else 0) for r in candidates}
        total = sum(mine.values()) + 1
        weights = sum(r.weight for r in candidates)
        return {r for r in candidates if mine[r] + 1 > math.ceil(self.load_factor * total * r.weight / weights)}

    def _busyness(self, replica: Replica) -> tuple[float, float]:
        load = self._load(replica)
        scraped = load.running + load.waiting + replica.inflight - replica.inflight_at_scrape
        return self._session_counts[replica] / replica.weight, scraped / replica.weight

    def _saturated(self, replica: Replica) -> bool:
        load = self._load(replica)
        # The scrape is up to `metrics_ttl` old: adjust it by how many more (or fewer) calls this
        # router has in flight there since, so one stale reading does not move every run at once.
        waiting = load.waiting + (replica.inflight - replica.inflight_at_scrape) if load.waiting else 0
        return waiting >= self.waiting_threshold or load.kv_cache_usage >= self.kv_threshold


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
