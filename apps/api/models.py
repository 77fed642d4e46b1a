from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.accounts.models import Organization, Role


class ApiToken(models.Model):
    """A bearer token of one user in one organization, acting with one role.

    Only a SHA-256 digest of the token is stored; the token itself is shown once, when it is
    created. ``prefix`` is the visible start of the token so people can tell tokens apart.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "user"])]

    def __repr__(self) -> str:
        return f"<ApiToken {self.pk} {self.prefix}… {self.role}>"
