"""Configuration fails loudly; connection secrets are encrypted and never echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from apps.accounts.models import AuditEntry
from apps.automations.crypto import decrypt_secrets, reencrypt
from apps.automations.models import Connection
from apps.automations.services import connection_create, connection_rotate_secrets

ROOT = Path(__file__).resolve().parents[2]


def boot(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
                           "print(settings.SECRET_KEY[:6], settings.DEBUG, settings.RUN_SLICE_STEPS)"],
                          cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_a_bad_boolean_stops_startup_with_the_variable_named():
    result = boot(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_bad_number_stops_startup_with_the_variable_named():
    result = boot(RUN_SLICE_STEPS="many")
    assert result.returncode != 0
    assert "RUN_SLICE_STEPS='many' is not a whole number" in result.stderr


def test_production_requires_a_secret_key():
    result = boot(DATABASE_URL="postgres://postgres@127.0.0.1:5432/farside", REDIS_URL="redis://127.0.0.1:6379/15")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required" in result.stderr


def test_secrets_can_be_read_from_files(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file-123\n")
    result = boot(SECRET_KEY_FILE=str(key_file), DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("from-a True 25")


def test_the_embedded_defaults_boot_without_any_configuration(tmp_path):
    result = boot(FARSIDE_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_connection_secrets_are_encrypted_at_rest_and_not_in_the_audit_log(make_org):
    actor, _ = make_org("Acme")
    connection = connection_create(actor=actor, name="hubspot", connector_type="demo", settings={"portal": 1},
                                   secrets={"token": "pat-na1-very-secret"})
    raw = bytes(Connection.objects.get(pk=connection.pk).secrets_encrypted)
    assert b"pat-na1-very-secret" not in raw
    assert decrypt_secrets(raw) == {"token": "pat-na1-very-secret"}
    assert "very-secret" not in repr(connection)
    assert not any("very-secret" in str(e.details) for e in AuditEntry.objects.all())
    assert connection.secret_names == ["token"]


@pytest.mark.django_db
def test_rotating_the_encryption_key_keeps_old_secrets_readable(make_org, settings):
    actor, _ = make_org("Acme")
    connection = connection_create(actor=actor, name="crm", connector_type="demo", settings={},
                                   secrets={"token": "old-token"})
    old_token = bytes(connection.secrets_encrypted)
    new_key = Fernet.generate_key().decode()
    settings.FARSIDE_ENCRYPTION_KEYS = [new_key, *settings.FARSIDE_ENCRYPTION_KEYS]

    assert decrypt_secrets(old_token) == {"token": "old-token"}
    rotated = reencrypt(old_token)
    settings.FARSIDE_ENCRYPTION_KEYS = [new_key]
    assert decrypt_secrets(rotated) == {"token": "old-token"}
    with pytest.raises(RuntimeError, match="cannot be decrypted"):
        decrypt_secrets(old_token)

    connection_rotate_secrets(actor=actor, connection=connection, secrets={"token": "new-token"})
    assert decrypt_secrets(Connection.objects.get(pk=connection.pk).secrets_encrypted) == {"token": "new-token"}
