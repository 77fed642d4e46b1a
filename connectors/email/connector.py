"""Email over SMTP: text and HTML alternatives, attachments (reports), idempotent by key.

The SMTP host is user-supplied, so the socket is opened through the network policy (checked
and pinned address); STARTTLS and implicit TLS still verify the certificate against the host
name. SMTP has no idempotency key: the write ledger prevents a second send, and the key also
fixes the Message-ID so a receiving system can spot a duplicate that slipped through anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html as html_lib
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from ..base import Connector, ConnectorError, Operation
from ..netpolicy import connect as checked_connect
from ..registry import register

_EMAILS = {"type": "array", "items": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$"}, "maxItems": 100}
MAX_ATTACHMENT_BYTES = 20 * 2**20


class _CheckedSMTP(smtplib.SMTP):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return checked_connect(host, port, timeout)


class _CheckedSMTPSSL(smtplib.SMTP_SSL):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.context.wrap_socket(checked_connect(host, port, timeout), server_hostname=host)


def _text_from_html(markup: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", markup)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>|</li>|</tr>", "\n", text)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _failure(message: str, *, retryable: bool, never_sent: bool, code: int | None = None) -> ConnectorError:
    error = ConnectorError(message, retryable=retryable, status=code)
    error.never_sent = never_sent  # type: ignore[attr-defined]
    return error


@register
class EmailConnector(Connector):
    """Settings: ``host``, ``port`` (587), ``security`` (``starttls``|``ssl``|``none``), ``username``,
    ``from_address``, ``from_name``, ``timeout`` (30), ``ca_pem`` (extra trusted CA). Secrets: ``password``."""

    type = "email"
    operations = (
        Operation(
            name="email.send",
            description="Send an email with a text and/or HTML body and optional attachments "
                        "(base64 content, e.g. a PDF or CSV report) to up to 100 recipients.",
            kind="write",
            args_schema={"type": "object", "properties": {
                "to": {**_EMAILS, "minItems": 1}, "cc": _EMAILS, "bcc": _EMAILS,
                "reply_to": {"type": "string"}, "subject": {"type": "string", "minLength": 1, "maxLength": 300},
                "text": {"type": "string"}, "html": {"type": "string"},
                "attachments": {"type": "array", "maxItems": 20, "items": {"type": "object", "properties": {
                    "filename": {"type": "string", "minLength": 1}, "content_type": {"type": "string"},
                    "content_base64": {"type": "string"}, "content_text": {"type": "string"}},
                    "required": ["filename"]}}},
                "required": ["to", "subject"], "anyOf": [{"required": ["text"]}, {"required": ["html"]}],
                "additionalProperties": False},
            result_schema={"type": "object", "properties": {
                "message_id": {"type": "string"}, "refused": {"type": "object"}, "performed": {"type": "boolean"}}},
        ),
    )

    def __init__(self, *, settings: Mapping[str, Any], secrets: Mapping[str, str], ledger: Any = None):
        super().__init__(settings=settings, secrets=secrets, ledger=ledger)
        for required in ("host", "from_address"):
            if not self.settings.get(required):
                raise ConnectorError(f"the email connection needs {required!r}", retryable=False)

    def build_message(self, args: Mapping[str, Any], message_id: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr((self.settings.get("from_name", ""), self.settings["from_address"]))
        msg["To"] = ", ".join(args["to"])
        if args.get("cc"):
            msg["Cc"] = ", ".join(args["cc"])
        if args.get("reply_to"):
            msg["Reply-To"] = args["reply_to"]
        msg["Subject"] = args["subject"]
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id
        msg.set_content(args.get("text") or _text_from_html(args["html"]))
        if args.get("html"):
            msg.add_alternative(args["html"], subtype="html")
        for attachment in args.get("attachments", []):
            if "content_base64" in attachment:
                try:
                    data = base64.b64decode(attachment["content_base64"], validate=True)
                except binascii.Error:
                    raise ConnectorError(f"attachment {attachment['filename']!r} is not valid base64",
                                         retryable=False) from None
            else:
                data = attachment.get("content_text", "").encode()
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise ConnectorError(f"attachment {attachment['filename']!r} is larger than 20 MiB", retryable=False)
            maintype, _, subtype = attachment.get("content_type", "application/octet-stream").partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=attachment["filename"])
        return msg

    def _smtp(self) -> smtplib.SMTP:
        security = self.settings.get("security", "starttls")
        host, timeout = self.settings["host"], float(self.settings.get("timeout", 30))
        port = int(self.settings.get("port", 465 if security == "ssl" else 587))
        # ``ca_pem`` trusts a company's internal CA (self-hosted mail servers often use one).
        context = ssl.create_default_context(cadata=self.settings.get("ca_pem") or None)
        if security == "ssl":
            smtp: smtplib.SMTP = _CheckedSMTPSSL(host, port, timeout=timeout, context=context)
        else:
            smtp = _CheckedSMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=context)
        if self.settings.get("username"):
            smtp.login(self.settings["username"], self.secrets.get("password", ""))
        return smtp

    def _check(self) -> None:
        try:
            with self._smtp() as smtp:
                smtp.noop()
        except ssl.SSLCertVerificationError as exc:
            raise ConnectorError(f"the SMTP server's certificate did not verify: {exc.verify_message}",
                                 retryable=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectorError(f"SMTP login failed: {exc.smtp_code}", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(f"cannot reach the SMTP server: {type(exc).__name__}: {exc}", retryable=True) from None

    def _run_send(self, args: dict[str, Any], *, idempotency_key: str | None) -> dict[str, Any]:
        domain = self.settings["from_address"].rsplit("@", 1)[-1]
        message_id = (f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"
                      if idempotency_key else make_msgid(domain=domain))
        msg = self.build_message(args, message_id)
        recipients = [*args["to"], *args.get("cc", []), *args.get("bcc", [])]

        def perform() -> dict[str, Any]:
            in_data = False
            try:
                with self._smtp() as smtp:
                    in_data = True
                    refused = smtp.send_message(msg, to_addrs=recipients)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = {addr: f"{code} {text.decode(errors='replace')}" for addr, (code, text) in exc.recipients.items()}
                raise _failure(f"every recipient was refused: {codes}", retryable=False, never_sent=True) from None
            except smtplib.SMTPAuthenticationError as exc:
                raise _failure(f"SMTP login failed: {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}",
                               retryable=False, never_sent=True) from None
            except smtplib.SMTPResponseException as exc:
                # A reply code means the server declined: nothing was delivered. 4xx is temporary.
                raise _failure(f"SMTP server answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}",
                               retryable=400 <= exc.smtp_code < 500, never_sent=True) from None
            except ssl.SSLCertVerificationError as exc:
                raise _failure(f"the SMTP server's certificate did not verify: {exc.verify_message}",
                               retryable=False, never_sent=True) from None
            except (smtplib.SMTPException, OSError) as exc:
                # Losing the connection while the message was being sent leaves its fate unknown.
                raise _failure(f"SMTP connection failed: {type(exc).__name__}: {exc}", retryable=True,
                               never_sent=not in_data) from None
            return {"message_id": message_id,
                    "refused": {addr: f"{code} {text.decode(errors='replace')}" for addr, (code, text) in refused.items()}}

        return self._perform_once("send", idempotency_key, perform)
