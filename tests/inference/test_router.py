from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from inference import ChatClient, CircuitOpenError, Replica, Router
from inference.fake import FakeVLLMServer
from tests.inference.k2_messages import user

MODEL = "kimi-k2-thinking"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def _replicas() -> Iterator[list[FakeVLLMServer]]:
    servers = [FakeVLLMServer().start() for _ in range(3)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def replicas(_replicas: list[FakeVLLMServer]) -> list[FakeVLLMServer]:
    for server in _replicas:
        if server._server is None:
            server.start()
        server.reset()
    return _replicas


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def router(replicas: list[FakeVLLMServer], clock: Clock) -> Iterator[Router]:
    # Named replicas make the ring independent of the servers' random ports.
    r = Router([Replica(s.url, name=f"replica-{i}") for i, s in enumerate(replicas)], clock=clock,
               metrics_ttl=1.0, health_interval=5.0)
    yield r
    r.close()


@pytest.fixture
def client(router: Router) -> Iterator[ChatClient]:
    with ChatClient.from_router(router, MODEL, sleep=lambda s: None) as c:
        yield c


def server_of(replicas: list[FakeVLLMServer], backend: str) -> FakeVLLMServer:
    return replicas[int(backend.rsplit("-", 1)[1])]


def name_of(replicas: list[FakeVLLMServer], server: FakeVLLMServer) -> str:
    return f"replica-{replicas.index(server)}"


def test_a_run_sticks_to_one_replica_across_calls(client: ChatClient) -> None:
    homes = {key: {client.chat(user(), session_key=key).backend for _ in range(3)} for key in (f"run-{i}" for i in range(12))}

    assert all(len(backends) == 1 for backends in homes.values())
    assert len({b for backends in homes.values() for b in backends}) == 3  # the keys spread over all replicas


def test_weights_give_a_replica_a_larger_share_of_runs(replicas: list[FakeVLLMServer], clock: Clock) -> None:
    router = Router([Replica(s.url, name=f"replica-{i}", weight=w) for i, (s, w) in enumerate(zip(replicas, (3, 1, 1)))])

    shares = Counter(router.ring_order(f"run-{i}")[0].url for i in range(600))

    assert shares[replicas[0].url] > 2 * shares[replicas[1].url]
    assert shares[replicas[0].url] > 2 * shares[replicas[2].url]


def test_removing_a_replica_moves_only_its_own_runs(replicas: list[FakeVLLMServer]) -> None:
    full = Router([Replica(s.url, name=f"replica-{i}") for i, s in enumerate(replicas)])
    reduced = Router([Replica(s.url, name=f"replica-{i}") for i, s in enumerate(replicas[:2])])
    keys = [f"run-{i}" for i in range(300)]

    moved = [k for k in keys if full.ring_order(k)[0].url != reduced.ring_order(k)[0].url]

    assert all(full.ring_order(k)[0].url == replicas[2].url for k in moved)


def test_it_spills_over_when_metrics_say_the_home_replica_is_queueing(client: ChatClient, router: Router, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-a").backend)
    home.set_metrics(waiting=12)
    clock.now += 2  # past the metrics cache

    spilled = client.chat(user(), session_key="run-a").backend

    assert spilled != name_of(replicas, home)
    home.set_metrics()
    clock.now += 2
    # The run stays where its cache is warm now; runs that hash to the old home still go there.
    assert client.chat(user(), session_key="run-a").backend == spilled
    other = next(f"run-{i}" for i in range(100) if router.ring_order(f"run-{i}")[0].url == home.url)
    assert client.chat(user(), session_key=other).backend == name_of(replicas, home)


def test_it_spills_over_when_the_kv_cache_is_nearly_full(client: ChatClient, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-kv").backend)
    home.set_metrics(kv_cache_usage=0.97)
    clock.now += 2

    assert client.chat(user(), session_key="run-kv").backend != name_of(replicas, home)


def test_metrics_are_cached_briefly_not_scraped_per_call(client: ChatClient, replicas: list[FakeVLLMServer]) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-c").backend)
    home.set_metrics(waiting=12)

    assert client.chat(user(), session_key="run-c").backend == name_of(replicas, home)  # same instant: cached load


def test_when_every_replica_is_saturated_the_run_goes_to_the_least_loaded(client: ChatClient, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    for server, waiting in zip(replicas, (30, 8, 20)):
        server.set_metrics(waiting=waiting)
    clock.now += 2

    assert client.chat(user(), session_key="run-s").backend == "replica-1"


def test_a_dead_replica_is_avoided_and_readmitted_when_healthy(client: ChatClient, router: Router, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-d").backend)
    home.stop()

    moved = client.chat(user(), session_key="run-d")
    requests_before = len(home.requests)
    again = client.chat(user(), session_key="run-d")

    assert moved.backend != name_of(replicas, home) and again.backend == moved.backend
    home.restart()
    assert len(home.requests) == requests_before  # nothing was sent to it while it was dead
    clock.now += 6  # next health probe finds it alive: runs that hash there use it again
    other = next(f"run-{i}" for i in range(100) if router.ring_order(f"run-{i}")[0].url == home.url)
    assert client.chat(user(), session_key=other).backend == name_of(replicas, home)
    assert client.chat(user(), session_key="run-d").backend == moved.backend  # the moved run stays put


def test_a_replica_failing_health_checks_is_avoided(client: ChatClient, router: Router, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-h").backend)
    home.set_health(False)
    clock.now += 6

    moved = client.chat(user(), session_key="run-h").backend
    assert moved != name_of(replicas, home)
    home.set_health(True)
    clock.now += 6
    other = next(f"run-{i}" for i in range(100) if router.ring_order(f"run-{i}")[0].url == home.url)
    assert client.chat(user(), session_key=other).backend == name_of(replicas, home)


def test_with_every_replica_down_the_call_fails_as_circuit_open(client: ChatClient, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    for server in replicas:
        server.set_health(False)
    clock.now += 6

    with pytest.raises(CircuitOpenError) as caught:
        client.chat(user(), session_key="run-x")

    assert caught.value.retryable and caught.value.retry_after is not None


def test_the_deep_health_check_asks_for_one_token(router: Router, replicas: list[FakeVLLMServer]) -> None:
    result = router.deep_check(router.replicas[0], MODEL)

    assert result.ok
    assert replicas[0].requests[-1]["max_tokens"] == 1


def test_the_deep_health_check_fails_when_the_engine_errors(router: Router, replicas: list[FakeVLLMServer]) -> None:
    replicas[0].push({"status": 500, "error": "EngineDeadError"})

    result = router.deep_check(router.replicas[0], MODEL)

    assert not result.ok and "500" in result.error
    assert router.replicas[0].healthy is False


def test_replicas_serving_another_model_are_not_chosen(replicas: list[FakeVLLMServer]) -> None:
    router = Router.from_settings([s.url for s in replicas], models=["kimi-k2-thinking", "qwen3-30b-a3b", "qwen3-30b-a3b"])

    picks = {router.pick(f"run-{i}", "qwen3-30b-a3b").url for i in range(40)}

    assert picks == {replicas[1].url, replicas[2].url}


def test_calls_without_a_session_key_spread_by_load(replicas: list[FakeVLLMServer]) -> None:
    router = Router.from_settings([s.url for s in replicas])
    router.replicas[0].inflight = 3  # e.g. three long calls already running there
    leases = []
    for _ in range(6):
        leases.append(router.lease(router.pick()))
        leases[-1].__enter__()

    assert [r.inflight for r in router.replicas] == [3, 3, 3]
    for lease in leases:
        lease.__exit__(None, None, None)


def test_settings_must_line_up(replicas: list[FakeVLLMServer]) -> None:
    with pytest.raises(ValueError):
        Router.from_settings([s.url for s in replicas], weights=[1, 2])


def test_a_run_that_moved_keeps_its_new_replica_until_that_one_fails(client: ChatClient, router: Router, replicas: list[FakeVLLMServer], clock: Clock) -> None:
    home = server_of(replicas, client.chat(user(), session_key="run-m").backend)
    home.set_health(False)
    clock.now += 6
    first_move = server_of(replicas, client.chat(user(), session_key="run-m").backend)

    assert router.home_of("run-m").url == first_move.url
    first_move.set_health(False)
    clock.now += 6
    second_move = client.chat(user(), session_key="run-m").backend
    assert second_move not in (name_of(replicas, home), name_of(replicas, first_move))


def test_no_replica_takes_more_than_its_bounded_share_of_runs_and_placements_stay_put(replicas: list[FakeVLLMServer]) -> None:
    named = [Replica(s.url, name=f"replica-{i}") for i, s in enumerate(replicas)]  # a fixed ring
    keys = [f"run-{i}" for i in range(30)]
    plain = Router(named, probe=False, load_factor=None)
    assert max(Counter(plain.ring_order(k)[0] for k in keys).values()) == 12  # hashing alone: 12/12/6
    router = Router(named, probe=False, load_factor=1.0)

    placed = {key: router.pick(key) for key in keys}

    assert sorted(Counter(placed.values()).values()) == [10, 10, 10]
    assert sum(placed[k] is router.ring_order(k)[0] for k in keys) >= 20  # most runs still live at home
    assert all(router.pick(key) is placed[key] for key in keys)


def test_runs_idle_past_the_session_ttl_no_longer_count(replicas: list[FakeVLLMServer], clock: Clock) -> None:
    router = Router([Replica(s.url, name=f"replica-{i}") for i, s in enumerate(replicas)], probe=False,
                    load_factor=1.0, session_ttl=60, clock=clock)
    crowded = router.replicas[0]
    for other in router.replicas[1:]:  # down for a while: every run lands on the first replica
        other.healthy, other.health_checked_at = False, clock.now
    for i in range(20):
        assert router.pick(f"old-{i}") is crowded
    key, later = [f"run-{i}" for i in range(100) if router.ring_order(f"run-{i}")[0] is crowded][:2]
    clock.now += 30  # the others are back, the old runs still count

    assert router.pick(key) is not crowded
    clock.now += 61  # the old runs went quiet
    assert router.pick(later) is crowded


def test_bounded_loads_are_off_by_default(replicas: list[FakeVLLMServer]) -> None:
    router = Router.from_settings([s.url for s in replicas], probe=False)
    keys = [f"run-{i}" for i in range(30)]

    assert all(router.pick(key) is router.ring_order(key)[0] for key in keys)


def test_the_deep_check_of_a_stopped_replica_fails_and_marks_it_down(replicas: list[FakeVLLMServer]) -> None:
    router = Router.from_urls([s.url for s in replicas])
    replicas[2].stop()

    result = router.deep_check(router.replicas[2], MODEL)

    assert not result.ok and result.error
    assert not router.replicas[2].healthy
    assert router.check_health(router.replicas[0]) and not router.check_health()
