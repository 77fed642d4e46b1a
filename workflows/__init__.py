"""Workflow specs, the LangGraph compiler and node types. Never imports Django.

The contract with the app layer:

- ``load_spec(data) -> WorkflowSpec`` (raises ``SpecError`` with every problem);
- ``build_graph(spec) -> StateGraph`` built with ``context_schema=RunContext``;
- ``initial_state(spec, inputs) -> dict`` (raises ``InputError``) and
  ``final_outputs(spec, state, ctx=None) -> dict``;
- ``dump_yaml`` / ``load_yaml`` for export and import;
- ``mermaid(spec)`` (a flowchart for people) and ``spec_schema()`` (JSON schema of the format);
- ``workflows.templates.names()`` / ``load(name)``.
"""

from .builder import build_graph
from .context import ArtifactRef, RunContext
from .errors import InputError, Issue, NodeError, SpecError
from .run import final_outputs, initial_state
from .spec.describe import mermaid, spec_schema
from .spec.model import WorkflowSpec
from .spec.validate import load_spec
from .yaml_io import dump_yaml, load_yaml

__all__ = ["ArtifactRef", "InputError", "Issue", "NodeError", "RunContext", "SpecError", "WorkflowSpec",
           "build_graph", "dump_yaml", "final_outputs", "initial_state", "load_spec", "load_yaml", "mermaid",
           "spec_schema"]
