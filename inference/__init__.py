"""OpenAI-compatible inference for Kimi K2 Thinking on vLLM. Never imports Django."""
