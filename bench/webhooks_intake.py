"""Webhook intake throughput: verified HubSpot v3 deliveries per second, with p50/p99
latency, against gunicorn on loopback, as a ratio to a bare Django view returning 202
behind the same server, middleware and load generator.

Each accepted delivery is the full path: signature check, raw-body row, dedupe on the
event id, and the Celery nudge to Redis on commit; the runs themselves are started by a
worker from the committed rows (apps/triggers/events.py), which this bench does not run.

    .venv/bin/python bench/webhooks_intake.py [--requests 3000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import ROOT, CpuMeter, boot, org_actor, pids_matching  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen:
    worker_class = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         *worker_class, "--log-level", "warning", "--chdir", str(ROOT)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(ROOT / "var" / "bench-gunicorn.log", "ab"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start; see var/bench-gunicorn.log")


def load(port: int, requests: list[tuple[str, bytes, dict]], concurrency: int) -> tuple[float, list[float], dict]:
    """Send the prepared requests over ``concurrency`` keep-alive connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::concurrency] for i in range(concurrency)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
        for path, body, headers in chunk:
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, statuses


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    return out


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (/proc/stat), for what no process group shows:
    the kernel's share of the network and disk work."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (1: the sync worker)")
    args = parser.parse_args()

    queue = f"bench-webhooks-{os.getpid()}"
    boot("farside_bench_webhooks", FARSIDE_QUEUE=queue)
    import workflows.templates
    from apps.automations.services import workflow_create
    from apps.triggers.models import WebhookDelivery, WebhookEvent
    from apps.triggers.schemes.hubspot import signature_v3
    from apps.triggers.services import webhook_endpoint_create

    actor = org_actor()
    workflow = workflow_create(actor=actor, name="trivial", spec=workflows.templates.load("trivial"))
    endpoint, secret = webhook_endpoint_create(actor=actor, workflow_id=workflow.pk, source="hubspot",
                                               scheme="hubspot", input_mapping={"name": "/propertyValue"})
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.webhooks_settings", "PYTHONPATH": str(ROOT)}
    server = start_gunicorn(port, env, args.workers, args.threads)
    event = [0]

    def prepared(kind: str, n: int) -> list[tuple[str, bytes, dict]]:
        out = []
        for _ in range(n):
            event[0] += 1
            path = f"/hooks/{endpoint.pk}/" if kind == "intake" else f"/bare/{endpoint.pk}/"
            body = json.dumps([{"eventId": event[0], "subscriptionType": "deal.propertyChange", "portalId": 62515,
                                "objectId": 1000 + event[0], "propertyName": "dealstage",
                                "propertyValue": f"stage-{event[0]}"}]).encode()
            ts = str(int(time.time() * 1000))
            # HubSpot signs the URL it called; the intake reconstructs it from the Host header.
            signature = signature_v3(secret, "POST", f"http://127.0.0.1:{port}{path}", body, ts)
            out.append((path, body, {"Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
                                     "X-HubSpot-Request-Timestamp": ts, "Host": f"127.0.0.1:{port}"}))
        return out

    try:
        load(port, prepared("bare", 200), args.concurrency)
        load(port, prepared("intake", 200), args.concurrency)  # warm both paths up
        results: dict[str, list[tuple[float, float, float]]] = {"bare": [], "intake": []}
        cpu: dict[str, list[dict[str, float]]] = {"bare": [], "intake": []}
        # Every PostgreSQL server process ("postgres: ..."): the backends, and the WAL writer a commit also costs.
        meter = CpuMeter({"gunicorn": lambda: children(server.pid), "PostgreSQL": lambda: pids_matching("postgres: "),
                          "load generator": lambda: [os.getpid()]})
        for _ in range(args.rounds):
            for kind in ("bare", "intake"):
                batch = prepared(kind, args.requests)
                meter.start()
                machine = machine_cpu_seconds()
                elapsed, latencies, statuses = load(port, batch, args.concurrency)
                spent = meter.stop() | {"machine": machine_cpu_seconds() - machine}
                cpu[kind].append({name: seconds / len(batch) * 1000 for name, seconds in spent.items()})
                expected = 202
                if statuses != {expected: len(batch)}:
                    raise SystemExit(f"{kind}: unexpected statuses {statuses}")
                results[kind].append((len(batch) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99)))
    finally:
        server.terminate()
        server.wait(timeout=20)
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)

    accepted = WebhookDelivery.objects.filter(outcome="accepted").count()
    from django.db import connection

    with connection.cursor() as cursor:  # rows one transaction wrote share its xmin
        cursor.execute(f"SELECT count(DISTINCT xmin::text) FROM {WebhookDelivery._meta.db_table} "
                       "WHERE outcome = 'accepted'")
        commits = cursor.fetchone()[0]
    events = WebhookEvent.objects.count()
    server_kind = f"gthread, {args.threads} threads each" if args.threads > 1 else "sync"
    print(f"gunicorn {args.workers} workers ({server_kind}) on 127.0.0.1, {args.concurrency} keep-alive connections, "
          f"{args.requests} requests x {args.rounds} rounds per path, {os.cpu_count()} cores")
    for kind, rows in results.items():
        for i, ((rps, p50, p99), spent) in enumerate(zip(rows, cpu[kind]), 1):
            print(f"  {kind:6s} round {i}: {rps:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  CPU ms per request: "
                  + ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items()))
    bare = statistics.median(r[0] for r in results["bare"])
    intake = statistics.median(r[0] for r in results["intake"])
    print(f"bare 202 view:     {bare:7.0f} req/s (median of rounds)")
    print(f"verified intake:   {intake:7.0f} deliveries/s (median of rounds)")
    print(f"ratio intake/bare: {intake / bare:.2f}x (target >= 0.5x)")
    print(f"accepted deliveries recorded: {accepted} in {commits} commits ({accepted / max(commits, 1):.2f} per commit), "
          f"events awaiting a worker to start their runs: {events}")


if __name__ == "__main__":
    main()
