"""Trivial three-step runs completed per second by two Celery worker processes.

From ``run_create`` (through Redis) to ``succeeded`` in PostgreSQL, for the ``trivial``
template (three deterministic transforms, no model). Reference point from the issue:
n8n reports 220 trivial executions/s on one 2-vCPU instance. The creating process
shares this machine's two cores with the workers, as a webhook-driven web process would.

    .venv/bin/python bench/engine_throughput.py [--runs 400] [--workers 2] [--pool solo|threads --threads 4]
        [--creators 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _django import ROOT, CpuMeter, boot, org_actor, pids_matching


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", default="solo", choices=["solo", "prefork", "threads"])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process with --pool threads")
    parser.add_argument("--creators", type=int, default=2,
                        help="threads calling run_create at once, as concurrent API or webhook requests would")
    args = parser.parse_args()

    boot("farside_bench_tp", FARSIDE_QUEUE=f"bench-{os.getpid()}", RUN_EXECUTION="celery")
    import workflows.templates
    from django.db import connection
    from django.db.models import Min

    from apps.automations.services import workflow_create
    from apps.runs.models import Run
    from apps.runs.services import run_create

    actor = org_actor()
    workflow = workflow_create(actor=actor, name="trivial", spec=workflows.templates.load("trivial"))
    env = dict(os.environ)
    if args.pool == "solo":
        commands = [["worker", "--pool", "solo", "-n", f"b{i}-{os.getpid()}@%h"] for i in range(args.workers)]
    elif args.pool == "threads":
        commands = [["worker", "--pool", "threads", "-c", str(args.threads), "-n", f"b{i}-{os.getpid()}@%h"]
                    for i in range(args.workers)]
    else:
        commands = [["worker", "--pool", "prefork", "-c", str(args.workers), "-n", f"b-{os.getpid()}@%h"]]
    procs = [subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *cmd, "-Q", env["FARSIDE_QUEUE"],
                               "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
                              cwd=ROOT, env=env) for cmd in commands]
    try:
        # Warm the workers (imports, graph compile, pools) before timing.
        warm = [run_create(actor=actor, workflow_id=workflow.pk, inputs={"name": f"w{i}"}).pk for i in range(20)]
        while Run.objects.filter(pk__in=warm, status="succeeded").count() < len(warm):
            time.sleep(0.05)

        worker_pids = [p.pid for p in procs]
        meter = CpuMeter({
            "creating process (run_create, Celery publish)": lambda: [os.getpid()],
            "worker processes": lambda: worker_pids,
            "PostgreSQL backends of this database": lambda: pids_matching("farside_bench_tp"),
            "redis-server": lambda: pids_matching("redis-server"),
        })
        meter.start()
        start = time.perf_counter()

        def create(indexes: range) -> list:
            try:
                return [run_create(actor=actor, workflow_id=workflow.pk, inputs={"name": f"r{i}"}).pk for i in indexes]
            finally:
                connection.close()

        with ThreadPoolExecutor(args.creators) as pool:
            shares = pool.map(create, [range(i, args.runs, args.creators) for i in range(args.creators)])
            created = [pk for share in shares for pk in share]
        create_s = time.perf_counter() - start
        creator_cpu = meter.stop()["creating process (run_create, Celery publish)"]
        # Poll cheaply and rarely, so the waiting loop does not steal the workers' CPU.
        unfinished = Run.objects.filter(workflow=workflow).exclude(status__in=["succeeded", "failed"])
        while unfinished.exists():
            time.sleep(0.1)
        if Run.objects.filter(pk__in=created, status="failed").exists():
            raise SystemExit("a run failed; see the worker output")
        total_s = time.perf_counter() - start
        spent = {**meter.stop(), "creating process (run_create, Celery publish)": creator_cpu}
        first = Run.objects.filter(pk__in=created).aggregate(m=Min("created_at"))["m"]
        last = max(Run.objects.filter(pk__in=created).values_list("finished_at", flat=True))
        latencies = sorted((r.finished_at - r.created_at).total_seconds()
                           for r in Run.objects.filter(pk__in=created))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)

    threads = f" x {args.threads} threads" if args.pool == "threads" else ""
    print(f"runs: {args.runs}, worker processes: {args.workers} ({args.pool}{threads}), "
          f"creating threads: {args.creators}")
    print(f"run_create alone: {args.runs / create_s:.0f} runs/s")
    print(f"completed: {args.runs / total_s:.1f} runs/s (wall clock, create to last succeeded)")
    print(f"completed (first created_at to last finished_at): {args.runs / (last - first).total_seconds():.1f} runs/s")
    print(f"latency create->succeeded: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms")
    print("CPU per run, by component (ms):")
    for name, seconds in spent.items():
        print(f"  {name:<48} {seconds / args.runs * 1000:6.2f}")
    print(f"  {'total':<48} {sum(spent.values()) / args.runs * 1000:6.2f}  "
          f"(the machine has {os.cpu_count()} cores: {os.cpu_count() * total_s / args.runs * 1000:.2f} ms of CPU "
          f"per run available at this rate)")
    print("reference: n8n reports 220 trivial executions/s on one 2-vCPU instance")


if __name__ == "__main__":
    main()
