"""Client overhead per streamed completion, and SSE parsing throughput.

Runs against the fake vLLM server in its own process over loopback. The same scripted completion (about 3 KB of
reasoning and content plus two tool calls, one token per chunk as vLLM streams) is read by:
  bare-bytes : an httpx loop that only reads the bytes;
  bare-json  : an httpx loop that splits lines and json-decodes every event (the least a
               useful reader does);
  ChatClient : the full client (SSE decoding, accumulation, repair, retries wrapper, router).
Runs alternate so background load hits all three alike; medians are printed, and ratios
against the baselines. Usage: .venv/bin/python bench/inference_client_overhead.py [N]
"""
from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, like the tests

import httpx  # noqa: E402

from inference import ChatClient  # noqa: E402
from inference.fake import FakeVLLMRemote, Reply, wire  # noqa: E402
from inference.stream import SSEDecoder, StreamAccumulator  # noqa: E402

REPLY = {
    "reasoning": "The user wants the open pipeline by stage. I will query deals, then companies. " * 20,
    "content": "Pipeline summary: 14 open deals worth 182,400 EUR; 3 at risk. " * 15,
    "tool_calls": [{"name": "search_deals", "arguments": {"stage": "open", "limit": 50, "fields": ["amount", "owner", "close_date"]}},
                   {"name": "get_company", "arguments": {"domain": "acme.example"}}],
    "chunk_chars": 4,
}
MESSAGES = [{"role": "system", "content": "You are Farside's analyst."}, {"role": "user", "content": "Summarise the open pipeline."}]


def main(n: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "inference.fake", "--port", str(port)], stdout=subprocess.PIPE, text=True)
    process.stdout.readline()
    try:
        run(n, f"http://127.0.0.1:{port}/v1")
    finally:
        process.terminate()
        process.wait(timeout=10)
    parse_throughput()


def run(n: int, url: str) -> None:
    server = FakeVLLMRemote(url)
    with httpx.Client() as http, ChatClient(url, "kimi-k2-thinking") as client:
        body = client.build_body(MESSAGES, None, {})
        payload = json.dumps(body).encode()
        url = url + "/chat/completions"
        headers = {"Content-Type": "application/json"}

        def bare_bytes() -> int:
            size = 0
            with http.stream("POST", url, content=payload, headers=headers) as response:
                for chunk in response.iter_bytes():
                    size += len(chunk)
            return size

        def bare_json() -> None:
            with http.stream("POST", url, content=payload, headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        json.loads(line[6:])

        def ours() -> None:
            client.chat(MESSAGES)

        runners = {"bare-bytes": bare_bytes, "bare-json": bare_json, "ChatClient": ours}
        times: dict[str, list[float]] = {k: [] for k in runners}
        server.script([REPLY] * (n * 3 + 30))
        for run in runners.values():  # warm up connections and code paths
            for _ in range(10):
                run()
        stream_bytes = bare_bytes()
        server.script([REPLY] * (n * 3))
        for _ in range(n):
            for name, run in runners.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)

    medians = {k: statistics.median(v) for k, v in times.items()}
    chunks = len(wire.stream_chunks(wire.resolve(Reply(**REPLY), body, 100, 0), Reply(**REPLY), "x", "m", True))
    print(f"streamed completion: {stream_bytes} bytes, {chunks} chunks; {n} runs each, interleaved")
    for name, value in medians.items():
        print(f"  {name:11} median {value * 1000:7.2f} ms")
    print(f"  ratio ChatClient / bare-json  = {medians['ChatClient'] / medians['bare-json']:.3f}x  (target <= 1.1x)")
    print(f"  ratio ChatClient / bare-bytes = {medians['ChatClient'] / medians['bare-bytes']:.3f}x")
    print(f"  client overhead over bare-json: {(medians['ChatClient'] - medians['bare-json']) * 1e6 / chunks:.1f} us per chunk")


def parse_throughput() -> None:
    """SSE decode + accumulate of an in-memory stream, fed in 4 KiB reads (no network)."""
    reply = Reply(**REPLY)
    turn = wire.resolve(reply, {"messages": []}, 100, 0)
    one = b"".join(wire.encode_event(c) for c in wire.stream_chunks(turn, reply, "chatcmpl-1", "kimi-k2-thinking", True))
    data = one * 200
    pieces = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    rates_full, rates_decode = [], []
    for _ in range(5):
        start = time.perf_counter()
        decoder, accumulator = SSEDecoder(), StreamAccumulator()
        for piece in pieces:
            for event in decoder.feed(piece):
                accumulator.feed_event(event)
        rates_full.append(len(data) / (time.perf_counter() - start) / 1e6)
        start = time.perf_counter()
        decoder = SSEDecoder()
        for piece in pieces:
            decoder.feed(piece)
        rates_decode.append(len(data) / (time.perf_counter() - start) / 1e6)
    print(f"SSE parsing of {len(data) / 1e6:.1f} MB: decode+accumulate median {statistics.median(rates_full):.1f} MB/s, "
          f"SSE decode only {statistics.median(rates_decode):.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
