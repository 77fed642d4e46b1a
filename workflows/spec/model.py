"""The workflow spec, version 1, as typed objects.

A spec is plain data (YAML or JSON): inputs (a JSON schema), nodes (id, type, config),
edges (from, to, optional condition), outputs, the write policy and budgets. Every model
forbids unknown keys so a typo is an error at its path instead of a silently ignored setting.
Node configs are checked against the model of their type in :mod:`workflows.spec.configs`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NODE_ID = r"^[a-z][a-z0-9_]{0,62}$"

# Node types whose only effect is their result in the state: the same state in gives the
# same result out, and they call no model and touch no outside system (a large result is
# stored as an artifact, and storing the same artifact twice returns the first one).
# Running one again after a crash is therefore harmless and cheap.
DETERMINISTIC_NODE_TYPES = frozenset({"transform", "compute", "branch"})
PolicyMode = Literal["auto", "approve", "deny"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Budgets(Strict):
    """Limits for one agent node; spec-level values are the defaults for every agent."""

    max_tool_calls: int = Field(300, ge=1, le=5000)
    max_tokens: int = Field(50_000_000, ge=1)  # prompt + completion, summed over every call
    max_seconds: float = Field(3600.0, gt=0)
    max_cost_usd: float | None = Field(None, gt=0)


class WritePolicy(Strict):
    """How writes to outside systems are governed. Only the spec sets it; data never can."""

    default: PolicyMode = "approve"
    tools: dict[str, PolicyMode] = Field(default_factory=dict)
    required_approvers: int = Field(1, ge=1, le=10)

    def mode_for(self, tool: str) -> PolicyMode:
        return self.tools.get(tool, self.default)


class ModelSettings(Strict):
    """Sampling defaults for K2 Thinking (DESIGN.md section 3); nodes may override."""

    temperature: float = 1.0
    max_tokens: int = Field(16384, ge=1)
    context_window: int = Field(262_144, ge=1024)
    price_per_million_input: float = 0.0
    price_per_million_output: float = 0.0


class Node(Strict):
    id: str = Field(pattern=NODE_ID)
    type: str
    title: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    join: Literal["any", "all"] = "any"
    """With several incoming edges: run on each arrival (``any``), or once every source has a
    result (``all``), e.g. after parallel fetches."""


class Edge(Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    condition: str | None = None


class WorkflowSpec(Strict):
    spec_version: Literal[1]
    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,62}$")
    title: str = ""
    description: str = ""
    inputs: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    start: str | None = None
    nodes: list[Node] = Field(min_length=1)
    edges: list[Edge] = Field(default_factory=list)
    outputs: dict[str, str] = Field(default_factory=dict)
    write_policy: WritePolicy = Field(default_factory=WritePolicy)
    budgets: Budgets = Field(default_factory=Budgets)
    model: ModelSettings = Field(default_factory=ModelSettings)

    # Filled by load_spec after validation: the parsed config model of each node.
    configs: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def replayable(self) -> bool:
        """True when every node is deterministic (``DETERMINISTIC_NODE_TYPES``).

        Such a graph need not be checkpointed after every step: a run interrupted midway
        can run its steps again from the last saved point and reach the same state, with no
        model call repeated and nothing written twice outside. The engine saves it once per
        slice instead of once per step.
        """
        return all(node.type in DETERMINISTIC_NODE_TYPES for node in self.nodes)

    @property
    def entry(self) -> str:
        return self.start or self.nodes[0].id

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def config(self, node_id: str) -> Any:
        return self.configs[node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id]
