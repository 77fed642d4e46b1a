"""`python -m inference.fake --port 8001 [--scenario FILE] [--ttft 0.2 --tpot 0.01 --max-num-seqs 8]`"""
from __future__ import annotations

import argparse

from inference._process import wait_for_stop
from inference.fake import FakeVLLMServer, load_scenario


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m inference.fake", description="Fake vLLM server (OpenAI wire format)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--scenario", help="JSON/YAML file: a list of replies or {replies, config}")
    parser.add_argument("--model", default="kimi-k2-thinking")
    parser.add_argument("--max-model-len", type=int, default=262144)
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds to first token")
    parser.add_argument("--tpot", type=float, default=0.0, help="seconds per output token")
    parser.add_argument("--prefill-per-token", type=float, default=0.0, help="seconds per uncached prompt token")
    parser.add_argument("--max-num-seqs", type=int, default=None, help="concurrent sequences; more wait")
    parser.add_argument("--kv-capacity-tokens", type=int, default=4 * 262144, help="KV cache size (prefix cache evicts past it)")
    args = parser.parse_args(argv)
    config = {"model": args.model, "max_model_len": args.max_model_len, "ttft_s": args.ttft,
              "tpot_s": args.tpot, "max_num_seqs": args.max_num_seqs,
              "prefill_s_per_token": args.prefill_per_token, "kv_capacity_tokens": args.kv_capacity_tokens}
    replies = []
    if args.scenario:
        replies, overrides = load_scenario(args.scenario)
        config.update(overrides)
    server = FakeVLLMServer(args.host, args.port, **config).start()
    server.script(replies)
    print(f"fake vLLM serving {args.model} at {server.url} ({len(replies)} scripted replies)", flush=True)
    wait_for_stop()
    server.stop()


if __name__ == "__main__":
    main()
