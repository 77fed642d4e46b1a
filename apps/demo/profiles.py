"""The demo's profile for the embedded CPU model (SmolLM2-135M on llama.cpp, started by scripts/demo).

The templates are written for K2 Thinking on vLLM: a 256K-token window, answers of up to 16K
tokens, budgets of dozens of tool calls. The local model has the window the server was started
with (``--n-ctx``), answers of at most ``--max-output-tokens`` and takes from a few seconds to
half a minute a turn on two cores. The demo's copies of the templates say so, and nothing else
changes: the engine then sizes prompts and compaction for the real window, and an agent the
small model confuses stops after a few tool calls with a final answer instead of spending a
production budget (80 calls for the meeting summary) at that pace. Nodes, prompts, schemas and
write policies stay exactly as in the template.
"""

from __future__ import annotations

import copy
from typing import Any

# Match the flags scripts/demo starts `python -m inference.local` with.
LOCAL_MODEL = {"context_window": 8192, "max_tokens": 1536}
LOCAL_BUDGETS = {"max_tool_calls": 6, "max_seconds": 300.0}
NOTE = ("Demo copy for the local CPU model: 8K-token window, answers up to 1,536 tokens, at most 6 tool "
        "calls and 5 minutes per agent. The template itself has the production budgets.")


def local_model(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the local model's window and output cap, and budgets no larger than the
    local profile's (a budget the template already sets lower is kept)."""
    out = copy.deepcopy(spec)
    out["model"] = {**out.get("model", {}), **LOCAL_MODEL}
    out["budgets"] = _lowered(out.get("budgets"))
    for node in out.get("nodes", []):
        config = node.get("config", {})
        body = config.get("node", {}) if node.get("type") == "map" else {}
        for agent in (config, body.get("config", {})):
            if agent.get("budgets") is not None:
                agent["budgets"] = _lowered(agent["budgets"])
    return out


def _lowered(budgets: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(budgets or {})
    for name, limit in LOCAL_BUDGETS.items():
        out[name] = min(out[name], limit) if name in out else limit
    return out
