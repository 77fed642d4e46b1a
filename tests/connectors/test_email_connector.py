from __future__ import annotations

import base64
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import connector_test_secrets as secrets
from connectors.base import ConnectorError
from connectors.email import EmailConnector
from connectors.ledger import MemoryLedger

# The loopback server takes AUTH without TLS; real connections use security="starttls" or "ssl".
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message and can refuse on cue."""

    def __init__(self):
        self.messages = []
        self.refuse_rcpt: dict[str, str] = {}
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == secrets.SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_require_tls=False, auth_required=True, ready_timeout=10)
    controller.start()
    yield controller, mailbox
    controller.stop()


def connect(controller, password=secrets.SMTP_PASSWORD):
    return EmailConnector(settings={"host": "127.0.0.1", "port": controller.port, "security": "none",
                                    "username": "reports", "from_address": "reports@farside-demo.example",
                                    "from_name": "Farside Reports"},
                          secrets={"password": password}, ledger=MemoryLedger())


REPORT = {"to": ["cfo@customer.example"], "cc": ["ops@customer.example"], "bcc": ["archive@farside-demo.example"],
          "subject": "Q3 sales report", "text": "Revenue rose 12%.", "html": "<p>Revenue rose <b>12%</b>.</p>",
          "attachments": [{"filename": "q3.csv", "content_type": "text/csv",
                           "content_base64": base64.b64encode(b"quarter,revenue\n2026-Q3,1200000\n").decode()}]}


def test_a_report_goes_out_with_text_html_and_an_attachment_to_every_recipient(smtp):
    controller, mailbox = smtp
    result = connect(controller).call("email.send", REPORT, idempotency_key="run-3:send")
    (mail_from, rcpts, msg), = mailbox.messages
    assert mail_from == "reports@farside-demo.example"
    assert sorted(rcpts) == ["archive@farside-demo.example", "cfo@customer.example", "ops@customer.example"]
    assert "Bcc" not in msg and msg["Message-ID"] == result["message_id"]
    assert msg.get_body(("plain",)).get_content().strip() == "Revenue rose 12%."
    assert "<b>12%</b>" in msg.get_body(("html",)).get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "q3.csv" and attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == b"quarter,revenue\n2026-Q3,1200000\n"


def test_an_html_only_message_gets_a_text_part_too(smtp):
    controller, mailbox = smtp
    connect(controller).call("email.send", {"to": ["a@b.example"], "subject": "Hi", "html": "<p>Hello &amp; welcome</p>"})
    msg = mailbox.messages[0][2]
    assert msg.get_body(("plain",)).get_content().strip() == "Hello & welcome"


def test_sending_twice_with_the_same_key_delivers_once(smtp):
    controller, mailbox = smtp
    conn = connect(controller)
    first = conn.call("email.send", REPORT, idempotency_key="dup")
    again = conn.call("email.send", REPORT, idempotency_key="dup")
    assert len(mailbox.messages) == 1 and again["performed"] is False
    assert again["message_id"] == first["message_id"]


def test_a_wrong_password_is_permanent_and_never_echoed(smtp):
    controller, mailbox = smtp
    with pytest.raises(ConnectorError) as caught:
        connect(controller, password="wrong-password-x").call("email.send", REPORT, idempotency_key="pw")
    assert caught.value.retryable is False and "535" in str(caught.value)
    assert "wrong-password-x" not in str(caught.value) and mailbox.messages == []


def test_a_temporary_refusal_is_retryable_and_the_retry_is_allowed(smtp):
    controller, mailbox = smtp
    mailbox.data_reply = "451 4.3.0 Mail server temporarily rejected message"
    conn = connect(controller)
    with pytest.raises(ConnectorError) as caught:
        conn.call("email.send", REPORT, idempotency_key="tmp")
    assert caught.value.retryable is True
    mailbox.data_reply = None
    assert conn.call("email.send", REPORT, idempotency_key="tmp")["performed"] is True
    assert len(mailbox.messages) == 1


def test_a_partly_refused_recipient_list_reports_who_was_refused(smtp):
    controller, mailbox = smtp
    mailbox.refuse_rcpt["ops@customer.example"] = "550 5.1.1 Mailbox unavailable"
    result = connect(controller).call("email.send", REPORT, idempotency_key="part")
    assert list(result["refused"]) == ["ops@customer.example"] and len(mailbox.messages) == 1


def test_all_recipients_refused_is_permanent(smtp):
    controller, mailbox = smtp
    mailbox.refuse_rcpt["x@y.example"] = "550 5.1.1 Mailbox unavailable"
    with pytest.raises(ConnectorError) as caught:
        connect(controller).call("email.send", {"to": ["x@y.example"], "subject": "s", "text": "t"}, idempotency_key="all")
    assert caught.value.retryable is False and "550" in str(caught.value)


@pytest.fixture
def starttls_smtp(tls_material):
    import ssl

    directory, _ = tls_material
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            tls_context=context, require_starttls=True, auth_required=True, ready_timeout=10)
    controller.start()
    yield controller, mailbox
    controller.stop()


def tls_connector(controller, ca_pem=None):
    return EmailConnector(settings={"host": "127.0.0.1", "port": controller.port, "security": "starttls",
                                    "username": "reports", "from_address": "reports@farside-demo.example",
                                    **({"ca_pem": ca_pem} if ca_pem else {})},
                          secrets={"password": secrets.SMTP_PASSWORD}, ledger=MemoryLedger())


def test_starttls_with_the_companys_ca_delivers_the_report(starttls_smtp, tls_material):
    controller, mailbox = starttls_smtp
    tls_connector(controller, tls_material[1]).call("email.send", REPORT, idempotency_key="tls-1")
    assert len(mailbox.messages) == 1


def test_an_untrusted_certificate_is_a_permanent_error_and_nothing_is_sent(starttls_smtp):
    controller, mailbox = starttls_smtp
    conn = tls_connector(controller)
    with pytest.raises(ConnectorError) as caught:
        conn.call("email.send", REPORT, idempotency_key="tls-2")
    assert caught.value.retryable is False and "certificate" in str(caught.value)
    assert mailbox.messages == []


def test_the_connection_check_logs_in_without_sending(smtp):
    controller, mailbox = smtp
    connect(controller).check()
    with pytest.raises(ConnectorError) as caught:
        connect(controller, password="wrong-password-y").check()
    assert caught.value.retryable is False and mailbox.messages == []
