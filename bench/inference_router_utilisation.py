"""Router utilisation per replica under the fake server's batching limit.

Three fake vLLM replicas run as separate processes, each decoding at most MAX_SEQS sequences at
once (more wait in its queue, visible as vllm:num_requests_waiting). RUNS concurrent agent runs
each make CALLS sequential calls with their run id as session key. Demand equals total capacity,
so a perfect spread keeps every slot busy; plain consistent hashing leaves some replicas with
more runs than slots (queueing) while others idle. Configurations, same load, one process:
  sticky-only      consistent hashing, no metrics (spill-over off)
  hash+metrics     spill only on scraped metrics (waiting >= 2 or KV >= 92%, cached 1 s)
  router-default   Router defaults: the above plus bounded loads (load factor 1.25)
  router-tuned     bounded loads with factor 1.0, spill when waiting >= 1, metrics cached 0.25 s
  no-affinity      least in-flight, no session key (best spread, but loses prefix-cache affinity)
Prints per-replica slot occupancy (sequence-seconds / (elapsed * MAX_SEQS)), busy share, peak
queue, and the share of calls served on the run's home replica.
Usage: .venv/bin/python bench/inference_router_utilisation.py
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference import ChatClient, Replica, Router  # noqa: E402
from inference.fake import FakeVLLMRemote  # noqa: E402

REPLICAS, MAX_SEQS, RUNS, CALLS = 3, 4, 12, 6
REPLY = {"reasoning": "Weighing the deal data before answering. " * 6, "content": "Pipeline looks healthy. " * 4,
         "chunk_chars": 16, "ttft_s": 0.08, "tpot_s": 0.005}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_config(name: str, urls: list[str], remotes: list[FakeVLLMRemote], make_router, sticky: bool) -> None:
    for remote in remotes:
        remote.reset()
        remote.script([REPLY] * (RUNS * CALLS + 10))
    router: Router = make_router([Replica(u, name=f"replica-{i}") for i, u in enumerate(urls)])
    # Replicas are named, not keyed by their (random) ports, so every run sees the same ring.
    homes = {f"run-{i}": router.ring_order(f"run-{i}")[0].name for i in range(RUNS)}
    on_home = 0
    with ChatClient.from_router(router, "kimi-k2-thinking", sleep=time.sleep) as client:
        def run(key: str) -> int:
            hits = 0
            for _ in range(CALLS):
                completion = client.chat([{"role": "user", "content": f"{key}: status?"}], session_key=key if sticky else None)
                hits += completion.backend == homes[key]
            return hits

        started = time.perf_counter()
        with ThreadPoolExecutor(RUNS) as pool:
            on_home = sum(pool.map(run, homes))
        wall = time.perf_counter() - started
    router.close()
    stats = [remote.stats() for remote in remotes]
    occupancy = [s["seq_s"] / (s["elapsed_s"] * MAX_SEQS) for s in stats]
    print(f"{name:15} wall {wall:5.2f} s  home-replica calls {on_home / (RUNS * CALLS):4.0%}  "
          f"runs per home replica {[list(homes.values()).count(f'replica-{i}') for i in range(len(urls))]}")
    for i, s in enumerate(stats):
        print(f"    replica {i}: served {s['served']:3d}  slot occupancy {occupancy[i]:4.0%}  "
              f"busy {s['busy_s'] / s['elapsed_s']:4.0%}  peak queue {s['max_waiting']}")
    print(f"    spread (max-min occupancy) {max(occupancy) - min(occupancy):.0%}")


def main() -> None:
    ports = [free_port() for _ in range(REPLICAS)]
    processes = [subprocess.Popen([sys.executable, "-m", "inference.fake", "--port", str(p), "--max-num-seqs", str(MAX_SEQS)],
                                  stdout=subprocess.PIPE, text=True) for p in ports]
    try:
        for process in processes:
            process.stdout.readline()
        urls = [f"http://127.0.0.1:{p}/v1" for p in ports]
        remotes = [FakeVLLMRemote(u) for u in urls]
        print(f"{REPLICAS} replicas x {MAX_SEQS} sequences; {RUNS} concurrent runs x {CALLS} calls; "
              f"~{0.08 + 0.005 * 4 * 25:.2f} s per call when not queued")
        run_config("sticky-only", urls, remotes, lambda r: Router(r, probe=False, load_factor=None), True)
        run_config("hash+metrics", urls, remotes, lambda r: Router(r, load_factor=None), True)
        run_config("router-default", urls, remotes, lambda r: Router(r), True)
        run_config("router-tuned", urls, remotes, lambda r: Router(r, load_factor=1.0, waiting_threshold=1, metrics_ttl=0.25), True)
        run_config("no-affinity", urls, remotes, lambda r: Router(r, probe=False, load_factor=None), False)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
