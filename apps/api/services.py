"""Creating and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.actors import Actor, role_permissions
from apps.accounts.models import Role
from apps.accounts.services import audit_record
from apps.common.errors import Conflict, InvalidInput, NotFound, Problem

from .models import ApiToken

TOKEN_PREFIX = "fs_"
# Writing last_used_at on every request would turn every read into a write; a minute is
# precise enough for "is this token still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


permissions_of = role_permissions  # the role table lives with the actors


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, name: str, role: str | None = None,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for the acting user; returns the row and the token, which is never stored.

    The token's role may not allow more than the user's own role in the organization.
    """
    if actor.user_id is None:
        raise InvalidInput("token not created", [Problem("", "only a person can own an API token")])
    role = role or actor.role
    problems = []
    if not (name or "").strip():
        problems.append(Problem("name", "must not be empty"))
    if role not in Role.values:
        problems.append(Problem("role", f"unknown role {role!r}; one of {', '.join(Role.values)}"))
    elif not permissions_of(role) <= permissions_of(actor.role):
        problems.append(Problem("role", f"a {actor.role} cannot create a token with the {role} role"))
    if expires_at is not None and expires_at <= timezone.now():
        problems.append(Problem("expires_at", "must be in the future"))
    if problems:
        raise InvalidInput("token not created", problems)
    visible = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{visible}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(organization=actor.organization, user_id=actor.user_id, name=name.strip()[:120],
                                  role=role, prefix=f"{TOKEN_PREFIX}{visible}", digest=token_digest(token),
                                  expires_at=expires_at)
    audit_record(actor=actor, action="api_token.create", target_type="api_token", target_id=row.pk,
                 details={"role": role, "prefix": row.prefix})
    return row, token


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; managers may revoke anyone's in the organization."""
    tokens = ApiToken.objects.select_for_update().filter(organization=actor.organization, pk=token_id)
    if not actor.can("manage"):
        tokens = tokens.filter(user_id=actor.user_id)
    row = tokens.first()
    if row is None:
        raise NotFound("token not found")
    if row.revoked_at is not None:
        raise Conflict("this token is already revoked")
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", target_type="api_token", target_id=row.pk,
                 details={"prefix": row.prefix})
    return row


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (a conditional UPDATE, no lock)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(last_used_at=now)
    token.last_used_at = now
