"""Node types. Each module exposes ``run(spec, node_id, config, state, ctx) -> dict`` (a state
update); :mod:`workflows.builder` wraps them with events and error handling."""
