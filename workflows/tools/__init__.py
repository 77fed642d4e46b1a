"""Tools an agent (or a deliver/fetch node) can call: connector operations and built-ins."""
