"""The long-horizon agent loop (DESIGN.md section 3), compiled into two graph nodes per agent:
``<id>`` asks the model for its next turn, ``<id>__tools`` performs the tool calls it made.
Each turn is a super-step, so a run can stop and resume between any two of them."""
