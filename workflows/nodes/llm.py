"""``llm``: one model call with a prompt template; optional JSON-schema output, validated.

Data reaches the model only in the user message rendered from ``prompt``; the system
message is the spec's fixed text. With ``output_schema`` the call asks for JSON
(``response_format`` json_schema) and a reply that fails the schema is sent back once with
the validation error before the node fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
from inference.budget import estimate_tokens
from inference.errors import ContextTooLongError

from .. import modelcall
from ..artifacts import keep_small
from ..context import RunContext
from ..errors import NodeError
from ..expressions import render
from ..spec.configs import LlmConfig
from ..spec.model import WorkflowSpec
from .common import scope


def parse_json(text: str) -> Any:
    """JSON from a reply, tolerating a Markdown code fence around it."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    # strict=False accepts raw newlines and tabs inside strings, which small models (and
    # grammars that allow any character but a quote) produce; the schema check still applies.
    return json.loads(body, strict=False)


def run(spec: WorkflowSpec, node_id: str, config: LlmConfig, state: Mapping[str, Any],
        ctx: RunContext, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    prompt = render(config.prompt, scope(state, ctx, **(extra or {})))
    messages: list[dict[str, Any]] = [{"role": "system", "content": config.system},
                                      {"role": "user", "content": prompt}]
    params = modelcall.params(spec.model, max_tokens=config.max_tokens, temperature=config.temperature)
    if config.output_schema is not None:
        params["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": f"{node_id}_output", "schema": config.output_schema}}
    position = str((extra or {}).get("index", ""))
    window = spec.model.context_window - params["max_tokens"]
    if estimate_tokens(messages) > window:
        raise NodeError(f"the prompt is about {estimate_tokens(messages):,} tokens, more than the {window:,} the "
                        "model can take; split the text with a map over `| chunks(...)`")
    for attempt in range(2):
        try:
            completion = modelcall.chat(ctx, node_id, messages, None, params, step=attempt)
        except ContextTooLongError as exc:
            raise NodeError(f"the model refused the prompt as too long ({exc}); split the text with a map over "
                            "`| chunks(...)`") from exc
        text = completion.content or ""
        if completion.finish_reason == "length":
            raise NodeError("the model's answer was cut off by max_tokens; raise max_tokens for this step")
        if config.output_schema is None:
            return {"results": {node_id: keep_small(ctx, text, name=f"{node_id}{position}.txt", node_id=node_id)}}
        try:
            value = parse_json(text)
            jsonschema.validate(value, config.output_schema)
        except (ValueError, jsonschema.ValidationError) as exc:
            problem = exc.message if isinstance(exc, jsonschema.ValidationError) else f"not JSON: {exc}"
            messages += [completion.to_message(),
                         {"role": "user", "content": f"Your answer does not match the required JSON schema: "
                                                     f"{problem}. Reply with corrected JSON only."}]
            continue
        return {"results": {node_id: keep_small(ctx, value, name=f"{node_id}{position}.json", node_id=node_id)}}
    raise NodeError(f"the model's answer did not match the output schema twice: {problem}")
