"""Encryption of connection secrets at rest (Fernet, with key rotation via MultiFernet)."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in settings.FARSIDE_ENCRYPTION_KEYS])


def encrypt_secrets(secrets: dict[str, str]) -> bytes:
    return _fernet().encrypt(json.dumps(secrets, sort_keys=True).encode())


def decrypt_secrets(token: bytes) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(bytes(token)))
    except InvalidToken:
        raise RuntimeError("connection secrets cannot be decrypted with the configured "
                           "FARSIDE_ENCRYPTION_KEYS (was a key removed before re-encrypting?)") from None


def reencrypt(token: bytes) -> bytes:
    """Re-encrypt under the first (newest) key; used after prepending a new key."""
    return _fernet().rotate(bytes(token)) if token else token
