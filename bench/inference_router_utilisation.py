"""Router utilisation per replica under the fake server's batching limit.

Three fake vLLM replicas run as separate processes, each decoding at most MAX_SEQS sequences at
once (more wait in its queue, visible as vllm:num_requests_waiting). 12, then 15, concurrent
agent runs each make CALLS sequential calls with their run id as session key, their conversation
growing by ~600 tokens of data per call; a prompt token missing from the replica's prefix cache
costs PREFILL_S_PER_TOKEN before the first token, and each replica's prefix cache holds
KV_TOKENS, so lost affinity has its real price: a replica serving every run keeps few warm. At 12, demand
equals total capacity, so a perfect spread keeps every slot busy; plain consistent hashing
leaves some replicas with more runs than slots (queueing) while others idle. At 15 every
spread queues somewhere; the question is whether queues are even. Configurations, same load, one process:
  sticky-only      consistent hashing, no metrics (spill-over off)
  router-default   spill on scraped metrics (waiting >= 1 or KV >= 92%, cached 1 s)
  metrics-eager    the same with metrics cached 0.25 s
  bounded-loads    defaults plus bounded loads, factor 1.0 (single-process placement)
  no-affinity      a random replica per call (what a plain load balancer does)
Each configuration runs REPEATS times, interleaved; medians are printed: wall time, share of
calls served on the run's home replica, slot occupancy per replica (sequence-seconds /
(elapsed * MAX_SEQS)), spread (max - min occupancy; worst over repetitions) and peak queue.
Usage: .venv/bin/python bench/inference_router_utilisation.py
"""
from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference import ChatClient, Replica, Router  # noqa: E402
from inference.fake import FakeVLLMRemote  # noqa: E402

REPLICAS, MAX_SEQS, CALLS, REPEATS = 3, 4, 6, 3
PREFILL_S_PER_TOKEN = 1e-4
KV_TOKENS = 24_000  # per replica: about 1.5x the final prompts of its share of 12 runs
DATA = "Data for {key}, step {step}: " + ", ".join(f"deal {i}: 1{i:03d}0 EUR, stage open, owner jane" for i in range(60))
REPLY = {"reasoning": "Weighing the deal data before answering. " * 6, "content": "Pipeline looks healthy. " * 4,
         "chunk_chars": 16, "ttft_s": 0.08, "tpot_s": 0.005}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_config(urls: list[str], remotes: list[FakeVLLMRemote], make_router, sticky: bool, runs: int) -> dict:
    for remote in remotes:
        remote.reset()
        remote.script([REPLY] * (runs * CALLS + 10))
    router: Router = make_router([Replica(u, name=f"replica-{i}") for i, u in enumerate(urls)])
    # Replicas are named, not keyed by their (random) ports, so every run sees the same ring.
    homes = {f"run-{i}": router.ring_order(f"run-{i}")[0].name for i in range(runs)}
    with ChatClient.from_router(router, "kimi-k2-thinking", sleep=time.sleep) as client:
        def run(key: str) -> int:
            hits = 0
            messages = [{"role": "system", "content": "You are Farside's analyst."},
                        {"role": "user", "content": f"{key}: weekly pipeline report"}]
            for step in range(CALLS):
                completion = client.chat(messages, session_key=key if sticky else uuid.uuid4().hex)
                hits += completion.backend == homes[key]
                # The conversation grows as an agent's does: ~600 tokens of CRM data per step.
                messages += [completion.to_message(), {"role": "user", "content": DATA.format(key=key, step=step)}]
            return hits

        started = time.perf_counter()
        with ThreadPoolExecutor(runs) as pool:
            on_home = sum(pool.map(run, homes))
        wall = time.perf_counter() - started
    router.close()
    stats = [remote.stats() for remote in remotes]
    occupancy = [s["seq_s"] / (s["elapsed_s"] * MAX_SEQS) for s in stats]
    hit = sum(s["cached_tokens"] for s in stats) / max(1, sum(s["prompt_tokens"] for s in stats))
    return {"wall": wall, "home": on_home / (runs * CALLS), "occupancy": occupancy, "hit": hit,
            "spread": max(occupancy) - min(occupancy), "peak_queue": max(s["max_waiting"] for s in stats),
            "homes": [list(homes.values()).count(f"replica-{i}") for i in range(len(urls))]}


def main() -> None:
    ports = [free_port() for _ in range(REPLICAS)]
    processes = [subprocess.Popen([sys.executable, "-m", "inference.fake", "--port", str(p), "--max-num-seqs", str(MAX_SEQS),
                                   "--prefill-per-token", str(PREFILL_S_PER_TOKEN), "--kv-capacity-tokens", str(KV_TOKENS)],
                                  stdout=subprocess.PIPE, text=True) for p in ports]
    try:
        for process in processes:
            process.stdout.readline()
        urls = [f"http://127.0.0.1:{p}/v1" for p in ports]
        remotes = [FakeVLLMRemote(u) for u in urls]
        configs = {
            "sticky-only": (lambda r: Router(r, probe=False), True),
            "router-default": (lambda r: Router(r), True),
            "metrics-eager": (lambda r: Router(r, metrics_ttl=0.25), True),
            "bounded-loads": (lambda r: Router(r, load_factor=1.0), True),
            "no-affinity": (lambda r: Router(r, probe=False), False),  # a random replica per call
        }
        for runs in (12, 15):
            print(f"\n{REPLICAS} replicas x {MAX_SEQS} sequences; {runs} concurrent runs x {CALLS} calls; "
                  f"~{0.08 + 0.005 * 4 * 25:.2f} s per call when not queued; {REPEATS} repetitions, medians")
            results: dict[str, list[dict]] = {name: [] for name in configs}
            for _ in range(REPEATS):
                for name, (make, sticky) in configs.items():
                    results[name].append(run_config(urls, remotes, make, sticky, runs))
            print(f"runs per home replica: {results['sticky-only'][0]['homes']}")
            print(f"{'config':15} {'wall s':>7} {'home calls':>10} {'cache hits':>10} {'slot occupancy per replica':>28} "
                  f"{'spread':>7} {'worst spread':>12} {'peak queue':>10}")
            for name, rows in results.items():
                occupancy = [statistics.median(r["occupancy"][i] for r in rows) for i in range(REPLICAS)]
                print(f"{name:15} {statistics.median(r['wall'] for r in rows):7.2f} "
                      f"{statistics.median(r['home'] for r in rows):10.0%} {statistics.median(r['hit'] for r in rows):10.0%} "
                      f"{'  '.join(f'{o:4.0%}' for o in occupancy):>28} {statistics.median(r['spread'] for r in rows):7.0%} "
                      f"{max(r['spread'] for r in rows):12.0%} {max(r['peak_queue'] for r in rows):10d}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
