"""Workflow specs, the LangGraph compiler and node types. Never imports Django."""
