import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver

import workflows
from inference.client import ChatClient
from inference.fake import FakeVLLMServer
from workflows.testing import make_context, run_until_pause


@pytest.fixture
def fake_model():
    with FakeVLLMServer() as server:
        yield server


@pytest.fixture
def client(fake_model):
    with ChatClient(fake_model.url, "kimi-k2-thinking") as chat:
        yield chat


class Runner:
    """Compile a spec with an in-memory checkpointer and drive it as the app layer does."""

    def __init__(self, spec_data, *, model=None, checkpointer=None, **ctx):
        # Run ids are unique, as the app layer's are: connectors remember idempotency keys.
        ctx.setdefault("run_id", f"run-{uuid.uuid4().hex[:8]}")
        self.spec = workflows.load_spec(spec_data)
        self.graph = workflows.build_graph(self.spec).compile(checkpointer=checkpointer or InMemorySaver())
        self.ctx = make_context(model=model, **ctx)

    def start(self, inputs=None):
        return run_until_pause(self.graph, self.ctx, workflows.initial_state(self.spec, inputs or {}))

    def resume(self, value):
        """Resume with a decision, or with None to continue from the last checkpoint."""
        from langgraph.types import Command

        return run_until_pause(self.graph, self.ctx, None if value is None else Command(resume=value))

    @property
    def state(self):
        return self.graph.get_state({"configurable": {"thread_id": self.ctx.run_id}}).values

    def outputs(self, load=True):
        return workflows.final_outputs(self.spec, self.state, self.ctx if load else None)

    def events(self, kind):
        return self.ctx.events.of(kind)


@pytest.fixture
def runner():
    return Runner


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts (a real SMTP server on loopback)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    import socket

    from aiosmtpd.controller import Controller

    from connectors.netpolicy import NetworkPolicy, set_default_policy

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    previous = set_default_policy(NetworkPolicy.allowing(["127.0.0.0/8"]))
    from connectors.email import EmailConnector

    mailbox.connector = EmailConnector(settings={"host": "127.0.0.1", "port": port, "security": "none",
                                                 "from_address": "reports@farside-demo.example"}, secrets={})
    yield mailbox
    set_default_policy(previous)
    controller.stop()
