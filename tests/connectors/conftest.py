from __future__ import annotations

import logging

import pytest

from connectors.netpolicy import NetworkPolicy, set_default_policy

from connector_test_secrets import CAPTURED


class _KeepEverything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        CAPTURED.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def capture_every_log_line():
    """Keep every log line the connector suite produces, at DEBUG, for the secret scan."""
    handler = _KeepEverything(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    # The app's logging settings may quieten the HTTP libraries; the scan must see them too.
    loggers = [root, *(logging.getLogger(n) for n in ("httpx", "httpcore", "farside"))]
    old_levels = [lg.level for lg in loggers]
    root.addHandler(handler)
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield CAPTURED
    root.removeHandler(handler)
    for lg, level in zip(loggers, old_levels):
        lg.setLevel(level)


@pytest.fixture(scope="session", autouse=True)
def loopback_allowed():
    """The fakes listen on loopback, which the SSRF policy refuses unless allowlisted."""
    previous = set_default_policy(NetworkPolicy.allowing(["127.0.0.0/8", "::1/128"]))
    yield
    set_default_policy(previous)


def pytest_collection_modifyitems(items):
    # The log scan must see the logs of every other test, so it runs last.
    last = [i for i in items if i.name == "test_no_secret_appears_in_any_log_line_of_the_suite"]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory):
    """A private CA and a server certificate for 127.0.0.1, as a company's internal PKI would issue."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Farside Test CA")).issuer_name(name("Farside Test CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("mail.internal")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory = tmp_path_factory.mktemp("pki")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return directory, ca.public_bytes(serialization.Encoding.PEM).decode()
