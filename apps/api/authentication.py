"""Bearer-token authentication for the REST API."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .selectors import TokenRefused, api_token_actor
from .services import api_token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer fs_…``. Sets ``request.user`` to the token's user and
    ``request.auth`` to the token row, with the Actor it acts as in ``request.auth.actor``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not token.strip():
            raise exceptions.AuthenticationFailed("expected 'Authorization: Bearer <token>'")
        try:
            row, actor = api_token_actor(token=token.strip())
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        api_token_touch(token=row)
        row.actor = actor
        return row.user, row

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
