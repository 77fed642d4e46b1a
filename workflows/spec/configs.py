"""The config model of each node type.

Each model forbids unknown keys. ``templates()`` and ``expressions()`` name the fields that
hold Jinja text so validation can check every variable they read; ``tool_refs()`` and
``targets()`` name tool and node references. Fields are documented where their meaning is
not obvious from the name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from .model import Budgets, PolicyMode, Strict

Loc = tuple[Any, ...]


class NodeConfig(Strict):
    def templates(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def tool_refs(self) -> Iterator[tuple[Loc, str]]:
        return iter(())

    def targets(self) -> Iterator[tuple[Loc, str]]:
        return iter(())


def _walk(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every string inside a JSON-like argument mapping, with its location."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*loc, i))


class TransformConfig(NodeConfig):
    """Either ``template`` (text) or ``mapping`` (JSON with templated leaves)."""

    template: str | None = None
    mapping: dict[str, Any] | None = None
    parse_json: bool = False  # the rendered template is JSON; the result is the parsed value
    artifact_name: str | None = None  # store the text as an artifact instead of in state
    media_type: str = "text/markdown"

    def templates(self) -> Iterator[tuple[Loc, str]]:
        if self.template is not None:
            yield ("template",), self.template
        if self.mapping is not None:
            yield from _walk(self.mapping, ("mapping",))


class LlmConfig(NodeConfig):
    """One model call. ``system`` is fixed text from the spec: it takes no variables, so
    data from CRM records can never reach the system prompt."""

    prompt: str
    system: str = "You are a careful business analyst. Answer precisely."
    output_schema: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None

    def templates(self) -> Iterator[tuple[Loc, str]]:
        yield ("prompt",), self.prompt


class FetchConfig(NodeConfig):
    """One connector read; ``limit`` caps the records taken from a paged read."""

    operation: str
    args: dict[str, Any] = Field(default_factory=dict)
    limit: int = Field(10_000, ge=1)

    def templates(self) -> Iterator[tuple[Loc, str]]:
        yield from _walk(self.args, ("args",))

    def tool_refs(self) -> Iterator[tuple[Loc, str]]:
        yield ("operation",), self.operation


class Metric(Strict):
    name: str
    op: Literal["sum", "count", "avg", "min", "max", "values"]  # values: distinct values, in order
    field: str | None = None


class ComputeConfig(NodeConfig):
    """Deterministic figures: ``source`` (and optional ``previous``) are expressions giving
    lists of records; metrics are computed overall and per ``group_by`` key, with changes
    against ``previous`` when given."""

    source: str
    previous: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)  # field -> required value
    group_by: list[str] = Field(default_factory=list)
    metrics: list[Metric] = Field(min_length=1)

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        yield ("source",), self.source
        if self.previous is not None:
            yield ("previous",), self.previous


class ChartConfig(NodeConfig):
    """A chart of a table (``source`` gives a list of records) as PNG and SVG artifacts."""

    source: str
    kind: Literal["bar", "line", "pie"] = "bar"
    x: str
    y: list[str] = Field(min_length=1)
    title: str = ""

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        yield ("source",), self.source


class Case(Strict):
    when: str
    to: str


class BranchConfig(NodeConfig):
    cases: list[Case] = Field(min_length=1)
    default: str

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        for i, case in enumerate(self.cases):
            yield ("cases", i, "when"), case.when

    def targets(self) -> Iterator[tuple[Loc, str]]:
        for i, case in enumerate(self.cases):
            yield ("cases", i, "to"), case.to
        yield ("default",), self.default


class ApprovalConfig(NodeConfig):
    """A person approves (optionally editing ``arguments``) or rejects before the run goes on."""

    title: str
    message: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    required_approvers: int | None = Field(None, ge=1, le=10)
    on_reject: Literal["fail", "continue"] = "fail"

    def templates(self) -> Iterator[tuple[Loc, str]]:
        yield ("title",), self.title
        yield ("message",), self.message
        yield from _walk(self.arguments, ("arguments",))


class AgentConfig(NodeConfig):
    """The long-horizon tool loop. ``instructions`` is fixed spec text (the system prompt);
    ``task`` is the first user message and may read inputs and results. ``context`` is data
    for the agent (records, figures, notes): it reaches the model as the result of a
    ``read_context`` tool call made before the first turn, so data arrives the way every other
    piece of data does, as a tool result, never as an instruction."""

    instructions: str
    task: str
    context: str | None = None
    tools: list[str] = Field(default_factory=list)
    budgets: Budgets | None = None
    max_parallel_tools: int = Field(4, ge=1, le=32)
    output_schema: dict[str, Any] | None = None
    compact_at: float = Field(0.75, gt=0.1, le=0.95)  # fraction of the context window
    inline_result_bytes: int = Field(8000, ge=200)  # larger tool results go to artifacts

    def templates(self) -> Iterator[tuple[Loc, str]]:
        yield ("task",), self.task
        if self.context is not None:
            yield ("context",), self.context

    def tool_refs(self) -> Iterator[tuple[Loc, str]]:
        for i, name in enumerate(self.tools):
            yield ("tools", i), name


class Write(Strict):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    for_each: str | None = None  # expression giving a list; each element is ``item``
    policy: PolicyMode | None = None  # can only be stricter than the spec's write policy


class DeliverConfig(NodeConfig):
    """A report artifact and/or writes (email, Slack, CRM note or task)."""

    format: Literal["none", "markdown", "html", "pdf"] = "none"
    name: str = "report"
    body: str = ""  # Markdown template; rendered to the chosen format
    charts: str | None = None  # expression giving a list of chart results to embed
    writes: list[Write] = Field(default_factory=list)

    def templates(self) -> Iterator[tuple[Loc, str]]:
        yield ("body",), self.body
        for i, write in enumerate(self.writes):
            yield from _walk(write.args, ("writes", i, "args"))

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        if self.charts:
            yield ("charts",), self.charts
        for i, write in enumerate(self.writes):
            if write.for_each:
                yield ("writes", i, "for_each"), write.for_each

    def tool_refs(self) -> Iterator[tuple[Loc, str]]:
        for i, write in enumerate(self.writes):
            yield ("writes", i, "tool"), write.tool


MAP_BODIES = ("llm", "transform", "fetch", "compute", "agent")


class MapBody(Strict):
    type: Literal["llm", "transform", "fetch", "compute", "agent"]
    config: dict[str, Any]


class MapConfig(NodeConfig):
    """Run ``node`` once per element of ``over`` (as ``item``/``index``), ``max_parallel`` at a time."""

    over: str
    node: MapBody
    max_parallel: int = Field(4, ge=1, le=64)

    _body: NodeConfig | None = PrivateAttr(None)

    @property
    def body(self) -> NodeConfig:
        """The body's parsed config (set by validation)."""
        assert self._body is not None, "map config was not loaded through load_spec"
        return self._body

    def set_body(self, body: NodeConfig) -> None:
        self._body = body

    def expressions(self) -> Iterator[tuple[Loc, str]]:
        yield ("over",), self.over


CONFIGS: dict[str, type[NodeConfig]] = {
    "agent": AgentConfig,
    "llm": LlmConfig,
    "fetch": FetchConfig,
    "compute": ComputeConfig,
    "chart": ChartConfig,
    "transform": TransformConfig,
    "branch": BranchConfig,
    "map": MapConfig,
    "approval": ApprovalConfig,
    "deliver": DeliverConfig,
}
