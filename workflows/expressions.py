"""Templates and expressions, evaluated in Jinja2's sandbox.

Two forms appear in specs:

- a *template* is text with ``{{ ... }}`` placeholders (prompts, report bodies, argument
  values). A string that is exactly one placeholder, ``"{{ results.deals.rows }}"``,
  evaluates to the native value rather than its text, so argument mappings can pass lists;
- an *expression* is a bare Jinja expression (``results.score.value > 0.5``) used by
  conditions, ``over`` lists and outputs.

Both see the same names: ``inputs``, ``results`` (each finished node's output by node id,
artifacts loaded when read), ``refs`` (the same outputs with artifact references left as
``{"$artifact": {...}}``, to hand an artifact id to an agent), and inside a map body
``item`` and ``index``. :func:`references` lists the dotted names a
template uses so spec validation can reject ``results.nope`` before anything runs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import textutils

MAX_REPEAT = 100_000  # longest string or list a template may build with * (same bound as range())
MAX_EXPONENT = 100


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus limits on ``*`` and ``**`` so a spec cannot make a
    worker build a gigabyte string or a number with millions of digits."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"a template may not build sequences longer than {MAX_REPEAT}")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else str(value)


_ENV.filters["tojson"] = lambda value, indent=None: json.dumps(value, indent=indent, default=_plain,
                                                               ensure_ascii=False)
_ENV.globals.update(len=len, min=min, max=max, sum=sum, round=round, sorted=sorted)  # range: the sandbox's, bounded
_ENV.filters.update(transcript_text=textutils.transcript_text, chunks=textutils.chunks, words=textutils.words)

_SINGLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)


class ExpressionError(Exception):
    """A template or expression failed to parse or to evaluate."""


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


@functools.lru_cache(maxsize=2048)
def _template(source: str) -> Any:
    return _ENV.from_string(source)


@functools.lru_cache(maxsize=2048)
def _expression(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


def render(template: str, scope: Mapping[str, Any]) -> str:
    # Specs are immutable once loaded, so compiled templates are cached by their source text.
    try:
        return _template(template).render(**scope)
    except (TemplateSyntaxError, UndefinedError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ExpressionError(str(exc)) from exc
    except Exception as exc:  # the sandbox raises SecurityError for unsafe access
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from exc


def evaluate(expression: str, scope: Mapping[str, Any]) -> Any:
    try:
        return _expression(expression)(**scope)
    except (TemplateSyntaxError, UndefinedError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ExpressionError(str(exc)) from exc
    except Exception as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from exc


def resolve(value: Any, scope: Mapping[str, Any]) -> Any:
    """Fill templates inside a JSON-like mapping; a lone placeholder keeps its native type."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        single = _SINGLE.match(value)
        if single and "{{" not in single.group(1) and "{%" not in value:
            return evaluate(single.group(1), scope)
        return render(value, scope)
    if isinstance(value, Mapping):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value


def parse(source: str, *, expression: bool) -> nodes.Node:
    """Parse a template or an expression; raises ExpressionError with Jinja's message."""
    try:
        if expression:
            parser_src = "{{ " + source + " }}"
            return _ENV.parse(parser_src)
        return _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.message}") from exc


def references(source: str, *, expression: bool = False) -> set[tuple[str, ...]]:
    """Dotted names read by a template: ``{('results', 'deals', 'rows'), ('inputs', 'period')}``.

    Names bound inside the template (``{% for row in ... %}``, ``{% set %}``) are left out.
    Chains stop at the first non-constant step, so ``results[x]`` yields ``('results',)``.
    """
    tree = parse(source, expression=expression)
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: set[tuple[str, ...]] = set()
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        chain = _chain(node)
        if chain is None:
            continue
        for sub in _sub_nodes(node):
            inner.add(id(sub))
        if chain[0] not in bound:
            found.add(chain)
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and id(name) not in inner and name.name not in bound:
            found.add((name.name,))
    # Jinja nests ``results.deals`` inside ``results.deals.rows``; keep only the longest chains.
    return {c for c in found if not any(len(o) > len(c) and o[: len(c)] == c for o in found)}


def _chain(node: nodes.Node) -> tuple[str, ...] | None:
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                parts.append(node.arg.value)
            else:
                parts.clear()
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return tuple(reversed(parts))
        else:
            return None


def _sub_nodes(node: nodes.Node) -> Iterator[nodes.Node]:
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        node = node.node
        yield node


def globals_names() -> set[str]:
    return set(_ENV.globals)
