"""Pull 100k deals through the fake HubSpot server: our connector vs a bare httpx loop.

The fake runs in its own process so tracemalloc sees only the client. Both sides page the same
way (200 per page, re-sliced by hs_object_id before the 10,000 ceiling) and parse every record.
Prints the median wall seconds, records/s and client CPU seconds of each, their ratios, and
tracemalloc peaks for a 20k and a 100k pull (flat memory means the two peaks are about equal).

    .venv/bin/python bench/connectors_hubspot_pull.py [--deals 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
import tracemalloc

import httpx

from connectors.http import RetryPolicy
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.fake import FakeHubSpot
from connectors.netpolicy import NetworkPolicy, set_default_policy

TOKEN = "pat-bench-token"
PROPS = ["dealname", "amount", "dealstage", "closedate"]


def serve(deals: int, urls, stop) -> None:
    with FakeHubSpot(deals=deals, tokens=(TOKEN,)) as fake:
        fake.record_requests = False
        urls.put(fake.url)
        stop.wait()


def pull_connector(url: str, limit: int) -> int:
    hs = HubSpotConnector(settings={"base_url": url}, secrets={"access_token": TOKEN}, retry=RetryPolicy())
    count = 0
    for _ in hs.iterate("hubspot.search_deals", {"properties": PROPS}):
        count += 1
        if count >= limit:
            break
    hs.close()
    return count


def pull_bare(url: str, limit: int) -> int:
    count, last_id = 0, None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        while True:
            groups = [{"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": last_id}]}] if last_id else []
            after = None
            while True:
                body = {"filterGroups": groups, "limit": 200, "properties": PROPS,
                        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
                if after:
                    body["after"] = after
                response = client.post("/crm/v3/objects/deals/search", json=body)
                response.raise_for_status()
                page = response.json()
                for record in page["results"]:
                    count += 1
                    last_id = record["id"]
                    if count >= limit:
                        return count
                after = page.get("paging", {}).get("next", {}).get("after")
                if not after:
                    return count
                if int(after) + 200 > 10_000:
                    break


def timed(fn, url: str, limit: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds (the latter barely moves when other
    processes load the shared cores, so its ratio is the steadier overhead figure)."""
    started, cpu = time.perf_counter(), time.process_time()
    got = fn(url, limit)
    elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    assert got == limit, (fn.__name__, got)
    return elapsed, cpu_used


def peak(fn, url: str, limit: int) -> int:
    tracemalloc.start()
    fn(url, limit)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    set_default_policy(NetworkPolicy.allowing(["127.0.0.1/32"]))

    urls, stop = multiprocessing.Queue(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(opts.deals, urls, stop), daemon=True)
    server.start()
    url = urls.get(timeout=300)
    try:
        pull_bare(url, 1000)  # warm the server's caches and the connection code paths
        ours, bare = [], []
        for _ in range(opts.runs):  # alternate so drift on a shared machine hits both alike
            bare.append(timed(pull_bare, url, opts.deals))
            ours.append(timed(pull_connector, url, opts.deals))
        small = min(20_000, opts.deals)
        peaks = {name: (peak(fn, url, small), peak(fn, url, opts.deals))
                 for name, fn in (("bare httpx", pull_bare), ("connector", pull_connector))}
    finally:
        stop.set()
        server.join(timeout=10)

    print(f"deals pulled per run: {opts.deals}, runs: {opts.runs}, page size 200")
    for name, runs in (("bare httpx", bare), ("connector", ours)):
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{name:>11}: median wall {wall:.2f} s ({opts.deals / wall:,.0f} records/s), client CPU {cpu:.2f} s; "
              f"wall runs {', '.join(f'{r[0]:.2f}' for r in runs)}")
    wall_ratio = statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in bare)
    cpu_ratio = statistics.median(r[1] for r in ours) / statistics.median(r[1] for r in bare)
    print(f"ratio connector / bare: wall {wall_ratio:.3f}, client CPU {cpu_ratio:.3f}")
    for name, (p_small, p_big) in peaks.items():
        print(f"{name:>11}: tracemalloc peak {p_small / 2**20:.2f} MiB at {small} records, "
              f"{p_big / 2**20:.2f} MiB at {opts.deals}")


if __name__ == "__main__":
    main()
