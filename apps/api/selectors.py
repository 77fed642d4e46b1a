from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership

from .models import ApiToken
from .services import TOKEN_PREFIX, permissions_of, token_digest


class TokenRefused(Exception):
    """The bearer token cannot be used; the message says why, without revealing any secret."""


def api_token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own tokens; managers see every token in the organization."""
    tokens = ApiToken.objects.filter(organization=actor.organization).select_related("user")
    return tokens if actor.can("manage") else tokens.filter(user_id=actor.user_id)


def api_token_actor(*, token: str) -> tuple[ApiToken, Actor]:
    """The token row and the Actor it acts as, or TokenRefused.

    The user must still belong to the organization with a role that allows everything the
    token's role allows: demoting or removing a person disables their tokens at once.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise TokenRefused("malformed token")
    row = ApiToken.objects.select_related("organization", "user").filter(digest=token_digest(token)).first()
    if row is None:
        raise TokenRefused("unknown token")
    if row.revoked_at is not None:
        raise TokenRefused("this token was revoked")
    if row.expires_at is not None and row.expires_at <= timezone.now():
        raise TokenRefused("this token has expired")
    if not row.user.is_active:
        raise TokenRefused("the token's user is deactivated")
    membership_role = (Membership.objects.filter(organization_id=row.organization_id, user_id=row.user_id)
                       .values_list("role", flat=True).first())
    if membership_role is None or not permissions_of(row.role) <= permissions_of(membership_role):
        raise TokenRefused("the token's user no longer holds its role in the organization")
    actor = Actor(organization=row.organization, role=row.role, user_id=row.user_id,
                  label=f"{row.user.get_username()} (token {row.prefix})")
    return row, actor
